"""Measuring a run for the session: the measurements of the longer runs that continue it.

Measurements are no part of a run's identity (config.MEASUREMENTS), and a stored prefix is reused
only where it holds what the continuing run measures (engine._measured). So when a run that
measures little trains first (the warm start's 40 clean epochs) and a run that continues it
measures more (the Fisher run's traces over those epochs), the second would train the shared
epochs again. A run trained here therefore measures, over its own epochs, what every planned run
of the session that starts with its whole training asks for; its own record keeps only its own
measurements (engine.get_run, `measure`).
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable

from .config import RunSpec


def for_session(spec: RunSpec, planned: Iterable[RunSpec], tag: str) -> RunSpec:
    """`spec` measuring also what each of `planned` that continues its training (the same key
    over `spec`'s epochs, `tag` being the device and data tag of the keys) measures there."""
    n, key = spec.total_epochs, spec.key(tag)
    out = spec
    for other in planned:
        if ((other.seed, other.model, other.dataset) == (spec.seed, spec.model, spec.dataset)
                and other.total_epochs >= n and other.truncate(n).key(tag) == key):
            out = merged(out, other.truncate(n))
    return out


def merged(a: RunSpec, b: RunSpec) -> RunSpec:
    """`a` measuring what `b` (the same training) measures as well. Fisher traces of another
    probe or estimator than `a`'s own would need fields of their own in a row: those of `b` are
    then left out (its run measures them itself)."""
    test_every = math.gcd(a.test_every, b.test_every)  # every epoch either evaluates at
    a_fisher, b_fisher = bool(a.fisher_at or a.fisher_steps), bool(b.fisher_at or b.fisher_steps)
    same = (a.fisher_probe, a.fisher_estimator) == (b.fisher_probe, b.fisher_estimator)
    if not b_fisher or (a_fisher and not same):
        return dataclasses.replace(a, test_every=test_every)
    return dataclasses.replace(a, test_every=test_every,
                               fisher_at=tuple(sorted({*a.fisher_at, *b.fisher_at})),
                               fisher_steps=tuple(sorted({*a.fisher_steps, *b.fisher_steps})),
                               fisher_probe=b.fisher_probe, fisher_estimator=b.fisher_estimator)
