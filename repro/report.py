"""reports/<tier>/: REPORT.md (tables by tabulate), results.json (everything), one PNG per claim."""
from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import re
from pathlib import Path

from tabulate import tabulate

from .verdict import unit_of

WORDS = {"pass": "replicated", "fail": "NOT replicated", "error": "error"}


def verdict_word(v: dict) -> str:
    word = WORDS[v["outcome"]]
    if v.get("expected_failure"):
        return word + (" (expected)" if v["outcome"] == "fail" else " (expected not to)")
    return word


def environment() -> dict:
    import torch

    return {"python": platform.python_version(), "torch": torch.__version__,
            "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores",
            "threads": torch.get_num_threads(),
            "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_initialized() else None}


def write_report(verdicts: list[dict], out_dir: Path, tier: str, *, seed_base: int = 0,
                 args=()) -> Path:
    out_dir = Path(out_dir)
    (out_dir / "figures").mkdir(parents=True, exist_ok=True)
    verdicts = sorted(verdicts, key=lambda v: v["claim"])
    env = environment()
    when = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    for v in verdicts:
        if v.get("figure"):
            v["figure_file"] = f"figures/{slug(v['claim'])}.png"
            draw_figure(v["figure"], out_dir / v["figure_file"], v["claim"])
    results = {"tier": tier, "generated": when, "environment": env, "seed_base": seed_base,
               "command": "pytest " + " ".join(args), "verdicts": verdicts}
    # compact: every per-epoch metric of every run makes it large (1.4 MB at the smoke tier)
    (out_dir / "results.json").write_text(json.dumps(results, separators=(",", ":")))
    (out_dir / "REPORT.md").write_text(markdown(results))
    return out_dir / "REPORT.md"


def markdown(results: dict) -> str:
    env, tier = results["environment"], results["tier"]
    lines = [
        f"# Replication report, tier `{tier}`",
        "",
        f"Generated {results['generated']} by `{results['command']}` on {env['machine']} "
        f"({env['threads']} torch threads), Python {env['python']}, torch {env['torch']}"
        f"{', ' + env['cuda'] if env['cuda'] else ''}; seed base {results['seed_base']}.",
        "Each bound was fixed, with its reason, before the runs (see each claim below and "
        "PROTOCOL.md).",
        "",
        "## Summary",
        "",
    ]
    rows = []
    for v in results["verdicts"]:
        c = v["checks"][0] if v["checks"] else None
        rows.append([v["claim"], v["paper_value"], fmt(c["measured"]) if c else "",
                     fmt_ci(c["ci"]) if c else "", c["bound"] if c else "",
                     verdict_word(v), len(v["seeds"]),
                     f"{v['epochs_trained']} / {v['epochs_reused']} {unit_of(v)}",
                     f"{v['seconds']:.0f} s"])
    lines.append(tabulate(rows, headers=["claim", "paper", "measured", "95 % CI", "bound",
                                         "verdict", "seeds", "trained / reused", "time"],
                          tablefmt="github"))
    for v in results["verdicts"]:
        lines += claim_section(v)
    return "\n".join(lines) + "\n"


def claim_section(v: dict) -> list[str]:
    out = ["", f"## {v['claim']}: {verdict_word(v)}", "",
           f"*{v['paper']}*: {v['statement']}", ""]
    if v.get("expected_failure"):
        out += [f"Expected not to replicate at this tier (strict xfail, decided before the run): "
                f"{v['expected_failure']}", ""]
    if v["checks"]:
        rows = [[c["name"], fmt(c["measured"]), fmt_ci(c["ci"]), fmt(c["p_value"]),
                 fmt(c["effect_size"]), c["bound"], "yes" if c["passed"] else "**no**", c["n"],
                 c["reason"]] for c in v["checks"]]
        out.append(tabulate(rows, headers=["check", "measured", "95 % CI", "p", "effect size",
                                           "bound", "passed", "n", "why this bound"],
                            tablefmt="github"))
        out.append("")
    for note in v.get("notes", []):
        out += [f"- {note}"]
    if v.get("notes"):
        out.append("")
    for title, table in v.get("tables", {}).items():
        out += [f"**{title}**", "", tabulate(table, headers="keys", tablefmt="github",
                                             floatfmt=".4g"), ""]
    if v.get("figure_file"):
        out += [f"![{v['claim']}]({v['figure_file']})", ""]
    for d in v.get("data", []):
        out += [f"Data: {d['dataset']} from `{d['source']}` (SHA-256 {d['digest']}...).", ""]
    if v.get("device"):
        out += ["Trained on: " + ", ".join(f"{k} {val}" for k, val in v["device"].items())
                + ".", ""]
    source = ("computed by an earlier claim of this session" if unit_of(v) == "steps"
              else "from the run store")
    out.append(f"Runs: {len(v['runs'])}, {v['epochs_trained']} {unit_of(v)} trained in this "
               f"session, {v['epochs_reused']} reused ({source}).")
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
            ax.errorbar(line["x"], line["y"], yerr=line.get("yerr"), label=line["label"],
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
