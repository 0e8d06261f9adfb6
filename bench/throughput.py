"""Training images per second: the harness's engine against the common pipeline, in one run.

engine:   repro.engine.train_epoch: the training set as one uint8 tensor on the device, batch
          augmentation by one gather (repro.augment), normalisation fused into one multiply-add,
          channels_last.
common:   the usual recipe: a torch DataLoader over a Dataset of PIL images with per-sample
          torchvision transforms (RandomCrop with padding, RandomHorizontalFlip, ToTensor,
          Normalize), an NCHW model, loss.item() per step.

Same model (same initial weights), same data, same optimiser, same device, same number of
steps (whole epochs of the same training set). One warm-up epoch of each is excluded, and the
timed epochs alternate between the two so that load from other processes hits both alike. The
two give the same distribution of augmented batches: tests/test_augment.py checks it.

    flock /tmp/repro-cpu.lock python bench/throughput.py                  # smoke tier's conv3
    flock /tmp/repro-cpu.lock python bench/throughput.py --model allcnn --width 16 32 \
        --resolution 32                                                     # narrow All-CNN
    python bench/throughput.py --tiny       # seconds: widths 4/8 on 200 synthetic 8x8 images
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

from repro.data import Dataset, Split, load_dataset
from repro.engine import _build, train_epoch
from repro.tiers import SMOKE


def common_transform(size: int, pad: int, mean, std):
    """The per-sample augmentation of the usual CIFAR recipe, on PIL images."""
    from torchvision import transforms as T

    return T.Compose([T.RandomCrop(size, padding=pad), T.RandomHorizontalFlip(),
                      T.ToTensor(), T.Normalize(mean, std)])


class ImageDataset(torch.utils.data.Dataset):
    """The usual torchvision-style dataset: uint8 HWC arrays, one PIL image per item."""

    def __init__(self, x_hwc: np.ndarray, y: np.ndarray, transform):
        self.x, self.y, self.transform = x_hwc, y, transform

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        from PIL import Image

        img = self.x[i]
        img = Image.fromarray(img[..., 0] if img.shape[-1] == 1 else img)
        return self.transform(img), int(self.y[i])


def common_epoch(model, opt, loader, device) -> float:
    model.train()
    total = 0.0
    for xb, yb in loader:
        x, y = xb.to(device, non_blocking=True), yb.to(device, non_blocking=True)
        out = model(x)
        loss = F.cross_entropy(out, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        total += loss.item() * len(y)
    return total


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default=SMOKE.base["model"])
    p.add_argument("--width", type=int, nargs="*", default=None,
                   help="model widths (default: the model's paper widths; --tiny 4 8)")
    p.add_argument("--resolution", type=int, default=None,
                   help=f"default {SMOKE.base['resolution']} (--tiny: the images' own 8)")
    p.add_argument("--train-size", type=int, default=None,
                   help=f"default {SMOKE.base['train_size']} (--tiny 200)")
    p.add_argument("--epochs", type=int, default=None,
                   help="timed epochs of each, after warm-up (default 2, --tiny 1)")
    p.add_argument("--workers", type=int, default=0,
                   help="DataLoader worker processes for the common pipeline")
    p.add_argument("--data-dir", default=os.environ.get("REPRO_DATA_DIR", "../shared/data"))
    p.add_argument("--device", default="cpu")
    p.add_argument("--tiny", action="store_true",
                   help="seconds: widths 4/8 on 200 synthetic 8x8 images, 1 timed epoch")
    args = p.parse_args(argv)
    if not args.tiny:
        args.width = args.width or []
        args.resolution = args.resolution or SMOKE.base["resolution"]
        args.train_size = args.train_size or SMOKE.base["train_size"]
        args.epochs = args.epochs or 2
        compare(args)
        return
    import _tiny

    args.width = args.width or list(_tiny.RUN["width"])
    args.train_size = args.train_size or _tiny.RUN["train_size"]
    args.epochs = args.epochs or 1
    with _tiny.fake_data() as data_dir:
        args.data_dir = data_dir
        compare(args)


def compare(args) -> None:
    device = torch.device(args.device)
    spec = dataclasses.replace(
        _smoke_spec(), model=args.model, width=tuple(args.width), resolution=args.resolution,
        train_size=args.train_size)
    data = load_dataset(spec.dataset, args.data_dir, train_size=spec.train_size,
                        resolution=spec.resolution, device=device)
    n = len(data.train.y)
    # Evaluation is not training: the engine's epoch evaluates on one test batch only.
    data = dataclasses.replace(data, test=Split(data.test.x[:100], data.test.y[:100]))

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {device}, "
          f"{os.cpu_count()} CPUs, load average (1 min) {os.getloadavg()[0]:.2f}")
    print(f"model {spec.model} width {spec.width or 'paper'}, {n} images at "
          f"{spec.resolution or 'native'} px, batch {spec.batch_size}, "
          f"{args.epochs} timed epochs ({args.epochs * -(-n // spec.batch_size)} steps) each")

    engine, common = _engine_epochs(spec, data, device), _common_epochs(spec, data, device,
                                                                        args.workers)
    next(engine), next(common)  # warm-up epoch of each (and worker start-up), not timed
    spent = {"engine": 0.0, "common": 0.0}
    for _ in range(args.epochs):  # interleaved, so that load from elsewhere hits both alike
        for name, epochs in (("engine", engine), ("common", common)):
            t0 = time.perf_counter()
            next(epochs)
            _sync(device)
            spent[name] += time.perf_counter() - t0
    engine_ips, common_ips = (args.epochs * n / spent[k] for k in ("engine", "common"))
    print(f"engine (one tensor, batch augmentation, channels_last): {engine_ips:,.0f} img/s")
    print(f"common (DataLoader, per-sample torchvision transforms, {args.workers} workers): "
          f"{common_ips:,.0f} img/s")
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.2f}")
    print(f"ratio: {engine_ips / common_ips:.2f}x")


def _smoke_spec():
    from repro.config import RunSpec

    return RunSpec(phases=((100, None),), seed=0, **SMOKE.base)


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _engine_epochs(spec, data: Dataset, device):
    """Epochs of the harness's engine, one per next()."""
    model, opt = _build(spec, data, device)
    e = 0
    while True:
        train_epoch(model, opt, data, spec, e, device)
        e += 1
        yield


def _common_epochs(spec, data: Dataset, device, workers: int):
    """Epochs of the common pipeline on the same model, weights and images, one per next()."""
    model, opt = _build(spec, data, device)
    model = model.to(memory_format=torch.contiguous_format)  # the usual NCHW model
    x = data.train.x.cpu().permute(0, 2, 3, 1).contiguous().numpy()
    y = data.train.y.cpu().numpy()
    size, pad = x.shape[1], x.shape[1] // 8
    tf = common_transform(size, pad, data.mean.cpu().tolist(), data.std.cpu().tolist())
    loader = torch.utils.data.DataLoader(
        ImageDataset(x, y, tf), batch_size=spec.batch_size, shuffle=True, num_workers=workers,
        pin_memory=device.type == "cuda", persistent_workers=workers > 0,
        generator=torch.Generator().manual_seed(0))
    while True:
        common_epoch(model, opt, loader, device)
        yield


if __name__ == "__main__":
    sys.exit(main())
