import atexit
import os
import shutil
import tempfile

import pytest

# Imported once, before any test: the in-process pytester runs of test_plugin.py roll sys.modules
# back afterwards, and torch._dynamo imported for the first time inside one (torch imports it
# lazily) cannot be imported again: its op library is already registered in torch's C++ side.
import torch._dynamo  # noqa: F401

from repro import Context, RunStore
from repro.synthetic import write_fake_cifar

# The tests hold whatever a user has exported: none of the project's variables (REPRO_DATA_DIR,
# REPRO_STORE, REPRO_FAKE_CUDA, ...) reaches them, and a store a test does not name is a
# temporary one, never the user's. Set here, before xdist starts its workers and before any
# subprocess a test starts, so that they inherit it too.
for _name in [n for n in os.environ if n.startswith("REPRO_")]:
    del os.environ[_name]
_scratch = tempfile.mkdtemp(prefix="repro-tests-")
atexit.register(shutil.rmtree, _scratch, ignore_errors=True)
os.environ["REPRO_STORE"] = os.path.join(_scratch, "store")


@pytest.fixture
def fake_data(tmp_path):
    d = tmp_path / "data"
    d.mkdir()
    return write_fake_cifar(d)


@pytest.fixture(scope="module")
def module_fake_data(tmp_path_factory):
    """The fake CIFAR of `fake_data`, written once for a test module."""
    return write_fake_cifar(tmp_path_factory.mktemp("data"))


@pytest.fixture
def ctx(tmp_path, fake_data):
    """An empty store in tmp_path on the fake CIFAR, checkpoints at phase boundaries (and every
    100 epochs: never, in these tests)."""
    return Context(RunStore(tmp_path / "store"), data_dir=str(fake_data), checkpoint_every=100)
