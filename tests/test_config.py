import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from repro.config import MEASUREMENTS, Phase, RunSpec

phase = st.builds(Phase, st.integers(0, 6), st.sampled_from([None, "blur", "vflip", "clean"]))


def spec(phases, **kw):
    return RunSpec(dataset="cifar10", model="conv3", phases=phases, seed=0, **kw)


def test_neighbouring_phases_with_the_same_deficit_merge():
    assert spec([(5, "blur"), (5, "blur"), (0, None), (3, None)]).phases == (
        Phase(10, "blur"), Phase(3, None))
    assert spec([(5, "blur"), (5, "blur")]).key() == spec([(10, "blur")]).key()


def test_clean_switch_is_plain_training_unless_the_schedule_restarts():
    assert spec([(4, "clean"), (3, None)]).key() == spec([(7, None)]).key()
    restart = dict(lr_schedule="restart")
    assert spec([(4, "clean"), (3, None)], **restart).key() != spec([(7, None)], **restart).key()


@given(st.lists(phase, min_size=1, max_size=5).filter(lambda p: sum(x.epochs for x in p) > 0),
       st.data())
def test_truncation_is_a_prefix(phases, data):
    s = spec(phases)
    e = data.draw(st.integers(1, s.total_epochs))
    f = data.draw(st.integers(1, e))
    assert s.truncate(e).truncate(f) == s.truncate(f)
    assert s.truncate(s.total_epochs).key() == s.key()
    assert [s.deficit_at(i) for i in range(e)] == [s.truncate(e).deficit_at(i) for i in range(e)]
    # the learning rate of an epoch depends only on the prefix up to it
    assert [s.lr_at(i) for i in range(e)] == [s.truncate(e).lr_at(i) for i in range(e)]


# A valid value other than KEYED_BASE's for every RunSpec field. Every training field is part of
# the key; no measurement field (MEASUREMENTS) is, since measuring changes no weight.
KEYED_BASE = spec([(2, "blur"), (3, None)])
OTHER_VALUE = {
    "dataset": "mnist", "model": "fc", "phases": ((2, "vflip"), (3, None)), "seed": 1,
    "train_size": 100, "resolution": 8, "pad_to": 12, "width": (4, 8), "depth": 2, "lr": 0.1,
    "lr_schedule": "constant", "lr_decay": 0.9, "lr_restart_at": 2, "momentum": 0.5,
    "weight_decay": 1e-3,
    "batch_size": 64, "augment": False, "fisher_at": (2,), "fisher_probe": 100,
    "fisher_estimator": "sampled", "test_every": 0, "fisher_steps": (3, 7),
}
# and for every Phase field, in KEYED_BASE's first phase
OTHER_PHASE_VALUE = {"epochs": 1, "deficit": "noise", "weight_decay": 0.0, "augment": False,
                     "train_fraction": 0.5, "shrink_perturb": (0.5, 0.01),
                     "fresh_optimizer": True, "until_train_acc": 0.99}


def test_every_field_has_another_value_here():
    assert set(OTHER_VALUE) == {f.name for f in dataclasses.fields(RunSpec)}
    assert set(OTHER_PHASE_VALUE) == {f.name for f in dataclasses.fields(Phase)}


@pytest.mark.parametrize("field", sorted(set(OTHER_VALUE) - set(MEASUREMENTS)))
def test_key_changes_with_every_training_field(field):
    assert getattr(KEYED_BASE, field) != OTHER_VALUE[field]
    other = dataclasses.replace(KEYED_BASE, **{field: OTHER_VALUE[field]})
    assert other.key() != KEYED_BASE.key()


@pytest.mark.parametrize("field", MEASUREMENTS)
def test_no_measurement_changes_the_key(field):
    assert getattr(KEYED_BASE, field) != OTHER_VALUE[field]
    other = dataclasses.replace(KEYED_BASE, **{field: OTHER_VALUE[field]})
    assert other.key() == KEYED_BASE.key()
    assert other.measurements()[field] != KEYED_BASE.measurements()[field]


@pytest.mark.parametrize("field", sorted(OTHER_PHASE_VALUE))
def test_key_changes_with_every_phase_field(field):
    first, *rest = KEYED_BASE.phases
    changed = dataclasses.replace(first, **{field: OTHER_PHASE_VALUE[field]})
    assert changed != first
    assert dataclasses.replace(KEYED_BASE, phases=(changed, *rest)).key() != KEYED_BASE.key()


def test_key_changes_with_the_device():
    assert KEYED_BASE.key("cpu") != KEYED_BASE.key("cuda")


def test_learning_rate_schedules():
    exp = spec([(2, "blur"), (2, None)], lr=1.0, lr_decay=0.5)
    assert [exp.lr_at(e) for e in range(4)] == [1, 0.5, 0.25, 0.125]
    const = spec([(2, "blur"), (2, None)], lr=1.0, lr_schedule="constant")
    assert [const.lr_at(e) for e in range(4)] == [1, 1, 1, 1]
    restart = spec([(2, "blur"), (3, None)], lr=1.0, lr_decay=0.5, lr_schedule="restart")
    assert [restart.lr_at(e) for e in range(5)] == [1, 1, 1, 0.5, 0.25]
    no_deficit = spec([(3, None)], lr=1.0, lr_decay=0.5, lr_schedule="restart")
    assert [no_deficit.lr_at(e) for e in range(3)] == [1, 0.5, 0.25]


@pytest.mark.parametrize("kw, match", [
    (dict(dataset="imagenet"), "unknown dataset"),
    (dict(model="vgg"), "unknown model"),
    (dict(lr_schedule="cosine"), "unknown lr_schedule"),
    (dict(phases=((3, "fog"),)), "unknown deficit"),
    (dict(phases=((-1, None),)), "non-negative"),
    (dict(phases=((0, None),)), "at least one epoch"),
])
def test_bad_specs_are_refused_with_a_clear_message(kw, match):
    args = dict(dataset="cifar10", model="conv3", phases=((3, None),), seed=0) | kw
    with pytest.raises(ValueError, match=match):
        RunSpec(**args)


def test_restart_without_deficit_is_exponential_and_with_only_deficits_constant():
    restart = dict(lr_schedule="restart")
    assert spec([(6, None)], **restart).key() == spec([(6, None)]).key()
    assert spec([(4, "clean")], **restart).key() == spec([(4, None)], lr_schedule="constant").key()
    assert (spec([(4, "blur")], **restart).key()
            == spec([(4, "blur")], lr_schedule="constant").key())
    # so a restarted branch shares its deficit phase with the constant-rate runs
    full = spec([(4, "blur"), (3, None)], **restart)
    assert full.lr_schedule == "restart"
    assert full.truncate(4).key() == spec([(4, "blur"), (3, None)],
                                          lr_schedule="constant").truncate(4).key()
    assert [full.truncate(e).lr_at(e - 1) for e in range(1, 8)] == [full.lr_at(e)
                                                                    for e in range(7)]


def test_the_canonical_form_holds_training_only():
    s = spec([(3, None)], fisher_at=(1, 3), test_every=0)
    assert not set(MEASUREMENTS) & set(s.canonical())
    assert s.key() == spec([(3, None)]).key()


def test_fisher_epochs_are_checked_and_truncated_with_the_run():
    s = spec([(2, "blur"), (3, None)], fisher_at=(5, 1, 3))
    assert s.fisher_at == (1, 3, 5)
    assert s.truncate(3).fisher_at == (1, 3)
    for bad in ((0,), (6,)):
        with pytest.raises(ValueError, match="fisher_at"):
            spec([(5, None)], fisher_at=bad)
    with pytest.raises(ValueError, match="fisher_estimator"):
        spec([(5, None)], fisher_estimator="diagonal")
