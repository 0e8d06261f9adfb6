"""Paper-tier training speed on one device: precision modes, torch.compile, runs sharing the
device, and the engine against the peer loop, as ratios to a baseline measured in the same run.

The network is the paper tier's All-CNN (widths 96/192, batch 128, SGD lr 0.05, momentum 0.9,
weight decay 0.001, augmentation on) on synthetic uint8 images of CIFAR-10's shape (no dataset
needed); the test set is a fifth of the training set, as in CIFAR-10 (10k / 50k).

  a. eager and torch.compile, each in fp32, tf32 and bf16 (repro.backend.Backend): throughput
     against eager fp32 (the baseline). Compilation happens in the warm-up, which is excluded;
     its time is reported apart.
  b. 1, 2 and 4 runs at once on the device, each its own process training the same steps:
     aggregate images/s of all of them against one run alone.
  c. the peer loop of careful public replications: data held on the CPU, random crop (zero
     padding of 1/8 the image side: 4 px at 32 px) and flip by indexing on the CPU, normalised on
     the CPU, one .to(device) copy per batch, an NCHW model, loss.item() per step, and the test
     set evaluated every epoch. Same model, weights, batch and optimizer, fp32 eager.

Warm-up: a few steps of each, covering every batch shape of the epoch (so compilation and cuDNN
set-up are done before timing). CUDA is synchronised before every timer is read.

    python bench/gpu.py                      # on a GPU: about 2-3 minutes
    python bench/gpu.py --tiny               # on the CPU in seconds: narrow net, few images
    python bench/gpu.py --json out.json      # every measurement, also written as it goes
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import multiprocessing
import os
import platform
import sys
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the checkout's repro/, also where nothing is installed

import torch
import torch.nn.functional as F

from repro.augment import random_crop_flip
from repro.backend import PRECISIONS, Backend, cpu_model
from repro.config import RunSpec
from repro.data import Dataset, Split
from repro.engine import EVAL_BATCH, _build, evaluate, train_epoch
from repro.tiers import PAPER

SHARED = (1, 2, 4)
MODES = tuple(f"{how} {p}" for how in ("eager", "compile") for p in PRECISIONS)
NONDETERMINISTIC = "eager fp32 nondeterministic"  # what the default's determinism costs
BASELINE = "eager fp32"
PEER = "peer loop"
WORKER_TIMEOUT = 600  # seconds a sharing run may take before it is called hung


@dataclass(frozen=True)
class Size:
    train_size: int
    resolution: int
    width: tuple[int, ...]  # () is the paper's (96, 192)
    epochs: int  # timed epochs of each measurement
    warmup_steps: int
    compile_backend: str | None  # None: _build's torch.compile default (inductor)

    @property
    def test_size(self) -> int:
        return max(10, self.train_size // 5)


GPU_SIZE = Size(train_size=10_240, resolution=32, width=(), epochs=2, warmup_steps=5,
                compile_backend=None)
# --tiny: seconds on the CPU. The "eager" backend still traces the model with dynamo (the part
# that can break) but skips code generation, which would take longer than the whole test.
TINY_SIZE = Size(train_size=256, resolution=32, width=(8, 16), epochs=1, warmup_steps=1,
                 compile_backend="eager")


# -- data and runs ---------------------------------------------------------------------------

def synthetic(size: Size, device, seed: int = 0) -> Dataset:
    """Uniform random uint8 images of the paper's shape and balanced labels, on `device`."""
    g = torch.Generator().manual_seed(seed)

    def split(n: int) -> Split:
        x = torch.randint(0, 256, (n, 3, size.resolution, size.resolution), generator=g,
                          dtype=torch.uint8)
        return Split(x.to(device), (torch.arange(n) % 10).to(device))

    train, test = split(size.train_size), split(size.test_size)
    xf = train.x.float() / 255
    return Dataset("cifar10", train, test, xf.mean(dim=(0, 2, 3)), xf.std(dim=(0, 2, 3)), 10,
                   "synthetic")


def warmup_set(data: Dataset, spec: RunSpec, steps: int) -> Dataset:
    """The first `steps` full batches plus one of the epoch's last (ragged) size, if it has one:
    every batch shape the timed epochs will see."""
    n = min(len(data.train.y), steps * spec.batch_size + len(data.train.y) % spec.batch_size)
    return dataclasses.replace(data, train=Split(data.train.x[:n], data.train.y[:n]))


def bench_spec(size: Size, seed: int = 0) -> RunSpec:
    # test_every=0: a training epoch alone (the test set is timed on its own, in the peer part)
    return RunSpec(phases=((10_000, None),), seed=seed,
                   **{**PAPER.base, "width": size.width, "test_every": 0})


def build(spec: RunSpec, data: Dataset, device, compiled: bool, size: Size):
    if not compiled or size.compile_backend is None:
        return _build(spec, data, device, compile=compiled)
    model, opt = _build(spec, data, device)
    model.compile(backend=size.compile_backend)
    return model, opt


def sync(device) -> None:
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize(device)


def timed(fn, device) -> float:
    sync(device)
    t0 = time.perf_counter()
    fn()
    sync(device)
    return time.perf_counter() - t0


# -- a. precision and compilation ------------------------------------------------------------

def measure_mode(mode: str, data: Dataset, size: Size, device, threads: int,
                 with_eval: bool = False) -> dict:
    how, precision, *rest = mode.split()
    compiled, deterministic = how == "compile", "nondeterministic" not in rest
    if not deterministic and torch.device(device).type == "cpu":
        return {"status": "skipped", "reason": "CPU kernels are deterministic at a fixed "
                                               "thread count: nothing to turn off"}
    try:
        backend = Backend(str(device), threads, precision, deterministic, compile=compiled)
    except ValueError as err:  # tf32 on the CPU
        return {"status": "skipped", "reason": str(err)}
    backend.apply()
    if compiled:
        torch._dynamo.reset()  # each compiled mode pays its own compilation
    spec = bench_spec(size)
    model, opt = build(spec, data, device, compiled, size)
    warm = warmup_set(data, spec, size.warmup_steps)
    warm_s = timed(lambda: train_epoch(model, opt, warm, spec, 0, device, backend), device)
    epochs, evals = [], []
    for e in range(1, size.epochs + 1):
        epochs.append(timed(partial(train_epoch, model, opt, data, spec, e, device, backend),
                            device))
        if with_eval:
            evals.append(timed(lambda: evaluate(model, data, True), device))
    per_epoch = sum(epochs) / len(epochs)
    n = len(data.train.y)
    out = {"status": "ok", "images_per_s": n / per_epoch, "seconds_per_epoch": per_epoch,
           "epoch_seconds": epochs, "warmup_seconds": warm_s}
    if compiled:  # the warm-up less what its steps cost once compiled
        out["compile_seconds"] = max(0.0, warm_s - per_epoch * len(warm.train.y) / n)
    if with_eval:
        out["eval_seconds"] = sum(evals) / len(evals)
    return out


# -- b. runs sharing the device --------------------------------------------------------------

def measure_shared(k: int, size: Size, device, threads: int) -> dict:
    """`k` processes, each training `size.epochs` epochs after its warm-up, started together."""
    ctx = process_context()
    barrier, queue = ctx.Barrier(k), ctx.Queue()
    job = {"size": dataclasses.asdict(size), "device": str(device), "threads": threads}
    procs = [ctx.Process(target=shared_worker, args=(i, job, barrier, queue), daemon=True)
             for i in range(k)]
    for p in procs:
        p.start()
    try:
        rows = collect(procs, queue)
    finally:
        for p in procs:
            p.join(10)
            if p.is_alive():
                p.kill()
    errors = [r["error"] for r in rows if "error" in r]
    if errors:
        return {"status": "error", "reason": "; ".join(errors)}
    wall = max(r["end"] for r in rows) - min(r["start"] for r in rows)
    images = sum(r["images"] for r in rows)
    return {"status": "ok", "runs": k, "images_per_s": images / wall, "wall_seconds": wall,
            "per_run_images_per_s": [r["images"] / (r["end"] - r["start"]) for r in rows]}


def collect(procs, queue) -> list[dict]:
    """One result per process; a process that died without one (a crash) is an error."""
    import queue as queues

    rows, t0 = [], time.monotonic()
    while len(rows) < len(procs):
        try:
            rows.append(queue.get(timeout=1))
        except queues.Empty:
            dead = [p for p in procs if p.exitcode not in (None, 0)]
            if dead or time.monotonic() - t0 > WORKER_TIMEOUT:
                reason = (f"exit status {dead[0].exitcode}" if dead
                          else f"no result in {WORKER_TIMEOUT} s")
                return rows + [{"error": f"a run ended without a result ({reason})"}]
    return rows


def process_context():
    """forkserver: each run forks from a server that imported torch and this file (without
    touching CUDA) once, instead of importing torch itself; spawn where there is none."""
    try:
        ctx = multiprocessing.get_context("forkserver")
    except ValueError:
        return multiprocessing.get_context("spawn")
    ctx.set_forkserver_preload(["__main__", "torch", "torch._dynamo", "repro.engine"])
    return ctx


def shared_worker(index: int, job: dict, barrier, queue) -> None:
    try:
        size = Size(**{**job["size"], "width": tuple(job["size"]["width"])})
        device = torch.device(job["device"])
        if device.type == "cpu":
            torch.set_num_threads(job["threads"])
        else:
            torch.cuda.set_device(device)
        Backend(str(device)).apply()
        data = synthetic(size, device, seed=index)
        spec = bench_spec(size, seed=index)
        model, opt = _build(spec, data, device)
        train_epoch(model, opt, warmup_set(data, spec, size.warmup_steps), spec, 0, device)
        sync(device)
        barrier.wait(timeout=WORKER_TIMEOUT)
        t0 = time.perf_counter()  # CLOCK_MONOTONIC: comparable across processes
        for e in range(1, size.epochs + 1):
            train_epoch(model, opt, data, spec, e, device)
        sync(device)
        queue.put({"start": t0, "end": time.perf_counter(),
                   "images": size.epochs * len(data.train.y)})
    except BaseException as err:  # the others must not wait at the barrier for this one
        barrier.abort()
        queue.put({"error": f"run {index}: {type(err).__name__}: {err}"})


# -- c. the peer loop ------------------------------------------------------------------------

def measure_peer(data: Dataset, size: Size, device, threads: int) -> dict:
    Backend(str(device), threads).apply()
    spec = bench_spec(size)
    model, opt = _build(spec, data, device)
    model = model.to(memory_format=torch.contiguous_format)  # the usual NCHW model
    cpu = cpu_copy(data)
    g = torch.Generator().manual_seed(0)
    warm = warmup_set(cpu, spec, size.warmup_steps)
    peer_epoch(model, opt, warm, spec.batch_size, device, g)
    peer_eval(model, cpu, device)
    train, evals = [], []
    for _ in range(size.epochs):
        train.append(timed(lambda: peer_epoch(model, opt, cpu, spec.batch_size, device, g),
                           device))
        evals.append(timed(lambda: peer_eval(model, cpu, device), device))
    t, e = sum(train) / len(train), sum(evals) / len(evals)
    return {"status": "ok", "images_per_s": len(cpu.train.y) / t, "seconds_per_epoch": t,
            "eval_seconds": e, "epoch_seconds": train}


def cpu_copy(data: Dataset) -> Dataset:
    def mv(s: Split) -> Split:
        return Split(s.x.cpu(), s.y.cpu())

    return dataclasses.replace(data, train=mv(data.train), test=mv(data.test),
                               mean=data.mean.cpu(), std=data.std.cpu())


def peer_batch(x_uint8: torch.Tensor, data: Dataset) -> torch.Tensor:
    mean, std = data.mean[None, :, None, None], data.std[None, :, None, None]
    return (x_uint8.float() / 255 - mean) / std


def peer_epoch(model, opt, data: Dataset, batch_size: int, device, g: torch.Generator) -> float:
    model.train()
    x_all, y_all = data.train.x, data.train.y
    pad = x_all.shape[-1] // 8
    order = torch.randperm(len(y_all), generator=g)
    total = 0.0
    for i in range(0, len(y_all), batch_size):
        idx = order[i : i + batch_size]
        x = peer_batch(random_crop_flip(x_all[idx], pad, g), data).to(device)
        y = y_all[idx].to(device)
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        total += loss.item() * len(y)
    return total / len(y_all)


@torch.no_grad()
def peer_eval(model, data: Dataset, device) -> float:
    model.eval()
    correct = 0
    for i in range(0, len(data.test.y), EVAL_BATCH):
        x = peer_batch(data.test.x[i : i + EVAL_BATCH], data).to(device)
        y = data.test.y[i : i + EVAL_BATCH].to(device)
        correct += (model(x).argmax(1) == y).sum().item()
    return correct / len(data.test.y)


def peer_ratios(engine: dict, peer: dict) -> list[dict]:
    """Engine time per epoch over the peer's, three ways; speed-up is the inverse."""
    e_train, e_eval = engine["seconds_per_epoch"], engine["eval_seconds"]
    p_train, p_eval = peer["seconds_per_epoch"], peer["eval_seconds"]
    rows = [("training epoch alone", e_train, p_train),
            ("engine testing at phase boundaries only, peer every epoch", e_train,
             p_train + p_eval),
            ("both testing every epoch (paper tier: test_every=1)", e_train + e_eval,
             p_train + p_eval)]
    return [{"comparison": name, "engine_seconds": e, "peer_seconds": p, "time_ratio": e / p,
             "speedup": p / e} for name, e, p in rows]


# -- the session -----------------------------------------------------------------------------

class Session:
    """Measurements in order, each written to the JSON file as soon as it is taken."""

    def __init__(self, header: dict, json_path: str | None, time_limit: float | None):
        self.doc = {**header, "results": {}}
        self.json_path, self.time_limit = json_path, time_limit
        self.t0 = time.perf_counter()
        self.costs: dict[str, float] = {}

    def measure(self, name: str, fn, like: str | None = None) -> dict:
        """Take measurement `name` unless it would end past the time limit, judged by the cost
        of the earlier measurement `like` (None: the one before; "": none, only the time spent)."""
        elapsed = time.perf_counter() - self.t0
        if like is None:
            like = next(reversed(self.costs), "")
        cost = self.costs.get(like, 0.0)
        if self.time_limit is not None and elapsed + cost > self.time_limit:
            result = {"status": "skipped", "reason": f"time limit {self.time_limit:.0f} s: "
                      f"{elapsed:.0f} s spent"
                      + (f", {like} took {cost:.0f} s" if like in self.costs else "")}
        else:
            print(f"[{elapsed:5.0f} s] {name} ...", flush=True)
            t0 = time.perf_counter()
            try:
                result = fn()
            except Exception as err:  # one broken mode must not hide the others
                result = {"status": "error", "reason": f"{type(err).__name__}: {err}"}
            self.costs[name] = result["measured_seconds"] = time.perf_counter() - t0
        self.doc["results"][name] = result
        self.save()
        return result

    def save(self) -> None:
        self.doc["seconds"] = time.perf_counter() - self.t0
        if self.json_path:
            tmp = Path(self.json_path + ".tmp")
            tmp.write_text(json.dumps(self.doc, indent=1))
            tmp.replace(self.json_path)


def header(device, size: Size, tiny: bool) -> dict:
    ident = Backend(str(device), max(1, torch.get_num_threads())).identity()
    ident.pop("precision", None)
    return {
        "bench": "gpu", "tiny": tiny, "device": ident, "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "machine": {"host": platform.node(), "arch": platform.machine(),
                    "cpus": os.cpu_count(), "cpu": cpu_model(), "python": platform.python_version(),
                    "load_average_1min": os.getloadavg()[0]},
        "settings": {"model": "allcnn", "width": list(size.width) or [96, 192],
                     "batch_size": PAPER.base["batch_size"], "resolution": size.resolution,
                     "train_size": size.train_size, "test_size": size.test_size,
                     "timed_epochs": size.epochs, "warmup_steps": size.warmup_steps,
                     "compile_backend": size.compile_backend or "inductor (torch default)"},
    }


def run_all(session: Session, size: Size, device, threads: int) -> None:
    data = synthetic(size, device)
    res = session.doc["results"]
    for mode in MODES[:3]:  # eager first: the baseline and the cheap modes
        session.measure(mode, partial(measure_mode, mode, data, size, device, threads,
                                      with_eval=mode == BASELINE))
    session.measure(NONDETERMINISTIC, lambda: measure_mode(NONDETERMINISTIC, data, size, device,
                                                           threads))
    session.measure(PEER, lambda: measure_peer(data, size, device, threads))
    for k in SHARED:
        session.measure(f"shared x{k}", partial(measure_shared, k, size, device, threads))
    for i, mode in enumerate(MODES[3:]):  # compilation last: slowest, first to hit the limit
        session.measure(mode, partial(measure_mode, mode, data, size, device, threads),
                        like=MODES[3 + i - 1] if i else "")
    base = res[BASELINE]
    for mode in (*MODES, NONDETERMINISTIC):
        if res[mode]["status"] == "ok" and base["status"] == "ok":
            res[mode]["ratio"] = res[mode]["images_per_s"] / base["images_per_s"]
    one = res["shared x1"]
    for k in SHARED:
        r = res[f"shared x{k}"]
        if r["status"] == "ok" and one["status"] == "ok":
            r["ratio"] = r["images_per_s"] / one["images_per_s"]
    if res[PEER]["status"] == "ok" and base["status"] == "ok":
        res[PEER]["engine_vs_peer"] = peer_ratios(base, res[PEER])
    session.save()


# -- printing --------------------------------------------------------------------------------

def table(rows: list[list], headers: list[str]) -> str:
    try:
        from tabulate import tabulate
    except ImportError:  # a bare GPU box: plain columns rather than no table
        return "\n".join("  ".join(str(c) for c in r) for r in [headers, *rows])
    return tabulate(rows, headers=headers, floatfmt=".3g", tablefmt="github")


def num(x, fmt: str = ".3g") -> str:
    return "" if x is None else format(x, fmt)


def note_of(r: dict) -> str:
    if r["status"] != "ok":
        return r.get("reason", "")
    if "compile_seconds" in r:
        return f"compilation {r['compile_seconds']:.1f} s (in the warm-up, not in the ratio)"
    return ""


def report(doc: dict) -> str:
    res, d, s, m = doc["results"], doc["device"], doc["settings"], doc["machine"]
    lines = [
        f"device: {d.get('model')} ({d['kind']}), torch {doc['torch']}"
        + (f", CUDA {d.get('cuda')}, cuDNN {d.get('cudnn')}, {d.get('determinism')} kernels"
           if d["kind"] == "cuda" else ""),
        f"torch threads: {doc['torch_threads']}; machine: {m['host']}, {m['arch']}, "
        f"{m['cpus']} CPUs ({m['cpu']}), Python {m['python']}, load average "
        f"{m['load_average_1min']:.2f}",
        f"model allcnn width {s['width']}, batch {s['batch_size']}, {s['resolution']} px, "
        f"{s['train_size']} synthetic training images per epoch, {s['timed_epochs']} timed "
        f"epoch(s) each after {s['warmup_steps']} warm-up step(s); compile backend "
        f"{s['compile_backend']}",
        "",
        "a. precision and compilation (ratio: images/s over eager fp32)",
        table([[m, res[m]["status"], num(res[m].get("images_per_s"), ",.0f"),
                num(res[m].get("seconds_per_epoch")), num(res[m].get("ratio"), ".2f"),
                note_of(res[m])] for m in (*MODES, NONDETERMINISTIC)],
              ["mode", "status", "images/s", "s/epoch", "ratio", "note"]),
        "",
        "b. runs sharing the device, each its own process (ratio: aggregate images/s over one)",
        table([[k, res[f"shared x{k}"]["status"],
                num(res[f"shared x{k}"].get("images_per_s"), ",.0f"),
                " ".join(f"{v:,.0f}" for v in res[f"shared x{k}"].get("per_run_images_per_s", [])),
                num(res[f"shared x{k}"].get("ratio"), ".2f"), note_of(res[f"shared x{k}"])]
               for k in SHARED],
              ["runs", "status", "aggregate images/s", "per run", "ratio", "note"]),
        "",
        "c. engine (eager fp32) against the peer loop (data on the CPU, a copy per batch)",
    ]
    peer = res[PEER]
    if peer["status"] == "ok" and "engine_vs_peer" in peer:
        lines.append(table([[r["comparison"], num(r["engine_seconds"]), num(r["peer_seconds"]),
                             num(r["time_ratio"], ".2f"), num(r["speedup"], ".2f")]
                            for r in peer["engine_vs_peer"]],
                           ["per epoch", "engine s", "peer s", "engine / peer time",
                            "speed-up"]))
    else:
        lines.append(f"peer loop: {peer['status']} {peer.get('reason', '')}")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tiny", action="store_true",
                   help="seconds on the CPU: 256 images, widths 8/16, one timed epoch")
    p.add_argument("--device", default=None, help="default: cuda if available, else cpu")
    p.add_argument("--train-size", type=int, default=None,
                   help=f"synthetic training images per epoch (default {GPU_SIZE.train_size}; "
                        f"--tiny {TINY_SIZE.train_size})")
    p.add_argument("--epochs", type=int, default=None, help="timed epochs of each measurement")
    p.add_argument("--threads", type=int, default=None,
                   help="torch threads (default: 1 on the CPU, as the harness's runs; else "
                        "torch's own)")
    p.add_argument("--time-limit", type=float, default=None, metavar="S",
                   help="start no measurement that would end past S seconds (by the cost of "
                        "the one before): it is reported as skipped")
    p.add_argument("--json", default=None, metavar="PATH", help="write every measurement here")
    args = p.parse_args(argv)

    size = TINY_SIZE if args.tiny else GPU_SIZE
    size = dataclasses.replace(size, train_size=args.train_size or size.train_size,
                               epochs=args.epochs or size.epochs)
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    if device.type == "cuda":
        device = torch.device("cuda", device.index or 0)
        torch.cuda.set_device(device)
    threads = args.threads or (1 if device.type == "cpu" else torch.get_num_threads())
    torch.set_num_threads(threads)

    session = Session(header(device, size, args.tiny), args.json, args.time_limit)
    run_all(session, size, device, threads)
    print(report(session.doc))
    errors = [k for k, r in session.doc["results"].items() if r["status"] == "error"]
    if errors:
        print(f"errors in: {', '.join(errors)}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
