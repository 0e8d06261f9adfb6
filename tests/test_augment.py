import itertools

import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from repro.augment import random_crop_flip


def candidates(img, pad):
    """Every image torchvision's RandomCrop(padding=pad) + RandomHorizontalFlip can produce."""
    c, h, w = img.shape
    padded = F.pad(img, (pad, pad, pad, pad))
    for dy, dx in itertools.product(range(2 * pad + 1), repeat=2):
        crop = padded[:, dy : dy + h, dx : dx + w]
        yield (dy, dx, False), crop
        yield (dy, dx, True), crop.flip(-1)


@settings(deadline=None, max_examples=25)
@given(st.integers(1, 6), st.sampled_from([4, 8, 16]), st.integers(0, 4), st.integers(0, 2**31))
def test_every_output_is_a_padded_crop_of_its_input_maybe_flipped(n, h, pad, seed):
    x = torch.randint(0, 256, (n, 3, h, h), dtype=torch.uint8,
                      generator=torch.Generator().manual_seed(seed))
    out = random_crop_flip(x, pad, torch.Generator().manual_seed(seed + 1))
    assert out.shape == x.shape and out.dtype == x.dtype
    for i in range(n):
        assert any(torch.equal(out[i], cand) for _, cand in candidates(x[i], pad))


def test_offsets_and_flips_are_uniform():
    h, pad, n = 8, 2, 20_000
    x = (torch.arange(h * h) + 1).reshape(1, 1, h, h).expand(n, 1, h, h).to(torch.uint8)
    out = random_crop_flip(x.contiguous(), pad, torch.Generator().manual_seed(0))
    cands = torch.stack([cand for _, cand in candidates(x[0], pad)])  # 50 distinct outcomes
    hits = (out[:, None] == cands[None]).flatten(2).all(-1)  # [n, 50]
    assert torch.equal(hits.sum(1), torch.ones(n, dtype=torch.long))
    counts = hits.sum(0).float()
    expected = n / len(cands)
    assert ((counts - expected).abs() < 5 * expected**0.5).all(), counts
