"""The `harness` a claim check receives: runs from the store, the tier's settings, the verdict."""
from __future__ import annotations

import functools
import json
import logging
import time
from dataclasses import dataclass

import pytest

from .config import RunSpec
from .cost import epoch_macs, state_bytes
from .data import DataNotFound, load_dataset
from .engine import Context, RunBusy, RunResult, get_run, load_model, measure_fisher
from .tiers import Tier
from .verdict import Check, Verdict, outcome_of

log = logging.getLogger("repro.harness")

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
        info = ClaimInfo(claim_id, paper, statement, paper_value)

        def plan_call(**kwargs):  # schedule.plan_items: the claim, called on a dry-run harness
            kwargs["harness"].begin(info)
            return fn(**kwargs)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            h: Harness = kwargs["harness"]
            h.begin(info)
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

        wrapper._repro_claim = plan_call
        return wrapper

    return deco


class Harness:
    def __init__(self, tier: Tier, ctx: Context | None, seed_base: int, dry_run: bool, node,
                 ray_address: str | None = None, keep: frozenset[str] = frozenset(),
                 timer=None):
        self.tier = tier
        self.keep = keep  # checkpoints other runs of the session start from (engine.get_run)
        self.timer = timer  # cost.Timer: estimated seconds in the plan
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
        self.plan = plan(specs, self.ctx, self.timer)
        if self.dry_run:
            raise PlanOnly()
        load_data(specs, self.ctx)
        order = sorted(range(len(specs)), key=lambda i: (specs[i].total_epochs, i))
        if self.ray_address:
            from .ray_backend import get_runs

            got = dict(zip(order, get_runs([specs[i] for i in order], self.ctx,
                                           self.ray_address)))
        else:
            got = train_all(specs, order, self.ctx, self.keep)
        for i in order:
            if got[i].status != "ok":
                raise RunFailed(f"{specs[i].label()} {got[i].status}: {got[i].reason}")
        results = [got[i] for i in range(len(specs))]
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

    def direct(self, rows: list[dict], *, shared: int, step_seconds: float = 0.0) -> None:
        """Declare runs that bypass the engine and the store: cheap, deterministic functions of a
        frozen config and a seed, computed by the claim itself every time. `rows` are
        {"run": label, "epochs": n}; `shared` is the epochs they need with shared prefixes counted
        once; `step_seconds` the measured seconds of one of their steps on one CPU thread (for the
        plan's estimate and the order of claims). In a dry run this stops the claim, as `runs`
        does."""
        # No store keys: these runs are shared with no other claim, and a key per step would
        # be millions of strings for the deep linear sweeps.
        self.plan = {"runs": len(rows), "epochs_total": sum(r["epochs"] for r in rows),
                     "epochs_shared": shared, "epochs_to_train": shared, "rows": rows,
                     "keys": [], "keys_to_train": [], "direct": True,
                     "seconds_to_train": shared * step_seconds}
        if self.dry_run:
            raise PlanOnly()

    def add_direct_runs(self, records: list[dict]) -> None:
        """Attach finished direct runs to the verdict: each a dict with at least "label" and
        "epochs_trained" (0 when reused within the session; then "epochs" gives its length),
        plus whatever defines and describes it (config, seed, metrics)."""
        from . import progress
        from .schedule import cost

        self.direct_runs += records
        if self.plan and self.plan.get("direct"):
            progress.direct_done(cost(self.plan))

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
            expected_failure=self.expected_failure, **self._provenance(), **kw)

    def _provenance(self) -> dict:
        """The data and device behind the claim's store runs."""
        if not self.results or self.ctx is None:
            return {}
        names = sorted({r.spec.dataset for r in self.results})
        return {"data": [{"dataset": n, **self.ctx.data_info(n)} for n in names],
                "device": self.ctx.backend.identity()}

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


def train_all(specs: list[RunSpec], order: list[int], ctx: Context,
              keep: frozenset[str]) -> dict[int, RunResult]:
    """Get the runs in `order`; one whose next checkpoint another process is training is put
    off while other runs are left to train, so a worker never waits while it has work."""
    got: dict[int, RunResult] = {}
    pending = list(order)
    while pending:
        deferred = []
        for i in pending:
            try:
                got[i] = get_run(specs[i], ctx, wait=False, keep=keep)
            except RunBusy as busy:
                log.info("%s: put off (%s)", specs[i].label(), busy)
                deferred.append(i)
        if deferred and len(deferred) == len(pending):  # nothing else to do: wait for one
            i = deferred.pop(0)
            log.info("%s: waiting for another process", specs[i].label())
            got[i] = get_run(specs[i], ctx, wait=True, keep=keep)
        pending = deferred
    return got


def load_data(specs: list[RunSpec], ctx: Context) -> None:
    """Load the data of every run still to train before training any, so that a missing or
    unusable dataset is an error now, not after hours of training (loads are cached: the engine
    gets these same tensors)."""
    todo = {(s.dataset, s.train_size, s.resolution) for s in specs
            if not ctx.store.has(ctx.key(s))}
    for name, train_size, resolution in sorted(todo, key=str):
        load_dataset(name, ctx.data_dir, train_size=train_size, resolution=resolution,
                     device=ctx.device, download=ctx.download)


def plan(specs: list[RunSpec], ctx: Context | None, timer=None) -> dict:
    """Epochs the runs need as written, with shared prefixes counted once, and still to train;
    their cost in multiply-accumulates and, with a `timer`, in estimated seconds here.

    Epoch e of a run is named by the key of the run truncated to e; runs that share a prefix
    share those names. An epoch is covered when a checkpoint at or after it is stored.
    """
    needed: dict[str, tuple[RunSpec, int]] = {}
    covered: set[str] = set()
    boundaries: set[str] = set()
    finals: list[str] = []
    for s in specs:
        tag = ctx.run_tag(s.dataset) if ctx else "cpu-1t"
        keys = [s.truncate(e).key(tag) for e in range(1, s.total_epochs + 1)]
        needed.update((k, (s, e)) for e, k in enumerate(keys))
        boundaries.update(keys[b - 1] for b in s.boundaries)
        finals.append(keys[-1])
        if ctx is not None:
            last = max((i for i, k in enumerate(keys) if ctx.store.has(k)), default=-1)
            covered.update(keys[: last + 1])
    todo = sorted(set(needed) - covered)
    seconds = {k: timer.epoch_seconds(*needed[k]) for k in todo} if timer else {}
    rows = [{"run": s.label(), "epochs": s.total_epochs, "key": k} for s, k in zip(specs, finals)]
    return {"runs": len(specs), "epochs_total": sum(r["epochs"] for r in rows),
            "epochs_shared": len(needed), "epochs_to_train": len(todo), "rows": rows,
            "keys": sorted(needed), "keys_to_train": todo,
            "checkpoints": {k: state_bytes(needed[k][0]) for k in sorted(boundaries)},
            "macs_by_key": {k: epoch_macs(*needed[k]) for k in todo},
            "macs_to_train": sum(epoch_macs(*needed[k]) for k in todo),
            "macs_total": sum(epoch_macs(*v) for v in needed.values()),
            "seconds_by_key": seconds,
            "seconds_to_train": sum(seconds.values()) if timer else None}
