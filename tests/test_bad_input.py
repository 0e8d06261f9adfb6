"""Bad input gets a clear message before any training: in specs, tiers, options and data.
Epochs beyond a run's schedule: a Fisher measurement or a stored prefix past its end (a deficit
window cannot pass the end: a run is its phases, so the window makes the run longer).

(Unknown datasets, models, deficits and schedules in a bare RunSpec: test_config.py; --gpus
without a GPU, an unwritable store and an empty data directory: test_plugin.py.)
"""
import json

import pytest

# Imported before any in-process pytester run, which unloads the modules imported during it:
# torch's compiler (imported by the first optimizer) and torchvision register operators that
# cannot be registered twice in one process.
import torch._dynamo  # noqa: F401
import torchvision  # noqa: F401

from repro.config import Phase, RunSpec
from repro.tiers import Tier

pytest_plugins = ["pytester"]


@pytest.mark.parametrize("seed", [None, -1, 1.5, "0", True])
def test_a_seed_that_is_not_a_non_negative_integer_is_refused(seed):
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        RunSpec(dataset="cifar10", model="conv3", phases=((3, None),), seed=seed)


@pytest.mark.parametrize("epochs", [-3, 2.5, "4"])
def test_phase_epochs_must_be_a_non_negative_integer(epochs):
    with pytest.raises(ValueError, match="phase epochs must be a non-negative integer"):
        Phase(epochs, "blur")


@pytest.mark.parametrize("fisher_at", [(0,), (2, 6)])
def test_a_fisher_epoch_beyond_the_run_is_refused(fisher_at):
    with pytest.raises(ValueError, match=r"fisher_at .* must lie within epochs 1\.\.5"):
        RunSpec(dataset="cifar10", model="conv3", phases=((2, "blur"), (3, None)), seed=0,
                fisher_at=fisher_at)


def test_a_prefix_beyond_the_run_is_refused():
    s = RunSpec(dataset="cifar10", model="conv3", phases=((2, "blur"), (3, None)), seed=0)
    with pytest.raises(ValueError, match="cannot truncate a 5-epoch run to 6"):
        s.truncate(6)


def test_a_tier_without_seeds_is_refused():
    with pytest.raises(ValueError, match="tier 'bare' has no seeds"):
        Tier(name="bare", base={}, seeds=(), paper_epochs_per_epoch=1)


# -- options ---------------------------------------------------------------------------------
@pytest.mark.parametrize("args, message", [
    (["--tier", "papr"], "*--tier: invalid choice: 'papr' (choose from *paper*smoke*)"),
    (["--seed-base", "ten"], "*--seed-base: invalid int value: 'ten'*"),
    (["--seed-base", "-3"], "*--seed-base must be a non-negative integer*not -3*"),
    (["--cpu-threads", "0"], "*--cpu-threads must be a positive integer, not 0*"),
], ids=["tier", "seed-base-not-int", "seed-base-negative", "cpu-threads"])
@pytest.mark.slow
def test_bad_options_are_usage_errors_that_say_what_is_wrong(pytester, tmp_path, args, message):
    pytester.makepyfile(test_x="def test_x(): pass")
    res = pytester.runpytest("-p", "repro.plugin", "--store", str(tmp_path / "s"), *args)
    assert res.ret == pytest.ExitCode.USAGE_ERROR
    res.stderr.fnmatch_lines([message])


# -- claims ----------------------------------------------------------------------------------
TINY = 'dict(train_size=100, resolution=None, width=(4, 8), batch_size=50)'

BAD_CLAIMS = f'''
from repro.harness import claim

TINY = {TINY}

def claim_runs(harness, phases, seed=0, **kw):
    harness.runs([harness.spec(phases, seed, **(TINY | kw))])

@claim("bad/model", paper="Demo", statement="x")
def test_model(harness):
    claim_runs(harness, [(2, None)], model="vgg")

@claim("bad/dataset", paper="Demo", statement="x")
def test_dataset(harness):
    claim_runs(harness, [(2, None)], dataset="imagenet")

@claim("bad/deficit", paper="Demo", statement="x")
def test_deficit(harness):
    claim_runs(harness, [(2, "fog"), (2, None)])

@claim("bad/zero-epochs", paper="Demo", statement="x")
def test_zero_epochs(harness):
    claim_runs(harness, [(0, "blur"), (0, None)])

@claim("bad/negative-epochs", paper="Demo", statement="x")
def test_negative_epochs(harness):
    claim_runs(harness, [(-2, "blur"), (4, None)])

@claim("bad/fisher-epoch", paper="Demo", statement="x")
def test_fisher_epoch(harness):
    claim_runs(harness, [(2, "blur"), (2, None)], fisher_at=(2, 5))

@claim("bad/checkpoint", paper="Demo", statement="x")
def test_checkpoint(harness):
    harness.model_at(harness.spec([(2, "blur"), (2, None)], 0, **TINY).truncate(6))

@claim("bad/seed", paper="Demo", statement="x")
def test_seed(harness):
    claim_runs(harness, [(2, None)], seed=harness.seeds[0] - 1)
'''

EXPECTED = {
    "bad/model": "ValueError: unknown model 'vgg'; known: allcnn, allcnn-c, conv3, fc, resnet18",
    "bad/dataset": "ValueError: unknown dataset 'imagenet'; known: cifar10, mnist",
    "bad/deficit": "ValueError: unknown deficit 'fog'; known: blur, vflip, label_permutation, "
                   "noise, clean",
    "bad/zero-epochs": "ValueError: a run needs at least one epoch of training",
    "bad/negative-epochs": "ValueError: phase epochs must be a non-negative integer, got -2",
    "bad/fisher-epoch": "ValueError: fisher_at (2, 5) must lie within epochs 1..4",
    "bad/checkpoint": "ValueError: cannot truncate a 4-epoch run to 6",
    "bad/seed": "ValueError: seed must be a non-negative integer, got -1",
}


def verdicts(report_dir):
    out = json.loads((report_dir / "smoke" / "results.json").read_text())
    return {v["claim"]: v for v in out["verdicts"]}


def stored(store_dir):
    return list(store_dir.glob("*/*.json"))


@pytest.mark.slow
def test_bad_runs_in_claims_are_errors_that_say_what_is_wrong(pytester, tmp_path, fake_data):
    pytester.makepyfile(test_bad=BAD_CLAIMS)
    res = pytester.runpytest("-p", "repro.plugin", "--data-dir", str(fake_data),
                             "--store", str(tmp_path / "s"), "--report", str(tmp_path / "r"))
    res.assert_outcomes(failed=len(EXPECTED))
    got = verdicts(tmp_path / "r")
    assert {c: (v["outcome"], v["notes"]) for c, v in got.items()} == {
        c: ("error", [note]) for c, note in EXPECTED.items()}
    assert not stored(tmp_path / "s")  # nothing was trained


MISSING_MNIST = f'''
from repro.harness import claim

TINY = {TINY}

@claim("demo/two-datasets", paper="Demo", statement="x")
def test_two_datasets(harness):
    harness.runs([harness.spec([(1, None)], 0, **TINY),  # cifar10 is there, and shorter
                  harness.spec([(2, None)], 0, dataset="mnist", **TINY)])
'''


@pytest.mark.slow
def test_a_missing_dataset_is_an_error_before_any_run_is_trained(pytester, tmp_path, fake_data):
    pytester.makepyfile(test_two_datasets=MISSING_MNIST)
    res = pytester.runpytest("-p", "repro.plugin", "--data-dir", str(fake_data),
                             "--store", str(tmp_path / "s"), "--report", str(tmp_path / "r"))
    res.assert_outcomes(failed=1)
    missing = (f"*error: no mnist data in {fake_data}: expected mnist.npz*MNIST/raw/*"
               "--data-dir*--download*")
    res.stdout.fnmatch_lines([missing])
    assert verdicts(tmp_path / "r")["demo/two-datasets"]["outcome"] == "error"
    assert not stored(tmp_path / "s")  # the cifar10 run was not trained first
