"""What a claim's runs cost: epochs as written, with shared prefixes counted once, and still to
train; multiply-accumulates, checkpoints, and (with a timer) estimated seconds on this device.

Epoch e of a run is named by the key of the run's first e epochs (RunSpec.prefix_keys), so runs
that share a prefix share those names; an epoch is covered when a checkpoint at or after it is
stored. A direct run (repro.direct) is one stored entry of `epochs` full-batch steps.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from .config import RunSpec
from .cost import epoch_macs, state_bytes
from .direct import DirectSpec


@dataclass(frozen=True)
class Plan:
    runs: int
    epochs_total: int  # as written
    epochs_shared: int  # shared prefixes counted once
    epochs_to_train: int  # not covered by the store
    rows: list[dict]  # {"run": label, "epochs": n, "key": final key, "at_most": bool}
    keys: list[str]  # every epoch's key
    keys_to_train: list[str]
    checkpoints: dict[str, int] = field(default_factory=dict)  # phase-boundary key -> bytes
    macs_by_key: dict[str, float] = field(default_factory=dict)  # to train
    macs_to_train: float = 0.0
    macs_total: float = 0.0
    seconds_by_key: dict[str, float] = field(default_factory=dict)
    seconds_to_train: float | None = None  # None: no timer
    direct: bool = False  # the claim's runs are direct runs (seconds from their step times)
    datasets: list[str] = field(default_factory=list)  # that the runs train on

    def line(self) -> str:
        return (f"{self.runs} runs, {self.epochs_total} epochs as written, "
                f"{self.epochs_shared} with shared prefixes, {self.epochs_to_train} to train")

    def to_json(self) -> dict:
        return asdict(self)


def plan(specs: list, ctx, timer=None) -> Plan:
    """The plan of `specs` (RunSpecs and DirectSpecs) against the store of `ctx` (None: an
    empty store, CPU keys)."""
    engine = [s for s in specs if isinstance(s, RunSpec)]
    direct = [s for s in specs if isinstance(s, DirectSpec)]
    if direct and engine:
        raise ValueError("a claim's runs are all engine runs or all direct runs")
    if direct:
        return _direct_plan(direct, ctx)
    needed: dict[str, tuple[RunSpec, int]] = {}
    covered: set[str] = set()
    boundaries: set[str] = set()
    finals: list[str] = []
    for s in engine:
        keys = s.prefix_keys(ctx.run_tag(s.dataset) if ctx else "cpu-1t")
        needed.update((k, (s, e)) for e, k in enumerate(keys))
        boundaries.update(keys[b - 1] for b in s.boundaries)
        finals.append(keys[-1])
        if ctx is not None:
            last = max((i for i, k in enumerate(keys) if ctx.store.has(k)), default=-1)
            covered.update(keys[: last + 1])
    todo = sorted(set(needed) - covered)
    seconds = {k: timer.epoch_seconds(*needed[k]) for k in todo} if timer else {}
    macs = {k: epoch_macs(*needed[k]) for k in todo}
    rows = [{"run": s.label(), "epochs": s.total_epochs, "key": k,
             "at_most": any(p.until_train_acc is not None for p in s.phases)}
            for s, k in zip(engine, finals)]
    return Plan(runs=len(engine), epochs_total=sum(s.total_epochs for s in engine),
                epochs_shared=len(needed), epochs_to_train=len(todo), rows=rows,
                keys=sorted(needed), keys_to_train=todo,
                checkpoints={k: state_bytes(needed[k][0]) for k in sorted(boundaries)},
                macs_by_key=macs, macs_to_train=sum(macs.values()),
                macs_total=sum(epoch_macs(*v) for v in needed.values()),
                seconds_by_key=seconds,
                seconds_to_train=sum(seconds.values()) if timer else None,
                datasets=sorted({s.dataset for s in engine}))


def _direct_plan(specs: list[DirectSpec], ctx) -> Plan:
    unique = list(dict.fromkeys(specs))
    todo = [s for s in unique if ctx is None or not ctx.store.has(s.key())]
    rows = [{"run": s.label(), "epochs": s.total_epochs, "key": s.key()} for s in specs]
    return Plan(runs=len(specs), epochs_total=sum(s.total_epochs for s in specs),
                epochs_shared=sum(s.total_epochs for s in unique),
                epochs_to_train=sum(s.total_epochs for s in todo), rows=rows,
                keys=sorted(s.key() for s in unique), keys_to_train=sorted(s.key() for s in todo),
                seconds_to_train=sum(s.total_epochs * s.recipe.step_seconds for s in todo),
                direct=True)
