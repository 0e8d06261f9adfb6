"""Deficits: batch functions of (images, labels, generator), applied after augmentation.

The engine applies them to normalised images. Each commutes with a per-channel affine map (blur
is linear with weights summing to one; flip moves pixels; noise takes each image's own mean and
std), so this equals applying them to [0, 1] images before normalisation.

- blur: the paper's cataract: bilinear downsample to 1/4 of the side (32 -> 8), then bilinear
  upsample back; the downsample is antialiased (as torchvision's Resize on tensors);
- vflip: every image upside down;
- label_permutation: one fixed permutation of the classes, drawn from the run's seed;
- noise: the image replaced by Gaussian noise with the image's own per-channel mean and std;
- clean: no change (marks a switch for the restarted learning-rate schedule).
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

BLUR_FACTOR = 4

Deficit = Callable[[torch.Tensor, torch.Tensor, torch.Generator], tuple[torch.Tensor, torch.Tensor]]


def blur(x: torch.Tensor, y: torch.Tensor, generator=None):
    h, w = x.shape[-2:]
    small = F.interpolate(x, size=(max(1, h // BLUR_FACTOR), max(1, w // BLUR_FACTOR)),
                          mode="bilinear", align_corners=False, antialias=True)
    return F.interpolate(small, size=(h, w), mode="bilinear", align_corners=False), y


def vflip(x: torch.Tensor, y: torch.Tensor, generator=None):
    return x.flip(-2), y


def noise(x: torch.Tensor, y: torch.Tensor, generator: torch.Generator):
    mean = x.mean(dim=(-2, -1), keepdim=True)
    std = x.std(dim=(-2, -1), keepdim=True)
    z = torch.randn(x.shape, generator=generator, device=generator.device).to(x.device)
    return mean + std * z, y


def clean(x: torch.Tensor, y: torch.Tensor, generator=None):
    return x, y


def class_permutation(seed: int, num_classes: int) -> torch.Tensor:
    """The run's fixed label permutation (a derangement is not required: the paper does not)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x1AB3]))
    return torch.from_numpy(rng.permutation(num_classes))


def label_permutation(perm: torch.Tensor) -> Deficit:
    on_device: dict[torch.device, torch.Tensor] = {}  # one copy per device, not one per batch

    def apply(x: torch.Tensor, y: torch.Tensor, generator=None):
        if y.device not in on_device:
            on_device[y.device] = perm.to(y.device)
        return x, on_device[y.device][y]

    return apply


def make_deficit(name: str, seed: int, num_classes: int) -> Deficit:
    if name == "label_permutation":
        return label_permutation(class_permutation(seed, num_classes))
    try:
        return {"blur": blur, "vflip": vflip, "noise": noise, "clean": clean}[name]
    except KeyError:
        raise ValueError(f"unknown deficit {name!r}") from None
