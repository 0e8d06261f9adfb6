"""Per-phase settings (weight decay, augmentation, a fraction of the training set,
shrink-and-perturb): they name their phases only when set, and the engine obeys them."""
import pytest
import torch
from helpers import fresh, tiny

from repro import RunSpec, get_run
from repro.config import Phase
from repro.data import load_dataset
from repro.engine import _build, fraction_of, shrink_perturb


def spec(phases, **kw):
    return RunSpec(dataset="cifar10", model="conv3", phases=phases, seed=0, **kw)


def test_unset_settings_leave_the_canonical_form_as_before():
    s = spec([(3, "blur"), Phase(2, None)])
    assert s.canonical()["phases"] == [[3, "blur"], [2, None]]
    wd0 = spec([(3, "blur"), Phase(2, None, weight_decay=0.0)])
    assert wd0.canonical()["phases"] == [[3, "blur"], [2, None, {"weight_decay": 0.0}]]
    assert wd0.key() != s.key()


def test_phases_merge_only_with_equal_settings_and_a_shrink_keeps_its_boundary():
    assert spec([Phase(2, weight_decay=0.0), Phase(3, weight_decay=0.0)]).phases == (
        Phase(5, weight_decay=0.0),)
    assert len(spec([Phase(2, weight_decay=0.0), Phase(3)]).phases) == 2
    sp = spec([Phase(2, train_fraction=0.5), Phase(3), Phase(1, shrink_perturb=(0.3, 0.01))])
    assert [p.epochs for p in sp.phases] == [2, 3, 1]
    assert spec([Phase(2), Phase(3, shrink_perturb=(0.3, 0.01))]).truncate(4).phases[1] == Phase(
        2, shrink_perturb=(0.3, 0.01))


def test_settings_per_epoch_and_the_restarted_schedule_after_a_warm_start():
    s = spec([Phase(2, weight_decay=0.0, augment=False), Phase(2)], weight_decay=1e-3,
             augment=True, lr=1.0, lr_decay=0.5, lr_schedule="restart")
    assert [s.weight_decay_at(e) for e in range(4)] == [0.0, 0.0, 1e-3, 1e-3]
    assert [s.augment_at(e) for e in range(4)] == [False, False, True, True]
    warm = spec([Phase(2, train_fraction=0.5), Phase(3)], lr=1.0, lr_decay=0.5,
                lr_schedule="restart")
    assert [warm.lr_at(e) for e in range(5)] == [1, 1, 1, 0.5, 0.25]


@pytest.mark.parametrize("bad, match", [
    ({"weight_decay": -1.0}, "weight_decay must be non-negative"),
    ({"train_fraction": 0.0}, r"train_fraction must be in \(0, 1\]"),
    ({"train_fraction": 1.5}, r"train_fraction must be in \(0, 1\]"),
    ({"shrink_perturb": (0.3,)}, r"shrink_perturb is a pair \(shrink, noise\)"),
    ({"until_train_acc": 0.0}, r"until_train_acc is a training accuracy in \(0, 1\]"),
    ({"until_train_acc": 99}, r"until_train_acc is a training accuracy in \(0, 1\]"),
])
def test_bad_settings_are_refused(bad, match):
    with pytest.raises(ValueError, match=match):
        Phase(1, **bad)


def test_an_override_equal_to_the_run_setting_is_the_same_computation(ctx, tmp_path):
    plain = get_run(tiny([(2, None)], weight_decay=5e-4), ctx)
    same = get_run(tiny([Phase(2, weight_decay=5e-4, augment=True, shrink_perturb=(1.0, 0.0))],
                        weight_decay=5e-4, augment=True), fresh(ctx, tmp_path, "b"))
    strip = [{k: v for k, v in m.items() if k in plain.metrics[0]} for m in same.metrics]
    assert strip == plain.metrics
    no_wd = get_run(tiny([Phase(2, weight_decay=0.0)], weight_decay=5e-4), ctx)
    assert no_wd.metrics[-1]["test_loss"] != plain.metrics[-1]["test_loss"]


def test_a_warm_start_with_shrink_and_perturb_resumes_exactly(ctx, tmp_path):
    s = tiny([Phase(2, train_fraction=0.5), Phase(2, shrink_perturb=(0.3, 0.01))],
             lr_schedule="restart")
    whole = get_run(s, fresh(ctx, tmp_path, "whole"))
    get_run(s.truncate(2), ctx)
    resumed = get_run(s, ctx)
    assert resumed.resumed_from == 2 and resumed.metrics == whole.metrics


def test_fraction_is_a_fixed_balanced_subset(fake_data):
    data = load_dataset("cifar10", str(fake_data), train_size=100)
    half = fraction_of(data, 0.5)
    assert len(half.y) == 50 and torch.bincount(half.y, minlength=10).tolist() == [5] * 10
    assert torch.equal(fraction_of(data, 0.5).x, half.x)


def test_shrink_and_perturb_is_the_formula(fake_data):
    data = load_dataset("cifar10", str(fake_data), train_size=100)
    s = tiny([(1, None)])
    model, _ = _build(s, data, torch.device("cpu"))
    before = [p.detach().clone() for p in model.parameters()]
    shrink_perturb(model, s, data, 0, 1.0, 0.0)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
    shrink_perturb(model, s, data, 3, 0.0, 1.0)  # a fresh initialisation, from (seed, epoch)
    fresh_init = [p.detach().clone() for p in model.parameters()]
    model2, _ = _build(s, data, torch.device("cpu"))
    shrink_perturb(model2, s, data, 3, 0.5, 2.0)
    for a, f, b in zip(before, fresh_init, model2.parameters()):
        assert torch.allclose(b, 0.5 * a + 2.0 * f)


def test_a_phase_to_a_training_accuracy_stops_there_and_skips_the_rest(ctx, tmp_path):
    # the tiny run learns its 100 images within a few epochs at a high rate, no augmentation
    kw = dict(augment=False, lr=0.1, lr_schedule="constant", momentum=0.9)
    free = get_run(tiny([(8, None)], **kw), ctx).metrics
    target = free[2]["train_acc"]  # reached at epoch 3 or before
    hit = next(i for i, m in enumerate(free) if m["train_acc"] >= target)
    run = get_run(tiny([Phase(8, until_train_acc=target), Phase(2)], **kw),
                  fresh(ctx, tmp_path, "target"))
    rows = run.metrics
    assert [m.get("skipped", False) for m in rows[:8]] == [i > hit for i in range(8)]
    trained = ("train_loss", "train_acc", "steps", "lr")
    assert [[m[k] for k in trained] for m in rows[:hit + 1]] == [[m[k] for k in trained]
                                                                 for m in free[:hit + 1]]
    assert all(m["train_acc"] == rows[hit]["train_acc"] and m["steps"] == rows[hit]["steps"]
               for m in rows[hit + 1:8])
    assert run.epochs_trained == hit + 1 + 2
    # the second phase continues from the network the target left: its steps follow on
    assert rows[8]["steps"] == rows[hit]["steps"] + rows[0]["steps"]
    # a phase with its own target never merges with its neighbour
    assert len(tiny([Phase(3, until_train_acc=0.5), Phase(3, until_train_acc=0.5)]).phases) == 2


def test_a_fresh_optimizer_starts_the_phase_without_momentum(ctx, tmp_path):
    data = load_dataset("cifar10", ctx.data_dir, train_size=100)
    s = tiny([(1, None), Phase(1, fresh_optimizer=True)])
    model, opt = _build(s, data, torch.device("cpu"))
    from repro.engine import train_epoch

    train_epoch(model, opt, data, s, 0, torch.device("cpu"))
    assert opt.state  # momentum buffers after the first epoch
    kept = tiny([(2, None)])
    a = get_run(s, fresh(ctx, tmp_path, "fresh")).metrics
    b = get_run(kept, fresh(ctx, tmp_path, "kept")).metrics
    assert a[0] == {**b[0]} and a[1]["train_loss"] != b[1]["train_loss"]
    assert a[1]["fresh_optimizer"] is True
