"""`--gpus`: which CUDA device each process trains on.

The list names indices into the GPUs this process sees (so into any outer CUDA_VISIBLE_DEVICES,
which is never changed): "all" is every visible GPU once, "0,0,1,1" runs two workers on each of
two GPUs. xdist worker gwN takes entry N of the list; the controller takes none. A worker past the
end of the list (more workers than entries, or a worker xdist restarted under a new id) shares
deterministically: entry N modulo the list's length, with a warning.
"""
from __future__ import annotations

import re
import warnings

from . import cuda


class NoGPU(RuntimeError):
    pass


def parse_gpus(value: str | None, visible: int) -> list[int]:
    """Device indices that `--gpus value` names, given `visible` GPUs."""
    if visible <= 0:
        raise NoGPU("--gpus was given but no CUDA device is visible here (torch sees none); "
                    "run without --gpus to train on the CPU")
    if value in (None, "", "all"):
        return list(range(visible))
    if not re.fullmatch(r"\d+(,\d+)*", value):
        raise NoGPU(f"--gpus takes 'all' or a list of device indices like 0,1 or 0,0,1,1, not "
                    f"{value!r} (put paths before --gpus)")
    picked = [int(tok) for tok in value.split(",")]
    bad = [i for i in picked if i >= visible]
    if bad:
        raise NoGPU(f"--gpus names device {bad[0]}, but only {visible} GPU(s) are visible "
                    f"(indices 0..{visible - 1}, counted within any CUDA_VISIBLE_DEVICES)")
    return picked


def worker_gpu(gpus: list[int], worker: str | None) -> int:
    """The device index of xdist worker `worker` ("gw3"), or of the only process when None."""
    index = int(worker[2:]) if worker and worker.startswith("gw") else 0
    if index >= len(gpus):
        warnings.warn(f"xdist worker {worker} is past the {len(gpus)} entries of --gpus "
                      f"({','.join(map(str, gpus))}); it shares GPU {gpus[index % len(gpus)]}",
                      stacklevel=2)
    return gpus[index % len(gpus)]


def visible_gpus(value: str | None) -> list[int]:
    """The list `--gpus value` names on this machine."""
    return parse_gpus(value, cuda.device_count() if cuda.is_available() else 0)
