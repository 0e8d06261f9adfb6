"""The schedule that keeps plasticity, shared by the claims that the learning-rate confound
would otherwise decide (PROTOCOL.md, "Our choices, and why").

A branch trains `onset` clean epochs, then `deficit_epochs` under a deficit, at the constant
initial rate, then `clean_epochs` clean epochs on the tier's annealed schedule restarted from its
first epoch: every branch ends with the no-deficit baseline's own schedule, so a late removal is
not a removal at a learning rate near zero. The matched control of a branch replaces its deficit
with clean data (the same rates, the same number of steps).
"""
from __future__ import annotations

from dataclasses import dataclass

from repro.harness import Run


@dataclass(frozen=True)
class Plastic:
    deficit_epochs: int  # T of a deficit, and the length of a sensitivity window
    clean_epochs: int  # N: annealed clean epochs after removal (the baseline's whole schedule)
    onsets: tuple[int, ...]  # window onsets


SETTINGS = {
    # 1 smoke epoch = 10 paper epochs: T = 40, onsets 0/40/80 paper epochs; N = 12 anneals the
    # rate to 2.6 % of its start (paper: 0.8 %), in minutes on 2 cores (PROTOCOL.md, Part 2)
    # power at seed base 3000 (PROTOCOL.md, Measurements, "Power at seed base 3000"): flip - blur
    # 0.96, flip 1.00, window peak 1.00, clean switch 1.00 at 3 seeds; the failing checks of the
    # expected failures pass there with probability 0.00
    "smoke": Plastic(deficit_epochs=4, clean_epochs=12, onsets=(0, 4, 8)),
    "paper": Plastic(deficit_epochs=40, clean_epochs=160, onsets=(0, 20, 40, 80, 120)),
}


def branch(s: Plastic, deficit: str, onset: int = 0) -> Run:
    """`onset` clean epochs, T under `deficit` at the constant rate, N annealed clean epochs."""
    return Run([(onset, "clean"), (s.deficit_epochs, deficit), (s.clean_epochs, None)],
               lr_schedule="restart")


def baseline(s: Plastic) -> Run:
    """No deficit: the annealed schedule alone, N epochs."""
    return Run([(s.clean_epochs, None)])
