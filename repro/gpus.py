"""One GPU per pytest-xdist worker, chosen before torch initialises CUDA."""
from __future__ import annotations

import os


class NoGPU(RuntimeError):
    pass


def parse_gpus(value: str | None, outer: str | None) -> list[str]:
    """The device ids `--gpus` names, as entries of the outer CUDA_VISIBLE_DEVICES when one is
    set (so "--gpus 0,1" under CUDA_VISIBLE_DEVICES=4,6 means physical 4 and 6)."""
    visible = [d.strip() for d in outer.split(",") if d.strip()] if outer else None
    if value in (None, "", "all"):
        if visible is None:
            return [str(i) for i in range(_physical_count())]
        return visible
    picked = []
    for tok in value.split(","):
        i = int(tok)
        if visible is not None:
            if not 0 <= i < len(visible):
                raise NoGPU(f"--gpus names {i}, but CUDA_VISIBLE_DEVICES={outer} has "
                            f"{len(visible)} entries")
            picked.append(visible[i])
        else:
            picked.append(str(i))
    return picked


def worker_gpu(gpus: list[str], worker: str | None) -> str:
    """The GPU of xdist worker `worker` ("gw3"), or of the only process when there is none."""
    if not gpus:
        raise NoGPU("--gpus was given but no CUDA GPU is visible on this machine; run without "
                    "--gpus to train on the CPU")
    index = int(worker[2:]) if worker and worker.startswith("gw") else 0
    if index >= len(gpus):
        raise NoGPU(f"xdist worker {worker} has no GPU of its own: {len(gpus)} GPU(s) "
                    f"({','.join(gpus)}) for more workers; use -n {len(gpus)}")
    return gpus[index]


def assign_gpu(value: str | None) -> str:
    """Set CUDA_VISIBLE_DEVICES for this process and return the device it now sees as cuda:0."""
    gpus = parse_gpus(value, os.environ.get("CUDA_VISIBLE_DEVICES"))
    gpu = worker_gpu(gpus, os.environ.get("PYTEST_XDIST_WORKER"))
    os.environ["CUDA_VISIBLE_DEVICES"] = gpu
    return gpu


def _physical_count() -> int:
    import torch

    # Counts through NVML without initialising CUDA, so CUDA_VISIBLE_DEVICES set afterwards
    # still takes effect. (Where NVML is missing torch falls back to the CUDA runtime; then set
    # CUDA_VISIBLE_DEVICES yourself and pass --gpus with indices into it.)
    return torch.cuda.device_count()
