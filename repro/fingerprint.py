"""`python -m repro.fingerprint FILE.npz [ARRAY [COUNT]]`: the fingerprint of a file's images,
as `repro.data.ORIGINAL_FINGERPRINTS` holds them (how those were computed)."""
from __future__ import annotations

import argparse

import numpy as np

from .data import fingerprint


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m repro.fingerprint")
    ap.add_argument("file")
    ap.add_argument("array", nargs="?", default="x_train")
    ap.add_argument("count", nargs="?", type=int, default=None)
    a = ap.parse_args(argv)
    with np.load(a.file) as d:
        print(fingerprint(d[a.array], a.count))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
