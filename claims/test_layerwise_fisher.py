"""Achille, Rovere, Soatto 2019, Fig. 5: where the Fisher information sits, layer by layer.

Without a deficit most of the Fisher information sits in the intermediate layers; after a long blur
deficit it has moved towards the top layers, and it stays there after the deficit is removed
[approx]. Measured on the networks the blur claim stores anyway (no extra training): the blur run
at the end of its deficit and at its end, each against its matched control at the same epoch
(clean data, the same rates), same seeds. The share of the trace (exact model Fisher, fixed probe
of clean training images) in the top half of the weight layers (each BatchNorm counted with the
layer it normalises) is compared. Judged under both protocols (repro.protocols); the networks at
removal are the same under both.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from torch import nn

from repro.figures import line, panel, panels
from repro.harness import claim
from repro.protocols import sweep
from repro.stats import expect_paired_gain


@dataclass(frozen=True)
class Layerwise:
    remove_at: int  # T: the blur claim's largest
    clean_epochs: int  # N
    probe: int  # clean training images the Fisher is measured on


SETTINGS = {  # the blur claim's largest T and its N at each tier
    "smoke": Layerwise(remove_at=16, clean_epochs=16, probe=500),
    "paper": Layerwise(remove_at=160, clean_epochs=160, probe=1000),
}

MIN_SHIFT = 0.05
XFAIL = {
    "smoke": "measured at seed base 5000, apart from the claim's seeds, against matched "
             "controls: with 4 weight layers the top-half share at removal is 0.324 for blur "
             "and 0.343 for the matched control (-0.019 [-0.085, 0.046], power 0.00 against the "
             "5-point bound); at the end +0.050 [0.023, 0.078] under the paper's schedule and "
             "+0.013 [-0.043, 0.070] with the rate restarted: the share does not move up at "
             "removal at this scale (earlier, against the no-deficit run: -0.006 at removal)",
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


def judge(share_control_at_removal, share_blur_at_removal, share_control_end, share_blur_end):
    return [
        expect_paired_gain(share_blur_at_removal, share_control_at_removal, at_least=MIN_SHIFT,
                           name="top-half share at removal, blur - matched control",
                           reason=REASON),
        expect_paired_gain(share_blur_end, share_control_end, at_least=MIN_SHIFT,
                           name="top-half share at the end, blur - matched control",
                           reason=REASON + "; 'and it stays' after removal"),
    ]


@claim("achille2019/layerwise-fisher-moves-up", paper="Achille, Rovere, Soatto 2019, Fig. 5",
       statement="A long blur deficit moves the Fisher information towards the top layers, and "
                 "it stays there after the deficit is removed.",
       paper_value="mostly intermediate layers without a deficit, top layers with one [approx]",
       settings=SETTINGS, expected_failures=XFAIL, protocols=True)
def test_blur_moves_fisher_to_the_top_layers(harness, protocol):
    s = harness.setting
    t = s.remove_at
    runs = harness.train(sweep(protocol, {"blur": (t,)}, s.clean_epochs))
    networks = {f"matched control at epoch {t}": [c.truncate(t) for c in runs["clean"].specs()],
                f"blur at removal (epoch {t})": [b.truncate(t) for b in runs["blur"].specs()],
                "matched control, end": runs["clean"].specs(),
                "blur, end": runs["blur"].specs()}
    fishers = {name: [harness.fisher_at(spec, s.probe) for spec in specs]
               for name, specs in networks.items()}
    groups = layer_groups(harness.model_at(networks["blur, end"][0])[0])
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
