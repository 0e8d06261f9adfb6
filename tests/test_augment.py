import itertools

import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from repro.augment import random_crop_flip


def candidates(img, pad):
    """Every image torchvision's RandomCrop(padding=pad) + RandomHorizontalFlip can produce."""
    _, h, w = img.shape
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


def outcome_counts(outputs, cands):
    """How often each candidate occurs among `outputs` (every output must be one of them)."""
    dist = torch.cdist(outputs.flatten(1).double(), cands.flatten(1).double())  # [n, 50]
    nearest = dist.min(1)
    assert (nearest.values < 1e-4).all(), "an output is no padded crop of the input"
    return torch.bincount(nearest.indices, minlength=len(cands))


def test_batches_match_the_common_torchvision_pipeline_in_distribution():
    """bench/throughput.py's baseline (DataLoader with per-sample torchvision transforms) and the
    engine's batch augmentation + normalisation draw from the same 50 outcomes, as often."""
    from PIL import Image
    from scipy.stats import chi2_contingency

    from bench.throughput import common_transform
    from repro.data import Dataset, Split
    from repro.engine import to_input

    h, pad, n = 16, 2, 1500  # the smoke tier's image size and padding
    x = torch.randint(0, 256, (1, 3, h, h), dtype=torch.uint8,
                      generator=torch.Generator().manual_seed(0))
    mean, std = torch.tensor([0.49, 0.48, 0.45]), torch.tensor([0.25, 0.24, 0.26])
    split = Split(x, torch.zeros(1, dtype=torch.long))
    data = Dataset("cifar10", split, split, mean, std, 10, "test")
    cands = to_input(torch.stack([c for _, c in candidates(x[0], pad)]), data, False)
    distances = torch.cdist(cands.flatten(1), cands.flatten(1))
    assert distances.add(1e9 * torch.eye(len(cands))).min() > 1

    ours = to_input(random_crop_flip(x.expand(n, -1, -1, -1).contiguous(), pad,
                                     torch.Generator().manual_seed(1)), data, False)
    img = Image.fromarray(x[0].permute(1, 2, 0).numpy())
    torch.manual_seed(2)  # torchvision draws from the global generator
    tf = common_transform(h, pad, mean.tolist(), std.tolist())
    theirs = torch.stack([tf(img) for _ in range(n)])
    counts = torch.stack([outcome_counts(ours, cands), outcome_counts(theirs, cands)])
    assert chi2_contingency(counts.numpy()).pvalue > 1e-3, counts

    # the comparison has power: a pipeline flipping a quarter of the images instead of half is
    # caught
    from torchvision import transforms as T

    biased = T.Compose([T.RandomCrop(h, padding=pad), T.RandomHorizontalFlip(0.25),
                        T.ToTensor(), T.Normalize(mean.tolist(), std.tolist())])
    other = torch.stack([biased(img) for _ in range(n)])
    counts = torch.stack([outcome_counts(ours, cands), outcome_counts(other, cands)])
    assert chi2_contingency(counts.numpy()).pvalue < 1e-6, counts
