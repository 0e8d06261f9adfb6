"""Every deficit is judged against its matched control: a run that differs from it only in the
deficit (the same epochs, the same learning rate at every step, clean data).

The walk calls every claim of claims/ at every tier and protocol with a dry-run harness and
fails on any run under a deficit that is not in an arm naming a matched control; the harness
itself refuses a named control that is not matched (UnmatchedControl)."""
from __future__ import annotations

import contextlib
import importlib
from pathlib import Path

import numpy as np
import pytest
from helpers import tiny, tiny_tier

from repro.config import RunSpec
from repro.harness import Arm, Harness, PlanOnly, Run, UnmatchedControl
from repro.protocols import PROTOCOLS, deficit_run, matched, matched_control, sweep
from repro.tiers import TIERS


class Node:
    def __init__(self, name):
        self.nodeid, self.user_properties = name, []

    def add_marker(self, marker):
        pass


def claim_items():
    root = Path(__file__).resolve().parents[1] / "claims"
    for path in sorted(root.glob("test_*.py")):
        module = importlib.import_module(f"claims.{path.stem}")
        for name, fn in vars(module).items():
            if name.startswith("test_") and hasattr(fn, "_repro_claim"):
                for params in fn._repro_params:
                    for tier in sorted(TIERS):
                        yield pytest.param(fn, params, tier,
                                           id=f"{path.stem}::{name}{params or ''}-{tier}")


def under_deficit(spec) -> bool:
    return isinstance(spec, RunSpec) and any(p.deficit is not None for p in spec.phases)


@pytest.mark.parametrize("fn, params, tier", list(claim_items()))
def test_every_deficit_run_of_every_claim_has_a_matched_control(fn, params, tier):
    h = Harness(TIERS[tier], None, 0, True, Node("walk"))
    with contextlib.suppress(PlanOnly):  # UnmatchedControl, for a control not matched, is raised
        fn._repro_claim(harness=h, **params)
    controlled = {id(s) for _, control, _, _, specs in h.arms if control for s in specs}
    loose = [s.label() for s in h.planned if under_deficit(s) and id(s) not in controlled]
    assert not loose, f"runs under a deficit judged without a matched control: {loose}"
    for name, control, _, _, specs in h.arms:
        if any(under_deficit(s) for s in specs):
            assert control, f"arm {name!r} trains under a deficit and names no matched control"


# -- what "matched" means ----------------------------------------------------------------------
@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_protocol_s_control_differs_from_its_deficit_run_only_in_the_deficit(protocol):
    for onset in (0, 2):
        run = deficit_run(protocol, "blur", 3, 4, onset=onset)
        control = matched_control(protocol, 3, 4, onset=onset)
        a, b = tiny(run.phases, **run.overrides), tiny(control.phases, **control.overrides)
        assert matched(a, b) == ""
        assert [a.lr_at(e) for e in range(a.total_epochs)] \
            == [b.lr_at(e) for e in range(b.total_epochs)]


@pytest.mark.parametrize("control, why", [
    (tiny([(7, None)]), "epochs"),  # the no-deficit run: fewer epochs
    (tiny([(10, None)], lr_restart_at=3), "learning rate"),  # restarted, the run is not
    (tiny([(10, None)], lr=0.1), "other settings"),
    (tiny([(3, "vflip"), (7, None)]), "deficit"),  # a control under a deficit
    (tiny([(3, None), (7, None)], seed=1), "other settings: seed"),
])
def test_a_control_that_differs_in_more_than_the_deficit_is_not_matched(control, why):
    run = tiny([(3, "blur"), (7, None)])
    assert why in matched(run, control)


def test_the_harness_refuses_an_arm_whose_control_is_not_matched():
    h = Harness(tiny_tier(), None, 0, True, Node("n"))
    with pytest.raises(UnmatchedControl, match=r"'blur'.*not matched.*epochs"):
        h.train({"none": [(4, None)], "blur": Arm([(2, "blur"), (4, None)], control="none")})
    with pytest.raises(UnmatchedControl, match="no condition 8"):
        h.train({"clean": Arm({4: [(8, None)]}, by="T"),
                 "blur": Arm({8: [(8, "blur"), (4, None)]}, by="T", control="clean")})
    with pytest.raises(PlanOnly):  # matched: planned
        h.train(sweep("restart", {"blur": (2, 4)}, 4))


def test_the_restart_protocol_shares_the_deficit_prefix_with_the_published_one():
    pub = deficit_run("published", "blur", 3, 4)
    rst = deficit_run("restart", "blur", 3, 4)
    a, b = tiny(pub.phases, **pub.overrides), tiny(rst.phases, **rst.overrides)
    assert a.prefix_keys()[:3] == b.prefix_keys()[:3]
    assert a.prefix_keys()[3] != b.prefix_keys()[3]
    assert b.lr_at(3) == b.lr == a.lr_at(0) and a.lr_at(3) < a.lr
    # the restarted control's clean prefix is the no-deficit run's
    c = matched_control("restart", 3, 4)
    assert tiny(c.phases, **c.overrides).truncate(3).key() == tiny([(3, None)]).key()


def test_the_effect_is_the_same_seed_difference_from_the_matched_control(ctx):
    tier = tiny_tier(seeds=(0, 1), width=(2, 2), train_size=40, batch_size=20)
    h = Harness(tier, ctx, 0, False, Node("effect"))
    runs = h.train(sweep("published", {"blur": (1, 2)}, 1))
    acc = runs.final("test_acc", percent=True)
    np.testing.assert_allclose(runs.effect("blur"), acc["blur"] - acc["clean"])
    with pytest.raises(ValueError, match="names no matched control"):
        runs.effect("none")


def test_a_run_that_never_restarts_keeps_its_key():
    assert tiny([(4, None)], lr_restart_at=None).key() == tiny([(4, None)]).key()
    assert tiny([(4, None)], lr_restart_at=4).key() == tiny([(4, None)]).key()  # at its end
    assert tiny([(4, None)], lr_restart_at=0).lr_restart_at is None
    with pytest.raises(ValueError, match="restarts the exponential schedule"):
        tiny([(4, None)], lr_restart_at=2, lr_schedule="constant")
    assert Run([(2, "blur")], lr_restart_at=2).overrides == {"lr_restart_at": 2}
