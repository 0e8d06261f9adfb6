"""`repro`: the harness's tools as subcommands. Each tool is also `python -m repro.<tool>`."""
from __future__ import annotations

import sys

import pytest

from . import compare, fingerprint, power, seedbase

CLAIMS_PACKAGE = "repro_claims"  # the installed claims (pyproject: claims/ as repro_claims)
TOOLS = {
    "power": (power.main, "seeds a check needs, by simulation; `power report R.json`: each "
                          "check's power at its seeds"),
    "compare": (compare.main, "two reports' verdicts, checks and per-epoch metrics: "
                              "`compare A/results.json B/results.json`"),
    "seedbase": (seedbase.main, "claims whose verdict differs across seed bases: "
                                "`seedbase R1/results.json R2/results.json ...`"),
    "fingerprint": (fingerprint.main, "a dataset file's pixel fingerprint, as the paper tier "
                                      "checks it: `fingerprint FILE.npz ARRAY [COUNT]`"),
}
PLAN = ("the dry run of the installed claims: each claim's runs, epochs, time here and GPU-hours, "
        "and the data it needs (pytest options pass through: `plan --tier paper`)")


def usage() -> str:
    width = max(map(len, [*TOOLS, "plan"]))
    lines = [f"  {name:<{width}}  {text}" for name, (_, text) in TOOLS.items()]
    lines.append(f"  {'plan':<{width}}  {PLAN}")
    return ("usage: repro COMMAND [ARGS...]\n\n" + (__doc__ or "") + "\n\ncommands:\n"
            + "\n".join(lines) + "\n\n`repro COMMAND --help` for a command's own options.")


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(usage())
        return 0 if args else 2
    command, rest = args[0], args[1:]
    if command == "plan":
        return int(pytest.main(["--pyargs", CLAIMS_PACKAGE, "--dry-run", *rest]))
    if command not in TOOLS:
        print(f"repro: unknown command {command!r}\n\n{usage()}", file=sys.stderr)
        return 2
    return TOOLS[command][0](rest)


if __name__ == "__main__":
    sys.exit(main())
