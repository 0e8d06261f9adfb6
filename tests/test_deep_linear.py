"""Deep linear matrix completion: gradients, data, init, and the branched sweep."""
import dataclasses

import pytest
import torch

from repro.deep_linear import (
    MatrixCompletion,
    end_to_end,
    gradients,
    init_weights,
    mask_of,
    switch_sweep,
    target_and_observations,
)

TINY = MatrixCompletion(size=8, rank=2, observed_first=20, observed_second=30, second_steps=50,
                        lr=0.5, init_scale=0.1, dtype="float64", trace_every=10)


@pytest.mark.parametrize("depth", [1, 2, 3, 4])
def test_gradients_match_autograd(depth):
    cfg = dataclasses.replace(TINY, depth=depth)
    target, observed = target_and_observations(cfg, 0)
    g = torch.Generator().manual_seed(1)
    weights = [torch.randn(8, 8, generator=g, dtype=torch.float64) for _ in range(depth)]
    e, grads = gradients(weights, target, mask_of(cfg, observed))
    leaves = [w.clone().requires_grad_() for w in weights]
    loss = 0.5 * (end_to_end(leaves).reshape(-1)[observed] - target.reshape(-1)[observed]
                  ).pow(2).mean()
    expected = torch.autograd.grad(loss, leaves)
    assert torch.allclose(e, end_to_end(weights))
    for got, want in zip(grads, expected):
        assert torch.allclose(got, want, rtol=1e-10, atol=1e-12)


def test_target_has_the_rank_and_unit_mean_square_and_nested_observations():
    cfg = MatrixCompletion()
    target, observed = target_and_observations(cfg, 3)
    assert target.shape == (100, 100) and target.dtype == torch.float32
    assert float(target.double().pow(2).mean()) == pytest.approx(1.0, rel=1e-5)
    assert int(torch.linalg.matrix_rank(target.double(), rtol=1e-4)) == 5  # float32 rounding
    assert len(observed) == 1500 and len(set(observed.tolist())) == 1500
    # the data depend on the seed only: every depth sees the same target and entries
    t3, o3 = target_and_observations(dataclasses.replace(cfg, depth=1), 3)
    assert torch.equal(t3, target) and torch.equal(o3, observed)


@pytest.mark.parametrize("depth", [1, 2, 3])
def test_init_product_has_the_authors_scale(depth):
    cfg = MatrixCompletion(depth=depth, dtype="float64")
    e = end_to_end(init_weights(cfg, 0))
    # authors: Frobenius norm of the product within 20 % of init_scale * sqrt(size)
    assert 0.8 < float(e.norm()) / (cfg.init_scale * 10) < 1.2


def test_a_branched_sweep_equals_separate_runs_and_repeats_exactly():
    cfg = dataclasses.replace(TINY, depth=3)
    both = switch_sweep(cfg, (0, 30), seed=5)
    alone = switch_sweep(cfg, (30,), seed=5)
    assert both["final"][30] == alone["final"][30]
    assert both["trace"][30] == alone["trace"][30]
    assert switch_sweep(cfg, (0, 30), seed=5) == both
    assert switch_sweep(cfg, (0, 30), seed=6)["final"] != both["final"]


def test_depth_one_never_touches_unobserved_entries():
    cfg = dataclasses.replace(TINY, depth=1)
    target, observed = target_and_observations(cfg, 0)
    w = init_weights(cfg, 0)
    _, grads = gradients(w, target, mask_of(cfg, observed))
    unseen = torch.ones(64, dtype=torch.bool)
    unseen[observed] = False
    assert torch.all(grads[0].reshape(-1)[unseen] == 0)
    assert torch.all(grads[0].reshape(-1)[observed] != 0)
