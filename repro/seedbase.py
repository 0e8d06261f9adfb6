"""Do the verdicts hang on the seeds? The tier's verdicts at several seed bases, side by side.

    make seed-bases BASES="1000 2000"      # runs the tier at each base, then this
    python -m repro.seedbase reports/smoke/results.json reports/seed-base-1000/results.json ...
    python -m repro.seedbase --common ...   # only the claims every report has

A claim whose verdict differs between seed bases has too little power for its bound: its seed
count or its setting must change (repro.power). Prints every claim's verdict per base, then the
claims whose verdicts differ; exit code 1 when there is one.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from tabulate import tabulate


def verdicts(path: Path) -> tuple[int, dict[str, str]]:
    d = json.loads(path.read_text())
    return d.get("seed_base", 0), {v["claim"]: v["outcome"] for v in d["verdicts"]}


def differing(reports: list[tuple[int, dict[str, str]]]) -> list[str]:
    """Claims whose outcome is not the same in every report (a claim missing from one differs)."""
    claims = sorted(set().union(*(v for _, v in reports)))
    return [c for c in claims if len({v.get(c, "missing") for _, v in reports}) > 1]


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    # --common: compare the claims every report has (a session that ran some claims at other
    # bases); the others are listed as not compared, never as agreeing
    common = "--common" in args
    paths = [Path(p) for p in args if p != "--common"]
    if len(paths) < 2:
        print(__doc__)
        return 2
    reports = [verdicts(p) for p in paths]
    if common:
        shared = set.intersection(*(set(v) for _, v in reports))
        left = sorted(set().union(*(v for _, v in reports)) - shared)
        if left:
            print(f"not compared (missing from some report): {', '.join(left)}\n")
        reports = [(b, {c: o for c, o in v.items() if c in shared}) for b, v in reports]
    claims = sorted(set().union(*(v for _, v in reports)))
    rows = [[c, *(v.get(c, "missing") for _, v in reports)] for c in claims]
    print(tabulate(rows, headers=["claim", *(f"seed base {b}" for b, _ in reports)],
                   tablefmt="github"))
    bad = differing(reports)
    print()
    if not bad:
        print(f"{len(claims)} claims: the same verdict at every seed base "
              f"({', '.join(str(b) for b, _ in reports)})")
        return 0
    print(f"{len(bad)} of {len(claims)} claims with a verdict that differs between seed bases:")
    for c in bad:
        print(f"  {c}: " + ", ".join(f"{b}: {v.get(c, 'missing')}" for b, v in reports))
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
