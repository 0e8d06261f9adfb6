"""A report that sessions update claim by claim: a partial run (`-k`, `--lf`, one file, an
interrupted session) writes the claims it ran and keeps every other claim's section as it was.

Each verdict carries the session that produced it (date, commit, seed base, device, command) and
its claim file's digest at the time. A kept section whose claim file has changed since is marked
stale; one whose file is gone is dropped, as is one that a session which ran its whole file, to
the end, no longer produced (the file no longer declares it).
"""
from __future__ import annotations

import datetime as _dt
import os
import platform
import subprocess
from dataclasses import replace
from pathlib import Path

import torch

from .data import file_digest
from .verdict import Verdict


def session_info(seed_base: int, command: str, device: str, rootdir: Path | None) -> dict:
    """This session, as each section it writes names it."""
    return {"generated": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "commit": commit(rootdir), "seed_base": seed_base, "device": device,
            "command": command, "python": platform.python_version(),
            "torch": torch.__version__}


def commit(rootdir: Path | None) -> str:
    """The checkout's commit, "+changes" when tracked files outside reports/ differ from it;
    "unknown" outside a git checkout."""
    if rootdir is None:
        return "unknown"

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(rootdir), *args], capture_output=True,
                              text=True, timeout=10, check=True).stdout.strip()

    try:
        head = git("rev-parse", "--short", "HEAD")
        changed = git("status", "--porcelain", "--untracked-files=no", "--", ".",
                      ":(exclude)reports")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + ("+changes" if changed else "")


def claim_file(nodeid: str) -> str:
    """The claim's file, relative to the rootdir, from its pytest node id."""
    return nodeid.split("::", 1)[0]


def located(rootdir: Path | None, file: str, out_dir: Path) -> str | None:
    """The claim file's path relative to the report directory: it stays true when a later session
    has another rootdir (run from another folder), as long as the report and claims stay put."""
    if rootdir is None:
        return None
    return Path(os.path.relpath(Path(rootdir, file).resolve(), Path(out_dir).resolve())).as_posix()


def code_digest(path: Path) -> str | None:
    """The first 16 hex digits of the claim file's SHA-256; None when it is not there."""
    return file_digest(path)[:16] if path.is_file() else None


def stamp(v: Verdict, session: dict, rootdir: Path | None, out_dir: Path) -> Verdict:
    """A verdict of this session, with the session and where its claim file is, and its digest."""
    source = dict(v.source)
    path = located(rootdir, source["file"], out_dir) if "file" in source else None
    if path is not None:
        source.update(path=path, sha256=code_digest(Path(out_dir) / path))
    return replace(v, session=session, source=source, stale="")


def merge(prior: list[Verdict], new: list[Verdict], out_dir: Path,
          complete_files: frozenset[str] = frozenset()) -> list[Verdict]:
    """The report's verdicts: this session's, and every prior one it did not replace, each
    marked stale when its claim file changed since; by claim id. `complete_files`: the claim
    files (their `path`s) this session ran whole and to the end."""
    ran = {v.claim for v in new}
    kept: dict[str, Verdict] = {}
    for v in prior:
        if v.claim in ran:
            continue
        path = v.source.get("path")
        if path is None:
            kept[v.claim] = replace(v, stale=v.stale or (
                "written before reports recorded the claim's code: rerun it to refresh it"))
            continue
        digest = code_digest(Path(out_dir) / path)
        if digest is None or path in complete_files:
            continue  # the claim file is gone, or ran whole without it: no longer declared
        file = v.source.get("file", path)
        changed = digest != v.source.get("sha256")
        kept[v.claim] = replace(v, stale=f"`{file}` changed since this section was written: "
                                         f"rerun `pytest {file}` to refresh it") if changed else v
    return sorted([*kept.values(), *new], key=lambda v: v.claim)


def describe_session(s: dict) -> str:
    """A session in a line, for the section it wrote."""
    if not s:
        return "an earlier session (not recorded)"
    return (f"{s['generated']}, commit {s['commit']}, seed base {s['seed_base']}, on "
            f"{s['device']}, Python {s['python']}, torch {s['torch']}, by `{s['command']}`")
