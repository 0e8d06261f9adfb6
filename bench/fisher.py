"""Fisher trace: the harness's vectorised estimator against a per-example loop.

Same model, same probe, same estimator (the exact model Fisher, expectation over the classes):
the loop takes one autograd backward pass per (example, class), as a straightforward
implementation would; repro.fisher takes one batched pass per class with per-layer taps, and the
torch.func (vmap) path is timed too. Prints both values and, on the last line, the speed ratio
loop / vectorised.

    python bench/fisher.py [--model conv3] [--probe 256] [--data-dir ../shared/data]
    python bench/fisher.py --tiny    # seconds: widths 4/8, a probe of 20 synthetic 8x8 images
"""
from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F

from repro.data import load_dataset
from repro.engine import to_input
from repro.fisher import fisher_trace, probe_indices
from repro.models import build_model


def loop_trace(model, x) -> float:
    model.eval()
    total = 0.0
    for i in range(len(x)):
        xi = x[i : i + 1]
        with torch.no_grad():
            p = F.softmax(model(xi), 1)[0]
        for c in range(len(p)):
            model.zero_grad(set_to_none=True)
            F.log_softmax(model(xi), 1)[0, c].backward()
            total += p[c].item() * sum(q.grad.square().sum().item() for q in model.parameters())
    model.zero_grad(set_to_none=True)
    return total / len(x)


def timed(fn, repeat=1):
    fn()  # warm-up
    t = time.perf_counter()
    for _ in range(repeat):
        out = fn()
    return out, (time.perf_counter() - t) / repeat


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="conv3")
    ap.add_argument("--width", type=int, nargs="*", default=None)
    ap.add_argument("--probe", type=int, default=None, help="default 256 (--tiny 20)")
    ap.add_argument("--resolution", type=int, default=None, help="default 16 (--tiny 8)")
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--tiny", action="store_true",
                    help="seconds: widths 4/8, 200 synthetic 8x8 images, a probe of 20")
    args = ap.parse_args(argv)
    if not args.tiny:
        run(args.model, args.width or [], args.probe or 256, args.resolution or 16,
            args.data_dir, train_size=10_000)
        return
    import _tiny

    with _tiny.fake_data() as data_dir:
        run(args.model, args.width or list(_tiny.RUN["width"]), args.probe or 20,
            args.resolution or _tiny.IMAGE, data_dir, train_size=_tiny.RUN["train_size"])


def run(model_name: str, width: list[int], probe: int, resolution: int, data_dir: str | None,
        train_size: int) -> None:
    torch.manual_seed(0)
    data = load_dataset("cifar10", data_dir, train_size=train_size, resolution=resolution,
                        device=torch.device("cpu"), download=False)
    model = build_model(model_name, tuple(data.train.x.shape[1:]), 10, tuple(width))
    model = model.to(memory_format=torch.channels_last)
    # a few steps of training so the predictions are not uniform
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    for i in range(0, min(2560, len(data.train.y)), 128):
        x = to_input(data.train.x[i : i + 128], data, True)
        loss = F.cross_entropy(model(x), data.train.y[i : i + 128])
        opt.zero_grad()
        loss.backward()
        opt.step()
    idx = probe_indices(data.train.y, probe, 10)
    x = to_input(data.train.x[idx], data, True)
    print(f"model {model_name}, {sum(p.numel() for p in model.parameters())} parameters, probe "
          f"{probe} images at {resolution}x{resolution}, exact estimator, "
          f"{torch.get_num_threads()} threads")
    taps, t_taps = timed(lambda: fisher_trace(model, x, estimator="exact", method="taps").total, 3)
    func, t_func = timed(lambda: fisher_trace(model, x, estimator="exact", method="func").total)
    loop, t_loop = timed(lambda: loop_trace(model, x))
    for name, v, t in (("per-example loop", loop, t_loop), ("repro taps", taps, t_taps),
                       ("repro torch.func", func, t_func)):
        print(f"{name:18s} tr F = {v:.6g}   {t:8.3f} s")
    rel = max(abs(taps - loop), abs(func - loop)) / loop
    print(f"largest relative difference to the loop: {rel:.2e} (float32; the estimator is exact, "
          "so there is no sampling error)")
    print(f"ratio: {t_loop / t_taps:.1f}x")
    if not rel <= 1e-4:  # float32 sums in another order differ by about 1e-8
        raise SystemExit(f"the vectorised traces differ from the loop's by {rel:.2e}")


if __name__ == "__main__":
    main()
