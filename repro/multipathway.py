"""The multipathway model (Kleinman, Achille, Soatto 2024, Sec. 3).

Two deep linear pathways a and b map the same one-hot inputs to hierarchical targets; the
network's output is the sum of theirs. A deficit gates pathway b for a window of epochs: its
output is detached, so it gets no gradient while pathway a learns against the summed output.
Competition between the pathways then decides which one ends up carrying each mode of the task.

Both pathways start from the authors' init: aligned with the singular vectors of the
input-output correlation, equal in the two pathways (so without a gate they stay equal, and any
asymmetry at the end comes from the gate). Full-batch gradient descent: one step is one epoch.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch

from .deep_linear import one_thread


@dataclass(frozen=True)
class Multipathway:
    """The authors' released setting (multipath/configs/multipath-depth4-analytical.yaml)."""

    depth: int = 4  # weight matrices per pathway
    width: int = 100  # hidden units per layer
    levels: int = 3  # binary hierarchy: 2**levels items (one-hot inputs), 2**(levels+1)-1 targets
    lr: float = 0.01
    epochs: int = 1000
    init_scale: float = 0.01  # initial singular values of each pathway's map
    init_noise: float = 0.1  # their relative spread (sorted, so the modes keep their order)
    gate_epochs: int = 150

    def __post_init__(self):
        if self.depth < 2 or self.width < 2**self.levels:
            raise ValueError("depth must be >= 2 and width at least the number of items")


# Seconds of one step on one CPU thread (train(Multipathway(), None, 0) on the 2-core CI machine,
# 2026-12-01): the plan's estimate and claim order only.
STEP_SECONDS = 3.7e-3


def hierarchical_targets(levels: int) -> torch.Tensor:
    """(features x items): one feature per node of a binary tree over 2**levels items, 1 for the
    items under that node (root, halves, quarters, ..., single items)."""
    n = 2**levels
    rows = []
    for lev in range(levels + 1):
        size = n // 2**lev
        for start in range(0, n, size):
            row = torch.zeros(n, dtype=torch.float64)
            row[start:start + size] = 1
            rows.append(row)
    return torch.stack(rows)


def task_svd(cfg: Multipathway):
    """Target map Y (features x items; the inputs are the identity) and its SVD."""
    y = hierarchical_targets(cfg.levels)
    u, s, vh = torch.linalg.svd(y, full_matrices=True)
    return y, u, s, vh.T


def init_pathway(cfg: Multipathway, seed: int) -> list[torch.Tensor]:
    """W_1 = R D V^T, W_k = R D R^T, W_depth = U D R^T with D = diag(k)**(1/depth), R a random
    orthogonal matrix: the pathway's map starts as U diag(k) V^T, k about init_scale."""
    g = torch.Generator().manual_seed(seed)
    _, u, _, v = task_svd(cfg)
    items, features = v.shape[0], u.shape[0]
    r, _ = torch.linalg.qr(torch.randn(cfg.width, cfg.width, generator=g, dtype=torch.float64))
    k = cfg.init_scale * (1 + cfg.init_noise * torch.randn(cfg.width, generator=g,
                                                           dtype=torch.float64))
    d = torch.diag(k.sort(descending=True).values ** (1 / cfg.depth))
    first = r @ d[:, :items] @ v.T
    middle = [r @ d @ r.T for _ in range(cfg.depth - 2)]
    last = u[:, :items] @ d[:items, :] @ r.T
    out = [first, *middle, last]
    assert out[-1].shape == (features, cfg.width)
    return out


def pathway_map(weights) -> torch.Tensor:
    m = weights[0]
    for w in weights[1:]:
        m = w @ m
    return m


def mode_strengths(m: torch.Tensor, u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """K_alpha = u_alpha^T M v_alpha: how much of the task's mode alpha the map M carries."""
    items = v.shape[0]
    return torch.diagonal(u[:, :items].T @ m @ v)


def train(cfg: Multipathway, gate_onset: int | None, seed: int, record_every: int = 10) -> dict:
    """Train both pathways; pathway b is gated for epochs [gate_onset, gate_onset + gate_epochs)
    (None: never). Returns the modes' strengths K_a, K_b per pathway over epochs and at the end.
    Single-threaded, so the numbers do not depend on the session's thread count."""
    with one_thread():
        return _train(cfg, gate_onset, seed, record_every)


def _train(cfg, gate_onset, seed, record_every):
    y, u, s, v = task_svd(cfg)
    init = init_pathway(cfg, seed)
    paths = {name: [w.clone().requires_grad_() for w in init] for name in "ab"}
    opt = torch.optim.SGD([w for ws in paths.values() for w in ws], lr=cfg.lr)
    gate = range(gate_onset, gate_onset + cfg.gate_epochs) if gate_onset is not None else range(0)
    history: dict[str, list] = {"epoch": [], "K_a": [], "K_b": [], "loss": []}
    for epoch in range(cfg.epochs + 1):
        m_a, m_b = pathway_map(paths["a"]), pathway_map(paths["b"])
        if epoch % record_every == 0 or epoch == cfg.epochs:
            with torch.no_grad():
                history["epoch"].append(epoch)
                history["K_a"].append(mode_strengths(m_a, u, v).tolist())
                history["K_b"].append(mode_strengths(m_b, u, v).tolist())
                history["loss"].append(float(0.5 * (m_a + m_b - y).pow(2).sum()))
        if epoch == cfg.epochs:
            break
        if epoch in gate:
            m_b = m_b.detach()
        loss = 0.5 * (m_a + m_b - y).pow(2).sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    k_a, k_b = history["K_a"][-1], history["K_b"][-1]
    return {"history": history, "K_a": k_a, "K_b": k_b, "target_modes": s.tolist(),
            "share_b": share_b(k_a, k_b), "loss": history["loss"][-1]}


def share_b(k_a, k_b) -> float:
    """Pathway b's share of the learned mode strengths, sum K_b / sum (K_a + K_b)."""
    a, b = float(sum(k_a)), float(sum(k_b))
    return b / (a + b)


@dataclass(frozen=True)
class GatedTraining:
    """A direct run (repro.direct): `train` with pathway b gated from `gate_onset` (None: no
    gate), for one seed."""

    kind: ClassVar[str] = "multipathway-gate"
    config: Multipathway
    gate_onset: int | None

    def compute(self, seed: int) -> dict:
        return train(self.config, self.gate_onset, seed)

    @property
    def epochs(self) -> int:
        return self.config.epochs

    @property
    def step_seconds(self) -> float:
        return STEP_SECONDS

    def label(self) -> str:
        return f"multipathway gate at {self.gate_onset}"
