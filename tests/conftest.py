import pytest

# Imported once, before any test: the in-process pytester runs of test_plugin.py roll sys.modules
# back afterwards, and torch._dynamo imported for the first time inside one (torch imports it
# lazily) cannot be imported again: its op library is already registered in torch's C++ side.
import torch._dynamo  # noqa: F401

from repro import Context, RunStore
from repro.synthetic import write_fake_cifar


@pytest.fixture
def fake_data(tmp_path):
    d = tmp_path / "data"
    d.mkdir()
    return write_fake_cifar(d)


@pytest.fixture(scope="module")
def module_fake_data(tmp_path_factory):
    """The fake CIFAR of `fake_data`, written once for a test module."""
    return write_fake_cifar(tmp_path_factory.mktemp("data"))


@pytest.fixture
def ctx(tmp_path, fake_data):
    """An empty store in tmp_path on the fake CIFAR, checkpoints at phase boundaries (and every
    100 epochs: never, in these tests)."""
    return Context(RunStore(tmp_path / "store"), data_dir=str(fake_data), checkpoint_every=100)
