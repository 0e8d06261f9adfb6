"""Where a training epoch's time goes: torch.profiler over one smoke-tier epoch of the engine,
the top operators by self time, and the share of the step that is not a network operator
(data gather, augmentation, normalisation, optimizer, host work).

    flock /tmp/repro-cpu.lock python bench/profile_epoch.py [--threads 1] [--model allcnn ...]
    python bench/profile_epoch.py --tiny   # seconds: widths 4/8 on 200 synthetic 8x8 images
"""
from __future__ import annotations

import argparse
import dataclasses
import os

import torch
from torch.profiler import ProfilerActivity
from torch.profiler import profile as profile_cpu

from repro.config import RunSpec
from repro.data import load_dataset
from repro.engine import _build, train_epoch
from repro.tiers import SMOKE

NETWORK = ("convolution", "batch_norm", "threshold", "relu", "max_pool", "addmm", "mm",
           "adaptive_avg_pool", "mean", "log_softmax", "nll_loss", "cross_entropy")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=1, help="the harness's default: 1 per run")
    p.add_argument("--model", default=SMOKE.base["model"])
    p.add_argument("--width", type=int, nargs="*", default=[])
    p.add_argument("--rows", type=int, default=15)
    p.add_argument("--data-dir", default=os.environ.get("REPRO_DATA_DIR", "../shared/data"))
    p.add_argument("--tiny", action="store_true",
                   help="seconds: widths 4/8 on 200 synthetic 8x8 images (the smoke tier's "
                        "other settings)")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    base = {**SMOKE.base, "model": args.model, "width": tuple(args.width)}
    if not args.tiny:
        profile(RunSpec(phases=((3, None),), seed=0, **base), args.data_dir, args)
        return
    import _tiny

    with _tiny.fake_data() as data_dir:
        tiny = {**_tiny.RUN, "width": tuple(args.width) or _tiny.RUN["width"]}
        profile(RunSpec(phases=((3, None),), seed=0, **{**base, **tiny}), data_dir, args)


def profile(spec: RunSpec, data_dir: str, args) -> None:
    device = torch.device("cpu")
    data = load_dataset(spec.dataset, data_dir, train_size=spec.train_size,
                        resolution=spec.resolution, device=device)
    data = dataclasses.replace(data, test=dataclasses.replace(data.test, x=data.test.x[:100],
                                                              y=data.test.y[:100]))
    model, opt = _build(spec, data, device)
    train_epoch(model, opt, data, spec, 0, device)  # warm-up
    with profile_cpu(activities=[ProfilerActivity.CPU]) as prof:
        train_epoch(model, opt, data, spec, 1, device)
    events = prof.key_averages()
    total = sum(e.self_cpu_time_total for e in events)
    print(f"{spec.model} {spec.width or 'paper widths'}, {len(data.train.y)} images at "
          f"{spec.resolution or data.train.x.shape[-1]} px, batch {spec.batch_size}, "
          f"{args.threads} thread(s): {total / 1e6:.2f} s of operator time in one epoch")
    print(events.table(sort_by="self_cpu_time_total", row_limit=args.rows))
    network = sum(e.self_cpu_time_total for e in events
                  if any(k in e.key for k in NETWORK))
    print(f"network operators (forward and backward): {100 * network / total:.0f} % of the "
          f"epoch; the rest (gather, augmentation, normalisation, optimizer, bookkeeping): "
          f"{100 * (1 - network / total):.0f} %")


if __name__ == "__main__":
    main()
