"""Helpers the test modules share (fixtures are in conftest.py): import them as
`from helpers import tiny` (tests/ is on the path, as for _run_worker).

Test modules never import one another: what two of them need lives here."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from repro import Context, RunSpec, RunStore
from repro.tiers import SMOKE, Tier

# A run of conv3 at widths 4/8 on 100 images of the fake CIFAR (8x8, conftest.fake_data): a few
# hundredths of a second an epoch
TINY_RUN = {"dataset": "cifar10", "model": "conv3", "width": (4, 8), "train_size": 100,
            "lr": 0.05, "lr_decay": 0.8, "batch_size": 32}


def tiny(phases, seed: int = 0, **overrides) -> RunSpec:
    """The tiny run of `phases` ([(epochs, deficit), ...] or Phases); `overrides`: any other
    RunSpec field."""
    return RunSpec(phases=tuple(phases), seed=seed, **(TINY_RUN | overrides))


def tiny_tier(seeds: tuple[int, ...] = (0, 1), **base) -> Tier:
    """The smoke tier at tiny sizes (widths 4/8, 400 images at their own size, batches of 100),
    for claims run end to end on the fake CIFAR; `base`: other settings of the tier's runs."""
    return replace(SMOKE, base={**SMOKE.base, "width": (4, 8), "train_size": 400,
                                "resolution": None, "batch_size": 100, **base}, seeds=seeds)


def fresh(ctx: Context, tmp_path: Path, name: str) -> Context:
    """A context like `ctx` (data, checkpoints) on an empty store of its own."""
    return Context(RunStore(tmp_path / name), data_dir=ctx.data_dir,
                   checkpoint_every=ctx.checkpoint_every)


def remote_claim(name: str) -> str:
    """A claim file of three runs, two sharing a blur prefix, for the tests that send runs
    elsewhere (Ray, Slurm) and compare them with a plain run."""
    return f'''
from repro.harness import claim
from repro.verdict import Check

@claim("demo/{name}", paper="Demo", statement="a blur run and a clean run")
def test_demo(harness):
    def spec(phases):
        return harness.spec(phases, harness.seeds[0], train_size=None, resolution=None)

    clean = harness.runs([spec([(3, None)])])
    blur = harness.runs([spec([(2, "blur"), (1, None)]), spec([(1, "blur"), (1, None)])])
    drop = (clean[0].final("test_acc") - blur[0].final("test_acc")) * 100
    harness.record([Check("drop", drop, "> -100", drop > -100, reason="demo")])
'''


def assert_like_a_plain_run(remote: dict, plain: dict) -> None:
    """The verdict of remote_claim's runs sent elsewhere equals a plain run's: the same keys and
    per-epoch numbers, and the blur runs' shared 1-epoch prefix trained once (3 + 2 + 2 epochs)."""
    assert remote["outcome"] == plain["outcome"] == "pass"
    assert len(remote["runs"]) == 3
    for a, b in zip(remote["runs"], plain["runs"]):
        assert a["key"] == b["key"] and a["metrics"] == b["metrics"]
    assert remote["epochs_trained"] == plain["epochs_trained"] == 3 + 2 + 2
