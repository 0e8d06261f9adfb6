"""Every claim check can fail: each judge gets data that satisfies its claim (and passes) and data
that violates it in one way at a time (and fails)."""
import numpy as np
import pytest

from claims import test_constant_lr as constant_lr
from claims import test_depth as depth
from claims import test_fisher_trace as fisher
from claims import test_high_level_deficits as high_level
from claims import test_layerwise_fisher as layerwise
from claims import test_lr_restart as restart
from claims import test_sensitivity_window as window
from repro.verdict import outcome_of

BASE = np.array([55.0, 56.0, 54.5])
WOBBLE = np.array([0.3, -0.2, 0.1])


def high_level_damage(**change):
    """damage[deficit][seed]: matched control minus deficit (points)."""
    damage = {"blur": 4 + WOBBLE, "vflip": 0.2 - WOBBLE, "label_permutation": -0.3 + WOBBLE,
              "noise": 2 - WOBBLE}
    for k, v in change.items():
        damage[k] = v + WOBBLE
    return damage


def test_high_level_judge_passes_the_claim():
    assert outcome_of(high_level.judge(high_level_damage())) == "pass"
    assert outcome_of(high_level.judge_vflip(high_level_damage())) == "pass"


@pytest.mark.parametrize("change", [
    {"vflip": 1.5, "blur": 1.8},  # flip within the margin but no better than blur
    {"label_permutation": 5.0},  # permutation permanent
    {"label_permutation": -3.0},  # permutation moves accuracy UP by 3: no equivalence either
    {"noise": 6.0},  # noise worse than blur
])
def test_high_level_judge_fails_violations(change):
    assert outcome_of(high_level.judge(high_level_damage(**change))) == "fail"


@pytest.mark.parametrize("flip", [3.0, -3.0])  # flip drops, or raises, accuracy by 3 points
def test_flip_that_moves_accuracy_beyond_the_margin_either_way_fails(flip):
    damage = high_level_damage(vflip=flip, blur=flip + 4)
    assert outcome_of(high_level.judge_vflip(damage)) == "fail"


@pytest.mark.parametrize("moved", [3.0, -3.0])
def test_a_control_that_moves_by_more_than_its_margin_in_either_direction_fails(moved):
    assert outcome_of(high_level.judge_control(0.2 + WOBBLE)) == "pass"
    assert outcome_of(high_level.judge_control(moved + WOBBLE)) == "fail"


def test_a_control_inside_the_margin_but_too_noisy_to_tell_fails():
    assert outcome_of(high_level.judge_control(np.array([1.8, -1.9, 0.5]))) == "fail"


def test_restart_judge():
    s = restart.SETTINGS["smoke"]
    published = 6 + WOBBLE
    assert outcome_of(restart.judge({"published": published, "restart": 1 + WOBBLE}, s)) == "pass"
    # the restart closes too little of the gap
    assert outcome_of(restart.judge({"published": published, "restart": 4 + WOBBLE}, s)) == "fail"
    # no gap under the paper's schedule: nothing to close
    assert outcome_of(restart.judge({"published": 0.1 + WOBBLE, "restart": 0 * WOBBLE},
                                    s)) == "fail"


ONSETS = (0, 4, 8)


def test_window_judges_pass_the_paper_curve():
    damage = np.array([[4.0, 4.5, 3.8], [1.0, 0.6, 0.8], [0.1, -0.2, 0.0]])
    assert outcome_of(window.judge_peak(ONSETS, damage)) == "pass"
    assert outcome_of(window.judge_late(damage)) == "pass"


@pytest.mark.parametrize("damage", [
    [[0.5, 0.2, 0.4], [1.0, 1.5, 0.8], [4.0, 4.4, 3.9]],  # peaks late
    [[0.2, -0.3, 0.1], [0.0, 0.1, -0.1], [0.0, 0.0, 0.1]],  # no damage anywhere
    [[4.0, -3.0, 3.0], [0.0, 0.1, -0.1], [0.0, 0.0, 0.1]],  # early damage within noise
])
def test_window_peak_judge_fails_violations(damage):
    assert outcome_of(window.judge_peak(ONSETS, np.array(damage))) == "fail"


@pytest.mark.parametrize("late", [[2.4, 2.0, 2.6], [-2.4, -2.0, -2.6]])
def test_window_late_judge_fails_when_late_windows_move_accuracy_either_way(late):
    damage = np.array([[4.0, 4.5, 3.8], [3.0, 2.6, 2.8], late])
    assert outcome_of(window.judge_late(damage)) == "fail"


def test_constant_lr_judge():
    assert outcome_of(constant_lr.judge(5 + WOBBLE)) == "pass"
    assert outcome_of(constant_lr.judge(0.2 + WOBBLE)) == "fail"


DEPTH_T = depth.SETTINGS["paper"].remove_at


def profiles(*scales):
    """damage[net, T, seed]: each net's profile grows with T, scaled per net."""
    base = np.linspace(1, 4, len(DEPTH_T))[:, None] + WOBBLE
    return np.array([base * k for k in scales])


def test_depth_judge_passes_profiles_that_grow_with_depth():
    assert outcome_of(depth.judge(DEPTH_T, profiles(1, 2, 3))) == "pass"
    # the area: a profile 1..4 over an even T grid has mean 2.5
    assert depth.area(DEPTH_T, profiles(1)[0]) == pytest.approx(2.5 + WOBBLE)


@pytest.mark.parametrize("scales, why", [
    ((3, 2, 1), "the shallower net suffers more"),
    ((1, 1.05, 1.1), "the deeper nets' profiles barely differ"),
    ((1, 3, 1.6), "the middle depth suffers most, the order is not by depth"),
])
def test_depth_judge_fails_profiles_that_violate_the_claim(scales, why):
    assert outcome_of(depth.judge(DEPTH_T, profiles(*scales))) == "fail", why


def test_depth_judge_compares_profiles_not_one_point():
    # equal damage at the largest T, larger for the deeper net at every smaller T: it passes
    shallow = profiles(1)[0]
    deep = shallow.copy()
    deep[:-1] += 2.5
    mid = (shallow + deep) / 2
    assert outcome_of(depth.judge(DEPTH_T, np.array([shallow, mid, deep]))) == "pass"


EPOCHS = (1, 2, 4, 6, 8, 10)


def test_fisher_judge_passes_a_rise_then_fall():
    traces = np.array([[1, 50, 400, 90, 30, 10], [2, 80, 500, 60, 20, 8], [1, 40, 300, 70, 25, 9]])
    assert outcome_of(fisher.judge(EPOCHS, traces, 10)) == "pass"


@pytest.mark.parametrize("traces", [
    [[1, 50, 100, 200, 300, 400], [2, 60, 120, 220, 330, 500], [1, 40, 90, 150, 260, 380]],  # rise
    [[1, 2, 3, 4, 50, 10], [1, 2, 3, 5, 40, 8], [1, 2, 3, 4, 60, 9]],  # peaks late
    [[100, 120, 110, 90, 80, 70], [90, 110, 100, 95, 70, 60], [95, 105, 99, 80, 70, 65]],  # flat
])
def test_fisher_judge_fails_violations(traces):
    assert outcome_of(fisher.judge(EPOCHS, np.array(traces, float), 10)) == "fail"


def test_layerwise_judge():
    clean = np.array([0.40, 0.42, 0.38])  # mean layer positions per seed
    assert outcome_of(layerwise.judge(clean, clean + 0.2 + WOBBLE / 10, clean,
                                      clean + 0.15 + WOBBLE / 10)) == "pass"
    assert outcome_of(layerwise.judge(clean, clean + 0.2, clean,
                                      clean + 0.01 + WOBBLE / 100)) == "fail"  # it does not stay
    assert outcome_of(layerwise.judge(clean, clean - 0.1, clean,
                                      clean - 0.1 + WOBBLE / 100)) == "fail"  # it moves down


def test_mean_layer_position_sees_every_upward_move():
    from torch import nn
    net = nn.Sequential(*(m for _ in range(4) for m in (nn.Conv2d(4, 4, 3), nn.BatchNorm2d(4))),
                        nn.Flatten(), nn.Linear(4, 2))
    groups = layerwise.layer_groups(net)
    assert groups == [["0", "1"], ["2", "3"], ["4", "5"], ["6", "7"], ["9"]]

    def at(*shares):  # a trace with these shares per weight layer (BatchNorm half of each)
        return {n: v / len(g) for g, v in zip(groups, shares) for n in g}

    assert layerwise.mean_position(at(1, 0, 0, 0, 0), groups) == 0
    assert layerwise.mean_position(at(0, 0, 0, 0, 1), groups) == 1
    low, middle, high = at(0, 0.5, 0.5, 0, 0), at(0, 0, 1, 0, 0), at(0, 0, 0, 0.5, 0.5)
    # a move from layers 2-3 into 3 and one from 3 into 4-5 both raise it; a "top half" (the
    # last 3 of 5 layers) share would see only the first
    assert layerwise.mean_position(low, groups) < layerwise.mean_position(middle, groups) \
        < layerwise.mean_position(high, groups)


def test_fisher_note_names_a_raw_rise_that_the_scale_invariant_trace_lacks_an_artefact():
    rises = np.array([[1, 50, 400, 90, 30, 10], [2, 80, 500, 60, 20, 8], [1, 40, 300, 70, 25, 9]])
    flat = np.array([[5, 6, 5, 6, 5, 6], [4, 5, 4, 5, 4, 5], [6, 5, 6, 5, 6, 5]])
    raw, invariant = fisher.judge(EPOCHS, rises, 10), fisher.judge(EPOCHS, flat, 10)
    assert outcome_of(invariant) == "fail"  # the verdict follows the scale-invariant trace
    assert "artefact of the weights' norm" in fisher.artefact_note(raw, invariant)
    assert "not an artefact" in fisher.artefact_note(raw, raw)
