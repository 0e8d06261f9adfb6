"""The training core: one run, epoch by epoch, resumable from any stored prefix.

Every random choice of epoch e (data order, augmentation, noise) comes from a generator seeded by
(seed, e), and the model's initial weights from one seeded by the seed, so a run continued from a
checkpoint after e epochs gives exactly the numbers of an uninterrupted run.
"""
from __future__ import annotations

import contextlib
import copy
import dataclasses
import functools
import json
import logging
import math
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from filelock import Timeout

from . import cuda
from .augment import random_crop_flip
from .backend import Backend
from .config import ENGINE_VERSION, RunSpec
from .data import Dataset, Split, balanced_subset, data_source, load_dataset
from .deficits import make_deficit
from .fisher import FISHER_SEED, fisher_trace, probe_indices
from .models import build_model, is_convolutional
from .store import RunStore

log = logging.getLogger("repro.engine")

EVAL_BATCH = 1000


@dataclass(frozen=True)
class Context:
    """Where and how runs are trained. The store, data directory and checkpoint cadence change no
    number; the backend fields (device, threads, precision, determinism, compilation) and the
    data file do, so they are part of every run's key (see `key`)."""

    store: RunStore
    data_dir: str | None = None
    device: str = "cpu"
    download: bool = False
    checkpoint_every: int = 10  # epochs, besides every phase boundary
    # CPU kernels split their reductions by thread, so the thread count changes a CPU run's
    # numbers: it is part of the run's store key, and fixed (not "all cores") so that a plain run
    # and a run under `pytest -n 2` (a thread per worker) train the same runs.
    cpu_threads: int = 1
    precision: str = "fp32"
    deterministic: bool = True
    compile: bool = False
    # The device tag of the machines that train the runs when they are not this process's (a
    # Slurm cluster's nodes, reported by a probe job: repro.slurm_backend); None: this process.
    identity: str | None = None

    def __post_init__(self):
        _ = self.backend  # Backend validates the fields

    @property
    def backend(self) -> Backend:
        return Backend(self.device, self.cpu_threads, self.precision, self.deterministic,
                       self.compile)

    @property
    def device_kind(self) -> str:
        return torch.device(self.device).type

    @functools.cached_property
    def device_tag(self) -> str:
        """What besides the spec and its data fixes a run's numbers here (Backend.identity)."""
        if self.identity is not None:
            return self.identity
        return json.dumps(self.backend.identity(), sort_keys=True, separators=(",", ":"))

    def run_tag(self, dataset: str) -> str:
        """The device tag and the digest of the data file `dataset` is read from."""
        return f"{self.device_tag}|data={self.data_info(dataset)['digest']}"

    def data_info(self, dataset: str) -> dict:
        return data_source(dataset, self.data_dir, self.download)

    def key(self, spec: RunSpec) -> str:
        return spec.key(self.run_tag(spec.dataset))

    @contextlib.contextmanager
    def threads(self):
        """Torch's intra-op thread count set to `cpu_threads` (on the CPU) while inside."""
        if self.device_kind != "cpu":
            yield
            return
        before = torch.get_num_threads()
        torch.set_num_threads(self.cpu_threads)
        try:
            yield
        finally:
            torch.set_num_threads(before)


@dataclass
class RunResult:
    spec: RunSpec
    key: str
    status: str  # "ok" or "diverged"
    metrics: list[dict]  # one dict per epoch
    epochs_trained: int = 0  # by this call; 0 when the store had the whole run
    resumed_from: int = 0  # epoch of the stored prefix this call started from
    seconds: float = 0.0
    reason: str = ""

    def final(self, name: str) -> float:
        return self.metrics[-1][name]


class RunDiverged(RuntimeError):
    pass


def epoch_generator(seed: int, epoch: int, device: torch.device) -> torch.Generator:
    s = int(np.random.SeedSequence([seed, epoch, 0xDA7A]).generate_state(1, np.uint64)[0] >> 1)
    return torch.Generator(device=device).manual_seed(s)


def init_seed(seed: int) -> int:
    return int(np.random.SeedSequence([seed, 0x1417]).generate_state(1, np.uint64)[0] >> 1)


def perturb_seed(seed: int, epoch: int) -> int:
    return int(np.random.SeedSequence([seed, epoch, 0x5B7]).generate_state(1, np.uint64)[0] >> 1)


class RunBusy(Exception):
    """Another process holds the lock of a checkpoint this run would train next."""


# Called after every epoch trained, as listener(spec, epoch): the session's progress display.
EPOCH_LISTENERS: list = []


def get_run(spec: RunSpec, ctx: Context, *, wait: bool = True,
            keep: frozenset[str] = frozenset(), measure: RunSpec | None = None) -> RunResult:
    """The finished run `spec`: from the store, or trained from its longest stored prefix.

    wait=False: raise RunBusy instead of waiting when another process is training a checkpoint
    this run needs next (the caller trains other runs meanwhile). `keep`: store keys of
    checkpoints other runs start from; a periodic checkpoint not among them is deleted once a
    later checkpoint of this run supersedes it. `measure`: the same training measuring more
    (repro.measures), trained in its place if the run must be trained, so that the store holds
    those measurements too; the result records `spec`'s own."""
    key = ctx.key(spec)
    if measure is not None and ctx.key(measure) != key:
        raise ValueError(f"{measure.label()} is not the training of {spec.label()}")
    hit = ctx.store.meta(key)
    if hit is not None and hit["status"] == "ok" and not _measured(spec, hit["metrics"]):
        hit = None  # trained by a run that measured less: train again, measuring
    if hit is not None and hit["status"] == "ok" and _lacks_last(spec, hit["metrics"]):
        hit = _evaluate_stored(spec, ctx, key)  # an interrupted run's snapshot
    if hit is not None:
        return _result(spec, key, hit, resumed_from=len(hit["metrics"]))
    with ctx.threads():
        got = _train(measure or spec, ctx, wait, keep)
    if measure is None:
        return got
    return dataclasses.replace(got, spec=spec, metrics=_conform(spec, got.metrics))


def _lacks_last(spec: RunSpec, rows: list[dict]) -> bool:
    """Whether the last row lacks a measurement `spec` asks for that the stored network gives."""
    return bool(rows) and _lacks(spec, rows[-1])


def _lacks(spec: RunSpec, row: dict) -> bool:
    """Whether the row lacks a test evaluation or Fisher trace `spec` asks for after it."""
    return ((row["test_acc"] is None and spec.evaluates_at(row["epoch"]))
            or (row["epoch"] in spec.fisher_at and not _has_fisher(spec, row)))


def _has_fisher(spec: RunSpec, row: dict) -> bool:
    return ("fisher" in row and row.get("fisher_probe") == spec.fisher_probe
            and row.get("fisher_estimator") == spec.fisher_estimator)


def _measured(spec: RunSpec, rows: list[dict]) -> bool:
    """Whether stored rows hold what `spec` measures during their epochs: a test evaluation and
    Fisher trace after each epoch it asks for, and each Fisher step; those after the last row
    can still be measured on the stored network, so they are not asked for here."""
    if spec.fisher_steps and rows:
        if "steps" not in rows[-1]:
            return False
        wanted = {s for s in spec.fisher_steps if s <= rows[-1]["steps"]}
        have = {m["step"] for row in rows for m in row.get("fisher_steps", ())
                if m.get("fisher_probe") == spec.fisher_probe
                and m.get("fisher_estimator") == spec.fisher_estimator}
        if not wanted <= have:
            return False
    return not any(_lacks(spec, row) for row in rows[:-1])


def _evaluate_stored(spec: RunSpec, ctx: Context, key: str) -> dict | None:
    """Add the missing last test evaluation to a stored entry (a snapshot saved on Ctrl-C)."""
    device = torch.device(ctx.device)
    stored = ctx.store.load(key, map_location=device)
    if stored is None:
        return None
    data = load_dataset(spec.dataset, ctx.data_dir, **spec.data_args(), device=device,
                        download=ctx.download)
    model, opt = _build(spec, data, device)
    with ctx.threads():
        meta = {**stored[0], "metrics": _restore(model, opt, stored, spec, data, ctx.backend)}
    ctx.store.save(key, meta, stored[1])
    return meta


def _result(spec, key, meta, **kw) -> RunResult:
    """A stored entry as `spec`'s record: its measurements only (the entry may hold those of a
    run that measured more)."""
    return RunResult(spec, key, meta["status"], _conform(spec, meta["metrics"]),
                     reason=meta.get("reason", ""), **kw)


def _train(spec: RunSpec, ctx: Context, wait: bool, keep: frozenset[str]) -> RunResult:
    device, tag, backend = torch.device(ctx.device), ctx.run_tag(spec.dataset), ctx.backend
    backend.apply()
    data = load_dataset(spec.dataset, ctx.data_dir, **spec.data_args(), device=device,
                        download=ctx.download)
    model, opt = _build(spec, data, device, compile=ctx.compile)
    epoch, metrics = 0, []
    keys = [""] + [spec.truncate(e).key(tag) for e in range(1, spec.total_epochs + 1)]
    found, stored = _longest_stored(keys, ctx, device, above=0, below=spec.total_epochs,
                                    spec=spec)
    if stored is not None:
        if stored[0]["status"] == "diverged":  # a shorter run with this prefix diverged
            return _diverged_too(spec, tag, stored[0])
        epoch, metrics = found, _restore(model, opt, stored, spec, data, backend)
    resumed_from, trained, t0 = epoch, 0, time.perf_counter()
    # Checkpoints at every phase boundary, at every prefix another run of the session starts
    # from or ends at (`keep`), and every few epochs (so that a crash loses little). Each segment
    # is trained under its checkpoint's lock, so stopping at the others' prefixes makes two runs
    # that share one take the same lock for it, and train it once.
    stops = sorted({b for b in spec.boundaries if b > epoch}
                   | {e for e in range(epoch + 1, spec.total_epochs) if keys[e] in keep}
                   | set(range(epoch + ctx.checkpoint_every, spec.total_epochs,
                               ctx.checkpoint_every)))
    periodic: list[str] = []  # checkpoints this call wrote that only this run needed
    for stop in stops:
        if stop <= epoch:
            continue
        prefix, key = spec.truncate(stop), keys[stop]
        lock = ctx.store.lock(key)
        if not wait and _busy(ctx, keys[epoch + 1: stop + 1]):
            raise RunBusy(f"{prefix.label()} is being trained by another process")
        with lock:
            # another process may have trained this segment meanwhile, or gone further and
            # pruned this checkpoint: continue from the longest prefix stored now
            found, stored = _longest_stored(keys, ctx, device, above=epoch,
                                            below=spec.total_epochs + 1, spec=spec)
            if stored is not None:
                if stored[0]["status"] == "diverged":
                    return _diverged_too(spec, tag, stored[0])
                epoch, metrics = found, _restore(model, opt, stored, spec, data, backend)
                if epoch >= stop:
                    continue
            if trained == 0:
                log.info("%s: training from epoch %d of %d", spec.label(), epoch,
                         spec.total_epochs)
            rows_before = len(metrics)
            try:
                epoch, trained = _segment(model, opt, data, spec, ctx, epoch, stop, metrics,
                                          trained, tag)
            except RunDiverged as err:
                trained += len(metrics) - rows_before
                meta = _meta(spec, metrics, "diverged", ctx, reason=str(err))
                ctx.store.save(spec.key(tag), meta, {})
                log.warning("%s diverged: %s", spec.label(), err)
                return _result(spec, spec.key(tag), meta, epochs_trained=trained,
                               resumed_from=resumed_from)
            except torch.cuda.OutOfMemoryError as err:
                trained += len(metrics) - rows_before
                return _out_of_memory(spec, tag, ctx, err, metrics, trained, resumed_from)
            # a periodic checkpoint's own last evaluation is left to whoever reads it as a run
            _save_checkpoint(ctx, key, _meta(prefix, _conform(prefix, metrics), "ok", ctx),
                             _state(model, opt))
            for old in periodic:
                ctx.store.discard(old)
            periodic = [key] if stop not in spec.boundaries and key not in keep else []
    seconds = time.perf_counter() - t0
    log.info("%s: done, %d epochs trained in %.0f s, final test accuracy %.4f", spec.label(),
             trained, seconds, metrics[-1]["test_acc"])
    return RunResult(spec, spec.key(tag), "ok", metrics, epochs_trained=trained,
                     resumed_from=resumed_from, seconds=seconds)


def _longest_stored(keys: list[str], ctx: Context, device, above: int, below: int,
                    spec: RunSpec | None = None):
    """(e, entry) of the longest stored prefix with above < e < below (keys[e] names the
    prefix of e epochs) that holds `spec`'s measurements (_measured), or (above, None)."""
    for e in range(below - 1, above, -1):
        key = keys[e]
        if ctx.store.has(key):
            meta = ctx.store.meta(key)
            if (spec is not None and meta is not None and meta["status"] == "ok"
                    and not _measured(spec, meta["metrics"])):
                continue
            stored = ctx.store.load(key, map_location=device)
            if stored is not None:  # else pruned or damaged meanwhile: look shorter
                return e, stored
    return above, None


def _save_checkpoint(ctx: Context, key: str, meta: dict, state: dict) -> None:
    """Store a checkpoint, keeping the measurements an earlier save of the same training held
    (the same weights, by determinism, so its measurements hold for this one too)."""
    old = ctx.store.meta(key)
    if old is not None and old["status"] == "ok" and len(old["metrics"]) == len(meta["metrics"]):
        meta = {**meta, "metrics": [_union(new, before)
                                    for new, before in zip(meta["metrics"], old["metrics"])]}
    ctx.store.save(key, meta, state)


def _union(new: dict, before: dict) -> dict:
    out = {**{k: v for k, v in before.items() if k not in new}, **new}
    if out["test_acc"] is None and before.get("test_acc") is not None:
        out.update({k: before[k] for k in TEST_FIELDS})
    steps = {m["step"]: m for m in (*before.get("fisher_steps", ()), *new.get("fisher_steps", ()))}
    if steps:
        out["fisher_steps"] = [steps[k] for k in sorted(steps)]
    return out


def _segment(model, opt, data, spec, ctx, epoch, stop, metrics, trained, tag):
    """Train epochs [epoch, stop). On Ctrl-C, the state after the last finished epoch is stored
    first, so an interrupted session loses only the epoch in progress."""
    snapshot = None
    try:
        while epoch < stop:
            if target_reached(spec, epoch, metrics):
                metrics.append(skipped_epoch(model, data, spec, epoch, metrics[-1], ctx.backend))
            else:
                metrics.append(train_epoch(model, opt, data, spec, epoch,
                                           torch.device(ctx.device), ctx.backend,
                                           steps=metrics[-1]["steps"] if metrics else 0))
                trained += 1
            epoch += 1
            for listener in EPOCH_LISTENERS:
                listener(spec, epoch)
            if epoch < stop:
                snapshot = (epoch, list(metrics), copy.deepcopy(_state(model, opt)))
    except KeyboardInterrupt:
        if snapshot is not None:
            e, rows, state = snapshot
            ctx.store.save(spec.truncate(e).key(tag), _meta(spec.truncate(e), rows, "ok", ctx),
                           state)
            log.warning("%s: interrupted; epochs 1-%d are stored, a rerun resumes there",
                        spec.label(), e)
        raise
    return epoch, trained


def _busy(ctx: Context, keys: list[str]) -> bool:
    """Whether another process holds the lock of one of these checkpoints: it is training a
    prefix this run would otherwise train again."""
    for key in keys:
        lock = ctx.store.lock(key)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            return True
        lock.release()
    return False


def _out_of_memory(spec, tag, ctx, err, metrics, trained, resumed_from) -> RunResult:
    """A CUDA out-of-memory error: the run fails with what a user needs to fix it; nothing is
    stored, and the memory is given back so that the session's other claims can go on."""
    index = torch.device(ctx.device).index or 0
    mem = cuda.memory(index)
    free = (f"{mem[0] / 2**20:.0f} MiB free of {mem[1] / 2**20:.0f} MiB" if mem
            else "free memory unknown")
    reason = (f"CUDA out of memory on {ctx.device} at batch size {spec.batch_size}, epoch "
              f"{len(metrics) + 1} ({free}): {str(err).splitlines()[0]}")
    torch.cuda.empty_cache()
    log.error("%s: %s", spec.label(), reason)
    return RunResult(spec, spec.key(tag), "out of memory", metrics, epochs_trained=trained,
                     resumed_from=resumed_from, reason=reason)


def _diverged_too(spec: RunSpec, tag: str, prefix_meta: dict) -> RunResult:
    """Runs are deterministic: a run whose prefix diverged diverges at the same epoch."""
    return _result(spec, spec.key(tag), prefix_meta)


def _build(spec: RunSpec, data: Dataset, device: torch.device, compile: bool = False):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(init_seed(spec.seed))
        model = build_model(spec.model, tuple(data.train.x.shape[1:]), data.num_classes,
                            spec.width, spec.depth)
    model = model.to(device)
    if is_convolutional(spec.model):
        model = model.to(memory_format=torch.channels_last)
    if compile:
        model.compile()  # in place: the state dict keeps its names
    opt = torch.optim.SGD(model.parameters(), lr=spec.lr, momentum=spec.momentum,
                          weight_decay=spec.weight_decay, foreach=True)
    return model, opt


def _state(model, opt) -> dict:
    return {"model": model.state_dict(), "optimizer": opt.state_dict()}


def _restore(model, opt, stored, spec: RunSpec, data: Dataset,
             backend: Backend | None = None) -> list[dict]:
    """Load a stored prefix into model and optimizer; its rows, as `spec` records them."""
    meta, payload = stored
    model.load_state_dict(payload["model"])
    opt.load_state_dict(payload["optimizer"])
    return _conform(spec, meta["metrics"], model, data, backend)


TEST_FIELDS = ("test_loss", "test_acc")
FISHER_FIELDS = ("fisher", "fisher_layers", "fisher_weighted", "fisher_weighted_layers",
                 "fisher_probe", "fisher_estimator")


def _conform(spec: RunSpec, rows: list[dict], model=None, data: Dataset | None = None,
             backend: Backend | None = None) -> list[dict]:
    """The rows as `spec` trained alone records them, so that a record depends on its spec
    only, not on which run trained the stored prefix: its measurements only (test evaluations
    after the epochs `spec` evaluates at, a prefix's own last epoch being one of its boundaries;
    Fisher traces at its epochs and steps). With `model`, a measurement missing after the last
    row is taken now (measuring changes no training); without, it stays missing, and `get_run`
    adds it when it reads the entry as a run."""
    out = [_keep_measured(spec, row) for row in rows]
    if out and model is not None and data is not None and _lacks_last(spec, out):
        last = dict(out[-1])
        autocast = backend.autocast() if backend else contextlib.nullcontext()
        if last["test_acc"] is None and spec.evaluates_at(last["epoch"]):
            with autocast:
                last["test_loss"], last["test_acc"] = evaluate(model, data,
                                                               is_convolutional(spec.model))
        if last["epoch"] in spec.fisher_at and not _has_fisher(spec, last):
            last.update(measure_fisher(model, data, spec, last["epoch"]))
            model.train()
        out[-1] = last
    return out


def _keep_measured(spec: RunSpec, row: dict) -> dict:
    row = dict(row)
    if not spec.evaluates_at(row["epoch"]):
        row.update(dict.fromkeys(TEST_FIELDS))
    if row["epoch"] not in spec.fisher_at or not _has_fisher(spec, row):
        for name in FISHER_FIELDS:
            row.pop(name, None)
    steps = [m for m in row.pop("fisher_steps", ()) if m["step"] in spec.fisher_steps
             and m.get("fisher_probe") == spec.fisher_probe
             and m.get("fisher_estimator") == spec.fisher_estimator]
    if steps:
        row["fisher_steps"] = steps
    return row


def _meta(prefix: RunSpec, metrics: list[dict], status: str, ctx: Context,
          reason: str = "") -> dict:
    return {"spec": prefix.canonical(), "engine": ENGINE_VERSION, "status": status,
            "epochs": len(metrics), "metrics": metrics, "reason": reason,
            "device": ctx.backend.identity(), "data": ctx.data_info(prefix.dataset)}


def train_epoch(model, opt, data: Dataset, spec: RunSpec, epoch: int, device,
                backend: Backend | None = None, steps: int = 0) -> dict:
    """One epoch of training; `steps`: the optimizer steps taken before it."""
    g = epoch_generator(spec.seed, epoch, device)
    phase, phase_start = spec.phase_at(epoch)
    if epoch == phase_start and phase.shrink_perturb is not None:
        shrink_perturb(model, spec, data, epoch, *phase.shrink_perturb)
    if epoch == phase_start and phase.fresh_optimizer:
        opt.state.clear()  # SGD's momentum buffers: the next step starts them anew
    deficit_name = phase.deficit
    deficit = make_deficit(deficit_name, spec.seed, data.num_classes) if deficit_name else None
    lr = spec.lr_at(epoch)
    for group in opt.param_groups:
        group["lr"] = lr
        group["weight_decay"] = spec.weight_decay_at(epoch)
    channels_last = is_convolutional(spec.model)
    train = data.train if phase.train_fraction is None else fraction_of(data, phase.train_fraction)
    x_all, y_all = train.x, train.y
    n = len(y_all)
    pad = x_all.shape[-1] // 8
    order = torch.randperm(n, generator=g, device=device)
    loss_sum = torch.zeros((), device=device)
    correct = torch.zeros((), device=device, dtype=torch.long)
    autocast = backend.autocast() if backend else contextlib.nullcontext()
    step = steps
    batches = math.ceil(n / spec.batch_size)
    at_steps: list[dict] = []
    model.train()
    for i in range(0, n, spec.batch_size):
        idx = order[i : i + spec.batch_size]
        x, y = x_all[idx], y_all[idx]
        if spec.augment_at(epoch):
            x = random_crop_flip(x, pad, g)
        x = to_input(x, data, channels_last)
        if deficit is not None:  # commutes with the per-channel affine normalisation
            x, y = deficit(x, y, g)
        with autocast:
            out = model(x)
            loss = F.cross_entropy(out, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        loss_sum += loss.detach() * len(y)
        correct += (out.detach().argmax(1) == y).sum()
        step += 1
        if step in spec.fisher_steps:
            at_steps.append({"step": step, "epoch": epoch + (i // spec.batch_size + 1) / batches,
                             **measure_fisher(model, data, spec, epoch, step=step)})
            model.train()
    train_loss = loss_sum.item() / n
    if not math.isfinite(train_loss):
        raise RunDiverged(f"training loss became {train_loss} in epoch {epoch + 1}")
    done = epoch + 1
    test_loss = test_acc = None
    if spec.evaluates_at(done):
        with autocast:
            test_loss, test_acc = evaluate(model, data, channels_last)
    row = {"epoch": done, "deficit": deficit_name, "lr": lr, "train_loss": train_loss,
           "train_acc": correct.item() / n, "test_loss": test_loss, "test_acc": test_acc,
           "steps": step, **phase.settings()}
    if done in spec.fisher_at:
        row.update(measure_fisher(model, data, spec, done))
    if at_steps:
        row["fisher_steps"] = at_steps
    log.debug("%s epoch %d: %s", spec.label(), done,
             " ".join(f"{k}={v:.4g}" for k, v in row.items() if isinstance(v, float)))
    return row


def target_reached(spec: RunSpec, epoch: int, rows: list[dict]) -> bool:
    """Whether the phase of the (0-based) epoch `epoch` has a training-accuracy target that an
    earlier epoch of it reached (rows: the run's rows before `epoch`)."""
    phase, start = spec.phase_at(epoch)
    if phase.until_train_acc is None or epoch == start:
        return False
    last = rows[epoch - 1]
    return last.get("skipped", False) or last["train_acc"] >= phase.until_train_acc


def skipped_epoch(model, data: Dataset, spec: RunSpec, epoch: int, before: dict,
                  backend: Backend | None = None) -> dict:
    """The row of an epoch after its phase reached its target: nothing trained, the last
    trained epoch's numbers, and what this epoch measures, on the unchanged network."""
    done = epoch + 1
    row = {**{k: v for k, v in before.items() if k not in ("fisher_steps", *FISHER_FIELDS)},
           "epoch": done, "skipped": True}
    if spec.evaluates_at(done) and row["test_acc"] is None:
        autocast = backend.autocast() if backend else contextlib.nullcontext()
        with autocast:
            row["test_loss"], row["test_acc"] = evaluate(model, data,
                                                         is_convolutional(spec.model))
    elif not spec.evaluates_at(done):
        row.update(dict.fromkeys(TEST_FIELDS))
    if done in spec.fisher_at:
        row.update(measure_fisher(model, data, spec, done))
    return row


def measure_fisher(model, data: Dataset, spec: RunSpec, epoch: int, probe: int | None = None,
                   estimator: str | None = None, step: int = 0) -> dict:
    """Fisher trace (total and per layer) on a fixed class-balanced probe of clean training
    images (the spec's probe size and estimator unless given), with the probe and estimator.
    It leaves the network in eval mode and changes none of its weights or buffers."""
    probe, estimator = probe or spec.fisher_probe, estimator or spec.fisher_estimator
    idx = probe_indices(data.train.y, probe, data.num_classes)
    x = to_input(data.train.x[idx.to(data.train.x.device)], data, is_convolutional(spec.model))
    y = data.train.y[idx.to(data.train.y.device)]
    seq = [spec.seed, epoch, FISHER_SEED] + ([step] if step else [])
    s = int(np.random.SeedSequence(seq).generate_state(1)[0])
    return {**fisher_trace(model, x, y, estimator=estimator,
                           generator=torch.Generator().manual_seed(s)).to_row(),
            "fisher_probe": probe, "fisher_estimator": estimator}


def load_model(spec: RunSpec, ctx: Context):
    """The network stored for `spec` (a run or a stored prefix of one), in eval mode, with its
    data; None when the store does not hold it."""
    device = torch.device(ctx.device)
    stored = ctx.store.load(ctx.key(spec), map_location=device)
    if stored is None or stored[0]["status"] != "ok":
        return None
    data = load_dataset(spec.dataset, ctx.data_dir, **spec.data_args(), device=device,
                        download=ctx.download)
    model, opt = _build(spec, data, device)
    _restore(model, opt, stored, spec, data)
    return model.eval(), data


def fraction_of(data: Dataset, fraction: float) -> Split:
    """A fixed class-balanced subset of the training set (the same for every run seed)."""
    k = data.num_classes
    return balanced_subset(data.train, max(k, round(fraction * len(data.train.y) / k) * k), k)


def shrink_perturb(model, spec: RunSpec, data: Dataset, epoch: int, shrink: float,
                   noise: float) -> None:
    """Every parameter becomes shrink * itself + noise * a fresh initialisation drawn from
    (seed, epoch) (Ash & Adams 2020). BatchNorm statistics and momentum are left as they are."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(perturb_seed(spec.seed, epoch))
        fresh = build_model(spec.model, tuple(data.train.x.shape[1:]), data.num_classes,
                            spec.width, spec.depth)
    with torch.no_grad():
        for p, q in zip(model.parameters(), fresh.parameters()):
            p.mul_(shrink).add_(q.to(p.device, p.dtype), alpha=noise)


def to_input(x: torch.Tensor, data: Dataset, channels_last: bool) -> torch.Tensor:
    """uint8 images -> normalised float network input, in one fused multiply-add."""
    shift, scale = data.input_affine
    x = torch.addcmul(shift, x.float(), scale)
    return x.contiguous(memory_format=torch.channels_last) if channels_last else x


@torch.inference_mode()
def evaluate(model, data: Dataset, channels_last: bool) -> tuple[float, float]:
    """Loss and accuracy on the clean test set (no augmentation, no deficit)."""
    model.eval()
    x_all, y_all = data.test.x, data.test.y
    loss_sum = torch.zeros((), device=x_all.device)
    correct = torch.zeros((), device=x_all.device, dtype=torch.long)
    for i in range(0, len(y_all), EVAL_BATCH):
        x = to_input(x_all[i : i + EVAL_BATCH], data, channels_last)
        y = y_all[i : i + EVAL_BATCH]
        out = model(x)
        loss_sum += F.cross_entropy(out, y, reduction="sum")
        correct += (out.argmax(1) == y).sum()
    return loss_sum.item() / len(y_all), correct.item() / len(y_all)
