"""Checks and verdicts: what a claim measured, against which bound fixed in advance, and why."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields


@dataclass(frozen=True)
class Check:
    """One comparison of a statistic with its bound."""

    name: str
    measured: float
    bound: str  # e.g. ">= 3.0", "< 0.05"
    passed: bool
    reason: str  # why the bound is what it is (paper wording, measured seed noise)
    ci: tuple[float, float] | None = None  # 95 % confidence interval of `measured`
    p_value: float | None = None
    effect_size: float | None = None
    n: int = 0  # seeds (or points) behind the statistic


@dataclass
class Verdict:
    claim: str
    paper: str
    statement: str
    tier: str
    outcome: str
    checks: list[Check] = field(default_factory=list)
    paper_value: str = ""
    notes: list[str] = field(default_factory=list)
    tables: dict[str, list[dict]] = field(default_factory=dict)  # extra report tables
    figure: dict | None = None  # panels of lines, drawn by repro.report
    runs: list[dict] = field(default_factory=list)  # every run's spec, key and metrics
    seeds: list[int] = field(default_factory=list)
    epochs_trained: int = 0
    epochs_reused: int = 0
    seconds: float = 0.0
    test_id: str = ""
    expected_failure: str = ""  # why this claim is known not to replicate at this tier
    data: list[dict] = field(default_factory=list)  # source and digest of each dataset read
    device: dict = field(default_factory=dict)  # what trained the runs (Backend.identity)

    def to_json(self) -> dict:
        return _clean(asdict(self))

    @classmethod
    def from_json(cls, d: dict) -> Verdict:
        """The verdict a worker sent (fields it does not know, from older reports, dropped)."""
        known = {f.name for f in fields(cls)}
        checks = [Check(**{**c, "ci": tuple(c["ci"]) if c.get("ci") else None})
                  for c in d.get("checks", [])]
        return cls(**{**{k: v for k, v in d.items() if k in known}, "checks": checks})


def outcome_of(checks: list[Check]) -> str:
    return "pass" if checks and all(c.passed for c in checks) else "fail"


def _clean(x):
    """JSON-safe: NaN and infinities become None."""
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    return x
