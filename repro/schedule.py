"""The session's plan, built once at collection, and the order and grouping of claims from it.

Every process that runs claims (the plain pytest process, or each xdist worker, all of which
collect every item) asks each claim for its runs with a dry-run harness before any test runs.
From those plans:
- claims that share most of their runs, and claims of one file, form one xdist group (run on one
  worker, in order, so the second finds the first's runs trained instead of waiting on them);
- groups start costliest first (the plan's own cost, not a table of past timings), so that the
  workers end together;
- the progress display knows the session's total, and the engine which checkpoints other runs
  start from (so that pruning keeps them, and a run stops at them to train them under their own
  lock) and what the runs that continue a run measure over it (repro.measures).
The cost is deterministic (multiply-accumulates, see repro.cost), so every worker builds the same
order, as xdist requires.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from .config import RunSpec

log = logging.getLogger("repro.schedule")

# Turns a direct run's declared seconds into the plan's cost unit (multiply-accumulates), so that
# direct claims and store claims are ordered together. The order of what conv3 epochs reach on
# one thread of the 2-core CI machine: the high-level-deficit file's 9.7e12 multiply-accumulates
# took 671 s in `make claims` on 2026-11-23 (1.4e10 MAC/s). Only the order depends on it.
REFERENCE_MACS_PER_SECOND = 1.2e10
CONTAINED = 0.9  # a file joins another's group when this share of its epochs are the other's


@dataclass
class SessionPlan:
    claims: dict[str, dict] = field(default_factory=dict)  # nodeid -> the claim's plan
    keep: frozenset[str] = frozenset()  # checkpoints some run starts from or ends at
    specs: list = field(default_factory=list)  # every engine run planned (in memory only)

    @property
    def keys_to_train(self) -> set[str]:
        return {k for p in self.claims.values() for k in p.get("keys_to_train", ())}

    def measuring(self, ctx):
        """What a run trained in `ctx` measures: its own measurements and those of the planned
        runs that continue it (repro.measures.for_session)."""
        from .measures import for_session

        planned = list(dict.fromkeys(self.specs))
        return lambda spec: for_session(spec, planned, ctx.run_tag(spec.dataset))

    def totals(self) -> dict:
        """Epochs, runs and cost left to train in the whole session, shared prefixes once."""
        by_key: dict[str, float] = {}
        macs = 0.0
        for p in self.claims.values():
            by_key.update(p.get("macs_by_key", {}))
            if p.get("direct"):
                macs += cost(p)
        macs += sum(by_key.values())
        runs = {r["key"] for p in self.claims.values() if not p.get("direct")
                for r in p["rows"] if r["key"] in by_key}
        return {"epochs": len(by_key), "macs": macs, "runs": len(runs)}


def cost(p: dict) -> float:
    """A claim's cost to train now, in multiply-accumulates."""
    if p.get("direct"):
        return p.get("seconds_to_train", 0.0) * REFERENCE_MACS_PER_SECOND
    return p.get("macs_to_train", 0.0)


def plan_items(items, make_harness) -> SessionPlan:
    """Each claim's plan, from calling it with a dry-run harness (`make_harness(item)`)."""
    from .harness import PlanOnly

    session = SessionPlan()
    keep: set[str] = set()
    for item in items:
        fn = getattr(getattr(item, "obj", None), "_repro_claim", None)
        if fn is None:
            continue
        h = make_harness(item)
        try:
            fn(harness=h, **getattr(getattr(item, "callspec", None), "params", {}))
        except PlanOnly:
            pass
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as err:  # pytest's outcomes too: the claim's own run reports them
            log.debug("planning %s ended without a plan: %r", item.nodeid, err)
        if h.plan is not None:
            session.claims[item.nodeid] = h.plan.to_json()
            keep.update(h.plan.checkpoints)
            session.specs += [s for s in h.planned if isinstance(s, RunSpec)]
    session.keep = frozenset(keep)
    return session


def order_and_group(items, session: SessionPlan) -> dict[str, str]:
    """Sort `items` costliest group first; return each item's group, by node id.

    A group is a file's claims, plus the files whose runs are (nearly) all among its own: a file
    joins the one such container that costs least, and containers never merge, so that groups
    stay small enough to share out among workers."""
    if not session.claims:
        return {}
    files: dict[str, list[int]] = {}
    for i, item in enumerate(items):
        files.setdefault(str(item.path), []).append(i)
    plans = {f: [session.claims.get(items[i].nodeid, {}) for i in idx] for f, idx in files.items()}
    keys = {f: set().union(*(p.get("keys", ()) for p in ps)) for f, ps in plans.items()}
    group = {f: f for f in files}
    for f in sorted(files, key=lambda f: (len(keys[f]), f)):
        containers = [c for c in files if c != f and group[c] == c and keys[f]
                      and len(keys[c]) >= len(keys[f])
                      and len(keys[f] & keys[c]) >= CONTAINED * len(keys[f])]
        if containers:
            group[f] = min(containers, key=lambda c: (_cost(plans[c]), c))
    members: dict[str, list[str]] = {}
    for f in sorted(files):
        members.setdefault(group[f], []).append(f)
    ordered, group_of = [], {}
    def order(fs, claimed=frozenset()):  # cost to train now, then as written
        ps = [p for f in fs for p in plans[f]]
        return -_cost(ps, claimed), -sum(p.get("macs_total", 0.0) + cost(p) for p in ps)

    # Costliest first, each group costed by the epochs no group before it trains: a group whose
    # runs an earlier group shares (the clean prefixes of the restarted schedule, say) finds them
    # trained, so counting them again would start it too early and leave a worker idle at the end
    queue, claimed = sorted(members), set[str]()
    groups: list[str] = []
    while queue:
        g = min(queue, key=lambda g: (*order(members[g], frozenset(claimed)), g))
        queue.remove(g)
        groups.append(g)
        claimed.update(k for f in members[g] for p in plans[f] for k in p.get("macs_by_key", {}))
    for g in groups:
        name = g.rsplit("/", 1)[-1].removesuffix(".py")
        for f in sorted(members[g], key=lambda f: (*order([f]), f)):
            for i in files[f]:
                group_of[items[i].nodeid] = name
                ordered.append(i)
    items[:] = [items[i] for i in ordered]
    return group_of


def group_scheduler(config, log, groups_file: Path):
    """An xdist scheduler that hands out whole groups (`order_and_group`, written by the
    workers to `groups_file` as they collect), in collection order: xdist's own loadgroup
    cannot be used, as the node-id suffix it relies on has no effect on pytest 9's items."""
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        _groups: dict[str, str] | None = None

        def _split_scope(self, nodeid: str) -> str:
            if self._groups is None:
                try:
                    self._groups = json.loads(groups_file.read_text())
                except (OSError, ValueError):
                    self._groups = {}  # no claims: each test on its own, as --dist load
            return self._groups.get(nodeid, nodeid)

    return GroupScheduling(config, log)


def _cost(plans: list[dict], claimed: frozenset[str] = frozenset()) -> float:
    """Cost of training these claims' runs, shared epochs counted once, those `claimed` (trained
    by claims before them) not at all."""
    by_key: dict[str, float] = {}
    direct = 0.0
    for p in plans:
        by_key.update(p.get("macs_by_key", {}))
        if p.get("direct"):
            direct += cost(p)
    return sum(v for k, v in by_key.items() if k not in claimed) + direct
