"""Tiers: the training settings a claim's runs start from.

- smoke: CPU in minutes. CIFAR-10, a class-balanced 10k-image subset at 16x16, the 24k-parameter
  conv3 net; one smoke epoch stands for 10 paper epochs, so the per-epoch decay is 0.97**10. The
  test set is evaluated at phase boundaries only (the claims use final accuracies): ~15 % faster.
  Chosen by measurement on 2 CPU cores (PROTOCOL.md, "Tier scaling" and "Measurements").
- paper: the paper's settings: full CIFAR-10 at 32x32, All-CNN with BatchNorm at widths 96/192,
  SGD batch 128, lr 0.05 decayed by 0.97 per epoch, weight decay 0.001. For GPUs.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tier:
    name: str
    base: dict  # RunSpec fields shared by every run of the tier
    seeds: tuple[int, ...]
    paper_epochs_per_epoch: int  # how many paper epochs one epoch of this tier stands for
    description: str = ""

    def __post_init__(self):
        if not self.seeds:
            raise ValueError(f"tier {self.name!r} has no seeds: its claims would have no runs")


SMOKE = Tier(
    name="smoke",
    base=dict(dataset="cifar10", model="conv3", train_size=10_000, resolution=16, lr=0.05,
              lr_schedule="exponential", lr_decay=0.97**10, momentum=0.9, weight_decay=5e-4,
              batch_size=128, augment=True, test_every=0),
    seeds=(0, 1, 2),
    paper_epochs_per_epoch=10,
    description="CIFAR-10 10k-image subset at 16x16, conv3 (16/32/64), 1 epoch = 10 paper epochs",
)

PAPER = Tier(
    name="paper",
    base=dict(dataset="cifar10", model="allcnn", train_size=None, resolution=None, lr=0.05,
              lr_schedule="exponential", lr_decay=0.97, momentum=0.9, weight_decay=1e-3,
              batch_size=128, augment=True),
    seeds=(0, 1, 2),
    paper_epochs_per_epoch=1,
    description="CIFAR-10 at 32x32, All-CNN with BatchNorm (96/192), the paper's schedule",
)

TIERS = {t.name: t for t in (SMOKE, PAPER)}


def get_tier(name: str) -> Tier:
    try:
        return TIERS[name]
    except KeyError:
        raise ValueError(f"unknown tier {name!r}; known: {', '.join(TIERS)}") from None
