"""The multipathway model: targets, the authors' init, and the gate."""
import dataclasses

import pytest
import torch

from repro.multipathway import (
    Multipathway,
    hierarchical_targets,
    init_pathway,
    mode_strengths,
    pathway_map,
    share_b,
    task_svd,
    train,
)

SMALL = Multipathway(width=16, epochs=40, gate_epochs=10, lr=0.05, init_scale=0.1)


def test_hierarchical_targets():
    y = hierarchical_targets(3)
    assert y.shape == (15, 8)
    assert y.sum(1).tolist() == [8, 4, 4, 2, 2, 2, 2] + [1] * 8
    assert torch.equal(y[7:], torch.eye(8, dtype=y.dtype))
    _, _, s, _ = task_svd(Multipathway())
    assert s.tolist() == pytest.approx([15**0.5, 7**0.5, 3**0.5, 3**0.5, 1, 1, 1, 1])


def test_init_is_aligned_with_the_task():
    cfg = Multipathway()
    ws = init_pathway(cfg, 0)
    assert [tuple(w.shape) for w in ws] == [(100, 8), (100, 100), (100, 100), (15, 100)]
    _, u, _, v = task_svd(cfg)
    m = pathway_map(ws)
    k = mode_strengths(m, u, v)
    assert torch.allclose(m, u[:, :8] @ torch.diag(k) @ v.T, atol=1e-12)  # diagonal in the basis
    assert torch.all((k > 0.005) & (k < 0.02)) and torch.all(k[:-1] >= k[1:])
    # the hidden layers are balanced: W_3^T W_3 = W_2 W_2^T
    assert torch.allclose(ws[2].T @ ws[2], ws[1] @ ws[1].T, atol=1e-12)


def test_without_a_gate_the_pathways_stay_equal():
    r = train(SMALL, None, seed=0, record_every=1)
    assert r["K_a"] == r["K_b"] and r["share_b"] == 0.5
    assert r["history"]["loss"][-1] < r["history"]["loss"][0]


def test_the_gate_freezes_pathway_b_and_only_during_its_window():
    r = train(SMALL, 10, seed=0, record_every=1)
    h = r["history"]
    kb = torch.tensor(h["K_b"])
    ka = torch.tensor(h["K_a"])
    assert torch.equal(kb[10], kb[20])  # epochs 10-19 gated: b unchanged
    assert not torch.equal(ka[10], ka[20])  # while a learns
    assert not torch.equal(kb[20], kb[30])  # b learns again after the gate
    assert not torch.equal(kb[0], kb[10])


def test_runs_repeat_exactly_and_depend_on_the_seed():
    a = train(SMALL, 0, seed=3)
    assert train(SMALL, 0, seed=3) == a
    assert train(SMALL, 0, seed=4)["K_a"] != a["K_a"]


def test_share_b():
    assert share_b([1, 1], [1, 1]) == 0.5
    assert share_b([3, 0], [1, 0]) == 0.25


def test_config_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Multipathway().lr = 1.0
