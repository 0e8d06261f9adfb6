"""Matrix completion with deep linear networks (Kleinman, Achille, Soatto 2024, Sec. 4).

The network is a product of `depth` square matrices, W = W_depth ... W_1, fitted by full-batch
gradient descent to the observed entries of a low-rank target. The deficit is an information
deficit: the first T steps see only `observed_first` entries, then `second_steps` steps see
`observed_second` (the first ones plus more). The test error is the mean squared error over all
entries of the target. Full-batch: one step is one epoch.

A sweep over T trains the first phase once per (config, seed) and branches at each T, so the
cost is max(T) + len(T) * second_steps steps. Gradients are written out by hand (no autograd):
a step is six 100x100 matrix products at depth 3 and runs single-threaded, so its numbers do not
depend on how many threads the session uses.
"""
from __future__ import annotations

import contextlib
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

import torch


@dataclass(frozen=True)
class MatrixCompletion:
    """The authors' released setting (configs/rebuttal_iclr/num-examples-depth.yaml)."""

    depth: int = 3
    size: int = 100  # the target is size x size, and so is every layer
    rank: int = 5
    observed_first: int = 1000  # entries seen during the first T steps (the deficit)
    observed_second: int = 1500  # the first ones plus more, seen afterwards
    second_steps: int = 30_000
    lr: float = 0.2
    init_scale: float = 1e-3  # per-layer std init_scale**(1/depth) / sqrt(size)
    # float32 as the authors' code (torch default); a check in float64 is in the claim's notes
    dtype: str = "float32"
    trace_every: int = 1000  # test error recorded every this many steps

    def __post_init__(self):
        if self.depth < 1 or self.observed_first > self.observed_second:
            raise ValueError("depth must be >= 1 and observed_first <= observed_second")
        if self.observed_second > self.size**2:
            raise ValueError("more observed entries than the target has")


def target_and_observations(cfg: MatrixCompletion, seed: int):
    """The rank-`rank` target scaled to unit mean square, and the observed flat indices (the
    first `observed_first` of them are the deficit's). Depends on the seed only, not the depth."""
    g = torch.Generator().manual_seed(seed)
    u = torch.randn(cfg.size, cfg.rank, generator=g, dtype=torch.float64)
    v = torch.randn(cfg.size, cfg.rank, generator=g, dtype=torch.float64)
    target = u @ v.T
    target = target / target.pow(2).mean().sqrt()
    observed = torch.randperm(cfg.size**2, generator=g)[: cfg.observed_second]
    return target.to(getattr(torch, cfg.dtype)), observed


def init_weights(cfg: MatrixCompletion, seed: int) -> list[torch.Tensor]:
    """Gaussian layers whose product has Frobenius norm about init_scale * sqrt(size)."""
    g = torch.Generator().manual_seed(seed + 1_000_003)  # a stream apart from the target's
    std = cfg.init_scale ** (1 / cfg.depth) / cfg.size**0.5
    return [torch.randn(cfg.size, cfg.size, generator=g, dtype=getattr(torch, cfg.dtype)) * std
            for _ in range(cfg.depth)]


def mask_of(cfg: MatrixCompletion, observed: torch.Tensor) -> torch.Tensor:
    """1/n at the n observed entries, 0 elsewhere: the gradient of 0.5 * mean squared error on
    the observed entries with respect to the end-to-end matrix is mask * (W - target)."""
    m = torch.zeros(cfg.size**2, dtype=getattr(torch, cfg.dtype))
    m[observed] = 1.0 / len(observed)
    return m.view(cfg.size, cfg.size)


def end_to_end(weights: list[torch.Tensor]) -> torch.Tensor:
    e = weights[0]
    for w in weights[1:]:
        e = w @ e
    return e


def gradients(weights, target, mask):
    """(end-to-end matrix, gradients of 0.5 * mean squared error on the observed entries).

    With R_k = W_{k-1} ... W_1 and G = mask * (W - target): dW_k = (W_D ... W_{k+1})^T G R_k^T,
    accumulated from the top layer down.
    """
    right = [None, weights[0]]  # right[k] = R_{k+1} (0-based layer k); R_1 = I
    for w in weights[1:-1]:
        right.append(w @ right[-1])
    e = weights[-1] @ right[-1] if len(weights) > 1 else weights[0]
    g = mask * (e - target)
    grads = [None] * len(weights)
    left = g  # (W_D ... W_{k+1})^T G
    for k in range(len(weights) - 1, -1, -1):
        grads[k] = left if right[k] is None else left @ right[k].T
        if k:
            left = weights[k].T @ left
    return e, grads


def test_error(e: torch.Tensor, target: torch.Tensor) -> float:
    return float((e - target).pow(2).mean())


@contextlib.contextmanager
def one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(n)


def _steps(weights, target, mask, lr, n, trace, start, every):
    """n gradient steps in place; test errors at steps divisible by `every` go into `trace`."""
    for i in range(n):
        e, grads = gradients(weights, target, mask)
        if (start + i) % every == 0:
            trace.append((start + i, test_error(e, target)))
        for w, dw in zip(weights, grads):
            w.sub_(dw, alpha=lr)


def switch_sweep(cfg: MatrixCompletion, switch_at, seed: int) -> dict:
    """Final test error for each T in `switch_at`: T steps on the first observations, then
    `second_steps` on all of them. The first phase is trained once and branched at each T.

    Returns {"final": {T: error}, "trace": {T: [(step, error), ...]}, "prefix": [(step, error)]}.
    """
    ts = sorted({int(t) for t in switch_at})
    target, observed = target_and_observations(cfg, seed)
    first, second = mask_of(cfg, observed[: cfg.observed_first]), mask_of(cfg, observed)
    weights = init_weights(cfg, seed)
    out: dict[str, Any] = {"final": {}, "trace": {}, "prefix": []}
    with torch.no_grad(), one_thread():
        done = 0
        for t in ts:
            _steps(weights, target, first, cfg.lr, t - done, out["prefix"], done, cfg.trace_every)
            done = t
            branch = [w.clone() for w in weights]
            trace: list = []
            _steps(branch, target, second, cfg.lr, cfg.second_steps, trace, t, cfg.trace_every)
            final = test_error(end_to_end(branch), target)
            out["final"][t] = final
            out["trace"][t] = trace + [(t + cfg.second_steps, final)]
    return out


# Seconds of one step on one CPU thread, by depth: the plan's estimate and claim order only.
# Measured with switch_sweep over T=(0, 2000), 2000 second-phase steps, on the 2-core CI machine
# (2026-12-01).
STEP_SECONDS = {1: 2.6e-5, 2: 1.8e-4, 3: 2.9e-4}


def step_seconds(cfg: MatrixCompletion) -> float:
    return STEP_SECONDS.get(cfg.depth, STEP_SECONDS[3] * cfg.depth / 3)


def sweep_steps(cfg: MatrixCompletion, switch_at) -> int:
    """Steps a sweep trains, its first phase counted once."""
    return max(switch_at) + len(set(switch_at)) * cfg.second_steps


def describe(cfg: MatrixCompletion) -> dict:
    return asdict(cfg)


@dataclass(frozen=True)
class SwitchSweep:
    """A direct run (repro.direct): `switch_sweep` of `config` over these T, for one seed.
    Its metrics: {"final": {T: error}, "trace": {T: [[step, error], ...]}, "prefix": [...]},
    T as strings (as JSON stores them)."""

    kind: ClassVar[str] = "matrix-completion-switch-sweep"
    config: MatrixCompletion
    switch_at: tuple[int, ...]

    def compute(self, seed: int) -> dict:
        return switch_sweep(self.config, self.switch_at, seed)

    @property
    def epochs(self) -> int:
        return sweep_steps(self.config, self.switch_at)

    @property
    def step_seconds(self) -> float:
        return step_seconds(self.config)

    def label(self) -> str:
        return f"matrix completion depth {self.config.depth} T={','.join(map(str, self.switch_at))}"
