"""A short first visit to a GPU box that is not set up for the project, in one command.

Runs with whatever python3 the machine has (its own torch, pytest and pytest-xdist; no
virtualenv; the package not installed: the checkout is put on PYTHONPATH). Four steps, each timed
and each in a process of its own with a timeout, continuing past a failing one:

  1. device: torch, CUDA, the GPUs and their memory, cuDNN, and which of the project's
     dependencies this python has;
  2. bench: bench/gpu.py at its default size (--tiny in the dry run), its JSON included;
  3. claim: a synthetic CIFAR-shaped cifar10.npz, and the two shortened paper-tier claims of
     bench/gpu_claim.py under `pytest -n 2 --gpus 0,0 --tier paper`: each verdict, and the device
     each worker reported;
  4. determinism: one run trained in two fresh stores by two processes, then resumed by a third
     from a mid-run checkpoint; every per-epoch metric must be equal.

The summary goes to $OUT/gpu_check.json (./gpu_check.json without $OUT; --out PATH), rewritten
after every step, and the claims' REPORT.md beside it as gpu_check_REPORT.md; the exit status is
non-zero if any step failed. Within --budget (6 minutes) on one GPU: each step's timeout leaves
the steps after it their least time, and the bench skips what would end past its limit.

    python3 bench/gpu_check.py                 # on the GPU box (make gpu-check)
    python3 bench/gpu_check.py --cpu-dry       # the same steps on the CPU, tiny, in a minute
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STEPS = ("device", "bench", "claim", "determinism")
CLAIM_FILE = "bench/gpu_claim.py"
CLAIM_IDS = ("gpu-check/learns-after-blur", "gpu-check/loss-falls")
SIZES_ENV = "REPRO_GPU_CLAIM_SIZES"  # read by bench/gpu_claim.py
DEPENDENCIES = ("torch", "torchvision", "numpy", "scipy", "tabulate", "matplotlib", "filelock",
                "tqdm", "pytest", "pytest-xdist", "hypothesis")


class Plan:
    """Sizes and time limits of one mode (GPU or CPU dry run), in seconds: each step's hard
    timeout, and what it leaves to the steps after it (within the whole check's budget)."""

    def __init__(self, dry: bool, budget: float):
        self.dry = dry
        self.device = "cpu" if dry else "cuda:0"
        self.n_train, self.n_test, self.image = (400, 200, 16) if dry else (2000, 1000, 32)
        # the claims' and the determinism run's RunSpec overrides, on top of the paper tier
        self.sizes = ({"train_size": 200, "width": [8, 16], "batch_size": 50} if dry
                      else {"train_size": 2000})
        self.timeouts = {"device": 60, "bench": 120 if dry else 250,
                         "claim": 150 if dry else 180, "determinism": 90 if dry else 120}
        # a step's least time, even when the budget is spent: its processes' start-up (a torch
        # import each, two pytest workers) and a few short epochs
        self.least = {"device": 10, "bench": 30, "claim": 60, "determinism": 40}
        self.deadline = time.perf_counter() + budget

    def timeout(self, step: str, later: list[str]) -> float:
        """The step's timeout, cut so that the steps after it keep their least time."""
        left = self.deadline - time.perf_counter() - sum(self.least[s] for s in later)
        return max(self.least[step], min(self.timeouts[step], left))


# -- running a step --------------------------------------------------------------------------

def child_env(extra: dict | None = None) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in [env.get("PYTHONPATH")] if p])
    env.setdefault("PYTHONUNBUFFERED", "1")
    env.update(extra or {})
    return env


def run_logged(cmd: list[str], timeout: float, env: dict, name: str) -> dict:
    """Run `cmd` in its own process group, echoing its output; on timeout the whole group (the
    pytest workers, the bench's runs) is killed."""
    print(f"$ {shlex.join(cmd)}", flush=True)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines: list[str] = []

    def pump():
        for line in proc.stdout:
            lines.append(line)
            print(f"  {name}| {line}", end="", flush=True)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        rc = proc.wait(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        rc, timed_out = proc.wait(), True
    reader.join(5)
    return {"command": shlex.join(cmd), "rc": rc, "timed_out": timed_out,
            "seconds": time.perf_counter() - t0, "output_tail": "".join(lines[-40:])}


def self_step(step: str, result: Path, plan: Plan, work: Path, timeout: float,
              more: list[str] = ()) -> dict:
    """Run one of this file's in-process steps (see `inner`) in a child python."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--inner", step, "--result",
           str(result), "--work", str(work), *more] + (["--cpu-dry"] if plan.dry else [])
    out = run_logged(cmd, timeout, child_env(), step)
    out["result"] = json.loads(result.read_text()) if result.is_file() else None
    return out


# -- the steps, seen from the parent ---------------------------------------------------------

def step_device(plan: Plan, work: Path, timeout: float) -> dict:
    out = self_step("device", work / "device.json", plan, work, timeout)
    info = out["result"] or {}
    missing = [m for m, v in info.get("modules", {}).items() if v == "missing"]
    out["passed"] = out["rc"] == 0 and (plan.dry or bool(info.get("cuda_available")))
    notes = [f"not installed here: {', '.join(missing)}"] if missing else []
    if out["rc"] == 0 and not plan.dry and not info.get("cuda_available"):
        notes.append("torch sees no CUDA device: the GPU steps will fail (try --cpu-dry)")
    out["note"] = "; ".join(notes)
    return out


def step_bench(plan: Plan, work: Path, timeout: float) -> dict:
    path = work / "bench.json"
    # the bench starts no measurement it expects to end past its limit (a hard kill loses the
    # table); a minute of margin for the one it is in
    limit = max(10, timeout - 60)
    cmd = [sys.executable, str(ROOT / "bench" / "gpu.py"), "--json", str(path),
           "--time-limit", f"{limit:.0f}"] + (["--tiny"] if plan.dry else ["--device", "cuda"])
    out = run_logged(cmd, timeout, child_env(), "bench")
    out["result"] = json.loads(path.read_text()) if path.is_file() else None
    statuses = {k: r["status"] for k, r in (out["result"] or {}).get("results", {}).items()}
    out["passed"] = out["rc"] == 0 and bool(statuses) and "error" not in statuses.values()
    return out


def step_claim(plan: Plan, work: Path, timeout: float, extra_args: list[str]) -> dict:
    data = write_fake_cifar(work / "data", plan.n_train, plan.n_test, plan.image)
    report = work / "report"
    env = child_env({SIZES_ENV: json.dumps(plan.sizes)})
    tier, args = tier_args(plan)

    def session(tier_args: list[str]) -> dict:
        # --dist load: the two claims of one file on both workers (the default groups a file's
        # claims on one worker), so that two workers share the GPU and the clean runs
        cmd = ([sys.executable, "-m", "pytest", "-p", "repro.plugin", CLAIM_FILE, "-n", "2",
                "--dist", "load",
                "--data-dir", str(data), "--store", str(work / "store"), "--report",
                str(report), "-p", "no:cacheprovider", "-v", "--rootdir", str(ROOT)]
               + tier_args + extra_args)
        return run_logged(cmd, timeout, env, "claim")

    out = session(args)
    out["tier"], out["report"] = tier, str(report / tier / "REPORT.md")
    out["result"] = read_verdicts(report / tier / "results.json")
    verdicts = (out["result"] or {}).get("verdicts", {})
    devices = [d for v in verdicts.values() for d in v["devices"]]
    out["workers"] = {d["worker"]: f"{d.get('device')} ({d.get('model')})" for d in devices}
    on_device = plan.dry or (devices and all(d.get("kind") == "cuda" for d in devices))
    out["passed"] = (out["rc"] == 0 and set(verdicts) == set(CLAIM_IDS)
                     and all(v["outcome"] == "pass" for v in verdicts.values())
                     and bool(on_device))
    return out


def tier_args(plan: Plan) -> tuple[str, list[str]]:
    """The tier and the options that choose it and the device (the data are synthetic, never the
    original pixels the paper tier otherwise asks for)."""
    if not plan.dry:
        return "paper", ["--gpus", "0,0", "--tier", "paper", "--accept-lossy-data"]
    return "paper", ["--tier", "paper", "--paper-on-cpu", "--accept-lossy-data"]


def read_verdicts(path: Path) -> dict | None:
    """Each verdict's outcome and checks, and where its runs were trained."""
    if not path.is_file():
        return None
    doc = json.loads(path.read_text())
    verdicts = {}
    for v in doc["verdicts"]:
        verdicts[v["claim"]] = {
            "outcome": v["outcome"], "notes": v.get("notes", []),
            "checks": [{k: c.get(k) for k in ("name", "measured", "bound", "passed", "p_value")}
                       for c in v["checks"]],
            "devices": v.get("tables", {}).get("where it ran", []),
            "epochs_trained": v["epochs_trained"], "epochs_reused": v["epochs_reused"],
            "seconds": v["seconds"]}
    return {"tier": doc["tier"], "environment": doc["environment"], "command": doc["command"],
            "verdicts": verdicts}


def step_determinism(plan: Plan, work: Path, timeout: float) -> dict:
    """Three processes, so that equal numbers are not one process's state: (1) the run in a fresh
    store; (2) the run in another fresh store, and in a third with a checkpoint after each epoch,
    whose final entry is then deleted; (3) the run resumed there from epoch 2 (mid-phase)."""
    deadline = time.perf_counter() + timeout
    if not (work / "data" / "cifar10.npz").is_file():  # the claim step's, when it ran
        write_fake_cifar(work / "data", plan.n_train, plan.n_test, plan.image)

    def part(name: str) -> dict:
        left = max(10.0, deadline - time.perf_counter())
        return self_step("determinism", work / f"determinism-{name}.json", plan, work, left,
                         ["--part", name])

    with ThreadPoolExecutor(2) as pool:  # (1) and (2) side by side
        runs = dict(zip(("fresh", "again"), pool.map(part, ("fresh", "again"))))
    if all(r["rc"] == 0 for r in runs.values()):
        runs["resume"] = part("resume")
    out = {"parts": {k: {f: r[f] for f in ("command", "rc", "timed_out", "seconds")}
                     for k, r in runs.items()}}
    failed = [r for r in runs.values() if r["rc"] != 0 or r["result"] is None]
    if failed or "resume" not in runs:
        out.update(passed=False, rc=failed[0]["rc"] if failed else None,
                   output_tail=failed[0]["output_tail"] if failed else "")
        return out
    parts = {k: r["result"] for k, r in runs.items()}
    a, b, c, r = (parts["fresh"]["metrics"], parts["again"]["metrics"],
                  parts["again"]["checkpointed"], parts["resume"]["metrics"])
    out["result"] = {
        "spec": parts["fresh"]["spec"], "backend": parts["fresh"]["backend"], "metrics": a,
        "repeat_equal": a == b == c, "resume_equal": r == a,
        "resumed_from": parts["resume"]["resumed_from"],
        "resumed_epochs_trained": parts["resume"]["epochs_trained"],
        "first_difference": {name: first_difference(a, other)
                             for name, other in (("again", b), ("checkpointed", c), ("resumed", r))
                             if first_difference(a, other)}}
    res = out["result"]
    out["passed"] = res["repeat_equal"] and res["resume_equal"] and res["resumed_from"] == 2
    print(f"{res['spec']}: two fresh stores equal {a == b}, checkpointed every epoch equal "
          f"{a == c}, resumed from epoch {res['resumed_from']} equal {r == a}")
    return out


def write_fake_cifar(directory: Path, n_train: int, n_test: int, size: int) -> Path:
    if str(ROOT) not in sys.path:  # run as a script: the repository is not on the path
        sys.path.insert(0, str(ROOT))
    from repro.synthetic import write_fake_cifar as write

    return write(directory, n_train, n_test, size)


# -- the in-process steps, run as `gpu_check.py --inner STEP` --------------------------------

def inner_device() -> dict:
    import platform
    from importlib import metadata

    import torch

    modules = {}
    for name in DEPENDENCIES:  # installed distributions, by their metadata: no slow imports
        try:
            modules[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            modules[name] = "missing"
    info = {"python": sys.executable, "python_version": platform.python_version(),
            "torch": torch.__version__, "cuda_available": torch.cuda.is_available(),
            "cuda": torch.version.cuda, "cudnn": torch.backends.cudnn.version(),
            "cpus": os.cpu_count(), "machine": platform.platform(), "modules": modules,
            "devices": []}
    for i in range(torch.cuda.device_count() if info["cuda_available"] else 0):
        p = torch.cuda.get_device_properties(i)
        free, total = torch.cuda.mem_get_info(i)
        info["devices"].append({"index": i, "name": p.name, "capability": f"{p.major}.{p.minor}",
                                "memory_total_gib": total / 2**30,
                                "memory_free_gib": free / 2**30})
    for key in ("python_version", "torch", "cuda_available", "cuda", "cudnn", "cpus"):
        print(f"{key}: {info[key]}")
    for d in info["devices"]:
        print(f"cuda:{d['index']}: {d['name']} (sm {d['capability']}), "
              f"{d['memory_free_gib']:.1f} of {d['memory_total_gib']:.1f} GiB free")
    print("modules: " + ", ".join(f"{k} {v}" for k, v in modules.items()))
    return info


def inner_determinism(plan: Plan, work: Path, part: str) -> dict:
    """One part of the determinism step (see `step_determinism`): 1 blurred epoch, then 2 clean."""
    from repro.config import RunSpec
    from repro.engine import Context, get_run
    from repro.store import RunStore
    from repro.tiers import PAPER

    sizes = {k: tuple(v) if isinstance(v, list) else v for k, v in plan.sizes.items()}
    spec = RunSpec(phases=((1, "blur"), (2, None)), seed=0, **{**PAPER.base, **sizes})

    def ctx(name: str, **kw) -> Context:
        return Context(RunStore(work / name), data_dir=str(work / "data"), device=plan.device,
                       **kw)

    def ok(result):
        if result.status != "ok":
            raise RuntimeError(f"{spec.label()}: {result.status} {result.reason}")
        return result

    out = {"spec": spec.label()}
    if part == "fresh":
        c = ctx("det-fresh")
        out.update(metrics=ok(get_run(spec, c)).metrics, backend=c.backend.identity())
    elif part == "again":
        out["metrics"] = ok(get_run(spec, ctx("det-again"))).metrics
        c = ctx("det-resume", checkpoint_every=1)
        mid = c.key(spec.truncate(2))  # a periodic checkpoint: kept only when asked
        out["checkpointed"] = ok(get_run(spec, c, keep=frozenset({mid}))).metrics
        c.store.discard(c.key(spec))
    else:
        res = ok(get_run(spec, ctx("det-resume", checkpoint_every=1)))
        out.update(metrics=res.metrics, resumed_from=res.resumed_from,
                   epochs_trained=res.epochs_trained)
    return out


def first_difference(a: list[dict], b: list[dict]) -> dict | None:
    for i, (ra, rb) in enumerate(zip(a, b)):
        for k in ra:
            if ra[k] != rb.get(k):
                return {"epoch": i + 1, "metric": k, "a": ra[k], "b": rb.get(k)}
    return None if len(a) == len(b) else {"epochs": [len(a), len(b)]}


def inner(args) -> int:
    plan, work = Plan(args.cpu_dry, 0), Path(args.work)
    if plan.dry:
        import torch

        torch.set_num_threads(1)
    result = (inner_device() if args.inner == "device"
              else inner_determinism(plan, work, args.part))
    Path(args.result).write_text(json.dumps(result, indent=1, default=str))
    return 0


# -- the check -------------------------------------------------------------------------------

def default_out() -> Path:
    out = os.environ.get("OUT")
    return Path(out) / "gpu_check.json" if out else Path.cwd() / "gpu_check.json"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cpu-dry", action="store_true",
                   help="the same steps on the CPU at tiny sizes, in about a minute")
    p.add_argument("--out", default=None, metavar="PATH",
                   help="summary JSON (default $OUT/gpu_check.json, else ./gpu_check.json)")
    p.add_argument("--work", default=None, metavar="DIR",
                   help="data, stores and reports, kept (default: a temporary directory, removed "
                        "at the end; the summary and the claims' report are kept)")
    p.add_argument("--steps", default=",".join(STEPS), help=f"a subset of {','.join(STEPS)}")
    p.add_argument("--budget", type=float, default=360, metavar="S",
                   help="seconds for the whole check (default 360): each step's timeout leaves "
                        "the steps after it their least time")
    p.add_argument("--claim-args", default="", metavar="ARGS",
                   help="more pytest options for the claim step, e.g. '--precision tf32'")
    p.add_argument("--inner", choices=("device", "determinism"), help=argparse.SUPPRESS)
    p.add_argument("--result", help=argparse.SUPPRESS)
    p.add_argument("--part", choices=("fresh", "again", "resume"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.inner:
        return inner(args)

    chosen = [s for s in STEPS if s in args.steps.split(",")]
    unknown = set(args.steps.split(",")) - set(STEPS) - {""}
    if unknown:
        p.error(f"unknown steps {', '.join(sorted(unknown))}; known: {', '.join(STEPS)}")
    plan = Plan(args.cpu_dry, args.budget)
    out_path = Path(args.out) if args.out else default_out()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    work = Path(args.work or tempfile.mkdtemp(prefix="repro-gpu-check-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        return check(plan, work, out_path, args, chosen)
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)


def check(plan: Plan, work: Path, out_path: Path, args, chosen: list[str]) -> int:
    steps = {
        "device": lambda t: step_device(plan, work, t),
        "bench": lambda t: step_bench(plan, work, t),
        "claim": lambda t: step_claim(plan, work, t, shlex.split(args.claim_args)),
        "determinism": lambda t: step_determinism(plan, work, t),
    }
    summary = {"check": "gpu-check", "mode": "cpu-dry" if plan.dry else "gpu",
               "python": sys.executable, "root": str(ROOT), "work": str(work),
               "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "steps": {}}
    t0 = time.perf_counter()
    for i, name in enumerate(chosen):
        timeout = plan.timeout(name, chosen[i + 1 :])
        print(f"== {name} (timeout {timeout:.0f} s) ==", flush=True)
        t = time.perf_counter()
        try:
            result = steps[name](timeout)
        except Exception as err:  # a broken step is a failed step; the others still run
            result = {"passed": False, "error": f"{type(err).__name__}: {err}"}
        result["seconds"] = time.perf_counter() - t
        summary["steps"][name] = result
        if Path(result.get("report", "")).is_file():  # small: beside the summary
            shutil.copyfile(result["report"], out_path.with_name("gpu_check_REPORT.md"))
        summary["seconds"] = time.perf_counter() - t0
        summary["passed"] = all(s["passed"] for s in summary["steps"].values())
        write_json(out_path, summary)
        print(f"== {name}: {'passed' if result['passed'] else 'FAILED'} in "
              f"{result['seconds']:.0f} s {result.get('note', '')}", flush=True)
    print(f"gpu-check ({summary['mode']}): "
          + ", ".join(f"{n} {'ok' if s['passed'] else 'FAILED'} ({s['seconds']:.0f} s)"
                      for n, s in summary["steps"].items())
          + f"; {summary['seconds']:.0f} s in all; summary {out_path}"
          + (f"; work files {work}" if args.work else ""))
    return 0 if summary["passed"] else 1


def write_json(path: Path, doc: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(doc, indent=1, default=str))
    tmp.replace(path)


if __name__ == "__main__":
    sys.exit(main())
