"""Compare two reports' results.json: every verdict, check and per-epoch run metric.

    python -m repro.compare reports/smoke/results.json other/results.json

Bookkeeping (keys, timings, what was trained or reused, provenance) is ignored; tables, notes
and figures are presentation and are not compared. A test evaluation present in one report and
absent in the other is counted apart, not as a difference: reports written before records were
made a function of their spec alone carried a stored prefix's extra evaluations. A per-epoch field
one report records and the other does not (a newer engine's, such as "steps") is named, not
compared. Exit code 1 when anything else differs.
"""
from __future__ import annotations

import sys

from .report import load_results

CHECK_FIELDS = ("name", "measured", "bound", "passed", "ci", "p_value", "effect_size", "n")
TEST_FIELDS = ("test_loss", "test_acc")
ONE_SIDED: set[str] = set()  # per-epoch fields found in one report's rows only


def runs_by_label(v: dict) -> dict[str, dict]:
    """A verdict's runs by label, direct runs of older reports in today's form."""
    return dict(_normal(r) for r in v["runs"])


def _normal(r: dict) -> tuple[str, dict]:
    m = r["metrics"]
    if r["label"].startswith("matrix completion") and "final_test_mse" in m:
        label = f"matrix completion depth {r['config']['depth']} T=" + ",".join(
            map(str, r["switch_at"])) + f" seed={r['seed']}"
        return label, {"final": m["final_test_mse"], "trace": m["test_mse_trace"],
                       "prefix": m["first_phase_trace"]}
    if r["label"].startswith("multipathway seed"):
        return f"multipathway gate at {r['gate_onset']} seed={r['seed']}", m
    return r["label"], m


def compare(a: dict, b: dict) -> tuple[list[str], int]:
    """(differences, test evaluations present in only one of the two)."""
    out, only_one = [], 0
    va = {v["claim"]: v for v in a["verdicts"]}
    vb = {v["claim"]: v for v in b["verdicts"]}
    out += [f"claim only in one report: {c}" for c in sorted(set(va) ^ set(vb))]
    for c in sorted(set(va) & set(vb)):
        x, y = va[c], vb[c]
        if x["outcome"] != y["outcome"]:
            out.append(f"{c}: outcome {x['outcome']} -> {y['outcome']}")
        cx = [[ck.get(f) for f in CHECK_FIELDS] for ck in x["checks"]]
        cy = [[ck.get(f) for f in CHECK_FIELDS] for ck in y["checks"]]
        if cx != cy:
            out.append(f"{c}: checks {cx} -> {cy}")
        rx, ry = runs_by_label(x), runs_by_label(y)
        out += [f"{c}: run only in one report: {r}" for r in sorted(set(rx) ^ set(ry))]
        for label in sorted(set(rx) & set(ry)):
            diff, n = _metrics(rx[label], ry[label])
            only_one += n
            out += [f"{c}: {label}: {d}" for d in diff]
    return out, only_one


def _metrics(ma, mb) -> tuple[list[str], int]:
    if isinstance(ma, dict) and isinstance(mb, dict):  # a direct run: what both recorded
        return [f"{k} differs" for k in sorted(set(ma) & set(mb)) if ma[k] != mb[k]], 0
    if not (isinstance(ma, list) and isinstance(mb, list)):
        return ([] if ma == mb else ["metrics differ"]), 0
    if len(ma) != len(mb):
        return [f"{len(ma)} epochs -> {len(mb)}"], 0
    out, only_one = [], 0
    for ra, rb in zip(ma, mb):
        for k in sorted(set(ra) | set(rb)):
            x, y = ra.get(k), rb.get(k)
            if k in TEST_FIELDS and (x is None) != (y is None):
                only_one += 1
            elif (k in ra) != (k in rb):
                ONE_SIDED.add(k)  # a field one engine version records and the other does not
            elif x != y:
                out.append(f"epoch {ra.get('epoch')} {k}: {x} -> {y}")
    return out, only_one


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    a, b = (load_results(p) for p in argv)
    diffs, only_one = compare(a, b)
    for d in diffs:
        print(d)
    print(f"{len(a['verdicts'])} and {len(b['verdicts'])} claims compared: {len(diffs)} "
          f"differences; {only_one} test evaluations in one report only"
          + (f"; fields recorded in one report only (not compared): {', '.join(sorted(ONE_SIDED))}"
             if ONE_SIDED else ""))
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
