"""Two shortened paper-tier claims for `make gpu-check` (bench/gpu_check.py): the harness end to
end on a GPU box, on the synthetic CIFAR-shaped data the check writes (each class its own mean
colour, plus noise: learnable in a few epochs).

Not claims of the paper: they check that runs train, learn, are stored and shared across xdist
workers on the device, and that verdicts reach the report. Two claim functions, so that both
workers of `-n 2 --gpus 0,0` train; they share the clean runs, which one worker trains and the
other reads from the store (its file lock, across two processes on one GPU).

Sizes: REPRO_GPU_CLAIM_SIZES, a JSON object of RunSpec overrides on top of DEFAULT (the CPU
rehearsal passes narrow widths and a few hundred images).

    python bench/gpu_claim.py --tiny   # both claims under pytest in one process, on the CPU at
                                       # the sizes of gpu_check.py --cpu-dry, in seconds
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np

from repro.harness import claim
from repro.stats import mean_sd
from repro.verdict import Check

SIZES_ENV = "REPRO_GPU_CLAIM_SIZES"
DEFAULT = {"train_size": 2000}
CHANCE = 10.0  # % on 10 balanced classes
ABOVE_CHANCE = 5.0  # points
CHANCE_REASON = ("the synthetic classes differ in mean colour by 23 levels per channel against "
                 "pixel noise of 30: a network that trains at all beats chance (10 %) by far "
                 "more than 5 points within 4 epochs; one that does not is broken")
LOSS_DROP = 0.1
LOSS_REASON = ("the clean run's mean training loss in its last epoch is below that of its first "
               "by at least 0.1 nats (log 10 = 2.3 at the start): training makes progress")


def overrides() -> dict:
    extra = json.loads(os.environ.get(SIZES_ENV) or "{}")
    if "width" in extra:
        extra["width"] = tuple(extra["width"])
    return {**DEFAULT, **extra}


def where(harness) -> list[dict]:
    """Which process and device trained these runs: the xdist worker and its backend."""
    ctx = harness.ctx
    ident = ctx.backend.identity() if ctx is not None else {}
    return [{"worker": os.environ.get("PYTEST_XDIST_WORKER", "main"), "pid": os.getpid(),
             "CUDA_VISIBLE_DEVICES": os.environ.get("CUDA_VISIBLE_DEVICES", ""),
             "device": ctx.device if ctx is not None else "", **ident}]


def runs_of(harness, deficit: str):
    """Per seed: `deficit` for 2 epochs then 2 clean, and 4 clean epochs (the clean runs last,
    so that the two claims train their deficit runs side by side first)."""
    seeds = harness.seeds[:2]
    kw = overrides()
    deficit_runs = [harness.spec([(2, deficit), (2, None)], s, **kw) for s in seeds]
    clean_runs = [harness.spec([(4, None)], s, **kw) for s in seeds]
    results = harness.runs(deficit_runs + clean_runs)
    return results[: len(seeds)], results[len(seeds):]


def final_acc(results) -> np.ndarray:
    return np.array([r.final("test_acc") * 100 for r in results])


def every_seed_at_least(values, bound: float, *, name: str, reason: str) -> Check:
    """The smallest of `values` (one per seed) is at least `bound`. Every seed must pass: with
    two seeds a t-test has too little power for a pass/fail check of the harness."""
    v = np.asarray(values, float)
    return Check(name, float(v.min()), f"every seed >= {bound:g}", bool(v.min() >= bound),
                 reason, n=len(v))


def above_chance(acc, name: str) -> Check:
    return every_seed_at_least(np.asarray(acc) - CHANCE, ABOVE_CHANCE, name=name,
                               reason=CHANCE_REASON)


def accuracy_table(deficit: str, deficit_acc, clean_acc) -> list[dict]:
    rows = []
    for name, acc in ((f"{deficit} 2 + clean 2", deficit_acc), ("clean 4", clean_acc)):
        m, sd = mean_sd(acc)
        rows.append({"runs": name, "seeds": len(acc), "final test acc %": float(m),
                     "sd": float(sd)})
    return rows


@claim("gpu-check/learns-after-blur", paper="none: a check of the harness on a GPU box",
       statement="Runs blurred for 2 epochs then clean for 2, and clean runs of 4 epochs, learn "
                 "the synthetic task well above chance.")
def test_gpu_learns_after_blur(harness):
    blurred, clean = runs_of(harness, "blur")
    b_acc, c_acc = final_acc(blurred), final_acc(clean)
    checks = [above_chance(c_acc, "clean: lowest final test acc over chance (points)"),
              above_chance(b_acc, "blur then clean: lowest final test acc over chance (points)")]
    harness.record(checks, notes=[f"blur drop (reported, not judged): "
                                  f"{float((c_acc - b_acc).mean()):.2f} points"],
                   tables={"final accuracy": accuracy_table("blur", b_acc, c_acc),
                           "where it ran": where(harness)})


@claim("gpu-check/loss-falls", paper="none: a check of the harness on a GPU box",
       statement="A clean run's training loss falls, and runs flipped vertically for 2 epochs "
                 "then clean for 2 learn the synthetic task well above chance.")
def test_gpu_loss_falls(harness):
    flipped, clean = runs_of(harness, "vflip")
    first = np.array([r.metrics[0]["train_loss"] for r in clean])
    last = np.array([r.metrics[-1]["train_loss"] for r in clean])
    checks = [every_seed_at_least(first - last, LOSS_DROP,
                                  name="clean: smallest training loss drop, first epoch to last",
                                  reason=LOSS_REASON),
              above_chance(final_acc(flipped),
                           "vflip then clean: lowest final test acc over chance (points)")]
    harness.record(checks, tables={
        "final accuracy": accuracy_table("vflip", final_acc(flipped), final_acc(clean)),
        "where it ran": where(harness)})


def main(argv=None) -> int:
    """Both claims of this file under `pytest -p repro.plugin --tier paper --paper-on-cpu` in one
    process (no xdist), at the sizes of bench/gpu_check.py's CPU rehearsal, on synthetic data
    and a store in a temporary directory; prints each verdict and fails unless both pass."""
    import argparse
    import subprocess
    import tempfile

    import gpu_check

    p = argparse.ArgumentParser(description=main.__doc__.split(";")[0])
    p.add_argument("--tiny", action="store_true",
                   help="on the CPU in seconds (the only mode here: on a GPU box, "
                        "bench/gpu_check.py runs these claims on two workers sharing GPU 0)")
    args = p.parse_args(argv)
    if not args.tiny:
        p.error("on a GPU box run bench/gpu_check.py (make gpu-check); here: --tiny")
    plan = gpu_check.Plan(dry=True, budget=0)
    tier, tier_args = gpu_check.tier_args(plan)
    with tempfile.TemporaryDirectory(prefix="repro-gpu-claim-") as d:
        work = Path(d)
        data = gpu_check.write_fake_cifar(work / "data", plan.n_train, plan.n_test, plan.image)
        cmd = [sys.executable, "-m", "pytest", "-p", "repro.plugin", str(Path(__file__).resolve()),
               "--data-dir", str(data), "--store", str(work / "store"), "--report",
               str(work / "report"), "-p", "no:cacheprovider", "-q", "--rootdir",
               str(gpu_check.ROOT), *tier_args]
        env = gpu_check.child_env({SIZES_ENV: json.dumps(plan.sizes)})
        rc = subprocess.run(cmd, cwd=gpu_check.ROOT, env=env, check=False).returncode
        doc = gpu_check.read_verdicts(work / "report" / tier / "results.json") or {}
    verdicts = doc.get("verdicts", {})
    for claim_id, v in verdicts.items():
        print(f"{claim_id}: {v['outcome']} ("
              + "; ".join(f"{c['name']} {c['measured']:.3g}" for c in v["checks"]) + ")")
    passed = (rc == 0 and set(verdicts) == set(gpu_check.CLAIM_IDS)
              and all(v["outcome"] == "pass" for v in verdicts.values()))
    print(f"gpu claims: {len(verdicts)} verdicts, "
          + ("every one passed" if passed else f"NOT all passed (pytest exit status {rc})"))
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
