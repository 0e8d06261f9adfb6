"""What a run costs: a deterministic measure for scheduling and progress, seconds for estimates.

- `epoch_macs(spec, epoch)`: multiply-accumulates of one training epoch (forward and backward,
  counted as 3 forward passes) plus its test evaluation, from the network's layer shapes. The
  same number in every process, so xdist workers agree on an order built from it.
- `Timer.epoch_seconds(spec, epoch)`: that epoch timed on this device: a few optimizer steps of
  the run's network on random images (on the CPU at a batch of at most CPU_TIMED_BATCH, scaled
  to the run's), measured once per network.
- `gpu_hours(macs)`: an estimate of the hours those multiply-accumulates take on a named
  reference GPU, in fp32 and in TF32, at a stated share of its peak: for planning the paper tier
  on a machine one does not have, never a measurement.
"""
from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from .config import RunSpec
from .models import build_model, is_convolutional

IMAGE_SHAPE = {"cifar10": (3, 32, 32), "mnist": (1, 28, 28)}
TRAIN_IMAGES = {"cifar10": 50_000, "mnist": 60_000}
TEST_IMAGES = {"cifar10": 10_000, "mnist": 10_000}
NUM_CLASSES = 10
TIMED_STEPS = 2  # after one warm-up step; an estimate, not a benchmark
# On the CPU a step's time grows in proportion to its batch (no parallel hardware left idle at
# small batches), so a step is timed on at most this many images and scaled to the run's batch:
# a quarter of the cost of timing the paper tier's networks at batch 128.
CPU_TIMED_BATCH = 32


@dataclass(frozen=True)
class ReferenceGpu:
    name: str
    fp32_flops: float  # peak, dense, FLOP/s
    tf32_flops: float  # peak of the tensor cores on TF32 inputs, dense
    efficiency: float  # the share of peak assumed reached
    source: str


# Peaks from NVIDIA's A100 datasheet (FP32 19.5 TFLOPS; TF32 Tensor Core 156 TFLOPS dense, 312 with
# sparsity). 40 % of peak is our assumption for these small networks at batch 128, whose
# normalisation and elementwise layers are bound by memory bandwidth, not arithmetic.
REFERENCE_GPU = ReferenceGpu("NVIDIA A100 (SXM4)", 19.5e12, 156e12, 0.40,
                             "NVIDIA A100 datasheet: FP32 19.5 TFLOPS, TF32 156 TFLOPS dense")


def gpu_hours(macs: float, gpu: ReferenceGpu = REFERENCE_GPU) -> tuple[float, float]:
    """(fp32, TF32) hours of `macs` multiply-accumulates (2 FLOP each) on `gpu` at its assumed
    efficiency: an estimate."""
    flop = 2.0 * macs
    return (flop / (gpu.fp32_flops * gpu.efficiency) / 3600,
            flop / (gpu.tf32_flops * gpu.efficiency) / 3600)


def format_gpu_hours(macs: float, gpu: ReferenceGpu = REFERENCE_GPU) -> str:
    fp32, tf32 = gpu_hours(macs, gpu)
    return f"{fp32:.2g} GPU-h fp32 / {tf32:.2g} GPU-h TF32"


def image_shape(spec: RunSpec) -> tuple[int, int, int]:
    c, h, w = IMAGE_SHAPE[spec.dataset]
    if spec.resolution:
        h = w = spec.resolution
    return (c, spec.pad_to, spec.pad_to) if spec.pad_to else (c, h, w)


def train_images(spec: RunSpec, epoch: int) -> int:
    n = spec.train_size or TRAIN_IMAGES[spec.dataset]
    fraction = spec.phase_at(epoch)[0].train_fraction
    return round(n * fraction) if fraction else n


def evaluates(spec: RunSpec, epoch: int) -> bool:
    """Whether the (0-based) epoch `epoch` ends with a test evaluation (the engine's rule)."""
    return spec.evaluates_at(epoch + 1)


def epoch_macs(spec: RunSpec, epoch: int) -> float:
    """Multiply-accumulates of (0-based) epoch `epoch` of `spec`: training, its test evaluation,
    and the Fisher traces measured in and after it (one backward pass over the probe per class
    each). Steps are counted as if no earlier epoch was skipped at a training-accuracy target."""
    per_image = forward_macs(spec.model, image_shape(spec), spec.width, spec.depth)
    macs = 3 * per_image * train_images(spec, epoch)
    if evaluates(spec, epoch):
        macs += per_image * TEST_IMAGES[spec.dataset]
    fisher = 3 * per_image * spec.fisher_probe * (NUM_CLASSES if spec.fisher_estimator ==
                                                  "exact" else 1)
    if epoch + 1 in spec.fisher_at:
        macs += fisher
    if spec.fisher_steps:
        first = sum(math.ceil(train_images(spec, e) / spec.batch_size) for e in range(epoch))
        last = first + math.ceil(train_images(spec, epoch) / spec.batch_size)
        macs += fisher * sum(first < s <= last for s in spec.fisher_steps)
    return float(macs)


@functools.cache
def forward_macs(model: str, shape: tuple[int, int, int], width: tuple[int, ...],
                 depth: int | None) -> int:
    """Multiply-accumulates of one image's forward pass (torch's FLOP counter, half its FLOP:
    convolutions and matrix products; the rest is a few percent), on the meta device: no
    compute."""
    with torch.device("meta"):
        net = build_model(model, shape, NUM_CLASSES, width, depth)
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        net.eval()(torch.zeros((1, *shape), device="meta"))
    return counter.get_total_flops() // 2


def state_bytes(spec: RunSpec) -> int:
    """Bytes of one checkpoint of `spec`'s network: weights, buffers and momentum."""
    with torch.device("meta"):
        net = build_model(spec.model, image_shape(spec), NUM_CLASSES, spec.width, spec.depth)
    params = sum(p.numel() for p in net.parameters())
    buffers = sum(b.numel() for b in net.buffers())
    return 4 * (2 * params + buffers)


class Timer:
    """Seconds per epoch on `device`, from a few timed optimizer steps of each network."""

    def __init__(self, device: str = "cpu", threads: int = 1):
        self.device = torch.device(device)
        self.threads = threads
        self._step: dict[tuple, tuple[float, float]] = {}

    def epoch_seconds(self, spec: RunSpec, epoch: int) -> float:
        step, forward = self.step_seconds(spec)
        steps = -(-train_images(spec, epoch) // spec.batch_size)
        seconds = steps * step
        if evaluates(spec, epoch):
            seconds += TEST_IMAGES[spec.dataset] / spec.batch_size * forward
        return seconds

    def step_seconds(self, spec: RunSpec) -> tuple[float, float]:
        """(one training step, one forward pass) at the run's batch size, in seconds; the
        forward pass taken as a third of a step (backward costs about twice the forward)."""
        net_key = (spec.model, image_shape(spec), spec.width, spec.depth, spec.batch_size)
        if net_key not in self._step:
            self._step[net_key] = self._measure(spec)
        return self._step[net_key]

    def _measure(self, spec: RunSpec) -> tuple[float, float]:
        before = torch.get_num_threads()
        torch.set_num_threads(self.threads)
        try:
            net = build_model(spec.model, image_shape(spec), NUM_CLASSES, spec.width,
                              spec.depth).to(self.device)
            fmt = torch.channels_last if is_convolutional(spec.model) else torch.contiguous_format
            net = net.to(memory_format=fmt)
            opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
            batch = (min(spec.batch_size, CPU_TIMED_BATCH) if self.device.type == "cpu"
                     else spec.batch_size)
            x = torch.randn((batch, *image_shape(spec)), device=self.device)
            x = x.contiguous(memory_format=fmt)
            y = torch.randint(0, NUM_CLASSES, (batch,), device=self.device)

            def step():
                loss = nn.functional.cross_entropy(net(x), y)
                opt.zero_grad()
                loss.backward()
                opt.step()

            seconds = self._time(step) * spec.batch_size / batch
            return seconds, seconds / 3
        finally:
            torch.set_num_threads(before)

    def _time(self, fn) -> float:
        fn()  # warm-up
        self._sync()
        t0 = time.perf_counter()
        for _ in range(TIMED_STEPS):
            fn()
        self._sync()
        return (time.perf_counter() - t0) / TIMED_STEPS

    def _sync(self):
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)


def format_seconds(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 3 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"
