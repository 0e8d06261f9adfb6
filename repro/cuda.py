"""The CUDA layer as the harness sees it: one small seam, so that the GPU path can be tested on a
machine without a GPU.

Everything the harness asks of CUDA (is there a device, how many, which one this process uses,
what it is, how much memory is free) goes through these functions. With REPRO_FAKE_CUDA=N in the
environment they answer for N fake GPUs instead: devices are reported and chosen as on a real
machine, and `select` records the choice, but nothing is ever run on them. Tests only.
"""
from __future__ import annotations

import os

FAKE_ENV = "REPRO_FAKE_CUDA"
_selected: int | None = None


def fake_count() -> int | None:
    value = os.environ.get(FAKE_ENV)
    if value is None:
        return None
    if not value.isdigit():
        raise ValueError(f"{FAKE_ENV} must be a number of fake GPUs, not {value!r}")
    return int(value)


def is_available() -> bool:
    fake = fake_count()
    if fake is not None:
        return fake > 0
    import torch

    return torch.cuda.is_available()


def device_count() -> int:
    """GPUs this process can see (after any outer CUDA_VISIBLE_DEVICES)."""
    fake = fake_count()
    if fake is not None:
        return fake
    import torch

    # NVML-based where available: counting does not create a CUDA context
    return torch.cuda.device_count()


def select(index: int) -> str:
    """Make cuda:`index` this process's current device and return its name, "cuda:<index>"."""
    global _selected  # noqa: PLW0603 -- one process-wide choice, read back by selected()
    _selected = index
    if fake_count() is None:
        import torch

        torch.cuda.set_device(index)
    return f"cuda:{index}"


def selected() -> int | None:
    """The index `select` chose in this process, if any."""
    return _selected


def device_name(index: int) -> str:
    if fake_count() is not None:
        return "Fake GPU"
    import torch

    return torch.cuda.get_device_name(index)


def versions() -> dict:
    """CUDA runtime and cuDNN versions of this torch build."""
    if fake_count() is not None:
        return {"cuda": "fake", "cudnn": "fake"}
    import torch

    return {"cuda": torch.version.cuda, "cudnn": torch.backends.cudnn.version()}


def memory(index: int) -> tuple[int, int] | None:
    """(free, total) bytes on cuda:`index`, or None when it cannot be read."""
    if fake_count() is not None:
        return 1 << 30, 80 << 30
    try:
        import torch

        return torch.cuda.mem_get_info(index)
    except Exception:  # the query itself can fail after an out-of-memory error
        return None
