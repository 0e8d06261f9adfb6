import numpy as np
import pytest
# Imported once, before any test: the in-process pytester runs of test_plugin.py roll sys.modules
# back afterwards, and torch._dynamo imported for the first time inside one (torch imports it
# lazily) cannot be imported again: its op library is already registered in torch's C++ side.
import torch._dynamo  # noqa: F401


def write_fake_cifar(directory, n_train=200, n_test=100, size=8, seed=0):
    """A tiny learnable CIFAR-shaped dataset: each class has its own mean colour."""
    rng = np.random.default_rng(seed)

    def make(n):
        y = np.arange(n) % 10
        base = (y[:, None, None, None] * 23 + np.array([40, 80, 120])) % 256
        x = np.clip(base + rng.normal(0, 30, (n, size, size, 3)), 0, 255).astype(np.uint8)
        return x, y.astype(np.uint8)

    xtr, ytr = make(n_train)
    xte, yte = make(n_test)
    np.savez(directory / "cifar10.npz", x_train=xtr, y_train=ytr, x_test=xte, y_test=yte)
    return directory


@pytest.fixture
def fake_data(tmp_path):
    d = tmp_path / "data"
    d.mkdir()
    return write_fake_cifar(d)


@pytest.fixture(scope="module")
def module_fake_data(tmp_path_factory):
    """The fake CIFAR of `fake_data`, written once for a test module."""
    return write_fake_cifar(tmp_path_factory.mktemp("data"))
