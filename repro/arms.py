"""The conditions a claim compares ("arms"), and their results, labelled, as arrays.

A claim declares its arms as a dict {name: Arm}. An arm is one recipe, or a dict of recipes by
condition value (the T of a blur sweep, the onset of a window), trained over seeds. A recipe is
a list of phases (`Run` adds RunSpec overrides) for a network trained by the engine, or a
`repro.direct` recipe for a run computed directly (deep linear networks). `harness.train(arms)`
returns `Results`: `results[name]` is an `ArmResult`, whose values come back as arrays indexed
[condition, seed], or [seed] for an arm of one recipe.

An arm under a deficit names its matched control (`control=`, the name of another arm whose runs
differ only in the deficit: repro.protocols), and `results.effect(name)` gives the same-seed
difference from it; the harness refuses a control that is not matched.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .config import Phase, RunSpec
from .direct import DirectRecipe, DirectResult, DirectSpec
from .engine import RunResult


@dataclass(frozen=True)
class Run:
    """Phases, and RunSpec fields over the tier's base (e.g. lr_schedule="constant")."""

    phases: tuple
    overrides: Mapping[str, Any] = field(default_factory=dict)

    def __init__(self, phases: Sequence, **overrides):
        object.__setattr__(self, "phases", tuple(phases))
        object.__setattr__(self, "overrides", dict(overrides))


Recipe = Run | DirectRecipe | Sequence[Phase | tuple]
SINGLE = object()  # the condition key of an arm of one recipe


@dataclass(frozen=True)
class Arm:
    """One recipe, or {condition value: recipe}, over seeds.

    seeds: None for the tier's seeds; n for the first n of the claim's seed sequence (the tier's,
    then the integers after them); a range for those positions of it (`range(2, 5)`: the third to
    fifth). overrides: RunSpec fields for every recipe of the arm. by: what the condition
    values are, for tables ("T", "onset"). control: the arm whose runs are this arm's matched
    controls, condition by condition and seed by seed."""

    recipes: Recipe | Mapping[Any, Recipe]
    seeds: int | range | None = None
    overrides: Mapping[str, Any] = field(default_factory=dict)
    by: str = "condition"
    control: str | None = None

    def conditions(self) -> dict[Any, Recipe]:
        if isinstance(self.recipes, Mapping):
            return dict(self.recipes)
        return {SINGLE: self.recipes}

    @property
    def single(self) -> bool:
        return not isinstance(self.recipes, Mapping)

    def positions(self, tier_seeds: int) -> range:
        if self.seeds is None:
            return range(tier_seeds)
        if isinstance(self.seeds, range):
            return self.seeds
        return range(self.seeds)


Result = RunResult | DirectResult
Spec = RunSpec | DirectSpec


@dataclass
class ArmResult:
    """An arm's runs: runs[c][s] for condition c (in declaration order) and seed s."""

    name: str
    conditions: list  # condition values; [SINGLE] for an arm of one recipe
    seeds: list[int]
    runs: list[list[Result]]
    by: str = "condition"
    control: str | None = None

    @property
    def single(self) -> bool:
        return self.conditions == [SINGLE]

    def map(self, fn: Callable[[Result], float]) -> np.ndarray:
        """fn of every run: [condition, seed], or [seed] for one recipe."""
        out = np.array([[fn(r) for r in row] for row in self.runs], float)
        return out[0] if self.single else out

    def final(self, metric: str = "test_acc", percent: bool = False) -> np.ndarray:
        """The metric after the last epoch (accuracies in % with percent=True)."""
        return self.map(lambda r: r.final(metric) * (100 if percent else 1))

    def series(self, metric: str) -> np.ndarray:
        """Every recorded value of a per-epoch metric (e.g. the Fisher trace at the epochs it
        was measured at): [condition, seed, k], or [seed, k]."""
        out = np.array([[[m[metric] for m in r.metrics if m.get(metric) is not None]
                         for r in row] for row in self.runs], float)
        return out[0] if self.single else out

    def series_at(self, metric: str) -> tuple[np.ndarray, np.ndarray]:
        """Every measurement of `metric`, those inside an epoch (the Fisher trace at
        `fisher_steps`) with those after one, in training order: (epochs [k], fractional inside
        an epoch; values [condition, seed, k], or [seed, k]). Every run measures at the same
        points."""
        def points(r: Result) -> list[tuple[float, float]]:
            out = []
            for m in r.metrics:
                out += [(s["epoch"], s[metric]) for s in m.get("fisher_steps", ())
                        if s.get(metric) is not None]
                if m.get(metric) is not None:
                    out.append((float(m["epoch"]), m[metric]))
            return out

        found = [[points(r) for r in row] for row in self.runs]
        at = np.array([e for e, _ in found[0][0]], float)
        if any([e for e, _ in p] != list(at) for row in found for p in row):
            raise ValueError(f"arm {self.name!r}: its runs measure {metric} at other points")
        values = np.array([[[v for _, v in p] for p in row] for row in found], float)
        return at, values[0] if self.single else values

    def spec(self, condition: Any = SINGLE, seed_index: int = 0) -> Spec:
        return self.runs[self.conditions.index(condition)][seed_index].spec

    def specs(self) -> list[Spec]:
        return [r.spec for row in self.runs for r in row]


class Results(Mapping[str, ArmResult]):
    """The arms' results by name, in declaration order."""

    def __init__(self, arms: dict[str, ArmResult]):
        self._arms = arms

    def __getitem__(self, name: str) -> ArmResult:
        return self._arms[name]

    def __iter__(self):
        return iter(self._arms)

    def __len__(self) -> int:
        return len(self._arms)

    def final(self, metric: str = "test_acc", percent: bool = False) -> dict[str, np.ndarray]:
        """{arm: its final values} (see ArmResult.final)."""
        return {name: arm.final(metric, percent) for name, arm in self.items()}

    def effect(self, name: str, metric: str = "test_acc", percent: bool = True) -> np.ndarray:
        """The arm's final `metric` minus its matched control's, same condition and seed
        ([condition, seed], or [seed]): a deficit's effect (accuracy in points by default)."""
        arm = self[name]
        if arm.control is None:
            raise ValueError(f"arm {name!r} names no matched control")
        control = self[arm.control]
        rows = []
        for c, row in zip(arm.conditions, arm.runs):
            ctrl = control.runs[control.conditions.index(c)]
            by_seed = {r.spec.seed: r for r in ctrl}
            rows.append([(r.final(metric) - by_seed[r.spec.seed].final(metric))
                         * (100 if percent else 1) for r in row])
        out = np.array(rows, float)
        return out[0] if arm.single else out


def expand(arms: Mapping[str, Arm | Recipe], seeds: Callable[[int], list[int]], tier_seeds: int,
           make_spec: Callable[[Recipe, int, dict], Spec]) -> tuple[list, list[Spec]]:
    """The specs of every arm's runs, and the layout to fold results back into arms: a list of
    (name, conditions, seeds, [[index into specs]])."""
    layout: list = []
    specs: list[Spec] = []
    for name, given in arms.items():
        arm = given if isinstance(given, Arm) else Arm(given)
        positions = arm.positions(tier_seeds)
        seed_list = seeds(max(positions, default=-1) + 1)
        arm_seeds = [seed_list[i] for i in positions]
        idx = []
        for recipe in arm.conditions().values():
            row = []
            for seed in arm_seeds:
                row.append(len(specs))
                specs.append(make_spec(recipe, seed, dict(arm.overrides)))
            idx.append(row)
        layout.append((name, list(arm.conditions()), arm_seeds, idx, arm.by, arm.control))
    return layout, specs


def unmatched(layout, specs: list[Spec], matched: Callable[[Spec, Spec], str]) -> list[str]:
    """Every way an arm's named control fails to be its matched control (`matched(run,
    control)` says what differs, '' for nothing), as sentences; [] when all are matched."""
    arms = {entry[0]: entry for entry in layout}
    out = []
    for name, conds, seeds, idx, _, control in layout:
        if control is None:
            continue
        if control not in arms:
            out.append(f"arm {name!r}: its control {control!r} is not an arm of the claim")
            continue
        _, c_conds, c_seeds, c_idx, _, _ = arms[control]
        for cond, row in zip(conds, idx):
            if cond not in c_conds:
                out.append(f"arm {name!r}: its control {control!r} has no condition {cond!r}")
                continue
            c_row = dict(zip(c_seeds, c_idx[c_conds.index(cond)]))
            for seed, i in zip(seeds, row):
                if seed not in c_row:
                    out.append(f"arm {name!r}: its control {control!r} has no seed {seed}")
                    continue
                why = matched(specs[i], specs[c_row[seed]])
                if why:
                    out.append(f"arm {name!r} at {cond!r}, seed {seed}: control {control!r} is "
                               f"not matched ({why})")
    return out


def fold(layout, results: list[Result]) -> Results:
    return Results({name: ArmResult(name, conds, seeds, [[results[i] for i in row] for row in idx],
                                    by, control)
                    for name, conds, seeds, idx, by, control in layout})
