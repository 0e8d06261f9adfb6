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
    # A check on a control, not on the claim: the name of a control that would show the claimed
    # effect without the claimed cause. When it alone fails, the claim's effect appears but this
    # control explains it (outcome "explained").
    explains: str = ""


@dataclass
class Verdict:
    claim: str
    paper: str
    statement: str
    tier: str
    outcome: str  # pass, fail, explained (by a control), error, not run
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
    protocol: str = ""  # repro.protocols, for a claim judged under each
    # Where the verdict came from, for a report that sessions update claim by claim
    # (repro.sessions): the session (date, commit, seed base, device, command), the claim's
    # file and its digest then, and why the section is stale ("" when it is not).
    session: dict = field(default_factory=dict)
    source: dict = field(default_factory=dict)
    stale: str = ""

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
    """pass: every check passes; explained: the claim's own checks pass and a control check
    fails (the effect appears without its cause); fail: a claim check fails, or there is none."""
    own = [c for c in checks if not c.explains]
    if not own or not all(c.passed for c in own):
        return "fail"
    return "pass" if all(c.passed for c in checks) else "explained"


def explained_by(checks: list[Check]) -> list[str]:
    """The controls whose checks failed: those that explain the effect."""
    return list(dict.fromkeys(c.explains for c in checks if c.explains and not c.passed))


def _clean(x):
    """JSON-safe: NaN and infinities become None."""
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    return x
