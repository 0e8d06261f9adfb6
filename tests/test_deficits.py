import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from repro.config import DEFICITS
from repro.deficits import blur, class_permutation, make_deficit, noise, vflip

sizes = st.sampled_from([4, 8, 16, 32])


def images(n, c, h, seed):
    return torch.rand((n, c, h, h), generator=torch.Generator().manual_seed(seed))


@settings(deadline=None, max_examples=30)
@given(st.integers(1, 4), st.sampled_from([1, 3]), sizes, st.integers(0, 2**31 - 1),
       st.sampled_from(DEFICITS))
def test_deficits_keep_shape_and_dtype(n, c, h, seed, name):
    x, y = images(n, c, h, seed), torch.randint(0, 10, (n,))
    x2, y2 = make_deficit(name, seed, 10)(x, y, torch.Generator().manual_seed(seed))
    assert x2.shape == x.shape and x2.dtype == x.dtype
    assert y2.shape == y.shape and y2.dtype == y.dtype


@given(st.floats(0, 1), sizes)
def test_blur_leaves_constant_images_unchanged(value, h):
    x = torch.full((2, 3, h, h), value)
    assert torch.allclose(blur(x, None)[0], x, atol=1e-6)


@given(sizes)
def test_blur_removes_the_finest_detail(h):
    checker = ((torch.arange(h)[:, None] + torch.arange(h)[None, :]) % 2).float()
    x = checker.expand(1, 3, h, h)
    out = blur(x, None)[0]
    assert out.std() < 0.1 * x.std()


@given(st.integers(0, 2**31 - 1), sizes)
def test_vertical_flip_twice_is_identity_and_moves_rows(seed, h):
    x = images(2, 3, h, seed)
    once = vflip(x, None)[0]
    assert torch.equal(vflip(once, None)[0], x)
    assert torch.equal(once[..., 0, :], x[..., -1, :])


@given(st.integers(0, 2**31 - 1), st.integers(2, 100))
def test_label_permutation_is_a_fixed_bijection(seed, k):
    perm = class_permutation(seed, k)
    assert sorted(perm.tolist()) == list(range(k))
    assert torch.equal(perm, class_permutation(seed, k))
    f = make_deficit("label_permutation", seed, k)
    y = torch.arange(k).repeat(3)
    assert torch.equal(f(None, y)[1], perm[y])  # the same class always maps to the same label


@settings(deadline=None)
@given(st.integers(0, 2**31 - 1))
def test_noise_matches_each_images_mean_and_std_and_forgets_the_image(seed):
    x = images(4, 3, 32, seed) * images(4, 3, 1, seed + 2)
    out = noise(x, None, torch.Generator().manual_seed(seed + 1))[0]
    assert torch.allclose(out.mean((-2, -1)), x.mean((-2, -1)), atol=0.05)
    assert torch.allclose(out.std((-2, -1)), x.std((-2, -1)), rtol=0.15, atol=0.01)
    centred = [(t - t.mean((-2, -1), keepdim=True)).flatten() for t in (out, x)]
    corr = torch.corrcoef(torch.stack(centred))[0, 1]
    assert abs(corr) < 0.1  # only the per-channel statistics survive, not the picture


@settings(deadline=None, max_examples=20)
@given(st.integers(0, 2**31 - 1), st.sampled_from(["blur", "vflip", "noise"]))
def test_deficits_commute_with_per_channel_normalisation(seed, name):
    x = images(3, 3, 16, seed)
    scale = torch.tensor([2.0, 0.5, 4.0])[:, None, None]
    shift = torch.tensor([-1.0, 0.2, 3.0])[:, None, None]
    f = make_deficit(name, seed, 10)
    a = f(x * scale + shift, None, torch.Generator().manual_seed(seed))[0]
    b = f(x, None, torch.Generator().manual_seed(seed))[0] * scale + shift
    assert torch.allclose(a, b, atol=1e-4)
