"""Run specifications: what a training run is, as frozen data.

A run is a pure function of its `RunSpec` (and the device kind, and on the CPU the thread count):
the spec's key names its results in the run store, and the key of the spec truncated to epoch e
names the checkpoint after e epochs, so runs that share a prefix of phases share its training.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass

# Bump when a change to the training code changes numbers: stale results are then never reused.
# 2: "allcnn" is the paper's reading (its Springenberg form is "allcnn-c"), rows count steps.
ENGINE_VERSION = 2

DATASETS = ("cifar10", "mnist")
MODELS = ("allcnn", "allcnn-c", "conv3", "fc", "resnet18")
DEFICITS = ("blur", "vflip", "label_permutation", "noise", "clean")
LR_SCHEDULES = ("exponential", "constant", "restart")
FISHER_ESTIMATORS = ("exact", "sampled", "empirical")
# What a run measures, not what it trains: evaluating the test set or a Fisher trace changes no
# weight (the engine's test: tests/test_engine_store.py), so these are no part of the key, and a
# run that measures more shares its checkpoints with one that measures less. A stored prefix is
# reused only where it holds the measurements the new run asks for (engine._measured).
MEASUREMENTS = ("test_every", "fisher_at", "fisher_steps", "fisher_probe", "fisher_estimator")


@dataclass(frozen=True)
class Phase:
    """`epochs` epochs of training under `deficit` (None: clean data).

    The other fields override the run's settings for this phase only. Left at None they are no
    part of the phase's identity, so the specs (and store keys) written without them are kept:
      weight_decay    the optimizer's weight decay (regularization timing, Golatkar et al. 2019);
      augment         data augmentation on or off;
      train_fraction  train on a fixed class-balanced subset of this fraction of the run's
                      training set (warm starting, Ash & Adams 2020);
      shrink_perturb  (shrink, noise): before the phase's first epoch every parameter becomes
                      shrink * itself + noise * a fresh initialisation (Ash & Adams 2020);
      fresh_optimizer the optimizer's state (momentum) is reset before the phase's first epoch,
                      as if a new optimizer took over (Ash & Adams 2020 start each stage so);
      until_train_acc the phase ends after the first of its epochs whose training accuracy
                      (over the epoch, as recorded) reaches this; `epochs` is then the most it
                      may take, and its epochs after the target are skipped: no training, their
                      rows marked "skipped" (Ash & Adams 2020 train each stage to 99 %).
    """

    epochs: int
    deficit: str | None = None
    weight_decay: float | None = None
    augment: bool | None = None
    train_fraction: float | None = None
    shrink_perturb: tuple[float, float] | None = None
    fresh_optimizer: bool | None = None
    until_train_acc: float | None = None

    def __post_init__(self):
        if not isinstance(self.epochs, int) or self.epochs < 0:
            raise ValueError(f"phase epochs must be a non-negative integer, got {self.epochs!r}")
        if self.deficit is not None and self.deficit not in DEFICITS:
            raise ValueError(f"unknown deficit {self.deficit!r}; known: {', '.join(DEFICITS)}")
        if self.weight_decay is not None and self.weight_decay < 0:
            raise ValueError("weight_decay must be non-negative")
        if self.train_fraction is not None and not 0 < self.train_fraction <= 1:
            raise ValueError("train_fraction must be in (0, 1]")
        if self.shrink_perturb is not None:
            object.__setattr__(self, "shrink_perturb", tuple(float(v) for v in self.shrink_perturb))
            if len(self.shrink_perturb) != 2:
                raise ValueError("shrink_perturb is a pair (shrink, noise)")
        if self.until_train_acc is not None and not 0 < self.until_train_acc <= 1:
            raise ValueError("until_train_acc is a training accuracy in (0, 1]")

    def settings(self) -> dict:
        """The overrides that are set: what, besides epochs and deficit, names the phase."""
        return {f: getattr(self, f) for f in PHASE_SETTINGS if getattr(self, f) is not None}

    def continues(self, before: Phase) -> bool:
        """Whether this phase is the same training as `before`, so the two merge into one (never
        a phase that starts with a change of the network or optimizer, nor one with a target of
        its own)."""
        starts = ("shrink_perturb", "fresh_optimizer")
        return (self.deficit == before.deficit and self.shrink_perturb is None
                and not self.fresh_optimizer
                and self.until_train_acc is None and before.until_train_acc is None
                and {k: v for k, v in self.settings().items() if k not in starts}
                == {k: v for k, v in before.settings().items() if k not in starts})

    @property
    def restarts_schedule(self) -> bool:
        """A phase the `restart` schedule holds at the initial rate: a deficit, or a reduced
        training set (the first stage of a warm start)."""
        return self.deficit is not None or self.train_fraction is not None


PHASE_SETTINGS = ("weight_decay", "augment", "train_fraction", "shrink_perturb",
                  "fresh_optimizer", "until_train_acc")


@dataclass(frozen=True)
class RunSpec:
    """Everything that determines a training run's numbers.

    lr_schedule:
      exponential  lr = lr * lr_decay**epoch, never reset (the paper's schedule);
      constant     lr throughout;
      restart      constant lr during deficit phases; when the last deficit ends, the exponential
                   schedule starts again from epoch 0, so every branch gets the baseline's own
                   annealed schedule after removal. A restart run without any deficit phase is
                   exponential, one made only of deficit phases is constant, and they are named so
                   (that is how a restarted branch shares its prefix with constant-rate runs).

    lr_restart_at: with the exponential schedule, the epoch at which the rate starts again from
    its first value (lr, then lr * lr_decay, ...): the `restart` protocol of the deficit claims
    (repro.protocols; Pawlak 2025, arXiv 2510.09687, Fig. 1a: "restarting learning rate after
    deficit epochs"). None, 0, or an epoch at or past the run's end restarts nothing and is None,
    so a run's prefix before its restart is the same training as the run that never restarts.

    Measurements (MEASUREMENTS: none of them changes training, none is part of the key):
    fisher_at: epochs after which the Fisher trace (repro.fisher, `fisher_estimator`, on a fixed
    class-balanced probe of `fisher_probe` clean training images) is added to the metrics.
    fisher_steps: optimizer steps (counted from the run's start, 1-based) after which the trace is
    measured too, inside an epoch: the early transient of training is shorter than one epoch; the
    epoch's row lists them under "fisher_steps".
    test_every: the test set is evaluated after every `test_every`-th epoch (0: never between),
    and always at phase boundaries.
    """

    dataset: str
    model: str
    phases: tuple[Phase, ...]
    seed: int
    train_size: int | None = None  # class-balanced subset; None: the whole training set
    resolution: int | None = None  # images resized once, at load time; None: native size
    pad_to: int | None = None  # then zero-padded (centred) to this size (MNIST's 28 to 32)
    width: tuple[int, ...] = ()  # model widths; () means the model's paper widths
    depth: int | None = None  # None: the model's paper depth
    lr: float = 0.05
    lr_schedule: str = "exponential"
    lr_decay: float = 0.97
    lr_restart_at: int | None = None
    momentum: float = 0.9
    weight_decay: float = 5e-4
    batch_size: int = 128
    augment: bool = True
    fisher_at: tuple[int, ...] = ()
    fisher_steps: tuple[int, ...] = ()
    fisher_probe: int = 256
    fisher_estimator: str = "exact"
    test_every: int = 1

    def __post_init__(self):
        if self.dataset not in DATASETS:
            raise ValueError(f"unknown dataset {self.dataset!r}; known: {', '.join(DATASETS)}")
        if self.model not in MODELS:
            raise ValueError(f"unknown model {self.model!r}; known: {', '.join(MODELS)}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {self.seed!r}")
        if self.lr_schedule not in LR_SCHEDULES:
            raise ValueError(
                f"unknown lr_schedule {self.lr_schedule!r}; known: {', '.join(LR_SCHEDULES)}"
            )
        phases = tuple(p if isinstance(p, Phase) else Phase(*p) for p in self.phases)
        if self.lr_schedule == "restart":
            marked = [p.restarts_schedule for p in phases if p.epochs > 0]
            if not any(marked):
                object.__setattr__(self, "lr_schedule", "exponential")
            elif all(marked):
                object.__setattr__(self, "lr_schedule", "constant")
        if self.lr_schedule != "restart":
            # A "clean" deficit only marks a switch for the restarted schedule; elsewhere it is
            # the same computation as clean training and must share its name (and its results).
            phases = tuple(dataclasses.replace(p, deficit=None) if p.deficit == "clean" else p
                           for p in phases)
        object.__setattr__(self, "phases", _merge(phases))
        object.__setattr__(self, "width", tuple(self.width))
        if self.total_epochs <= 0:
            raise ValueError("a run needs at least one epoch of training")
        if self.lr_restart_at is not None:
            if isinstance(self.lr_restart_at, bool) or not isinstance(self.lr_restart_at, int) \
                    or self.lr_restart_at < 0:
                raise ValueError(f"lr_restart_at must be a non-negative epoch, got "
                                 f"{self.lr_restart_at!r}")
            if self.lr_schedule != "exponential":
                raise ValueError(f"lr_restart_at restarts the exponential schedule; this run's is "
                                 f"{self.lr_schedule!r}")
            if not 0 < self.lr_restart_at < self.total_epochs:
                object.__setattr__(self, "lr_restart_at", None)
        if self.batch_size <= 0 or self.lr <= 0 or (self.depth is not None and self.depth <= 0):
            raise ValueError("batch_size, lr and depth must be positive")
        fisher_at = tuple(sorted(set(self.fisher_at)))
        if fisher_at and not 1 <= fisher_at[0] <= fisher_at[-1] <= self.total_epochs:
            raise ValueError(f"fisher_at {fisher_at} must lie within epochs 1..{self.total_epochs}")
        object.__setattr__(self, "fisher_at", fisher_at)
        fisher_steps = tuple(sorted(set(self.fisher_steps)))
        if fisher_steps and fisher_steps[0] < 1:
            raise ValueError(f"fisher_steps {fisher_steps} must be positive step counts")
        object.__setattr__(self, "fisher_steps", fisher_steps)
        if self.fisher_estimator not in FISHER_ESTIMATORS:
            raise ValueError(f"unknown fisher_estimator {self.fisher_estimator!r}; known: "
                             f"{', '.join(FISHER_ESTIMATORS)}")
        if self.fisher_probe <= 0 or self.test_every < 0:
            raise ValueError("fisher_probe must be positive and test_every non-negative")

    def data_args(self) -> dict:
        """The arguments of repro.data.load_dataset that give this run's images."""
        return {"train_size": self.train_size, "resolution": self.resolution,
                "pad_to": self.pad_to}

    @property
    def total_epochs(self) -> int:
        return sum(p.epochs for p in self.phases)

    @property
    def boundaries(self) -> list[int]:
        """Epochs at which a phase ends (checkpoints are always written there)."""
        out, e = [], 0
        for p in self.phases:
            e += p.epochs
            out.append(e)
        return out

    def phase_at(self, epoch: int) -> tuple[Phase, int]:
        """The phase of the (0-based) epoch `epoch`, and the epoch that phase starts at."""
        e = 0
        for p in self.phases:
            if epoch < e + p.epochs:
                return p, e
            e += p.epochs
        raise IndexError(f"epoch {epoch} is beyond the run's {self.total_epochs} epochs")

    def deficit_at(self, epoch: int) -> str | None:
        """Deficit of the (0-based) epoch `epoch`."""
        return self.phase_at(epoch)[0].deficit

    def weight_decay_at(self, epoch: int) -> float:
        wd = self.phase_at(epoch)[0].weight_decay
        return self.weight_decay if wd is None else wd

    def augment_at(self, epoch: int) -> bool:
        aug = self.phase_at(epoch)[0].augment
        return self.augment if aug is None else aug

    def lr_at(self, epoch: int) -> float:
        if self.lr_schedule == "constant":
            return self.lr
        if self.lr_schedule == "exponential":
            if self.lr_restart_at is not None and epoch >= self.lr_restart_at:
                return self.lr * self.lr_decay ** (epoch - self.lr_restart_at)
            return self.lr * self.lr_decay**epoch
        # restart: constant during a deficit, then decay counted from the end of the last deficit
        # that started at or before this epoch.
        decay_from, e = 0, 0
        for p in self.phases:
            if p.restarts_schedule and e <= epoch:
                if epoch < e + p.epochs:
                    return self.lr
                decay_from = e + p.epochs
            e += p.epochs
        return self.lr * self.lr_decay ** (epoch - decay_from)

    def truncate(self, epochs: int) -> RunSpec:
        """The spec of this run's first `epochs` epochs (its prefix)."""
        if not 0 < epochs <= self.total_epochs:
            raise ValueError(f"cannot truncate a {self.total_epochs}-epoch run to {epochs}")
        kept, left = [], epochs
        for p in self.phases:
            if left == 0:
                break
            kept.append(dataclasses.replace(p, epochs=min(p.epochs, left)))
            left -= kept[-1].epochs
        return dataclasses.replace(self, phases=tuple(kept),
                                   fisher_at=tuple(e for e in self.fisher_at if e <= epochs))

    def canonical(self) -> dict:
        """The training as plain data, in the form that defines its identity (no measurement)."""
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
             if f.name not in MEASUREMENTS}
        if d["lr_restart_at"] is None:  # the keys of runs that never restart, as before it existed
            del d["lr_restart_at"]
        d["phases"] = [[p.epochs, p.deficit] + ([p.settings()] if p.settings() else [])
                       for p in self.phases]
        d["width"] = list(self.width)
        return d

    def measurements(self) -> dict:
        """What the run measures besides training (MEASUREMENTS), as plain data."""
        return {name: (list(v) if isinstance(v := getattr(self, name), tuple) else v)
                for name in MEASUREMENTS}

    def key(self, device_tag: str = "cpu-1t") -> str:
        """Store key: hash of the canonical spec, the engine version and the device tag (CPU and
        CUDA kernels, and CPU kernels on different thread counts, give different numbers, so their
        results are never mixed; see engine.Context.device_tag)."""
        payload = {"spec": self.canonical(), "engine": ENGINE_VERSION, "device": device_tag}
        blob = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
        return hashlib.sha256(blob).hexdigest()[:20]

    def prefix_keys(self, device_tag: str = "cpu-1t") -> list[str]:
        """keys[e - 1] names this run's first e epochs: the store keys of its checkpoints, which
        any other run with the same first e epochs shares (the one prefix rule of the project:
        the plan, the engine and Ray all use it)."""
        return [self.truncate(e).key(device_tag) for e in range(1, self.total_epochs + 1)]

    def evaluates_at(self, done: int) -> bool:
        """Whether the test set is evaluated after `done` epochs of this run."""
        return bool(self.test_every and done % self.test_every == 0) or done in self.boundaries

    def label(self) -> str:
        ph = "+".join(f"{p.epochs}{'·' + p.deficit if p.deficit else ''}"
                      + "".join(f"·{k}={v}" for k, v in p.settings().items())
                      for p in self.phases)
        restart = f" restart@{self.lr_restart_at}" if self.lr_restart_at is not None else ""
        depth = f" depth={self.depth}" if self.depth is not None else ""
        return f"{self.model}/{self.dataset}{depth} seed={self.seed} [{ph}]{restart}"


def shared_epochs(a: RunSpec, b: RunSpec, device_tag: str = "cpu-1t") -> int:
    """Epochs of the longest prefix `a` and `b` share: the same training, the same numbers."""
    n = 0
    for ka, kb in zip(a.prefix_keys(device_tag), b.prefix_keys(device_tag)):
        if ka != kb:
            break
        n += 1
    return n


def _merge(phases: tuple[Phase, ...]) -> tuple[Phase, ...]:
    """Drop empty phases and merge neighbours with the same deficit: (5, blur)+(5, blur) is
    (10, blur), so the same training has one name whatever way it was written."""
    out: list[Phase] = []
    for p in phases:
        if p.epochs == 0:
            continue
        if out and p.continues(out[-1]):
            out[-1] = dataclasses.replace(out[-1], epochs=out[-1].epochs + p.epochs)
        else:
            out.append(p)
    return tuple(out)
