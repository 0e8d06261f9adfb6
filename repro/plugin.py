"""The pytest plugin: options, the `harness` fixture, and the report written by the controller.

Under xdist each worker runs claims and attaches its verdicts to the test reports'
user_properties; only the controller (the process without `workerinput`) collects them and
writes reports/<tier>/, after every worker is done.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from .harness import PLAN_PROPERTY, VERDICT_PROPERTY, Harness
from .store import RunStore, StoreError, default_store_dir
from .tiers import TIERS, get_tier
from .verdict import unit_of


def pytest_addoption(parser):
    g = parser.getgroup("repro", "reproducibility claims")
    g.addoption("--tier", default="smoke", choices=sorted(TIERS),
                help="smoke: CPU-sized runs in minutes (default); paper: the papers' settings")
    g.addoption("--store", default=None, metavar="DIR",
                help="run store directory (default $REPRO_STORE or ~/.cache/repro/store)")
    g.addoption("--report", default=None, metavar="DIR",
                help="report directory; reports/<tier>/ is written under it (default ./reports)")
    g.addoption("--data-dir", default=None, metavar="DIR",
                help="datasets: <name>.npz files or torchvision folders (default $REPRO_DATA_DIR)")
    g.addoption("--download", action="store_true",
                help="let torchvision download missing datasets into the data directory")
    g.addoption("--gpus", nargs="?", const="all", default=None, metavar="LIST",
                help="train on CUDA, one GPU per xdist worker (all visible GPUs, or e.g. 0,1)")
    g.addoption("--ray", default=None, metavar="ADDRESS",
                help="train each run as a task on this Ray cluster (one GPU per task when it has "
                     "GPUs); --store must be a path every node mounts")
    g.addoption("--cpu-threads", type=int, default=1, metavar="N",
                help="threads per CPU training run (default 1; part of a CPU run's identity, as "
                     "its numbers depend on it): use the cores with -n instead")
    g.addoption("--seed-base", type=int, default=0, metavar="N",
                help="add N to every seed, to check that verdicts do not hinge on the seeds")
    g.addoption("--dry-run", action="store_true",
                help="list the runs and epochs each claim needs, train nothing")


def pytest_configure(config):
    config.addinivalue_line("markers", "claim: a paper claim check")
    gpus = config.getoption("gpus", None)
    if gpus is not None:
        if not re.fullmatch(r"all|\d+(,\d+)*", gpus):
            raise pytest.UsageError(f"--gpus takes 'all' or a list like 0,1, not {gpus!r} "
                                    "(put paths before --gpus)")
        from .gpus import NoGPU, assign_gpu

        try:
            assign_gpu(gpus)
            import torch

            if not torch.cuda.is_available():
                raise NoGPU("--gpus was given but torch sees no CUDA device here; run without "
                            "--gpus to train on the CPU")
        except NoGPU as err:
            raise pytest.UsageError(str(err)) from None
    if config.getoption("seed_base", 0) < 0:
        raise pytest.UsageError(f"--seed-base must be a non-negative integer (seeds are), not "
                                f"{config.getoption('seed_base')}")
    threads = config.getoption("cpu_threads", 1)
    if threads < 1:
        raise pytest.UsageError(f"--cpu-threads must be a positive integer, not {threads}")
    if gpus is None:
        import torch

        # the whole process, not only training, so that data loading and Fisher probes on
        # stored networks see the same thread count in a plain run and in each xdist worker
        torch.set_num_threads(threads)
    store_dir = config.getoption("store", None) or default_store_dir()
    try:
        config._repro_store = RunStore(store_dir)
    except StoreError as err:
        raise pytest.UsageError(str(err)) from None
    if not hasattr(config, "workerinput"):
        config.pluginmanager.register(ReportWriter(config), "repro-report-writer")


@pytest.fixture(scope="session")
def repro_context(pytestconfig):
    from .engine import Context

    data_dir = pytestconfig.getoption("data_dir") or os.environ.get("REPRO_DATA_DIR")
    device = "cuda" if pytestconfig.getoption("gpus") is not None else "cpu"
    if pytestconfig.getoption("ray"):
        from .ray_backend import connect

        device = connect(pytestconfig.getoption("ray"))
    return Context(store=pytestconfig._repro_store, data_dir=data_dir, device=device,
                   download=pytestconfig.getoption("download"),
                   cpu_threads=pytestconfig.getoption("cpu_threads"))


@pytest.fixture
def harness(request, repro_context) -> Harness:
    cfg = request.config
    h = Harness(get_tier(cfg.getoption("tier")), repro_context, cfg.getoption("seed_base"),
                cfg.getoption("dry_run"), request.node, ray_address=cfg.getoption("ray"))
    yield h
    if h.plan is not None and h.dry_run:
        request.node.user_properties.append((PLAN_PROPERTY, json.dumps(
            {"claim": h.info.id if h.info else request.node.nodeid, **h.plan})))


class ReportWriter:
    def __init__(self, config):
        self.config = config
        self.verdicts: dict[str, dict] = {}
        self.plans: dict[str, dict] = {}
        self.written: Path | None = None

    def pytest_runtest_logreport(self, report):
        for name, value in report.user_properties:
            if name == VERDICT_PROPERTY:
                self.verdicts[report.nodeid] = json.loads(value)
            elif name == PLAN_PROPERTY:
                self.plans[report.nodeid] = json.loads(value)

    def pytest_sessionfinish(self, session):
        if not self.verdicts:
            return
        from .report import write_report

        tier = self.config.getoption("tier")
        root = Path(self.config.getoption("report") or Path(self.config.rootpath) / "reports")
        self.written = write_report(list(self.verdicts.values()), root / tier, tier,
                                    seed_base=self.config.getoption("seed_base"),
                                    args=self.config.invocation_params.args)

    def pytest_terminal_summary(self, terminalreporter):
        tr = terminalreporter
        if self.plans:
            tr.section("repro plan (dry run)")
            total, keys, todo, direct = 0, set(), set(), 0
            for p in self.plans.values():
                unit = "steps" if p.get("direct") else "epochs"
                tr.write_line(f"{p['claim']}: {p['runs']} runs, {p['epochs_total']} {unit} as "
                              f"written, {p['epochs_shared']} with shared prefixes, "
                              f"{p['epochs_to_train']} to train")
                for r in p["rows"]:
                    tr.write_line(f"    {r['run']}: {r['epochs']} {unit}")
                if p.get("direct"):
                    direct += p["epochs_to_train"]
                    continue
                total += p["epochs_total"]
                keys.update(p["keys"])
                todo.update(p["keys_to_train"])
            tr.write_line(f"all claims: {total} epochs as written, {len(keys)} with shared "
                          f"prefixes (within and across claims), {len(todo)} to train")
            if direct:
                tr.write_line(f"runs outside the store (full-batch steps, computed every time): "
                              f"{direct} steps")
        if self.verdicts:
            tr.section("repro verdicts")
            for v in self.verdicts.values():
                tr.write_line(f"{v['outcome'].upper():6} {v['claim']}  (tier {v['tier']}, "
                              f"{v['epochs_trained']} {unit_of(v)} trained, "
                              f"{v['epochs_reused']} reused)")
            if self.written:
                tr.write_line(f"report: {self.written}")
