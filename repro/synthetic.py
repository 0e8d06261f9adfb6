"""Synthetic CIFAR- and MNIST-shaped data for the tests and `make gpu-check`: learnable in a few
epochs, since each class has its own mean colour (23 levels apart per channel) under pixel noise
of 30."""
from __future__ import annotations

from pathlib import Path

import numpy as np


def write_fake_cifar(directory: Path, n_train: int = 200, n_test: int = 100, size: int = 8,
                     seed: int = 0, name: str = "cifar10") -> Path:
    """`directory`/cifar10.npz (x as [N, size, size, 3] uint8, labels 0-9 in turn); with
    name="mnist", `directory`/mnist.npz, one channel ([N, size, size])."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)

    def make(n):
        y = np.arange(n) % 10
        base = (y[:, None, None, None] * 23 + np.array([40, 80, 120])) % 256
        x = np.clip(base + rng.normal(0, 30, (n, size, size, 3)), 0, 255).astype(np.uint8)
        return x, y.astype(np.uint8)

    (xtr, ytr), (xte, yte) = make(n_train), make(n_test)
    if name == "mnist":
        xtr, xte = xtr[..., 0], xte[..., 0]
    np.savez(directory / f"{name}.npz", x_train=xtr, y_train=ytr, x_test=xte, y_test=yte)
    return directory
