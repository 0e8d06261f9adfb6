"""The pytest plugin: options, the session's plan, the `harness` fixture, progress and the report.

Roles under xdist: the controller (no `workerinput`) never trains and never touches a GPU or
CUDA_VISIBLE_DEVICES; it checks the options, hands the workers a progress directory, prints
progress, and writes reports/<tier>/ from the verdicts the workers attach to their test reports.
Each worker (or the single process of a plain run) takes its device from `--gpus`, plans every
claim at collection (repro.schedule), and trains.
"""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from . import cuda
from .backend import Backend
from .data import DataError
from .engine import Context
from .harness import PLAN_PROPERTY, VERDICT_PROPERTY, Harness
from .report import is_direct
from .sessions import claim_file
from .slurm_backend import SlurmSettings, with_node_identity
from .store import RunStore, StoreError, default_store_dir
from .tiers import TIERS, get_tier
from .verdict import Verdict

PROGRESS_KEY = "repro_progress_dir"
OPTION_NAMES: set[str] = set()  # the plugin's command-line options (pytest_addoption)
GROUPS_FILE = "groups.json"


def pytest_addoption(parser):
    g = parser.getgroup("repro", "reproducibility claims")

    def add(name: str, **kwargs):
        OPTION_NAMES.add(name)
        g.addoption(name, **kwargs)

    add("--tier", default=None, choices=sorted(TIERS),
        help="smoke: CPU-sized runs in minutes; paper: the papers' settings (default: "
             "paper with --gpus or a GPU Ray cluster, else smoke)")
    add("--store", default=None, metavar="DIR",
        help="run store directory (default $REPRO_STORE or ~/.cache/repro/store)")
    add("--report", default=None, metavar="DIR",
        help="report directory; <tier>/ is written under it (default reports/ in the "
             "project, pytest's rootdir, or in the current directory when no "
             "configuration file fixes a rootdir)")
    add("--data-dir", default=None, metavar="DIR",
        help="datasets: <name>.npz files or torchvision folders (default $REPRO_DATA_DIR)")
    add("--download", action="store_true",
        help="let torchvision download missing datasets into the data directory")
    add("--gpus", nargs="?", const="all", default=None, metavar="LIST",
        help="train on CUDA: xdist worker N takes entry N of LIST (device indices within "
             "any CUDA_VISIBLE_DEVICES; repeat one to share it: 0,0,1,1); default all "
             "visible GPUs, and -n auto starts one worker per entry")
    add("--precision", default="fp32", choices=("fp32", "tf32", "bf16"),
        help="fp32 (default; TF32 off), tf32 (CUDA), or bf16 autocast; part of each "
             "run's key")
    add("--compile", action="store_true",
        help="torch.compile the networks (other numbers: part of each run's key)")
    add("--nondeterministic", action="store_true",
        help="on CUDA, let cuDNN pick the fastest kernels (numbers vary run to run; "
             "part of each run's key); default: deterministic algorithms")
    add("--paper-on-cpu", action="store_true",
        help="train the paper tier on the CPU anyway (otherwise refused with its cost)")
    add("--accept-lossy-data", action="store_true",
        help="let the paper tier train on a dataset file that is not the original's "
             "pixels (such as a JPEG-decoded CIFAR-10); the report says so")
    add("--ray", default=None, metavar="ADDRESS",
        help="train each run as a task on this Ray cluster (one GPU per task when it has "
             "GPUs); --store must be a path every node mounts")
    add("--slurm", nargs="?", const="slurm", default=None, metavar="CLUSTER",
        choices=("slurm", "local", "debug"),
        help="train each run as a Slurm job through submitit (pip install "
             "'repro[slurm]'); --store must be a path every node mounts. 'local' "
             "rehearses it here, a process per job")
    add("--slurm-partition", default=None, metavar="NAME",
        help="the Slurm partition the jobs go to (one kind of node: the session's keys "
             "name its device)")
    add("--slurm-gpus-per-run", type=int, default=1, metavar="N",
        help="GPUs per job (default 1; 0: CPU runs on --cpu-threads cores each)")
    add("--slurm-time", type=int, default=240, metavar="MINUTES",
        help="a job's time limit (default 240); a run cut short resumes from its last "
             "checkpoint when the session is run again")
    add("--slurm-folder", default=None, metavar="DIR",
        help="submitit's job files and logs (default <store>/slurm)")
    add("--cpu-threads", type=int, default=1, metavar="N",
        help="threads per CPU training run (default 1; part of a CPU run's identity, as "
             "its numbers depend on it): use the cores with -n instead")
    add("--seed-base", type=int, default=0, metavar="N",
        help="add N to every seed, to check that verdicts do not hinge on the seeds")
    add("--dry-run", action="store_true",
        help="list the runs, epochs and estimated time each claim needs, train nothing")
    add("--progress-every", type=float, default=30.0, metavar="SECONDS",
        help="print a progress line with the expected end this often (0: never)")


def is_worker(config) -> bool:
    return hasattr(config, "workerinput")


def is_controller(config) -> bool:
    return not is_worker(config) and config.getoption("dist", "no") != "no" and bool(
        config.getoption("tx", None))


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_auto_num_workers(config):
    """`-n auto --gpus`: one worker per entry of the GPU list."""
    if config.getoption("gpus", None) is None:
        return None
    from .gpus import NoGPU, visible_gpus

    try:
        return len(visible_gpus(config.getoption("gpus")))
    except NoGPU:
        return None  # pytest_configure says why


def pytest_configure(config):
    """Inert until the session holds claims: the plugin is installed by entry point into every
    pytest session of the environment, so a session that collects no claim must meet no store,
    no report, no thread setting. It activates at once when a repro option or `-p repro.plugin`
    is on the command line, else when a process collects a claim (repro.plugin.activate)."""
    config.addinivalue_line("markers", "claim: a paper claim check")
    _check_numbers(config)
    config._repro_active = False
    config._repro_progress_dir = (config.workerinput.get(PROGRESS_KEY) if is_worker(config)
                                  else None)
    # under xdist the scheduler is chosen before any worker has collected: claims' groups, and in
    # a session without claims each test its own group (as --dist load hands them out)
    _default_distribution(config)
    if not is_worker(config):
        config.pluginmanager.register(ReportWriter(config), "repro-report-writer")
    if _asked_for(config):
        activate(config)


def _asked_for(config) -> bool:
    """Whether the command line names the plugin or one of its options."""
    args = [str(a) for a in config.invocation_params.args]
    return any(a.split("=", 1)[0] in OPTION_NAMES for a in args) or any(
        a in ("repro.plugin", "-prepro.plugin") for a in args)


def activate(config) -> None:
    """The session holds claims: choose the device and tier, check the data, the store and the
    report directory (usage errors, before any run), and set the CPU thread count."""
    if config._repro_active:
        return
    config._repro_active = True
    device = _device(config)
    if config.getoption("tier") is None:
        config.option.tier = "paper" if device != "cpu" else "smoke"
    config._repro_device = device
    try:
        config._repro_lossy = _lossy_data(config)
    except DataError as err:
        raise pytest.UsageError(str(err)) from None
    if config._repro_lossy and not config.getoption("dry_run") \
            and not config.getoption("accept_lossy_data"):
        raise pytest.UsageError(_lossy_message(config._repro_lossy))
    config._repro_refused = (config.getoption("tier") == "paper" and device == "cpu"
                             and not config.getoption("paper_on_cpu")
                             and not config.getoption("dry_run"))
    if config._repro_refused:
        config.option.dry_run = True  # plan every claim, train nothing, then stop (summary)
    try:
        Backend(device, config.getoption("cpu_threads"), config.getoption("precision"),
                not config.getoption("nondeterministic"), config.getoption("compile"))
    except ValueError as err:
        raise pytest.UsageError(str(err)) from None
    if device == "cpu":
        # the whole process, not only training, so that data loading and Fisher probes on
        # stored networks see the same thread count in a plain run and in each xdist worker
        torch.set_num_threads(config.getoption("cpu_threads"))
    store_dir = config.getoption("store", None) or default_store_dir()
    try:
        config._repro_store = RunStore(store_dir)
    except StoreError as err:
        raise pytest.UsageError(str(err)) from None
    if not is_worker(config) and not config.getoption("dry_run"):
        _check_report_writable(report_dir(config))
    if not is_worker(config) and config._repro_progress_dir is None:
        config._repro_progress_dir = tempfile.mkdtemp(prefix="repro-progress-")


def report_dir(config) -> Path:
    """Where the report of the session's tier goes: <--report>/<tier>; by default reports/ in
    the project (pytest's rootdir, when a configuration file fixed it), else in the directory
    pytest was started from (installed claims run by --pyargs have no project, and pytest then
    derives a rootdir from any path on the command line, an option's value among them)."""
    root = config.getoption("report")
    if not root:
        project = config.rootpath if config.inipath is not None else config.invocation_params.dir
        root = Path(project) / "reports"
    return Path(root) / config.getoption("tier")


def _check_report_writable(path: Path) -> None:
    """Before any training: the report directory, or the nearest folder above it that exists,
    takes a file (a probe, removed at once)."""
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    try:
        if not existing.is_dir():
            raise NotADirectoryError(f"{existing} is not a directory")
        with tempfile.NamedTemporaryFile(dir=existing, prefix=".repro-probe-"):
            pass
    except OSError as err:
        raise pytest.UsageError(f"--report: the report {path} cannot be written ({err}); pass "
                                "--report DIR with a directory you can write") from None


def _check_numbers(config):
    if config.getoption("seed_base", 0) < 0:
        raise pytest.UsageError(f"--seed-base must be a non-negative integer (seeds are), not "
                                f"{config.getoption('seed_base')}")
    if config.getoption("cpu_threads", 1) < 1:
        raise pytest.UsageError(f"--cpu-threads must be a positive integer, not "
                                f"{config.getoption('cpu_threads')}")
    if config.getoption("slurm_gpus_per_run", 1) < 0 or config.getoption("slurm_time", 1) < 1:
        raise pytest.UsageError("--slurm-gpus-per-run must be 0 or more and --slurm-time a "
                                "positive number of minutes")
    if config.getoption("slurm", None) and config.getoption("ray", None):
        raise pytest.UsageError("--slurm and --ray both send runs elsewhere: choose one")
    if config.getoption("slurm", None) and importlib.util.find_spec("submitit") is None:
        raise pytest.UsageError("--slurm needs submitit: pip install 'repro[slurm]'")


def _lossy_data(config) -> list[dict]:
    """At the paper tier: the data sources found that are not their dataset's original pixels."""
    if config.getoption("tier") != "paper":
        return []
    from .config import DATASETS
    from .data import data_source

    data_dir = config.getoption("data_dir") or os.environ.get("REPRO_DATA_DIR")
    found = [{"dataset": n, **data_source(n, data_dir)} for n in DATASETS]
    return [d for d in found if d["original"] is False]


def _lossy_message(lossy: list[dict]) -> str:
    from .data import describe

    return ("the paper tier trains on the original datasets, and "
            + "; ".join(f"{d['dataset']} would be read from {describe(d)}" for d in lossy)
            + ". Point --data-dir at the original data (torchvision's folders, or --download), "
              "or pass --accept-lossy-data to train on this copy anyway (the report says so).")


def _device(config) -> str:
    """This process's training device: "cpu", "cuda:<i>" (a worker or plain run with --gpus),
    "cuda" (the controller with --gpus, which picks none), or the Ray cluster's kind."""
    gpus = config.getoption("gpus", None)
    if gpus is not None:
        from .gpus import NoGPU, visible_gpus, worker_gpu

        try:
            entries = visible_gpus(gpus)
        except NoGPU as err:
            raise pytest.UsageError(str(err)) from None
        if is_controller(config):
            return "cuda"
        worker = config.workerinput["workerid"] if is_worker(config) else None
        return cuda.select(worker_gpu(entries, worker))
    if config.getoption("ray", None):
        from .ray_backend import connect

        return connect(config.getoption("ray"))
    if config.getoption("slurm", None):
        return "cuda" if config.getoption("slurm_gpus_per_run") > 0 else "cpu"
    return "cpu"


def slurm_settings(config) -> SlurmSettings | None:
    if not config.getoption("slurm", None):
        return None
    return SlurmSettings(cluster=config.getoption("slurm"),
                         partition=config.getoption("slurm_partition"),
                         gpus_per_run=config.getoption("slurm_gpus_per_run"),
                         time_min=config.getoption("slurm_time"),
                         folder=config.getoption("slurm_folder"))


def _default_distribution(config):
    """`pytest claims/ -n 4` as typed: claims are sent to workers by group (repro.schedule), in
    the plan's order, unless the user chose a --dist mode."""
    if not is_controller(config) or config.getoption("dist") != "load":
        return
    if any(a == "-d" or a.startswith("--dist") for a in config.invocation_params.args):
        return
    config._repro_groups = True  # pytest_xdist_make_scheduler
    config.option.loadscopereorder = False


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    # workers parse the command line anew: what the controller chose travels here
    if node.config._repro_progress_dir is None:  # removed at pytest_unconfigure
        node.config._repro_progress_dir = tempfile.mkdtemp(prefix="repro-progress-")
    node.workerinput[PROGRESS_KEY] = node.config._repro_progress_dir


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node, ids):
    """The controller activates once a worker has collected claims (it says so by writing the
    groups file), before any test is sent out."""
    config = node.config
    if not config._repro_active and config._repro_progress_dir \
            and (Path(config._repro_progress_dir) / GROUPS_FILE).is_file():
        activate(config)


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    if not getattr(config, "_repro_groups", False):
        return None
    from .schedule import group_scheduler

    return group_scheduler(config, log, Path(config._repro_progress_dir) / GROUPS_FILE)


def make_context(config):
    """The session's context; with --slurm, its keys carry the compute nodes' identity (one
    probe job per process, remembered)."""
    activate(config)
    if getattr(config, "_repro_context", None) is not None:
        return config._repro_context
    data_dir = config.getoption("data_dir") or os.environ.get("REPRO_DATA_DIR")
    ctx = Context(store=config._repro_store, data_dir=data_dir, device=config._repro_device,
                  download=config.getoption("download"),
                  cpu_threads=config.getoption("cpu_threads"),
                  precision=config.getoption("precision"),
                  deterministic=not config.getoption("nondeterministic"),
                  compile=config.getoption("compile"))
    slurm = slurm_settings(config)
    if slurm is not None:
        ctx = with_node_identity(ctx, slurm)
    config._repro_context = ctx
    return ctx


class _PlanNode:
    """The node a planning harness sees: markers and properties go nowhere."""

    def __init__(self, item):
        self.nodeid = item.nodeid
        self.callspec = getattr(item, "callspec", None)
        self.user_properties: list = []

    def add_marker(self, marker):
        pass


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session, config, items):
    if is_controller(config) or not any(hasattr(getattr(i, "obj", None), "_repro_claim")
                                        for i in items):
        return
    activate(config)
    from .schedule import order_and_group, plan_items

    ctx = make_context(config)
    tier = get_tier(config.getoption("tier"))
    plan = plan_items(items, lambda item: Harness(tier, ctx, config.getoption("seed_base"), True,
                                                  _PlanNode(item)))
    groups = order_and_group(items, plan)
    config._repro_plan = plan
    if is_worker(config) and config._repro_progress_dir:
        from .progress import write_json

        write_json(Path(config._repro_progress_dir) / GROUPS_FILE, groups)
    if config._repro_progress_dir and not config.getoption("dry_run"):
        from .progress import Tracker, install

        worker = config.workerinput["workerid"] if is_worker(config) else "main"
        tracker = Tracker(Path(config._repro_progress_dir), worker)
        tracker.write_plan(plan.totals())
        install(tracker)
        config._repro_tracker = tracker


def pytest_unconfigure(config):
    tracker = getattr(config, "_repro_tracker", None)
    if tracker is not None:  # an in-process pytest session must not leave it behind
        from .progress import uninstall

        uninstall(tracker)


@pytest.fixture(scope="session")
def repro_context(pytestconfig):
    return make_context(pytestconfig)


@pytest.fixture
def harness(request, repro_context) -> Iterator[Harness]:
    cfg = request.config
    dry = cfg.getoption("dry_run")
    plan = getattr(cfg, "_repro_plan", None)
    timer = None
    if dry:  # one per session: each network is timed once
        from .cost import Timer

        if getattr(cfg, "_repro_timer", None) is None:
            cfg._repro_timer = Timer(repro_context.device, repro_context.cpu_threads)
        timer = cfg._repro_timer
    h = Harness(get_tier(cfg.getoption("tier")), repro_context, cfg.getoption("seed_base"), dry,
                request.node, ray_address=cfg.getoption("ray"), slurm=slurm_settings(cfg),
                keep=plan.keep if plan else frozenset(), timer=timer,
                measure=plan.measuring(repro_context) if plan and not dry else None)
    yield h
    if h.plan is not None and h.dry_run:
        request.node.user_properties.append((PLAN_PROPERTY, json.dumps(
            {"claim": (h.info.id + (f"[{h.protocol}]" if h.protocol else "")) if h.info
             else request.node.nodeid,
             **{k: v for k, v in h.plan.to_json().items() if k != "keys"}
             })))


class ReportWriter:
    def __init__(self, config):
        self.config = config
        self.verdicts: dict[str, dict] = {}
        self.plans: dict[str, dict] = {}
        self.written: Path | None = None
        self.monitor = None
        self.data_checked: dict[str, str | None] = {}  # dataset -> its problem (dry run)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session):
        """After collection, so that a plain session knows whether it holds claims."""
        every = self.config.getoption("progress_every")
        if every > 0 and not self.config.getoption("dry_run") and self.config._repro_progress_dir:
            from .progress import Monitor

            self.monitor = Monitor(Path(self.config._repro_progress_dir), every)
            self.monitor.start()

    def pytest_runtest_logreport(self, report):
        for name, value in report.user_properties:
            if name == VERDICT_PROPERTY:
                self.verdicts[report.nodeid] = {**json.loads(value),
                                                "source": {"file": claim_file(report.nodeid)}}
            elif name == PLAN_PROPERTY:
                self.plans[report.nodeid] = json.loads(value)

    def pytest_unconfigure(self, config):
        if config._repro_progress_dir:
            shutil.rmtree(config._repro_progress_dir, ignore_errors=True)

    def pytest_sessionfinish(self, session):
        if self.monitor:
            self.monitor.stop()
            self.monitor = None
        if not (self.verdicts or self.plans):
            return  # no claim ran: the plugin stays inert
        activate(self.config)
        if self.config._repro_refused:
            session.exitstatus = pytest.ExitCode.USAGE_ERROR
        if self.plans:
            self._check_data(session)
        if not self.verdicts:
            return
        from .report import write_report

        self.written = write_report([Verdict.from_json(v) for v in self.verdicts.values()],
                                    report_dir(self.config), self.config.getoption("tier"),
                                    seed_base=self.config.getoption("seed_base"),
                                    args=self.config.invocation_params.args,
                                    rootdir=Path(self.config.rootpath),
                                    complete_files=self._complete_files(session))

    def _complete_files(self, session) -> frozenset[str]:
        """The claim files this session ran whole and to the end (none after -k, -m, --lf,
        --deselect, a node id, -x or an interruption): a claim of theirs it did not produce is
        no longer declared, and leaves the report."""
        o = self.config.option
        partial = (getattr(o, "keyword", "") or getattr(o, "markexpr", "")
                   or getattr(o, "lf", False) or getattr(o, "deselect", None)
                   or any("::" in str(a) for a in self.config.args)
                   or session.shouldfail or session.shouldstop
                   or session.exitstatus not in (pytest.ExitCode.OK,
                                                 pytest.ExitCode.TESTS_FAILED))
        if partial:
            return frozenset()
        return frozenset(claim_file(n) for n in self.verdicts)

    def pytest_terminal_summary(self, terminalreporter):
        tr = terminalreporter
        if self.plans:
            self._plan_summary(tr)
        if self.verdicts:
            tr.section("repro verdicts")
            for v in self.verdicts.values():
                unit = "full-batch steps" if is_direct(Verdict.from_json(v)) else "epochs"
                tr.write_line(f"{v['outcome'].upper():6} {v['claim']}  (tier {v['tier']}, "
                              f"{v['epochs_trained']} {unit} trained, "
                              f"{v['epochs_reused']} reused)")
            if self.written:
                tr.write_line(f"report: {self.written}")

    def _check_data(self, session):
        """A dry run trains nothing, so it reads every dataset its plan needs instead: one
        missing or damaged fails the session, naming the file."""
        from .data import check_data

        data_dir = self.config.getoption("data_dir") or os.environ.get("REPRO_DATA_DIR")
        needed = sorted({d for p in self.plans.values() for d in p.get("datasets", ())})
        self.data_checked = {d: check_data(d, data_dir, self.config.getoption("download"))
                             for d in needed}
        if any(self.data_checked.values()) and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def _plan_summary(self, tr):
        from .cost import REFERENCE_GPU, format_gpu_hours, format_seconds

        device = self.config._repro_device
        tr.section(f"repro plan (dry run, tier {self.config.getoption('tier')}, on {device})")
        checkpoints: dict[str, int] = {}
        todo: dict[str, float] = {}
        macs: dict[str, float] = {}
        direct_steps, direct_seconds = 0, 0.0
        seen: set[str] = set()  # epochs (prefix keys) the claims listed before train
        for p in self.plans.values():
            est = p.get("seconds_to_train")
            own = set(p.get("keys_to_train", ())) - seen
            seen |= own
            tr.write_line(f"{p['claim']}: {p['runs']} runs, {p['epochs_total']} epochs as "
                          f"written, {p['epochs_shared']} with shared prefixes, "
                          f"{p['epochs_to_train']} to train"
                          + ("" if p.get("direct") else
                             f" ({len(own)} not trained by the claims above)")
                          + (f", about {format_seconds(est)} here" if est else "")
                          + ("" if p.get("direct") else
                             f"; estimate {format_gpu_hours(p.get('macs_to_train', 0.0))}"))
            for r in p["rows"]:
                tr.write_line(f"    {r['run']}: " + (
                    f"at most {r['epochs']} epochs (its stages end at a training-accuracy target)"
                    if r.get("at_most") else f"{r['epochs']} epochs"))
            if p.get("direct"):
                direct_steps += p["epochs_to_train"]
                direct_seconds += est or 0
                continue
            checkpoints.update(p.get("checkpoints", {}))
            todo.update(p.get("seconds_by_key") or dict.fromkeys(p["keys_to_train"], 0.0))
            macs.update(p.get("macs_by_key", {}))
        tr.write_line(f"all claims: {len(todo)} epochs to train (shared prefixes within and "
                      f"across claims counted once), about {format_seconds(sum(todo.values()))} "
                      f"on this device; the store keeps {len(checkpoints)} checkpoints, about "
                      f"{sum(checkpoints.values()) / 2**30:.2f} GiB")
        g, total = REFERENCE_GPU, sum(macs.values())
        tr.write_line(f"GPU-hours (an estimate, not a measurement): {format_gpu_hours(total)} "
                      f"in all on one {g.name}, from the {total:.3g} multiply-adds the epochs "
                      "above train (2 FLOP each; backward counted as twice the forward; test "
                      f"set and Fisher probes included) at {g.efficiency:.0%} of its peak "
                      f"({g.source})")
        if direct_steps:
            tr.write_line(f"direct runs (deep linear networks; an epoch is one full-batch "
                          f"step): {direct_steps} epochs, about {format_seconds(direct_seconds)} "
                          "on one CPU thread")
        for name, problem in self.data_checked.items():
            tr.write_line(f"data {name}: " + (f"MISSING OR UNREADABLE: {problem}" if problem else
                                              "present and readable"),
                          red=bool(problem))
        if self.config._repro_lossy and not self.config.getoption("accept_lossy_data"):
            tr.write_line("")
            tr.write_line("DATA: " + _lossy_message(self.config._repro_lossy), yellow=True)
        if self.config._repro_refused:
            tr.write_line("")
            tr.write_line(
                "REFUSED: the paper tier trains the papers' networks at their settings, which "
                "takes the time above on this CPU. Run it on GPUs (pytest claims/ -n 4 --gpus), "
                "or pass --paper-on-cpu to train it here anyway; --tier smoke is the CPU tier.",
                red=True, bold=True)
