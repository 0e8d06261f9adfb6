"""The names a RunSpec accepts (repro/config.py: DATASETS, MODELS, DEFICITS, LR_SCHEDULES,
FISHER_ESTIMATORS) are exactly the names the modules that implement them know, and the plugin's
option choices are those of the modules behind them: a name added in one place and not the other
fails here, not in a run."""
from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
import torch

import repro.deficits
from repro import backend, config, cost, data, fisher, models, plugin
from repro.config import RunSpec
from repro.protocols import PROTOCOLS
from repro.tiers import TIERS


def docstring_names(doc: str) -> set[str]:
    """The names a module docstring lists, one per `- name:` line."""
    return set(re.findall(r"^- ([\w-]+):", doc, re.M))


# -- datasets ----------------------------------------------------------------------------------
def test_every_dataset_has_its_classes_and_its_shape_and_sizes_for_the_cost():
    names = set(config.DATASETS)
    assert set(data.NUM_CLASSES) == names
    assert set(cost.IMAGE_SHAPE) == set(cost.TRAIN_IMAGES) == set(cost.TEST_IMAGES) == names
    # the cost's networks are built with one class count for every dataset
    assert set(data.NUM_CLASSES.values()) == {cost.NUM_CLASSES}


@pytest.mark.parametrize("name", config.DATASETS)
def test_every_dataset_is_looked_for_where_its_files_would_be(name, tmp_path):
    """load_dataset knows the name down to its torchvision class and the hint it gives."""
    with pytest.raises(data.DataNotFound, match=f"no {name} data in"):
        data.load_dataset(name, tmp_path)


def test_an_unknown_dataset_is_refused_by_the_loader(tmp_path):
    with pytest.raises(ValueError, match="unknown dataset 'imagenet'"):
        data.load_dataset("imagenet", tmp_path)


# -- models ------------------------------------------------------------------------------------
def test_every_model_has_paper_widths_and_depth():
    assert set(models.PAPER_WIDTH) == set(models.PAPER_DEPTH) == set(config.MODELS)
    assert docstring_names(models.__doc__) == set(config.MODELS)


@pytest.mark.parametrize("name", config.MODELS)
@pytest.mark.parametrize("dataset", config.DATASETS)
def test_every_model_is_built_and_costed_for_every_dataset(name, dataset):
    shape = cost.IMAGE_SHAPE[dataset]
    with torch.device("meta"):  # shapes only: no memory, no compute
        net = models.build_model(name, shape, data.NUM_CLASSES[dataset])
    assert net(torch.empty(2, *shape, device="meta")).shape == (2, data.NUM_CLASSES[dataset])
    assert cost.forward_macs(name, shape, (), None) > 0


def test_an_unknown_model_is_refused_by_the_builder():
    with pytest.raises(ValueError, match="unknown model 'vgg'"):
        models.build_model("vgg", (3, 32, 32), 10)


# -- deficits ----------------------------------------------------------------------------------
def test_every_deficit_is_made_by_the_deficits_module():
    x, y = torch.rand(2, 3, 8, 8), torch.tensor([0, 1])
    for name in config.DEFICITS:
        x2, y2 = repro.deficits.make_deficit(name, 0, 10)(x, y, torch.Generator())
        assert x2.shape == x.shape and y2.shape == y.shape
    with pytest.raises(ValueError, match="unknown deficit 'fog'"):
        repro.deficits.make_deficit("fog", 0, 10)


def test_the_deficits_module_defines_and_documents_no_other_deficit():
    # deficit functions are batch functions (x, y, generator); label_permutation makes one
    functions = {name for name, f in vars(repro.deficits).items()
                 if inspect.isfunction(f) and f.__module__ == repro.deficits.__name__
                 and list(inspect.signature(f).parameters)[:2] == ["x", "y"]}
    assert functions | {"label_permutation"} == set(config.DEFICITS)
    assert docstring_names(repro.deficits.__doc__) == set(config.DEFICITS)


# -- learning-rate schedules -------------------------------------------------------------------
def test_every_schedule_is_documented_and_gives_its_own_rates():
    documented = set(re.findall(r"^ {6}(\w+) {2,}", RunSpec.__doc__, re.M))
    assert documented == set(config.LR_SCHEDULES)
    rates = {}
    for schedule in config.LR_SCHEDULES:
        s = RunSpec("cifar10", "conv3", ((2, "blur"), (3, None)), seed=0, lr=1.0, lr_decay=0.5,
                    lr_schedule=schedule)
        assert s.lr_schedule == schedule
        rates[schedule] = tuple(s.lr_at(e) for e in range(s.total_epochs))
    assert len(set(rates.values())) == len(config.LR_SCHEDULES), rates


# -- Fisher estimators -------------------------------------------------------------------------
def test_the_fisher_estimators_are_the_fisher_modules():
    assert tuple(config.FISHER_ESTIMATORS) == tuple(fisher.ESTIMATORS)
    assert set(re.findall(r'^- "(\w+)":', fisher.__doc__, re.M)) == set(fisher.ESTIMATORS)


@pytest.mark.parametrize("estimator", config.FISHER_ESTIMATORS)
def test_every_fisher_estimator_gives_a_trace(estimator):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(12, 3))
    x, y = torch.randn(4, 3, 2, 2), torch.tensor([0, 1, 2, 0])
    trace = fisher.fisher_trace(model, x, y, estimator=estimator,
                                generator=torch.Generator().manual_seed(0))
    assert trace.total > 0


# -- the plugin's choices ----------------------------------------------------------------------
class Options:
    """Records the plugin's command-line options, as pytest's parser would take them."""

    def __init__(self):
        self.options: dict[str, dict] = {}

    def getgroup(self, *args, **kwargs):
        return self

    def addoption(self, name, **kwargs):
        self.options[name] = kwargs


def test_the_plugins_choices_are_the_tiers_and_the_backends_precisions():
    opts = Options()
    plugin.pytest_addoption(opts)
    assert set(opts.options["--tier"]["choices"]) == set(TIERS)
    assert tuple(opts.options["--precision"]["choices"]) == tuple(backend.PRECISIONS)


@pytest.mark.parametrize("tier", sorted(TIERS))
def test_every_tier_builds_its_runs_from_known_names(tier):
    RunSpec(phases=((1, None),), seed=0, **TIERS[tier].base)  # refuses an unknown name


def claim_functions():
    import importlib

    root = Path(__file__).resolve().parents[1] / "claims"
    for path in sorted(root.glob("test_*.py")):
        module = importlib.import_module(f"claims.{path.stem}")
        for name, fn in vars(module).items():
            if name.startswith("test_") and hasattr(fn, "_repro_declared"):
                yield f"{path.stem}::{name}", fn._repro_declared


@pytest.mark.parametrize("name, declared", list(claim_functions()))
def test_each_tier_declares_its_own_failures_and_the_same_computation_carries_them(name,
                                                                                  declared):
    """Expected failures and tiers that do not run a claim are declared per tier, each with
    its own reason; a claim whose setting is the same at both tiers and trains nothing through
    a tier (direct runs, the tier's base unused) computes the same there: what was measured at
    one tier holds at the other, so both declare the same."""
    settings = declared["settings"]
    for kind in ("expected_failures", "not_run"):
        for key, reason in declared[kind].items():
            tier = key[0] if isinstance(key, tuple) else key  # (tier, protocol) or tier
            assert tier in TIERS and tier in settings, f"{name}: {kind} for unknown tier {tier}"
            if isinstance(key, tuple):
                assert key[1] in PROTOCOLS, f"{name}: {kind} for unknown protocol {key[1]}"
            assert reason.strip(), f"{name}: {kind}[{tier}] has no reason"
    same = len(settings) == len(TIERS) and len({repr(v) for v in settings.values()}) == 1
    if same and name.split("::")[0] in DIRECT_CLAIM_FILES:
        for kind in ("expected_failures", "not_run"):
            assert len({declared[kind].get(t) for t in TIERS}) == 1, (name, kind)


# claim files whose runs are all direct (repro.direct): their computation ignores the tier's base
DIRECT_CLAIM_FILES = {"test_deep_linear", "test_multipathway"}
