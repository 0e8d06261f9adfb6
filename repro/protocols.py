"""The two protocols a deficit claim is judged under, and the matched control of every deficit run.

- published: the paper's design as the paper describes it. The rate anneals from the run's first
  epoch and is never reset: a deficit removed late leaves the network little rate to recover with.
- restart: the same deficit prefix (the same epochs, the same rates, so it is trained once for
  both), then, at removal, the rate restarts the no-deficit schedule from its first epoch: every
  network gets a whole annealed schedule of clean data after removal. Learning-rate restarts are
  the literature's control for the schedule confound (Pawlak 2025, arXiv 2510.09687, Fig. 1a:
  "restarting learning rate after deficit epochs almost closes the gap").

A deficit is judged against its matched control, which differs from it only in the deficit:
clean data for the same epochs at the same rate at every step (under `restart` it restarts at the
same epoch). `matched` says whether two runs are so; `harness.train` refuses an arm whose named
control is not.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from .arms import Arm, Run
from .config import RunSpec
from .direct import DirectSpec

PUBLISHED, RESTART = "published", "restart"
PROTOCOLS = (PUBLISHED, RESTART)
DESCRIPTION = {
    PUBLISHED: "the paper's: the rate anneals from the first epoch and is never reset",
    RESTART: "the same deficit epochs at the same rates, then the rate restarts the no-deficit "
             "schedule from its first epoch at removal (the matched control restarts too)",
}


def deficit_run(protocol: str, deficit: str | None, epochs: int, clean_epochs: int,
                onset: int = 0, **overrides) -> Run:
    """`onset` clean epochs, `epochs` under `deficit`, then `clean_epochs` clean ones, under
    `protocol` (overrides: RunSpec fields)."""
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r}; known: {', '.join(PROTOCOLS)}")
    phases = [(onset, None), (epochs, deficit), (clean_epochs, None)]
    if protocol == RESTART:
        overrides = {**overrides, "lr_restart_at": onset + epochs}
    return Run(phases, **overrides)


def matched_control(protocol: str, epochs: int, clean_epochs: int, onset: int = 0,
                    **overrides) -> Run:
    """The control of `deficit_run(protocol, d, epochs, clean_epochs, onset)`: clean data in
    place of the deficit, nothing else changed."""
    return deficit_run(protocol, None, epochs, clean_epochs, onset, **overrides)


def matched(run: RunSpec | DirectSpec, control: RunSpec | DirectSpec) -> str:
    """'' when `control` differs from `run` only in the deficit and trains clean data throughout;
    else what differs."""
    if not isinstance(run, RunSpec) or not isinstance(control, RunSpec):
        return "a matched control compares two runs of the engine"
    if control.total_epochs != run.total_epochs:
        return f"{control.total_epochs} epochs against {run.total_epochs}"
    a, b = run.canonical(), control.canonical()
    for d in (a, b):  # the rates are compared epoch by epoch below, whatever names them
        for k in ("phases", "lr_schedule", "lr_restart_at"):
            d.pop(k, None)
    if a != b:
        return "other settings: " + ", ".join(sorted(k for k in a.keys() | b.keys()
                                                     if a.get(k) != b.get(k)))
    for e in range(run.total_epochs):
        if control.deficit_at(e) is not None:
            return f"the control has a deficit ({control.deficit_at(e)}) at epoch {e}"
        if run.lr_at(e) != control.lr_at(e):
            return (f"another learning rate at epoch {e} ({control.lr_at(e):.4g} against "
                    f"{run.lr_at(e):.4g})")
        p, q = run.phase_at(e)[0], control.phase_at(e)[0]
        if dataclasses.replace(p, epochs=0, deficit=None) \
                != dataclasses.replace(q, epochs=0, deficit=None):
            return f"other phase settings at epoch {e}"
    return ""


def sweep(protocol: str, deficits: Mapping[str, Sequence[int]], clean_epochs: int,
          prefix: str = "", seeds: int | None = None, controls_at: Sequence[int] = (),
          **overrides) -> dict[str, Arm]:
    """Arms for each deficit at its deficit lengths T (by="T"), every one against its matched
    control: "clean", the same runs on clean data, at every T any deficit has; and "none", the
    no-deficit run of `clean_epochs` (the paper's T = 0), a reference no check compares with.
    prefix: before every arm's name (to train two protocols' sweeps at once); seeds: of every
    arm (None: the tier's); controls_at: T of the control beyond the deficits' own; overrides:
    RunSpec fields of every run."""
    lengths = sorted({t for ts in deficits.values() for t in ts} | set(controls_at))
    arms = {prefix + "none": Arm(Run([(clean_epochs, None)], **overrides), seeds=seeds),
            prefix + "clean": Arm({t: matched_control(protocol, t, clean_epochs, **overrides)
                                   for t in lengths}, seeds=seeds, by="T")}
    for name, ts in deficits.items():
        arms[prefix + name] = Arm({t: deficit_run(protocol, name, t, clean_epochs, **overrides)
                                   for t in ts}, seeds=seeds, by="T", control=prefix + "clean")
    return arms


def window(protocol: str, deficit: str, epochs: int, clean_epochs: int,
           onsets: Sequence[int], seeds: int | None = None) -> dict[str, Arm]:
    """A deficit window of `epochs` starting at each onset, then `clean_epochs` clean ones
    ("window", by="onset"), against its matched control at each onset ("control")."""
    return {"window": Arm({o: deficit_run(protocol, deficit, epochs, clean_epochs, onset=o)
                           for o in onsets}, seeds=seeds, by="onset", control="control"),
            "control": Arm({o: matched_control(protocol, epochs, clean_epochs, onset=o)
                            for o in onsets}, seeds=seeds, by="onset")}
