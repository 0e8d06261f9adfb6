"""Batch augmentation on uint8 image tensors: one gather per batch, no per-sample loop.

Equivalent in distribution to torchvision's RandomCrop(size, padding=pad, fill=0) followed by
RandomHorizontalFlip(0.5), applied per image.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def random_crop_flip(x: torch.Tensor, pad: int, generator: torch.Generator) -> torch.Tensor:
    """Pad each image by `pad` zeros, crop back at a uniform offset, flip half horizontally."""
    n, _, h, w = x.shape
    dev = generator.device
    dy = torch.randint(0, 2 * pad + 1, (n,), generator=generator, device=dev).to(x.device)
    dx = torch.randint(0, 2 * pad + 1, (n,), generator=generator, device=dev).to(x.device)
    flip = torch.rand(n, generator=generator, device=dev).to(x.device) < 0.5
    cols = torch.arange(w, device=x.device)
    cols = torch.where(flip[:, None], (w - 1) - cols, cols) + dx[:, None]  # [n, w]
    rows = torch.arange(h, device=x.device) + dy[:, None]  # [n, h]
    padded = F.pad(x, (pad, pad, pad, pad)) if pad else x
    batch = torch.arange(n, device=x.device)[:, None, None]
    out = padded.permute(0, 2, 3, 1)[batch, rows[:, :, None], cols[:, None, :]]  # [n, h, w, c]
    return out.permute(0, 3, 1, 2)

