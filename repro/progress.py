"""Progress of a long session: epochs and runs done out of the plan, the rate, the expected end.

Each process that trains (the plain pytest process, or each xdist worker) counts the epochs it
trains and writes its counts to `<dir>/worker-<id>.json`; it also writes the session's plan totals
to `<dir>/plan.json` once it has planned. The process that talks to the terminal (the plain one,
or the xdist controller) reads them every `every` seconds and prints one line. The expected end
weighs epochs by their cost (an All-CNN epoch is not a conv3 epoch), so it holds for mixed plans.
The line is written to a duplicate of the terminal's file descriptor, taken before pytest
captures output, so that it shows while a test runs.
"""
from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any, TextIO

from tqdm import tqdm

from .cost import epoch_macs

_TRACKERS: list[Tracker] = []


def install(tracker: Tracker) -> None:
    """Count this process's epochs (and direct runs) into `tracker`, until `uninstall`."""
    from .engine import EPOCH_LISTENERS

    _TRACKERS.append(tracker)
    EPOCH_LISTENERS.append(tracker)


def uninstall(tracker: Tracker) -> None:
    from .engine import EPOCH_LISTENERS

    for registry in (_TRACKERS, EPOCH_LISTENERS):
        if tracker in registry:
            registry.remove(tracker)


def direct_done(macs: float) -> None:
    """A claim finished direct runs (deep linear, multipathway) costing `macs` in the plan."""
    for tracker in _TRACKERS:
        tracker.add_direct(macs)


def write_json(path: Path, data: dict) -> None:
    """Atomically; a failure only loses a progress line, never a run."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        tmp.write_text(json.dumps(data))
        os.replace(tmp, path)
    except OSError:
        pass


class Tracker:
    """Counts this process's trained epochs (an engine epoch listener) into its progress file."""

    def __init__(self, directory: Path, worker: str, min_interval: float = 2.0):
        self.path = Path(directory) / f"worker-{worker}.json"
        self.min_interval = min_interval
        self.counts: dict[str, Any] = {"epochs": 0, "macs": 0.0, "runs": 0, "current": ""}
        self._last = 0.0

    def __call__(self, spec, epoch: int) -> None:
        self.counts["epochs"] += 1
        self.counts["macs"] += epoch_macs(spec, epoch - 1)
        self.counts["current"] = f"{spec.label()} epoch {epoch}/{spec.total_epochs}"
        finished = epoch == spec.total_epochs
        self.counts["runs"] += finished
        now = time.monotonic()
        if finished or now - self._last >= self.min_interval:
            self._last = now
            write_json(self.path, self.counts)

    def add_direct(self, macs: float) -> None:
        self.counts["macs"] += macs
        write_json(self.path, self.counts)

    def write_plan(self, totals: dict) -> None:
        plan = self.path.parent / "plan.json"
        if not plan.exists():
            write_json(plan, totals)


def read_progress(directory: Path) -> tuple[dict | None, dict]:
    """(plan totals or None, summed counts of every worker)."""
    directory = Path(directory)
    plan = None
    done = {"epochs": 0, "macs": 0.0, "runs": 0}
    with contextlib.suppress(OSError, ValueError):  # not written yet
        plan = json.loads((directory / "plan.json").read_text())
    for path in directory.glob("worker-*.json"):
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue  # being replaced
        for k in done:
            done[k] += data.get(k, 0)
    return plan, done


def progress_line(plan: dict, done: dict, elapsed: float) -> str:
    meter = tqdm.format_meter(done["epochs"], plan["epochs"], elapsed, unit="epoch", ncols=60,
                              bar_format="{percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} epochs "
                                         "[{elapsed}, {rate_fmt}]")
    line = f"repro progress: {meter}, runs {done['runs']}/{plan['runs']}"
    share = done["macs"] / plan["macs"] if plan.get("macs") else 0.0
    if share > 0:
        left = elapsed * (1 - min(share, 1.0)) / share
        end = time.strftime("%H:%M", time.localtime(time.time() + left))
        line += f", ETA {end} (in {tqdm.format_interval(left)})"
    return line


class Monitor:
    """Prints a progress line every `every` seconds from a background thread."""

    def __init__(self, directory: Path, every: float):
        self.directory = Path(directory)
        self.every = every
        self.t0 = time.monotonic()
        self._stop = threading.Event()
        self.out: TextIO
        try:
            self.out = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
            self._owned = True
        except (AttributeError, OSError, ValueError):  # no file descriptor (an in-process run)
            self.out, self._owned = sys.stdout, False
        self.thread = threading.Thread(target=self._run, name="repro-progress", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(timeout=5)
        if self._owned:
            self.out.close()

    def line(self) -> str | None:
        plan, done = read_progress(self.directory)
        if not plan or not plan.get("epochs"):
            return None
        return progress_line(plan, done, time.monotonic() - self.t0)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            text = self.line()
            if text:
                self.out.write(f"\n{text}\n")
