"""The `harness` a claim check receives: runs from the store, the tier's settings, the verdict."""
from __future__ import annotations

import functools
import json
import time
from dataclasses import dataclass

import pytest

from .config import RunSpec
from .data import DataNotFound, load_dataset
from .engine import Context, RunResult, get_run, load_model, measure_fisher
from .tiers import Tier
from .verdict import Check, Verdict, outcome_of

VERDICT_PROPERTY = "repro_verdict"
PLAN_PROPERTY = "repro_plan"


class RunFailed(RuntimeError):
    """A run a claim needs crashed or diverged: the claim's verdict is "error"."""


class PlanOnly(Exception):
    """Raised in a dry run once the claim has declared its runs."""


@dataclass(frozen=True)
class ClaimInfo:
    id: str
    paper: str
    statement: str
    paper_value: str = ""


def claim(claim_id: str, *, paper: str, statement: str, paper_value: str = ""):
    """Mark a test function as the check of one paper claim; it receives `harness`."""

    def deco(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            h: Harness = kwargs["harness"]
            h.begin(ClaimInfo(claim_id, paper, statement, paper_value))
            try:
                return fn(*args, **kwargs)
            except PlanOnly:
                pytest.skip(f"dry run: {h.plan_line()}")
            except (RunFailed, DataNotFound) as err:
                h.record_error(str(err))
                pytest.fail(f"error: {err}", pytrace=False)
            except Exception as err:  # a crash: record the verdict, keep the traceback
                h.record_error(f"{type(err).__name__}: {err}")
                raise

        return wrapper

    return deco


class Harness:
    def __init__(self, tier: Tier, ctx: Context | None, seed_base: int, dry_run: bool, node,
                 ray_address: str | None = None):
        self.tier = tier
        self.ray_address = ray_address  # None: train here; else one Ray task per run
        self.ctx = ctx
        self.seed_base = seed_base
        self.dry_run = dry_run
        self.node = node
        self.info: ClaimInfo | None = None
        self.results: list[RunResult] = []
        self.direct_runs: list[dict] = []  # runs that bypass the engine (see `direct`)
        self.plan: dict | None = None
        self.expected_failure = ""
        self._t0 = time.perf_counter()

    # -- declaring runs ------------------------------------------------------------------------
    @property
    def seeds(self) -> list[int]:
        return [self.seed_base + s for s in self.tier.seeds]

    def more_seeds(self, n: int) -> list[int]:
        """`n` seeds: the tier's, then the integers after its largest (for a claim whose effect
        needs more seeds than the tier gives to be told from seed noise)."""
        base = list(self.tier.seeds)
        base += range(max(base) + 1, max(base) + 1 + max(0, n - len(base)))
        return [self.seed_base + s for s in base[:n]]

    def spec(self, phases, seed: int, **overrides) -> RunSpec:
        """A run of this tier: its base settings, these phases and seed, and any overrides."""
        return RunSpec(phases=tuple(phases), seed=seed, **{**self.tier.base, **overrides})

    def runs(self, specs: list[RunSpec]) -> list[RunResult]:
        """The finished runs, trained where the store lacks them (shortest first, so that longer
        runs start from the prefixes the shorter ones stored)."""
        self.plan = plan(specs, self.ctx)
        if self.dry_run:
            raise PlanOnly()
        load_data(specs, self.ctx)
        out: dict[int, RunResult] = {}
        order = sorted(range(len(specs)), key=lambda i: (specs[i].total_epochs, i))
        if self.ray_address:
            from .ray_backend import get_runs

            got = get_runs([specs[i] for i in order], self.ctx, self.ray_address)
        else:
            got = (get_run(specs[i], self.ctx) for i in order)
        for i, res in zip(order, got):
            if res.status != "ok":
                raise RunFailed(f"{specs[i].label()} {res.status}: {res.reason}")
            out[i] = res
        results = [out[i] for i in range(len(specs))]
        self.results += results
        return results

    def model_at(self, spec: RunSpec):
        """(network, data) stored for `spec`, a run or a prefix ending at a phase boundary or a
        checkpoint of a run already obtained with `runs`."""
        found = load_model(spec, self.ctx)
        if found is None:
            raise RunFailed(f"{spec.label()}: no stored checkpoint (was its run obtained?)")
        return found

    def fisher_at(self, spec: RunSpec, probe: int, estimator: str = "exact") -> dict:
        """Fisher trace of the network stored for `spec` (see `model_at`), as a metrics row."""
        model, data = self.model_at(spec)
        with self.ctx.threads():
            return measure_fisher(model, data, spec, spec.total_epochs, probe, estimator)

    def expect_failure_at(self, reasons: dict[str, str]) -> None:
        """This claim is known not to replicate at these tiers (tier name -> measured reason):
        a strict xfail, so that an unexpected pass is flagged; the report says "not replicated
        (expected)"."""
        reason = reasons.get(self.tier.name)
        if reason:
            self.expected_failure = reason
            self.node.add_marker(pytest.mark.xfail(strict=True, reason=reason))

    def direct(self, rows: list[dict], *, shared: int) -> None:
        """Declare runs that bypass the engine and the store: cheap, deterministic functions of a
        frozen config and a seed, computed by the claim itself every time. `rows` are
        {"run": label, "epochs": n}; `shared` is the epochs they need with shared prefixes counted
        once. In a dry run this stops the claim, as `runs` does."""
        # No store keys: these runs are shared with no other claim, and a key per step would
        # be millions of strings for the deep linear sweeps.
        self.plan = {"runs": len(rows), "epochs_total": sum(r["epochs"] for r in rows),
                     "epochs_shared": shared, "epochs_to_train": shared, "rows": rows,
                     "keys": [], "keys_to_train": [], "direct": True}
        if self.dry_run:
            raise PlanOnly()

    def add_direct_runs(self, records: list[dict]) -> None:
        """Attach finished direct runs to the verdict: each a dict with at least "label" and
        "epochs_trained" (0 when reused within the session; then "epochs" gives its length),
        plus whatever defines and describes it (config, seed, metrics)."""
        self.direct_runs += records

    def plan_line(self) -> str:
        p = self.plan or {}
        unit = "steps" if p.get("direct") else "epochs"
        return (f"{p.get('runs', 0)} runs, {p.get('epochs_total', 0)} {unit} as written, "
                f"{p.get('epochs_shared', 0)} with shared prefixes, "
                f"{p.get('epochs_to_train', 0)} to train")

    # -- verdicts ------------------------------------------------------------------------------
    def begin(self, info: ClaimInfo) -> None:
        self.info = info

    def _claim_id(self) -> str:
        callspec = getattr(self.node, "callspec", None)
        return f"{self.info.id}[{callspec.id}]" if callspec else self.info.id

    def _verdict(self, outcome: str, checks: list[Check], **kw) -> Verdict:
        direct = sum(r["epochs_trained"] for r in self.direct_runs)
        trained = sum(r.epochs_trained for r in self.results) + direct
        total = (sum(r.spec.total_epochs for r in self.results)
                 + sum(r.get("epochs", r["epochs_trained"]) for r in self.direct_runs))
        return Verdict(
            claim=self._claim_id(), paper=self.info.paper, statement=self.info.statement,
            tier=self.tier.name, outcome=outcome, checks=checks, paper_value=self.info.paper_value,
            runs=[{"label": r.spec.label(), "key": r.key, "spec": r.spec.canonical(),
                   "status": r.status, "epochs_trained": r.epochs_trained,
                   "resumed_from": r.resumed_from, "metrics": r.metrics} for r in self.results]
            + self.direct_runs,
            seeds=self._seeds_used(), epochs_trained=trained, epochs_reused=total - trained,
            unit="steps" if self.direct_runs else "epochs",
            seconds=time.perf_counter() - self._t0, test_id=self.node.nodeid,
            expected_failure=self.expected_failure, **kw)

    def _seeds_used(self) -> list[int]:
        """The seeds of the claim's runs (a claim may take fewer or more than the tier's)."""
        used = {r.spec.seed for r in self.results}
        used |= {r["seed"] for r in self.direct_runs if "seed" in r}
        return sorted(used) or self.seeds

    def record(self, checks: list[Check], **kw) -> Verdict:
        """Judge: pass when every check passes. A failing verdict fails the test."""
        v = self._verdict(outcome_of(checks), checks, **kw)
        self._attach(v)
        if v.outcome != "pass":
            failed = "; ".join(f"{c.name}: {c.measured:.4g} not {c.bound}"
                               for c in checks if not c.passed)
            pytest.fail(f"claim {v.claim} not replicated at tier {v.tier}: {failed}",
                        pytrace=False)
        return v

    def record_error(self, reason: str) -> None:
        self._attach(self._verdict("error", [], notes=[reason]))

    def _attach(self, v: Verdict) -> None:
        # user_properties travel from xdist workers to the controller, which writes the report
        self.node.user_properties.append((VERDICT_PROPERTY, json.dumps(v.to_json())))


def load_data(specs: list[RunSpec], ctx: Context) -> None:
    """Load the data of every run still to train before training any, so that a missing or
    unusable dataset is an error now, not after hours of training (loads are cached: the engine
    gets these same tensors)."""
    todo = {(s.dataset, s.train_size, s.resolution) for s in specs
            if not ctx.store.has(s.key(ctx.device_tag))}
    for name, train_size, resolution in sorted(todo, key=str):
        load_dataset(name, ctx.data_dir, train_size=train_size, resolution=resolution,
                     device=ctx.device, download=ctx.download)


def plan(specs: list[RunSpec], ctx: Context | None) -> dict:
    """Epochs the runs need as written, with shared prefixes counted once, and still to train.

    Epoch e of a run is named by the key of the run truncated to e; runs that share a prefix
    share those names. An epoch is covered when a checkpoint at or after it is stored.
    """
    kind = ctx.device_tag if ctx else "cpu-1t"
    needed: set[str] = set()
    covered: set[str] = set()
    for s in specs:
        keys = [s.truncate(e).key(kind) for e in range(1, s.total_epochs + 1)]
        needed.update(keys)
        if ctx is not None:
            last = max((i for i, k in enumerate(keys) if ctx.store.has(k)), default=-1)
            covered.update(keys[: last + 1])
    rows = [{"run": s.label(), "epochs": s.total_epochs} for s in specs]
    return {"runs": len(specs), "epochs_total": sum(r["epochs"] for r in rows),
            "epochs_shared": len(needed), "epochs_to_train": len(needed - covered), "rows": rows,
            "keys": sorted(needed), "keys_to_train": sorted(needed - covered)}
