"""reports/<tier>/: REPORT.md (tables by tabulate), results.json (everything), one PNG per claim."""
from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import re
from pathlib import Path

import numpy as np
from tabulate import tabulate

from .data import describe
from .protocols import DESCRIPTION, PROTOCOLS
from .sources import legend
from .verdict import Check, Verdict, explained_by

WORDS = {"pass": "replicated", "fail": "NOT replicated", "error": "error",
         "not run": "not run at this tier", "explained": "NOT replicated: explained by"}


def verdict_word(v: Verdict) -> str:
    word = WORDS[v.outcome]
    if v.outcome == "explained":
        word += " the " + " and ".join(explained_by(v.checks)) + " control"
    if v.expected_failure:
        return word + (" (expected)" if v.outcome in ("fail", "explained")
                       else " (expected not to)")
    return word


def base_claim(v: Verdict) -> str:
    """The claim's id without its protocol parameter."""
    return v.claim.removesuffix(f"[{v.protocol}]") if v.protocol else v.claim


def pair_meaning(outcomes: dict[str, str]) -> str:
    """What a claim's verdicts under the two protocols mean together, in words."""
    pub, rst = outcomes.get("published"), outcomes.get("restart")
    if pub is None or rst is None:
        return "judged under one protocol only in this report"
    if "not run" in (pub, rst) or "error" in (pub, rst):
        return "no pair to read: " + ("not run" if "not run" in (pub, rst) else "an error")
    if "explained" in (pub, rst):
        which = [p for p, o in (("published", pub), ("restart", rst)) if o == "explained"]
        return (f"under {' and '.join(which)} the effect appears, but a control shows it "
                "without the claimed cause: not a replication there")
    if pub == rst == "pass":
        return "replicated under both: the verdict does not hang on the learning-rate schedule"
    if pub == rst:
        return "replicated under neither protocol"
    if pub == "pass":
        return ("replicated under the paper's schedule only, not when the rate restarts at "
                "removal: the verdict depends on the schedule after removal")
    return ("replicated only when the rate restarts at removal, not under the paper's own "
            "schedule: the verdict depends on the schedule after removal")


def protocol_table(verdicts: list[Verdict]) -> str:
    """Each claim judged under both protocols: its two verdicts side by side, and their meaning."""
    by_claim: dict[str, dict[str, Verdict]] = {}
    for v in verdicts:
        if v.protocol:
            by_claim.setdefault(base_claim(v), {})[v.protocol] = v
    rows = [[claim, *(verdict_word(vs[p]) if p in vs else "" for p in PROTOCOLS),
             pair_meaning({p: v.outcome for p, v in vs.items()})]
            for claim, vs in sorted(by_claim.items())]
    return tabulate(rows, headers=["claim", *PROTOCOLS, "what the pair means"],
                    tablefmt="github")


def environment() -> dict:
    import torch

    return {"python": platform.python_version(), "torch": torch.__version__,
            "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores",
            "threads": torch.get_num_threads(),
            "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_initialized() else None}


def write_report(verdicts: list[Verdict], out_dir: Path, tier: str, *, seed_base: int = 0,
                 args=()) -> Path:
    out_dir = Path(out_dir)
    (out_dir / "figures").mkdir(parents=True, exist_ok=True)
    verdicts = sorted(verdicts, key=lambda v: v.claim)
    env = environment()
    when = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    figures = {}
    for v in verdicts:
        if v.figure:
            figures[v.claim] = f"figures/{slug(v.claim)}.png"
            draw_figure(v.figure, out_dir / figures[v.claim], v.claim)
    results = {"tier": tier, "generated": when, "environment": env, "seed_base": seed_base,
               "command": "pytest " + " ".join(args),
               "verdicts": [{**v.to_json(), **({"figure_file": figures[v.claim]}
                                                if v.claim in figures else {})}
                            for v in verdicts]}
    (out_dir / "results.json").write_text(json.dumps(shared_runs(results),
                                                     separators=(",", ":")))
    (out_dir / "REPORT.md").write_text(markdown(results, verdicts, figures))
    return out_dir / "REPORT.md"


def shared_runs(results: dict) -> dict:
    """results.json's form: every run once, under "runs", and each verdict's "runs" the names
    it is stored under (claims share runs; every per-epoch metric of every run made the file 2 MB
    at the smoke tier). A run's name is its key, or key~n where two claims recorded it with
    different measurements."""
    runs: dict[str, dict] = {}

    def name(r: dict) -> str:
        n, i = r["key"], 1
        while n in runs and runs[n] != r:
            i += 1
            n = f"{r['key']}~{i}"
        runs[n] = r
        return n

    verdicts = [{**v, "runs": [name(r) for r in v["runs"]]} for v in results["verdicts"]]
    return {**results, "runs": runs, "verdicts": verdicts}


def load_results(path: Path | str) -> dict:
    """A results.json with each verdict's runs in full (either form)."""
    d = json.loads(Path(path).read_text())
    runs = d.pop("runs", {})
    d["verdicts"] = [{**v, "runs": [runs[r] if isinstance(r, str) else r for r in v["runs"]]}
                     for v in d["verdicts"]]
    return d


def deciding_checks(v: Verdict) -> list[Check]:
    """The checks that decided the verdict: the failed ones first, then the rest."""
    return sorted(v.checks, key=lambda c: c.passed)


def markdown(results: dict, verdicts: list[Verdict], figures: dict[str, str]) -> str:
    env, tier = results["environment"], results["tier"]
    lines = [
        f"# Replication report, tier `{tier}`",
        "",
        f"Generated {results['generated']} by `{results['command']}` on {env['machine']} "
        f"({env['threads']} torch threads), Python {env['python']}, torch {env['torch']}"
        f"{', ' + env['cuda'] if env['cuda'] else ''}; seed base {results['seed_base']}.",
        "Each bound was fixed, with its reason, before the runs (see each claim below and "
        "PROTOCOL.md).",
        legend(),
        "",
    ]
    if any(v.protocol for v in verdicts):
        lines += [
            "## Protocols side by side",
            "",
            "Each deficit claim of Achille et al. is judged under two protocols: `published`, "
            f"{DESCRIPTION['published']}; and `restart`, {DESCRIPTION['restart']}. Every "
            "deficit is compared with its matched control (the same epochs at the same rates, "
            "clean data).",
            "",
            protocol_table(verdicts),
            "",
        ]
    lines += [
        "## Summary",
        "",
        "One row per check, the failed checks of a claim first.",
        "",
    ]
    rows = []
    for v in verdicts:
        checks: list[Check | None] = [*deciding_checks(v)] or [None]
        for i, c in enumerate(checks):
            first = i == 0
            rows.append([v.claim if first else "", v.paper_value if first else "",
                         c.name if c else "", fmt(c.measured) if c else "",
                         fmt_ci(c.ci) if c else "", c.bound if c else "",
                         ("yes" if c.passed else "**no**") if c else "",
                         verdict_word(v) if first else "", len(v.seeds) if first else "",
                         f"{v.epochs_trained} / {v.epochs_reused}" if first else "",
                         f"{v.seconds:.0f} s" if first else ""])
    lines.append(tabulate(rows, headers=["claim", "paper", "check", "measured", "95 % CI",
                                         "bound", "passed", "verdict", "seeds",
                                         "epochs trained / reused", "time"],
                          tablefmt="github"))
    for v in verdicts:
        lines += claim_section(v, figures.get(v.claim))
    return "\n".join(lines) + "\n"


def claim_section(v: Verdict, figure_file: str | None = None) -> list[str]:
    out = ["", f"## {v.claim}: {verdict_word(v)}", "", f"*{v.paper}*: {v.statement}", ""]
    if v.expected_failure:
        out += [f"Expected not to replicate at this tier (strict xfail, decided before the run): "
                f"{v.expected_failure}", ""]
    if v.checks:
        rows = [[c.name, fmt(c.measured), fmt_ci(c.ci), fmt(c.p_value), fmt(c.effect_size),
                 c.bound, "yes" if c.passed else "**no**", c.n, c.reason] for c in v.checks]
        out.append(tabulate(rows, headers=["check", "measured", "95 % CI", "p", "effect size",
                                           "bound", "passed", "n", "why this bound"],
                            tablefmt="github"))
        out.append("")
    out += [f"- {note}" for note in v.notes] + ([""] if v.notes else [])
    for title, table in v.tables.items():
        out += [f"**{title}**", "", tabulate(table, headers="keys", tablefmt="github",
                                             floatfmt=".4g"), ""]
    if figure_file:
        out += [f"![{v.claim}]({figure_file})", ""]
    for d in v.data:
        out += [f"Data: {d['dataset']} from {describe(d)}.", ""]
    if not v.data and v.runs:
        out += ["Data: no dataset file; the runs generate their data from their seeds.", ""]
    if v.device:
        out += ["Trained on: " + ", ".join(f"{k} {val}" for k, val in v.device.items()) + ".", ""]
    out.append(f"Runs: {len(v.runs)}, {v.epochs_trained} epochs trained in this session, "
               f"{v.epochs_reused} reused from the run store.")
    return out


def fmt(x) -> str:
    if x is None:
        return ""
    return f"{x:.3g}" if abs(x) < 1e-2 and x != 0 else f"{x:.4g}"


def fmt_ci(ci) -> str:
    """An interval; none when it is missing or undefined (NaN ends arrive as None from JSON)."""
    if not ci or any(c is None or c != c for c in ci):
        return ""
    return f"[{ci[0]:.3g}, {ci[1]:.3g}]"


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")


def draw_figure(fig: dict, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = fig["panels"]
    f, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 4), squeeze=False)
    for ax, p in zip(axes[0], panels):
        for line in p["lines"]:
            y, yerr = (None if v is None else [np.nan if e is None else e for e in v]
                       for v in (line["y"], line.get("yerr")))  # JSON writes NaN as null
            ax.errorbar(line["x"], y, yerr=yerr, label=line["label"],
                        marker=line.get("marker", "o"), linestyle=line.get("linestyle", "-"),
                        capsize=3)
        ax.set_title(p.get("title", ""), fontsize=10)
        ax.set_xlabel(p.get("xlabel", ""))
        ax.set_ylabel(p.get("ylabel", ""))
        ax.set_yscale(p.get("yscale", "linear"))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    f.suptitle(title, fontsize=11)
    f.tight_layout()
    f.savefig(path, dpi=110)
    plt.close(f)
