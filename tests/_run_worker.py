"""Training runs in processes of their own, for the kill and concurrency tests.

Each run is a real OS process, forked from a forkserver that imported torch once (so a process
starts in milliseconds, not seconds) and killed by the tests with SIGKILL. A process can be told
to stop at a chosen point and wait there to be killed, after writing a marker file:
  ("save", k)     right after the k-th store entry of this process is written;
  ("step", n)     right after the n-th optimizer step (inside an epoch);
  ("write", j)    in the middle of the j-th file the store writes (odd: a payload, even: its
                  record), half of its bytes written;
  ("replace", j)  just before the j-th rename in the store, its temporary file written.
Every epoch a process trains is appended to `train_log` as "pid epoch", so tests can count what
was trained across processes.
"""
from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import signal
import sys
import time
from pathlib import Path

TIMEOUT = 60  # seconds a test waits for a process before calling it hung


def tiny_spec(**kw):
    """Five epochs (two blurred) of the tests' tiny run (helpers.tiny) in batches of 20: 5 steps
    an epoch, a few hundredths of a second each."""
    from helpers import tiny

    return tiny(kw.pop("phases", ((2, "blur"), (3, None))), **({"batch_size": 20} | kw))


def forkserver():
    ctx = multiprocessing.get_context("forkserver")
    # torch._dynamo: imported by the first optimizer, seconds that every process would pay
    ctx.set_forkserver_preload(["torch", "torch._dynamo", "repro.engine", "_run_worker"])
    return ctx


def start(job: dict) -> multiprocessing.Process:
    p = forkserver().Process(target=child, args=(job,), daemon=True)
    p.start()
    return p


def wait_for(path: Path, proc: multiprocessing.Process) -> None:
    """Until `path` exists; fails if the process ends or hangs first."""
    t0 = time.monotonic()
    while not path.exists():
        if not proc.is_alive():
            raise AssertionError(f"process ended (exit {proc.exitcode}) before {path.name}")
        if time.monotonic() - t0 > TIMEOUT:
            proc.kill()
            raise AssertionError(f"no {path.name} after {TIMEOUT} s")
        time.sleep(0.005)


def kill(proc: multiprocessing.Process, may_have_finished: bool = False) -> bool:
    """SIGKILL; whether it killed the process. A process that may end on its own (not paused)
    can finish between the caller's check and the signal: then it exited 0, killed by nothing."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(proc.pid, signal.SIGKILL)
    proc.join(TIMEOUT)
    if may_have_finished and proc.exitcode == 0:
        return False
    assert proc.exitcode == -signal.SIGKILL, f"exit code {proc.exitcode}"
    return True


def finish(proc: multiprocessing.Process, result: Path) -> dict:
    proc.join(TIMEOUT)
    if proc.is_alive():
        proc.kill()
        raise AssertionError(f"process {proc.pid} hung")
    assert proc.exitcode == 0, f"process exited with {proc.exitcode}"
    return json.loads(result.read_text())


def child(job: dict) -> None:
    import torch

    from repro import Context, RunStore, get_run

    torch.set_num_threads(1)  # the same in every process: CPU numbers depend on it
    # Ctrl-C as in a user's training process: the forkserver hands its children the SIGINT
    # handler of the process that started it, which an earlier test may have changed (Ray's
    # driver installs its own): one such child ignored a test's SIGINT for 60 s under make test
    signal.signal(signal.SIGINT, signal.default_int_handler)
    _install_hooks(job)
    if job.get("go"):  # start together with the other processes of a concurrency test
        while not Path(job["go"]).exists():
            time.sleep(0.001)
    ctx = Context(RunStore(job["store"]), data_dir=job["data_dir"],
                  checkpoint_every=job.get("checkpoint_every", 1))
    keep = frozenset(ctx.key(tiny_spec(phases=p)) for p in job.get("keep", ()))
    res = get_run(tiny_spec(**job.get("spec", {})), ctx, keep=keep)
    out = {"pid": os.getpid(), "status": res.status, "metrics": res.metrics,
           "epochs_trained": res.epochs_trained, "resumed_from": res.resumed_from,
           "reason": res.reason}
    tmp = Path(job["result"] + ".tmp")
    tmp.write_text(json.dumps(out))
    tmp.replace(job["result"])


def pytest_session(job: dict) -> None:
    """`pytest <job["args"]>` in `job["cwd"]`, with the same hooks; output to `job["output"]`."""
    import pytest
    import torch

    torch.set_num_threads(1)
    _install_hooks(job)
    os.chdir(job["cwd"])
    out = os.open(job["output"], os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    os.dup2(out, 1)
    os.dup2(out, 2)
    sys.exit(int(pytest.main(job["args"])))


def start_pytest(job: dict) -> multiprocessing.Process:
    p = forkserver().Process(target=pytest_session, args=(job,), daemon=True)
    p.start()
    return p


def _install_hooks(job: dict) -> None:
    import torch

    import repro.engine
    import repro.store

    what, when = job.get("pause") or (None, None)
    marker = job.get("marker")

    def pause():
        Path(marker).write_text(str(os.getpid()))
        while True:  # until killed
            time.sleep(1)

    train_epoch = repro.engine.train_epoch
    sleep = job.get("epoch_sleep", 0.0)

    def logged_epoch(model, opt, data, spec, epoch, device, *a, **kw):
        row = train_epoch(model, opt, data, spec, epoch, device, *a, **kw)
        time.sleep(sleep)  # lets concurrent processes meet inside a run
        with open(job["train_log"], "a") as f:
            f.write(f"{os.getpid()} {epoch}\n")
        return row

    repro.engine.train_epoch = logged_epoch
    if job.get("step_sleep"):  # stretches every epoch evenly, for kills at random moments
        sgd_step = torch.optim.SGD.step

        def slow_step(*a, **kw):
            out = sgd_step(*a, **kw)
            time.sleep(job["step_sleep"])
            return out

        torch.optim.SGD.step = slow_step
    count = [0]

    def counted(fn, n, before):
        def wrapper(*a, **kw):
            count[0] += 1
            if before and count[0] == n:
                pause()
            out = fn(*a, **kw)
            if not before and count[0] == n:
                pause()
            return out

        return wrapper

    if what == "save":
        repro.store.RunStore.save = counted(repro.store.RunStore.save, when, before=False)
    elif what == "step":
        torch.optim.SGD.step = counted(torch.optim.SGD.step, when, before=False)
    elif what in ("write", "replace"):  # the store's files only: a stand-in for its `os`
        store_os = {"__getattr__": lambda self, name: getattr(os, name)}
        if what == "replace":
            store_os["replace"] = staticmethod(counted(os.replace, when, before=True))
        else:
            def fdopen(*a, **kw):
                count[0] += 1
                return _HalfWriter(os.fdopen(*a, **kw), pause if count[0] == when else None)

            store_os["fdopen"] = staticmethod(fdopen)
        repro.store.os = type("StoreOS", (), store_os)()


class _HalfWriter:
    """A file whose first write stops halfway (and calls `pause`) when `pause` is given."""

    def __init__(self, f, pause):
        self.f, self.pause = f, pause

    def write(self, data):
        if self.pause:
            self.f.write(data[: len(data) // 2])
            self.f.flush()
            self.pause()
        return self.f.write(data)

    def __getattr__(self, name):
        return getattr(self.f, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self.f.__exit__(*exc)
