from pathlib import Path

import numpy as np
import pytest
import torch

from repro.data import DataNotFound, DataUnreadable, balanced_subset, load_dataset

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def test_npz_loads_as_uint8_nchw_tensors(fake_data):
    d = load_dataset("cifar10", fake_data)
    assert d.train.x.dtype == torch.uint8 and d.train.x.shape == (200, 3, 8, 8)
    assert d.test.y.dtype == torch.long and d.num_classes == 10
    assert d.mean.shape == (3,) and (d.std > 0).all()


def test_subsets_are_class_balanced_and_fixed(fake_data):
    a = load_dataset("cifar10", fake_data, train_size=50)
    b = load_dataset("cifar10", fake_data, train_size=50, resolution=4)
    assert torch.bincount(a.train.y).tolist() == [5] * 10
    assert torch.equal(a.train.y, b.train.y) and b.train.x.shape[-1] == 4
    with pytest.raises(ValueError, match="multiple of 10"):
        balanced_subset(a.train, 55, 10)


def test_missing_data_names_the_directory_and_how_to_fill_it(tmp_path):
    with pytest.raises(DataNotFound) as err:
        load_dataset("cifar10", tmp_path)
    msg = str(err.value)
    assert str(tmp_path) in msg and "cifar10.npz" in msg and "--download" in msg


def test_a_file_that_does_not_match_its_digest_is_refused_with_the_digest_expected(fake_data):
    (fake_data / "SHA256SUMS").write_text("0" * 64 + "  cifar10.npz\n")
    with pytest.raises(DataUnreadable) as err:
        load_dataset("cifar10", fake_data)
    msg = str(err.value)
    assert str(fake_data / "cifar10.npz") in msg and "expected " + "0" * 64 in msg


@pytest.mark.parametrize("damage", ["truncated", "overwritten"])
def test_a_damaged_data_file_gives_one_error_that_names_it(fake_data, damage):
    """No SHA256SUMS beside it: the damage is found reading the file (a truncated zip; 4 KB of
    an array overwritten, which its zip CRC catches), and the error says which file."""
    npz = fake_data / "cifar10.npz"
    blob = bytearray(npz.read_bytes())
    if damage == "truncated":
        blob = blob[: len(blob) // 2]
    else:
        blob[len(blob) // 3 : len(blob) // 3 + 4096] = bytes(4096)
    npz.write_bytes(bytes(blob))
    with pytest.raises(DataUnreadable) as err:
        load_dataset("cifar10", fake_data)
    msg = str(err.value)
    assert str(npz) in msg and "damaged" in msg and "no digest of it is known" in msg


def test_a_data_file_without_its_arrays_names_the_missing_ones(tmp_path):
    np.savez(tmp_path / "cifar10.npz", x_train=np.zeros((10, 8, 8, 3), np.uint8))
    with pytest.raises(DataUnreadable, match=r"lacks the array\(s\) y_train, x_test, y_test"):
        load_dataset("cifar10", tmp_path)


@pytest.mark.skipif(not (SHARED / "cifar10.npz").is_file(), reason="no shared data here")
def test_the_shared_cifar10_copy_loads_and_resizes():
    d = load_dataset("cifar10", SHARED, train_size=1000, resolution=16)
    assert d.train.x.shape == (1000, 3, 16, 16) and d.test.x.shape == (10000, 3, 16, 16)
    assert torch.bincount(d.test.y).tolist() == [1000] * 10


def test_padding_centres_the_images_in_zeros(fake_data):
    from repro.data import pad

    x = torch.full((2, 1, 28, 28), 7, dtype=torch.uint8)
    out = pad(x, 32)
    assert out.shape == (2, 1, 32, 32) and out.dtype == torch.uint8
    assert out[:, :, 2:30, 2:30].eq(7).all() and out.sum() == x.sum()
    with pytest.raises(ValueError, match="cannot pad 28x28 images to 16x16"):
        pad(x, 16)
    d = load_dataset("cifar10", fake_data, train_size=50, pad_to=12)
    assert d.train.x.shape[-2:] == (12, 12) and d.test.x.shape[-2:] == (12, 12)


def test_the_original_pixels_are_told_from_a_lossy_copy(fake_data):
    from repro.data import ORIGINAL_FINGERPRINTS, data_source, describe, fingerprint

    assert data_source("cifar10", fake_data)["original"] is False
    assert "NOT the original pixels" in describe(data_source("cifar10", fake_data))
    if not (SHARED / "cifar10_lossless_subset.npz").is_file():
        pytest.skip("the offline datasets are not beside the repository")
    with np.load(SHARED / "cifar10_lossless_subset.npz") as d:  # original images 0-3999
        field, count, expected = ORIGINAL_FINGERPRINTS["cifar10"]
        assert fingerprint(d[field], count) == expected
    assert data_source("cifar10", SHARED)["original"] is False  # the JPEG-decoded copy
    assert data_source("mnist", SHARED)["original"] is True
