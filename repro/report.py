"""reports/<tier>/: REPORT.md (tables by tabulate), results.json (everything), one PNG per claim.

A session writes the claims it ran and keeps every other claim's section (repro.sessions)."""
from __future__ import annotations

import json
import logging
import os
import platform
import re
from pathlib import Path

import numpy as np
from tabulate import tabulate

from .backend import cpu_model
from .data import describe
from .protocols import DESCRIPTION, PROTOCOLS
from .sessions import describe_session, located, merge, session_info, stamp
from .sources import legend
from .store import atomic_write
from .verdict import Check, Verdict, explained_by

log = logging.getLogger("repro.report")

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

    cuda = torch.cuda.get_device_name(0) if torch.cuda.is_initialized() else None
    return {"python": platform.python_version(), "torch": torch.__version__,
            "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores",
            "threads": torch.get_num_threads(), "cuda": cuda,
            "device": f"cuda ({cuda})" if cuda else
                      f"cpu ({cpu_model()}, {os.cpu_count()} cores)"}


def write_report(verdicts: list[Verdict], out_dir: Path, tier: str, *, seed_base: int = 0,
                 args=(), device: str | None = None, rootdir: Path | None = None,
                 complete_files: frozenset[str] = frozenset()) -> Path:
    """Write this session's verdicts into the report in `out_dir`, keeping the sections of
    every other claim it holds (repro.sessions.merge) and their figures as they are."""
    out_dir = Path(out_dir)
    (out_dir / "figures").mkdir(parents=True, exist_ok=True)
    env = environment()
    session = session_info(seed_base, "pytest " + " ".join(args), device or env["device"],
                           rootdir)
    new = [stamp(v, session, rootdir, out_dir) for v in verdicts]
    prior, prior_figures = read_prior(out_dir / "results.json", tier)
    ran = {v.claim for v in new}
    merged = merge(prior, new, out_dir, frozenset(
        p for f in complete_files if (p := located(rootdir, f, out_dir)) is not None))
    figures = {}
    for v in merged:
        if v.claim in ran and v.figure:
            figures[v.claim] = f"figures/{slug(v.claim)}.png"
            draw_figure(v.figure, out_dir / figures[v.claim], v.claim)
        elif v.claim not in ran and v.claim in prior_figures \
                and (out_dir / prior_figures[v.claim]).is_file():
            figures[v.claim] = prior_figures[v.claim]
    for png in (out_dir / "figures").glob("*.png"):
        if f"figures/{png.name}" not in figures.values():
            png.unlink()  # a claim no longer in the report
    sessions = list({json.dumps(v.session, sort_keys=True): v.session
                     for v in merged if v.session}.values())
    results = {"tier": tier, "generated": session["generated"], "environment": env,
               "seed_base": seed_base, "command": session["command"],
               "sessions": sorted(sessions, key=lambda s: s["generated"]),
               "verdicts": [{**v.to_json(), **({"figure_file": figures[v.claim]}
                                                if v.claim in figures else {})}
                            for v in merged]}
    atomic_write(out_dir / "results.json",
                 json.dumps(shared_runs(results), separators=(",", ":")).encode())
    atomic_write(out_dir / "REPORT.md", markdown(results, merged, figures).encode())
    return out_dir / "REPORT.md"


def read_prior(path: Path, tier: str) -> tuple[list[Verdict], dict[str, str]]:
    """The verdicts a report already holds, and their figure files; none when there is no
    report of this tier there, or it cannot be read (then it is written anew, with a warning)."""
    if not path.is_file():
        return [], {}
    try:
        d = load_results(path)
        if d.get("tier") != tier:
            return [], {}
        return ([Verdict.from_json(v) for v in d["verdicts"]],
                {v["claim"]: v["figure_file"] for v in d["verdicts"] if "figure_file" in v})
    except (OSError, ValueError, KeyError, TypeError) as err:
        log.warning("%s cannot be read (%s): the report is written from this session's claims "
                    "alone", path, err)
        return [], {}


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
    tier = results["tier"]
    sessions = results.get("sessions") or []
    counts = {json.dumps(s, sort_keys=True): 0 for s in sessions}
    for v in verdicts:
        if v.session:
            counts[json.dumps(v.session, sort_keys=True)] += 1
    lines = [f"# Replication report, tier `{tier}`", "",
             "Written by these sessions; each claim's section names the one that produced it:", ""]
    lines += [f"- {describe_session(s)}: {counts[json.dumps(s, sort_keys=True)]} claim(s)"
              for s in sessions]
    unrecorded = sum(1 for v in verdicts if not v.session)
    if unrecorded:
        lines.append(f"- earlier sessions that did not record themselves: {unrecorded} claim(s)")
    stale = sum(1 for v in verdicts if v.stale)
    lines += ["", *([f"{stale} section(s) are stale (their claim's code changed since, or "
                     "was not recorded): each says so."] if stale else []),
              "Each bound was fixed, with its reason, before the runs (see each claim below and "
              "PROTOCOL.md).",
              legend(), ""]
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
                         c.name if c else "", measured_cell(c) if c else "",
                         ci_cell(c) if c else "", c.bound if c else "",
                         ("yes" if c.passed else "**no**") if c else "",
                         verdict_cell(v) if first else "", len(v.seeds) if first else "",
                         trained_cell(v) if first else "",
                         f"{v.seconds:.0f} s" if first else ""])
    lines.append(tabulate(rows, headers=["claim", "paper", "check", "measured", "95 % CI",
                                         "bound", "passed", "verdict", "seeds",
                                         "epochs trained / reused", "time"],
                          tablefmt="github"))
    for v in verdicts:
        lines += claim_section(v, figures.get(v.claim))
    return "\n".join(lines) + "\n"


def verdict_cell(v: Verdict) -> str:
    return verdict_word(v) + (" (stale)" if v.stale else "")


def is_direct(v: Verdict) -> bool:
    """Whether the claim's runs are direct runs (full-batch steps, repro.direct)."""
    return bool(v.runs) and all(isinstance(r.get("spec"), dict) and r["spec"].get("direct")
                                for r in v.runs)


def trained_cell(v: Verdict) -> str:
    return f"{v.epochs_trained} / {v.epochs_reused}" + (" steps" if is_direct(v) else "")


def deterministic(c: Check) -> bool:
    """Whether the seeds agree to the digits the report shows: no interval to give."""
    return (c.ci is not None and c.measured is not None and fmt_ci(c.ci) != ""
            and f"{c.ci[0]:.3g}" == f"{c.ci[1]:.3g}")


def measured_cell(c: Check) -> str:
    if c.measured is None:  # NaN in the verdict, null in JSON
        return "undefined: not a number (a run diverged, or the statistic divides by zero)"
    return fmt(c.measured)


def ci_cell(c: Check) -> str:
    if deterministic(c):
        return f"none: the {c.n} values agree to 3 digits"
    return fmt_ci(c.ci)


def claim_section(v: Verdict, figure_file: str | None = None) -> list[str]:
    out = ["", f"## {v.claim}: {verdict_cell(v)}", ""]
    if v.stale:
        out += [f"**Stale:** {v.stale}.", ""]
    out += [f"*{v.paper}*: {v.statement}", ""]
    if v.expected_failure:
        out += [f"Expected not to replicate at this tier (strict xfail, decided before the run): "
                f"{v.expected_failure}", ""]
    if v.checks:
        rows = [[c.name, measured_cell(c), ci_cell(c), fmt(c.p_value),
                 "" if deterministic(c) else fmt(c.effect_size),
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
    unit = "full-batch steps" if is_direct(v) else "epochs"
    out.append(f"Runs: {len(v.runs)}, {v.epochs_trained} {unit} trained in this session, "
               f"{v.epochs_reused} reused from the run store.")
    if v.session:
        out += ["", f"Session: {describe_session(v.session)}."]
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
    """The panels side by side; arms on a categorical axis named by arm where a panel has them;
    legends outside the axes, clear of the data."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = fig["panels"]
    f, axes = plt.subplots(1, len(panels), figsize=(6.5 * len(panels), 4), squeeze=False,
                           layout="constrained")
    for ax, p in zip(axes[0], panels):
        for line in p["lines"]:
            y, yerr = (None if v is None else [np.nan if e is None else e for e in v]
                       for v in (line["y"], line.get("yerr")))  # JSON writes NaN as null
            ax.errorbar(line["x"], y, yerr=yerr, label=line["label"],
                        marker=line.get("marker", "o"), linestyle=line.get("linestyle", "-"),
                        capsize=3, **({"color": line["color"]} if "color" in line else {}))
        if "xticks" in p:
            ax.set_xticks(p["xticks"]["positions"], p["xticks"]["labels"], rotation=15)
            ax.set_xlim(-0.5, len(p["xticks"]["positions"]) - 0.35)
        ax.set_title(p.get("title", ""), fontsize=10)
        ax.set_xlabel(p.get("xlabel", ""))
        ax.set_ylabel(p.get("ylabel", ""))
        ax.set_yscale(p.get("yscale", "linear"))
        ax.grid(alpha=0.3)
        if p.get("legend", True):
            ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    f.suptitle(title, fontsize=11)
    f.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(f)
