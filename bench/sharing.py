"""Prefix sharing: the epochs the paper tier's sweeps need with and without it, then a smoke-sized
sweep trained both ways with the same final numbers.

Runs that share a prefix of phases (the blur of a removal sweep, the clean trunk of a window
sweep) share the checkpoints of that prefix in the run store, so each shared epoch is trained
once. Part 1 plans the paper tier with repro.harness.plan (nothing is trained); part 2 trains a
tiny sweep once through one store (what the harness does) and once with a fresh store per run
(no sharing), and compares every per-epoch metric.

    flock /tmp/repro-cpu.lock python bench/sharing.py
    python bench/sharing.py --tiny     # seconds: the sweep at widths 4/8 on synthetic 8x8 images

The last line is `ratio: shared / unshared epochs` over the paper tier's removal and window sweeps.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the claims/ package of this checkout

from repro.config import RunSpec
from repro.engine import Context, get_run
from repro.harness import Harness, PlanOnly
from repro.plan import plan
from repro.store import RunStore
from repro.tiers import PAPER, SMOKE

# The paper's window experiment (Achille et al. 2019, Fig. 3: the sensitivity to a 40-epoch blur
# window as a function of its onset): a 40-epoch blur window starting at epoch t, then 160 clean
# epochs, against a clean run of the same length (the learning rate decays through the run and is
# never reset, so only an equal-length clean run ends at the same rate). Used only while
# claims/test_sensitivity_window.py does not exist: this is the bench's reading of the paper, not
# a claim's declared runs.
WINDOW_ONSETS = tuple(range(0, 141, 20))
WINDOW_EPOCHS, WINDOW_CLEAN = 40, 160


def claim_plans(module_name: str) -> list[tuple[str, dict]] | None:
    """(claim, plan) of each claim check in claims/<module>, at the paper tier, by a dry run of
    the check itself: the runs are exactly those the claim declares. None if there is no module."""
    try:
        mod = importlib.import_module(f"claims.{module_name}")
    except ModuleNotFoundError:
        return None
    out = []
    for name, fn in vars(mod).items():
        inner = getattr(fn, "__wrapped__", None)
        call = getattr(fn, "_repro_claim", None)  # what the plugin's planning calls
        if not (name.startswith("test_") and inner and call):
            continue
        for params in fn._repro_params:  # one call per pytest item (protocol)
            h = Harness(PAPER, None, 0, dry_run=True, node=None)
            try:
                call(harness=h, **params)
            except PlanOnly:
                label = "[" + params["protocol"] + "]" if params else ""
                out.append((f"claims/{module_name}.py::{name}{label}", h.plan.to_json()))
    return out


def window_specs(tier=PAPER) -> list[RunSpec]:
    specs = []
    for seed in tier.seeds:
        for t in WINDOW_ONSETS:
            specs.append(RunSpec(phases=((t, None), (WINDOW_EPOCHS, "blur"), (WINDOW_CLEAN, None)),
                                 seed=seed, **tier.base))
            specs.append(RunSpec(phases=((t + WINDOW_EPOCHS + WINDOW_CLEAN, None),), seed=seed,
                                 **tier.base))
    return specs


def paper_plans() -> list[tuple[str, dict]]:
    plans = claim_plans("test_blur_deficit") or []
    window = claim_plans("test_sensitivity_window")
    if window:
        plans += window
    else:
        name = (f"window sweep as read from the paper by this bench (no claim file yet): "
                f"{WINDOW_EPOCHS}-epoch blur at onsets {WINDOW_ONSETS[0]}..{WINDOW_ONSETS[-1]} "
                f"step {WINDOW_ONSETS[1]}, then {WINDOW_CLEAN} clean; clean runs of equal length")
        plans.append((name, plan(window_specs(), None).to_json()))
    return plans


def smoke_specs(**overrides) -> list[RunSpec]:
    """A tiny sweep of the smoke tier with both kinds of sharing: blur removed at T = 0/2/4 then 2
    clean epochs; a 2-epoch blur window at onsets 0/2 then 2 clean, with equal-length clean runs.
    `overrides`: RunSpec fields in place of the smoke tier's (--tiny: a smaller network)."""
    def spec(phases):
        return RunSpec(phases=phases, seed=0, **{**SMOKE.base, **overrides})

    removal = [spec(((t, "blur"), (2, None))) for t in (0, 2, 4)]
    window = [spec(((t, None), (2, "blur"), (2, None))) for t in (0, 2)]
    clean = [spec(((t + 4, None),)) for t in (0, 2)]
    return removal + window + clean


def train_both_ways(specs: list[RunSpec], data_dir: str | None) -> None:
    with tempfile.TemporaryDirectory(prefix="repro-sharing-") as tmp:
        t0 = time.perf_counter()
        ctx = Context(store=RunStore(Path(tmp) / "shared"), data_dir=data_dir)
        shared = Harness(SMOKE, ctx, 0, dry_run=False, node=None).runs(specs)
        t_shared = time.perf_counter() - t0
        t0 = time.perf_counter()
        alone = [get_run(s, Context(store=RunStore(Path(tmp) / f"alone-{i}"), data_dir=data_dir))
                 for i, s in enumerate(specs)]
        t_alone = time.perf_counter() - t0
    print(f"{'run':48} {'final test acc (shared)':>24} {'(fresh store)':>14}  identical")
    same_all = True
    for a, b in zip(shared, alone):
        same = a.metrics == b.metrics  # every per-epoch metric, exactly
        same_all &= same
        print(f"{a.spec.label():48} {a.final('test_acc'):24.4f} {b.final('test_acc'):14.4f}  "
              f"{'yes' if same else 'NO'}")
    n_shared = sum(r.epochs_trained for r in shared)
    n_alone = sum(r.epochs_trained for r in alone)
    print(f"one store: {n_shared} epochs trained in {t_shared:.0f} s; a fresh store per run: "
          f"{n_alone} epochs in {t_alone:.0f} s; every per-epoch metric identical: "
          f"{'yes' if same_all else 'NO'}")
    if not same_all:
        raise SystemExit("prefix sharing changed the numbers")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default=os.environ.get("REPRO_DATA_DIR", "../shared/data"))
    p.add_argument("--no-train", action="store_true", help="plan only, skip the smoke sweep")
    p.add_argument("--tiny", action="store_true",
                   help="seconds: the sweep at widths 4/8 on 200 synthetic 8x8 images (the plan "
                        "is the paper tier's either way: nothing of it is trained)")
    args = p.parse_args(argv)

    if args.tiny and not args.no_train:
        import _tiny

        print("== tiny sweep, trained with one store and with a fresh store per run")
        with _tiny.fake_data() as data_dir:
            train_both_ways(smoke_specs(**_tiny.RUN), data_dir)
        print()
    elif not args.no_train:
        print("== smoke-sized sweep, trained with one store and with a fresh store per run")
        train_both_ways(smoke_specs(), args.data_dir)
        print()
    print(f"== paper tier ({PAPER.description}), planned: epochs without / with prefix sharing")
    total = shared = 0
    for name, pl in paper_plans():
        print(f"{name}: {pl['runs']} runs, {pl['epochs_total']} epochs unshared, "
              f"{pl['epochs_shared']} shared, ratio {pl['epochs_shared'] / pl['epochs_total']:.3f}")
        total += pl["epochs_total"]
        shared += pl["epochs_shared"]
    print(f"removal and window sweeps: {total} epochs unshared, {shared} shared")
    print(f"ratio: {shared / total:.3f}")


if __name__ == "__main__":
    sys.exit(main())
