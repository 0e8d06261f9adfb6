"""Achille, Rovere, Soatto 2019, Fig. 5: where the Fisher information sits, layer by layer.

Without a deficit most of the Fisher information sits in the intermediate layers; after a long blur
deficit it has moved towards the top layers, and it stays there after the deficit is removed
[figure] (the figure as others describe it; it was not read here). Measured on the networks the
blur claim stores anyway (no extra training): the blur run at the end of its deficit and at its
end, each against its matched control at the same epoch (clean data, the same rates), same
seeds.

How the paper groups its layers was not found (PROTOCOL.md). So no grouping is judged: the
statistic is the information's mean layer position, each weight layer (with the BatchNorm after
it) at its place from 0 (first) to 1 (last), weighted by its share of the trace. Any upward move
raises it, from layers 3-4 into 5 as from 5 into 6-7, where a "top half" share sees only moves
across its boundary. The shares are those of the scale-invariant trace (repro/fisher.py), so that
a layer whose normalised weights weight decay shrank more does not seem to hold more
information; the raw shares are reported beside them, every layer in the report's table. Judged
under both protocols (repro.protocols); the networks at removal are the same under both.
"""
from __future__ import annotations

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
             "controls: with 4 weight layers the mean layer position of the scale-invariant "
             "trace rises by 0.012 [-0.012, 0.037] at removal and by 0.040 [0.027, 0.053] at the "
             "end under the paper's schedule (0.022 [-0.000, 0.044] with the rate restarted), "
             "under the 0.05 bound; the raw trace's the same within 0.01 (PROTOCOL.md, "
             "Measurements, \"Restated claims at seed base 5000\")",
}
REASON = ("the paper shows the shift to the top layers as plainly visible in a per-layer plot, no "
          "number given: the mean layer position of the scale-invariant trace (0 first, 1 last "
          "weight layer) must rise by at least 0.05, e.g. 40 % of the trace moving up one of 9 "
          "layers, same seeds (one-sided paired t-test, 95 %)")
JUDGED, RAW = "fisher_weighted_layers", "fisher_layers"  # scale-invariant, raw


def layer_groups(model: nn.Module) -> list[list[str]]:
    """Weight layers (conv/linear) in forward order, each with the BatchNorm after it."""
    groups: list[list[str]] = []
    for name, m in model.named_modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            groups.append([name])
        elif isinstance(m, nn.modules.batchnorm._BatchNorm) and groups:
            groups[-1].append(name)
    return groups


def layer_shares(layers: dict[str, float], groups: list[list[str]]) -> np.ndarray:
    """Each weight layer's share of the trace (its BatchNorm counted with it)."""
    per = np.array([sum(layers.get(n, 0.0) for n in g) for g in groups])
    return per / per.sum()


def mean_position(layers: dict[str, float], groups: list[list[str]]) -> float:
    """The trace's mean layer position: layer i of L at i / (L - 1), weighted by its share."""
    return float(layer_shares(layers, groups) @ np.linspace(0.0, 1.0, len(groups)))


def judge(control_at_removal, blur_at_removal, control_end, blur_end):
    """Mean layer positions per seed, blur against its matched control at the same epoch."""
    return [
        expect_paired_gain(blur_at_removal, control_at_removal, at_least=MIN_SHIFT,
                           name="mean layer position at removal, blur - matched control",
                           reason=REASON),
        expect_paired_gain(blur_end, control_end, at_least=MIN_SHIFT,
                           name="mean layer position at the end, blur - matched control",
                           reason=REASON + "; 'and it stays' after removal"),
    ]


@claim("achille2019/layerwise-fisher-moves-up", paper="Achille, Rovere, Soatto 2019, Fig. 5",
       statement="A long blur deficit moves the Fisher information towards the top layers, and "
                 "it stays there after the deficit is removed.",
       paper_value="mostly intermediate layers without a deficit, top layers with one [figure]",
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
    position = {kind: {k: np.array([mean_position(f[kind], groups) for f in v])
                       for k, v in fishers.items()} for kind in (JUDGED, RAW)}
    harness.record(judge(*position[JUDGED].values()),
                   **report(fishers, position, groups, s))


def report(fishers: dict, position: dict, groups: list[list[str]], s: Layerwise) -> dict:
    rows = []
    for kind, trace in ((JUDGED, "scale-invariant"), (RAW, "raw")):
        for name, fs in fishers.items():
            share = np.mean([layer_shares(f[kind], groups) for f in fs], axis=0)
            rows.append({"network": name, "trace": trace,
                         "mean layer position": float(position[kind][name].mean()),
                         **{f"L{i + 1}": v for i, v in enumerate(share)}})
    layers = list(range(1, len(groups) + 1))
    fig = panels(panel("share of the scale-invariant tr F per layer",
                       "weight layer (input to output)", "share", *(
                           line(r["network"], layers, [r[f"L{i}"] for i in layers])
                           for r in rows if r["trace"] == "scale-invariant")))
    raw = judge(*position[RAW].values())
    notes = [f"Weight layers L1-L{len(groups)}: " + ", ".join(
                 f"L{i + 1} {'+'.join(g)}" for i, g in enumerate(groups)) + " (module names; "
             f"each BatchNorm with the layer it normalises). Exact model Fisher on {s.probe} "
             "clean training images.",
             "The raw trace's checks (reported, not judged): " + "; ".join(
                 f"{c.name} {c.measured:.3g} ({'passed' if c.passed else 'failed'})"
                 for c in raw) + "."]
    return {"notes": notes, "figure": fig,
            "tables": {"share of the Fisher trace per layer (mean over seeds)": rows}}
