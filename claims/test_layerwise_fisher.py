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
from dataclasses import dataclass

import numpy as np
from torch import nn

from claims.test_blur_deficit import SETTINGS as BLUR
from repro.figures import line, panel, panels
from repro.harness import claim
from repro.stats import expect_paired_gain


@dataclass(frozen=True)
class Layerwise:
    remove_at: int  # T: the blur claim's largest
    clean_epochs: int  # N
    probe: int  # clean training images the Fisher is measured on


SETTINGS = {tier: Layerwise(BLUR[tier].remove_at[-1], BLUR[tier].clean_epochs, probe)
            for tier, probe in (("smoke", 500), ("paper", 1000))}

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
       paper_value="mostly intermediate layers without a deficit, top layers with one [approx]",
       settings=SETTINGS, expected_failures=XFAIL)
def test_blur_moves_fisher_to_the_top_layers(harness):
    s = harness.setting
    runs = harness.train({"no deficit": [(s.clean_epochs, None)],
                          "blur": [(s.remove_at, "blur"), (s.clean_epochs, None)]})
    networks = {"no deficit, end": runs["no deficit"].specs(),
                f"blur, at removal (epoch {s.remove_at})": [b.truncate(s.remove_at)
                                                            for b in runs["blur"].specs()],
                "blur, end": runs["blur"].specs()}
    fishers = {name: [harness.fisher_at(spec, s.probe) for spec in specs]
               for name, specs in networks.items()}
    groups = layer_groups(harness.model_at(networks["no deficit, end"][0])[0])
    shares = {k: np.array([top_share(f["fisher_layers"], groups) for f in v])
              for k, v in fishers.items()}
    harness.record(judge(*shares.values()), **report(fishers, shares, groups, s))


def report(fishers: dict, shares: dict, groups: list[list[str]], s: Layerwise) -> dict:
    rows = []
    for name, fs in fishers.items():
        for kind in ("fisher_layers", "fisher_weighted_layers"):
            per = np.array([[sum(f[kind].get(x, 0.0) for x in g) for g in groups] for f in fs])
            share = (per / per.sum(1, keepdims=True)).mean(0)
            rows.append({"network": name, "trace": kind.replace("_layers", ""),
                         **{f"L{i + 1} {g[0]}": v for i, (g, v) in enumerate(zip(groups, share))}})
    layers = list(range(1, len(groups) + 1))
    fig = panels(panel("share of tr F per layer", "weight layer (input to output)", "share", *(
        line(name, layers, [r[k] for k in r if k.startswith("L")])
        for name, r in zip(fishers, [r for r in rows if r["trace"] == "fisher"]))))
    notes = [f"Top half: the last {math.ceil(len(groups) / 2)} of {len(groups)} weight layers. "
             f"Exact model Fisher on {s.probe} clean training images. Mean top-half share: "
             + ", ".join(f"{k} {v.mean():.3f}" for k, v in shares.items()) + "."]
    return {"notes": notes, "figure": fig,
            "tables": {"share of the Fisher trace per layer (mean over seeds)": rows}}
