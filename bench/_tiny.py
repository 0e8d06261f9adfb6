"""What the benches' `--tiny` modes share (not a bench itself).

`--tiny` runs a bench's own code path and its final comparison at sizes that take seconds on one
CPU core, on synthetic CIFAR-shaped images (repro/synthetic.py: each class its own mean colour
under pixel noise) written to a temporary directory, with any run store in a temporary directory
too. tests/test_benches.py runs every bench that way, so that a broken bench fails the tests.
The numbers of a tiny run mean nothing.
"""
from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # the checkout's repro/, also where nothing is installed
    sys.path.insert(0, str(ROOT))

from repro.synthetic import write_fake_cifar

# RunSpec overrides of a tiny run: conv3 of widths 4/8 on 200 synthetic 8x8 images (the size
# they are written at), batches of 50
RUN = {"width": (4, 8), "train_size": 200, "resolution": None, "batch_size": 50}
N_TRAIN, N_TEST, IMAGE = 400, 200, 8


@contextmanager
def scratch() -> Iterator[Path]:
    """A temporary directory, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="repro-bench-tiny-") as d:
        yield Path(d)


@contextmanager
def fake_data(n_train: int = N_TRAIN, n_test: int = N_TEST, size: int = IMAGE) -> Iterator[str]:
    """A temporary data directory holding a synthetic cifar10.npz; its path."""
    with scratch() as d:
        yield str(write_fake_cifar(d / "data", n_train, n_test, size))
