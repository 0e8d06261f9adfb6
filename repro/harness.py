"""The `harness` a claim check receives: its tier's setting and seeds, its runs, its verdict.

A claim reads as its paper states it:

    @claim("paper/id", paper="...", statement="...", settings=SETTINGS)
    def test_it(harness):
        s = harness.setting                        # SETTINGS[tier], values only
        runs = harness.train({"none": [(s.n, None)], "blur": [(s.t, "blur"), (s.n, None)]})
        acc = runs.final("test_acc", percent=True)  # {"none": [seed], "blur": [seed]}
        harness.record(judge(acc, s), tables={"final accuracy": summary_table(runs, acc)})

Planning (repro.plan), training (repro.runner) and the verdict (repro.recording) live in their
own modules; the harness is the claim's one interface to them.
"""
from __future__ import annotations

import functools
import time
from collections.abc import Mapping
from typing import Any

import pytest

from .arms import Arm, Recipe, Results, Run, expand, fold, unmatched
from .config import Phase, RunSpec
from .data import DataError, report_source
from .direct import DirectRecipe, DirectSpec
from .engine import Context, RunResult, load_model, measure_fisher
from .plan import Plan, plan
from .protocols import PROTOCOLS, matched
from .recording import (
    VERDICT_PROPERTY,
    ClaimInfo,
    attach,
    build_verdict,
    fail_unless_passed,
)
from .runner import RunFailed, obtain
from .slurm_backend import SlurmSettings
from .tiers import Tier
from .verdict import Check, Verdict, outcome_of

PLAN_PROPERTY = "repro_plan"

__all__ = ["PLAN_PROPERTY", "VERDICT_PROPERTY", "Arm", "Harness", "PlanOnly", "Run",
           "RunFailed", "UnmatchedControl", "claim"]


class PlanOnly(Exception):
    """Raised in a dry run once the claim has declared its runs."""


class UnmatchedControl(ValueError):
    """An arm's named control differs from it in more than the deficit."""


def claim(claim_id: str, *, paper: str, statement: str, paper_value: str = "",
          settings: Mapping[str, Any] | None = None,
          expected_failures: Mapping[str, str] | None = None,
          not_run: Mapping[str, str] | None = None, protocols: bool = False):
    """Mark a test function as the check of one paper claim; it receives `harness`.

    protocols: judge the claim under each protocol of repro.protocols (a pytest parameter,
    `-k published`, `-k restart`); the function then receives `protocol` too, and
    expected_failures and not_run may be keyed by (tier, protocol) as well as by tier.
    settings: {tier name: the claim's setting at that tier} (harness.setting).
    expected_failures: {tier name: the measured reason} for a claim known not to replicate at
    that tier: a strict xfail, so that an unexpected pass is flagged; the report says "not
    replicated (expected)".
    not_run: {tier name: the measured reason} for a claim the tier cannot afford to run, its
    numbers measured apart: the test is skipped and the report gives the reason."""
    info = ClaimInfo(claim_id, paper, statement, paper_value)

    def per(table: Mapping | None, h: Harness) -> str:
        table = table or {}
        return table.get((h.tier.name, h.protocol), "") or table.get(h.tier.name, "")

    def deco(fn):
        def begin(h: Harness, kwargs: dict) -> None:
            h.protocol = kwargs.get("protocol")
            h.begin(info, settings, {h.tier.name: per(expected_failures, h)})

        def plan_call(**kwargs):  # schedule.plan_items: the claim, called on a dry-run harness
            h: Harness = kwargs["harness"]
            begin(h, kwargs)
            if per(not_run, h):
                return None
            return fn(**kwargs)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            h: Harness = kwargs["harness"]
            begin(h, kwargs)
            reason = per(not_run, h)
            if reason:
                if not h.dry_run:
                    attach(h.node, h._verdict("not run", [], notes=[reason]))
                pytest.skip(f"not run at tier {h.tier.name}: {reason}")
            try:
                return fn(*args, **kwargs)
            except PlanOnly:
                pytest.skip(f"dry run: {h.plan.line() if h.plan else 'no runs'}")
            except (RunFailed, DataError) as err:
                h.record_error(str(err))
                pytest.fail(f"error: {err}", pytrace=False)
            except Exception as err:  # a crash: record the verdict, keep the traceback
                h.record_error(f"{type(err).__name__}: {err}")
                raise

        wrapper._repro_claim = plan_call  # type: ignore[attr-defined]
        # per tier, for tests/test_registries.py: what each tier declares of the claim
        wrapper._repro_declared = {  # type: ignore[attr-defined]
            "settings": dict(settings or {}), "expected_failures": dict(expected_failures or {}),
            "not_run": dict(not_run or {})}
        # the keyword arguments of each of its pytest items, for tests that call claims directly
        wrapper._repro_params = (  # type: ignore[attr-defined]
            [{"protocol": p} for p in PROTOCOLS] if protocols else [{}])
        if protocols:
            return pytest.mark.parametrize("protocol", PROTOCOLS)(wrapper)
        return wrapper

    return deco


class Harness:
    def __init__(self, tier: Tier, ctx: Context | None, seed_base: int, dry_run: bool, node,
                 ray_address: str | None = None, keep: frozenset[str] = frozenset(),
                 timer=None, measure=None, slurm: SlurmSettings | None = None):
        self.tier = tier
        self.keep = keep  # checkpoints other runs of the session start from (engine.get_run)
        self.measure = measure  # what a run trained here measures (runner.obtain)
        self.planned: list = []  # a dry run's specs, for the session's plan
        self.timer = timer  # cost.Timer: estimated seconds in the plan
        self.ray_address = ray_address  # None: train here; else one Ray task per run
        self.slurm = slurm  # None: train here; else one Slurm job per run
        self.ctx = ctx
        self.seed_base = seed_base
        self.dry_run = dry_run
        self.node = node
        self.info: ClaimInfo | None = None
        self.setting: Any = None
        self.expected_failure = ""
        self.results: list = []
        self.plan: Plan | None = None
        self.protocol: str | None = None  # repro.protocols, for a claim judged under each
        self.arms: list = []  # every arm declared: (name, control, conditions, seeds, specs)
        self._t0 = time.perf_counter()

    def begin(self, info: ClaimInfo, settings: Mapping[str, Any] | None,
              expected_failures: Mapping[str, str]) -> None:
        self.info = info
        if settings is not None:
            if self.tier.name not in settings:
                raise ValueError(f"claim {info.id} has no setting for tier {self.tier.name!r}; "
                                 f"it has: {', '.join(settings)}")
            self.setting = settings[self.tier.name]
        reason = expected_failures.get(self.tier.name, "")
        if reason:
            self.expected_failure = reason
            self.node.add_marker(pytest.mark.xfail(strict=True, reason=reason))

    # -- seeds and runs ------------------------------------------------------------------------
    @property
    def seeds(self) -> list[int]:
        return [self.seed_base + s for s in self.tier.seeds]

    def seeds_for(self, n: int) -> list[int]:
        """`n` seeds: the tier's, then the integers after its largest (for an effect that needs
        more seeds than the tier gives to be told from seed noise)."""
        base = list(self.tier.seeds)
        base += range(max(base) + 1, max(base) + 1 + max(0, n - len(base)))
        return [self.seed_base + s for s in base[:n]]

    def spec(self, recipe: Recipe, seed: int, **overrides) -> RunSpec | DirectSpec:
        """A run of this tier: its base settings, the recipe's phases (and overrides), and this
        seed; a direct recipe gives a DirectSpec."""
        if isinstance(recipe, DirectRecipe):
            return DirectSpec(recipe, seed)
        if isinstance(recipe, Run):
            overrides = {**overrides, **recipe.overrides}
            recipe = recipe.phases
        phases = tuple(p if isinstance(p, Phase) else Phase(*p) for p in recipe)
        return RunSpec(phases=phases, seed=seed, **{**self.tier.base, **overrides})

    def train(self, arms: Mapping[str, Arm | Recipe], **overrides) -> Results:
        """Every arm's runs over its seeds (overrides: RunSpec fields for all of them), from the
        store or trained now; results labelled by arm, condition and seed."""
        layout, specs = expand(arms, self.seeds_for, len(self.tier.seeds),
                               lambda r, seed, over: self.spec(r, seed, **{**overrides, **over}))
        wrong = unmatched(layout, specs, matched)
        if wrong:
            claim_id = self.info.id if self.info else "?"
            raise UnmatchedControl(f"claim {claim_id}: " + "; ".join(wrong))
        self.arms += [(name, control, conds, seeds, [specs[i] for row in idx for i in row])
                      for name, conds, seeds, idx, _, control in layout]
        return fold(layout, self.runs(specs))

    def runs(self, specs: list) -> list:
        """The finished runs of `specs`, in order (the flat form of `train`). In a dry run this
        records the plan and stops the claim."""
        self.plan = plan(specs, self.ctx, self.timer)
        if self.dry_run:
            self.planned = specs
            raise PlanOnly()
        assert self.ctx is not None
        results = obtain(specs, self.ctx, self.keep, self.ray_address, self.measure,
                         self.slurm)
        self.results += results
        return results

    def model_at(self, spec: RunSpec):
        """(network, data) stored for `spec`, a run or a prefix ending at a phase boundary or a
        checkpoint of a run already obtained."""
        assert self.ctx is not None
        found = load_model(spec, self.ctx)
        if found is None:
            raise RunFailed(f"{spec.label()}: no stored checkpoint (was its run obtained?)")
        return found

    def fisher_at(self, spec: RunSpec, probe: int, estimator: str = "exact") -> dict:
        """Fisher trace of the network stored for `spec` (see `model_at`), as a metrics row."""
        model, data = self.model_at(spec)
        assert self.ctx is not None
        with self.ctx.threads():
            return measure_fisher(model, data, spec, spec.total_epochs, probe, estimator)

    # -- the verdict ---------------------------------------------------------------------------
    def record(self, checks: list[Check], **kw) -> Verdict:
        """Judge: pass when every check passes. A failing verdict fails the test."""
        v = self._verdict(outcome_of(checks), checks, **kw)
        attach(self.node, v)
        fail_unless_passed(v)
        return v

    def record_error(self, reason: str) -> None:
        attach(self.node, self._verdict("error", [], notes=[reason]))

    def _verdict(self, outcome: str, checks: list[Check], **kw) -> Verdict:
        assert self.info is not None
        return build_verdict(self.info, self.node, self.tier.name, outcome, checks,
                             self.results, time.perf_counter() - self._t0,
                             expected_failure=self.expected_failure,
                             provenance=self._provenance(), default_seeds=self.seeds,
                             protocol=self.protocol or "", **kw)

    def _provenance(self) -> dict:
        """The data and device behind the claim's engine runs."""
        store_runs = [r for r in self.results if isinstance(r, RunResult)]
        if not store_runs or self.ctx is None:
            return {}
        names = sorted({r.spec.dataset for r in store_runs})
        return {"data": [report_source({"dataset": n, **self.ctx.data_info(n)}) for n in names],
                "device": self.ctx.backend.identity()}
