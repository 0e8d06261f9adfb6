"""Achille, Rovere, Soatto 2019, Fig. 5: where the Fisher information sits, layer by layer.

Without a deficit most of the Fisher information sits in the intermediate layers; after a long blur
deficit it has moved towards the top layers, and it stays there after the deficit is removed
[approx]. Measured on the networks the blur claim stores anyway (no extra training): the blur run
at the end of its deficit and at its end, against the no-deficit run at its end, same seeds. The
share of the trace (exact model Fisher, fixed probe of clean training images) in the top half of
the weight layers (each BatchNorm counted with the layer it normalises) is compared.
"""
from __future__ import annotations

import math

import numpy as np
from torch import nn

from claims.test_blur_deficit import SETTINGS as BLUR
from repro.harness import claim
from repro.stats import expect_paired_gain, mean_sd

PROBE = {"smoke": 500, "paper": 1000}
MIN_SHIFT = 0.05
XFAIL = {
    "smoke": "measured in the first smoke run (3 seeds): with 4 weight layers the blur deficit "
             "moves Fisher out of the first layer (share 0.19 -> 0.09) into the second, not to "
             "the top half: top-half share 0.343 without deficit, 0.337 at removal (-0.006), 0.392 "
             "at the end (+0.049, p = 0.013, just under the 5-point bound); on one thread per run "
             "(the same seeds, other rounding): +0.005 [-0.045, 0.054] at removal, +0.059 "
             "[0.048, 0.069] at the end: the share grows only after removal; the bound was not "
             "changed",
}
REASON = ("the paper shows the shift to the top layers as plainly visible in a per-layer plot, no "
          "number given: the top-half share must grow by at least 5 percentage points, same seeds "
          "(one-sided paired t-test, 95 %)")


def layer_groups(model: nn.Module) -> list[list[str]]:
    """Weight layers (conv/linear) in forward order, each with the BatchNorm after it."""
    groups: list[list[str]] = []
    for name, m in model.named_modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            groups.append([name])
        elif isinstance(m, nn.modules.batchnorm._BatchNorm) and groups:
            groups[-1].append(name)
    return groups


def top_share(layers: dict[str, float], groups: list[list[str]]) -> float:
    top = groups[len(groups) - math.ceil(len(groups) / 2):]
    return sum(layers.get(n, 0.0) for g in top for n in g) / sum(layers.values())


def judge(share_clean, share_blur_end_of_deficit, share_blur_final):
    return [
        expect_paired_gain(share_blur_end_of_deficit, share_clean, at_least=MIN_SHIFT,
                           name="top-half share, blur at removal - no deficit", reason=REASON),
        expect_paired_gain(share_blur_final, share_clean, at_least=MIN_SHIFT,
                           name="top-half share, blur at the end - no deficit", reason=REASON
                           + "; 'and it stays' after removal"),
    ]


@claim("achille2019/layerwise-fisher-moves-up", paper="Achille, Rovere, Soatto 2019, Fig. 5",
       statement="A long blur deficit moves the Fisher information towards the top layers, and "
                 "it stays there after the deficit is removed.",
       paper_value="mostly intermediate layers without a deficit, top layers with one [approx]")
def test_blur_moves_fisher_to_the_top_layers(harness):
    harness.expect_failure_at(XFAIL)
    s = BLUR[harness.tier.name]
    t, n = s.remove_at[-1], s.clean_epochs
    seeds = harness.seeds
    clean = [harness.spec([(n, None)], seed) for seed in seeds]
    blur = [harness.spec([(t, "blur"), (n, None)], seed) for seed in seeds]
    harness.runs(clean + blur)
    probe = PROBE[harness.tier.name]
    groups = layer_groups(harness.model_at(clean[0])[0])
    at = {"no deficit, end": clean, f"blur, at removal (epoch {t})": [b.truncate(t) for b in blur],
          "blur, end": blur}
    shares, rows = {}, []
    for name, specs in at.items():
        fishers = [harness.fisher_at(spec, probe) for spec in specs]
        shares[name] = np.array([top_share(f["fisher_layers"], groups) for f in fishers])
        for kind in ("fisher_layers", "fisher_weighted_layers"):
            per = np.array([[sum(f[kind].get(x, 0.0) for x in g) for g in groups]
                            for f in fishers])
            share = per / per.sum(1, keepdims=True)
            rows.append({"network": name, "trace": kind.replace("_layers", ""),
                         **{f"L{i + 1} {g[0]}": v for i, (g, v) in
                            enumerate(zip(groups, share.mean(0)))}})
    checks = judge(*shares.values())
    lines = [{"label": name, "x": list(range(1, len(groups) + 1)),
              "y": [r[k] for k in r if k.startswith("L")]}
             for name, r in zip(at, [r for r in rows if r["trace"] == "fisher"])]
    notes = [f"Top half: the last {math.ceil(len(groups) / 2)} of {len(groups)} weight layers. "
             f"Exact model Fisher on {probe} clean training images. Mean top-half share: "
             + ", ".join(f"{k} {mean_sd(v)[0]:.3f}" for k, v in shares.items()) + "."]
    harness.record(checks, notes=notes, tables={"share of the Fisher trace per layer (mean over "
                                                "seeds)": rows},
                   figure={"panels": [{"title": "share of tr F per layer", "xlabel":
                                       "weight layer (input to output)", "ylabel": "share",
                                       "lines": lines}]})
