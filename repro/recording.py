"""A claim's verdict, assembled from its checks and runs, and attached to its pytest item."""
from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from .verdict import Check, Verdict, explained_by, outcome_of

VERDICT_PROPERTY = "repro_verdict"


@dataclass(frozen=True)
class ClaimInfo:
    id: str
    paper: str
    statement: str
    paper_value: str = ""


def run_record(r) -> dict:
    """A run as the report keeps it: label, key, spec, status, what it trained, its metrics."""
    return {"label": r.spec.label(), "key": r.key, "spec": r.spec.canonical(),
            "status": r.status, "epochs_trained": r.epochs_trained,
            "resumed_from": r.resumed_from, "metrics": r.metrics}


def build_verdict(info: ClaimInfo, node, tier: str, outcome: str, checks: list[Check],
                  results: list, seconds: float, expected_failure: str = "",
                  provenance: dict | None = None, default_seeds=(), **kw) -> Verdict:
    callspec = getattr(node, "callspec", None)
    unique = list({r.key: r for r in results}.values())
    trained = sum(r.epochs_trained for r in unique)
    total = sum(r.spec.total_epochs for r in unique)
    seeds = sorted({r.spec.seed for r in unique}) or list(default_seeds)
    return Verdict(
        claim=f"{info.id}[{callspec.id}]" if callspec else info.id, paper=info.paper,
        statement=info.statement, tier=tier, outcome=outcome, checks=checks,
        paper_value=info.paper_value, runs=[run_record(r) for r in unique], seeds=seeds,
        epochs_trained=trained, epochs_reused=total - trained, seconds=seconds,
        test_id=node.nodeid, expected_failure=expected_failure, **(provenance or {}), **kw)


def attach(node, v: Verdict) -> None:
    # user_properties travel from xdist workers to the controller, which writes the report
    node.user_properties.append((VERDICT_PROPERTY, json.dumps(v.to_json())))


def fail_unless_passed(v: Verdict) -> None:
    """A verdict that is not "pass" fails its test, naming the failed checks."""
    if v.outcome != "pass":
        failed = "; ".join(f"{c.name}: {c.measured:.4g} not {c.bound}"
                           for c in v.checks if not c.passed)
        why = (f" (the effect appears, and the {', '.join(explained_by(v.checks))} control "
               "explains it)" if v.outcome == "explained" else "")
        pytest.fail(f"claim {v.claim} not replicated at tier {v.tier}{why}: {failed}",
                    pytrace=False)


__all__ = ["VERDICT_PROPERTY", "ClaimInfo", "attach", "build_verdict", "fail_unless_passed",
           "outcome_of"]
