"""Direct runs: cheap deterministic computations (deep linear networks) that a claim needs
beside, or instead of, networks trained by the engine.

A recipe is a frozen dataclass with a `compute(seed)` method returning plain data, its length
in full-batch steps (`epochs`: one step sees the whole training set, so it is an epoch), and
the seconds one step takes on one CPU thread (for the plan's estimate and the claims' order).
`DirectSpec(recipe, seed)` is keyed and stored like a RunSpec: a second session reads it from
the store instead of computing it. Direct runs always compute on the CPU on one thread, so their
key names that, whatever device the session trains on.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import time
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, runtime_checkable

import torch

from .config import ENGINE_VERSION

log = logging.getLogger("repro.direct")


@runtime_checkable
class DirectRecipe(Protocol):
    kind: ClassVar[str]

    def compute(self, seed: int) -> dict: ...

    @property
    def epochs(self) -> int: ...

    @property
    def step_seconds(self) -> float: ...

    def label(self) -> str: ...


def cpu_tag() -> str:
    """Direct runs compute with torch on one CPU thread: the tag of their key."""
    return json.dumps({"kind": "cpu", "torch": torch.__version__, "threads": 1}, sort_keys=True)


@dataclass(frozen=True)
class DirectSpec:
    recipe: Any  # a DirectRecipe
    seed: int

    @property
    def total_epochs(self) -> int:
        return self.recipe.epochs

    def canonical(self) -> dict:
        return {"direct": self.recipe.kind, "recipe": _plain(dataclasses.asdict(self.recipe)),
                "seed": self.seed}

    def key(self, device_tag: str | None = None) -> str:
        payload = {"spec": self.canonical(), "engine": ENGINE_VERSION,
                   "device": device_tag or cpu_tag()}
        blob = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
        return hashlib.sha256(blob).hexdigest()[:20]

    def label(self) -> str:
        return f"{self.recipe.label()} seed={self.seed}"


@dataclass
class DirectResult:
    spec: DirectSpec
    key: str
    status: str
    metrics: dict  # what the recipe's compute returned, as stored (JSON: string keys)
    epochs_trained: int = 0  # 0 when the store had it
    resumed_from: int = 0
    seconds: float = 0.0
    reason: str = ""

    def final(self, name: str) -> float:
        return self.metrics[name]


def compute(spec: DirectSpec) -> tuple[dict, float]:
    """The recipe's result as it reads back from the store (JSON), and the seconds it took."""
    t0 = time.perf_counter()
    out = json.loads(json.dumps(spec.recipe.compute(spec.seed)))
    return out, time.perf_counter() - t0


def stored(spec: DirectSpec, store) -> DirectResult | None:
    key = spec.key()
    meta = store.meta(key)
    if meta is None:
        return None
    return DirectResult(spec, key, meta["status"], meta["metrics"],
                        resumed_from=spec.total_epochs)


def save(spec: DirectSpec, store, metrics: dict, seconds: float) -> DirectResult:
    key = spec.key()
    store.save(key, {"spec": spec.canonical(), "engine": ENGINE_VERSION, "status": "ok",
                     "epochs": spec.total_epochs, "metrics": metrics, "reason": "",
                     "device": json.loads(cpu_tag())}, {})
    log.info("%s: computed in %.0f s", spec.label(), seconds)
    return DirectResult(spec, key, "ok", metrics, epochs_trained=spec.total_epochs,
                        seconds=seconds)


def _plain(x):
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    return x
