"""How a run executes, beyond its spec: device, threads, precision, determinism, compilation.

All of it can change a run's numbers, so all of it is part of the run's store key and record
(`identity`). The defaults keep the science of the papers: fp32 with TF32 off, deterministic
kernels on CUDA (so that a run resumed from a checkpoint equals an uninterrupted one, as on the
CPU), eager execution. TF32, bf16 autocast and torch.compile are opt-in: they keep the model,
batch, schedule and data, but give other numbers, so their runs are stored apart.
"""
from __future__ import annotations

import contextlib
import os
import platform
from dataclasses import dataclass

import torch

from . import cuda

PRECISIONS = ("fp32", "tf32", "bf16")
# cuBLAS needs a fixed workspace to be deterministic; it must be set before cuBLAS starts.
CUBLAS_WORKSPACE = ":4096:8"


@dataclass(frozen=True)
class Backend:
    device: str = "cpu"  # "cpu" or "cuda:<index>"
    cpu_threads: int = 1
    precision: str = "fp32"
    deterministic: bool = True  # CUDA only: CPU kernels are deterministic at a fixed thread count
    compile: bool = False

    def __post_init__(self):
        if self.precision not in PRECISIONS:
            raise ValueError(f"unknown precision {self.precision!r}; known: "
                             f"{', '.join(PRECISIONS)}")
        if self.kind == "cpu" and self.precision == "tf32":
            raise ValueError("precision tf32 is a CUDA mode; on the CPU use fp32 or bf16")
        if not isinstance(self.cpu_threads, int) or self.cpu_threads < 1:
            raise ValueError(f"cpu_threads must be a positive integer, got {self.cpu_threads!r}")

    @property
    def kind(self) -> str:
        return torch.device(self.device).type

    def identity(self) -> dict:
        """What, besides the spec, fixes a run's numbers here."""
        ident: dict[str, object] = {"kind": self.kind, "torch": torch.__version__.split("+")[0],
                                    "precision": self.precision}
        if self.kind == "cpu":
            ident.update(threads=self.cpu_threads, model=cpu_model())
        else:
            index = torch.device(self.device).index or 0
            ident.update(model=cuda.device_name(index), **cuda.versions(),
                         determinism="deterministic" if self.deterministic else "nondeterministic")
        if self.compile:
            ident["compile"] = True
        return ident

    def apply(self) -> None:
        """Set torch's process-wide switches for this backend (before any run trains)."""
        if self.kind != "cuda":
            return
        tf32 = self.precision == "tf32"
        torch.backends.cuda.matmul.allow_tf32 = tf32
        torch.backends.cudnn.allow_tf32 = tf32
        torch.backends.cudnn.benchmark = not self.deterministic
        torch.backends.cudnn.deterministic = self.deterministic
        if self.deterministic:
            os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", CUBLAS_WORKSPACE)
        torch.use_deterministic_algorithms(self.deterministic)

    def autocast(self):
        """The forward pass's precision context: bf16 autocast, or nothing."""
        if self.precision != "bf16":
            return contextlib.nullcontext()
        return torch.autocast(self.kind, dtype=torch.bfloat16)


def cpu_model() -> str:
    """The processor's model name: CPU kernels are chosen by instruction set, so two processors
    can give different numbers for the same run."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()
