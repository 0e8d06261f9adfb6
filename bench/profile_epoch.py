"""Where a training epoch's time goes: torch.profiler over one smoke-tier epoch of the engine,
the top operators by self time, and the share of the step that is not a network operator
(data gather, augmentation, normalisation, optimizer, host work).

    flock /tmp/repro-cpu.lock python bench/profile_epoch.py [--threads 1] [--model allcnn ...]
"""
from __future__ import annotations

import argparse
import dataclasses
import os

import torch
from torch.profiler import ProfilerActivity, profile

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
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    spec = RunSpec(phases=((3, None),), seed=0, **{**SMOKE.base, "model": args.model,
                                                     "width": tuple(args.width)})
    device = torch.device("cpu")
    data = load_dataset(spec.dataset, args.data_dir, train_size=spec.train_size,
                        resolution=spec.resolution, device=device)
    data = dataclasses.replace(data, test=dataclasses.replace(data.test, x=data.test.x[:100],
                                                              y=data.test.y[:100]))
    model, opt = _build(spec, data, device)
    train_epoch(model, opt, data, spec, 0, device)  # warm-up
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        train_epoch(model, opt, data, spec, 1, device)
    events = prof.key_averages()
    total = sum(e.self_cpu_time_total for e in events)
    print(f"{spec.model} {spec.width or 'paper widths'}, {len(data.train.y)} images at "
          f"{spec.resolution} px, batch {spec.batch_size}, {args.threads} thread(s): "
          f"{total / 1e6:.2f} s of operator time in one epoch")
    print(events.table(sort_by="self_cpu_time_total", row_limit=args.rows))
    network = sum(e.self_cpu_time_total for e in events
                  if any(k in e.key for k in NETWORK))
    print(f"network operators (forward and backward): {100 * network / total:.0f} % of the "
          f"epoch; the rest (gather, augmentation, normalisation, optimizer, bookkeeping): "
          f"{100 * (1 - network / total):.0f} %")


if __name__ == "__main__":
    main()
