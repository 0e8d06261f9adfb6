import pytest
# Imported once, before any test: the in-process pytester runs of test_plugin.py roll sys.modules
# back afterwards, and torch._dynamo imported for the first time inside one (torch imports it
# lazily) cannot be imported again: its op library is already registered in torch's C++ side.
import torch._dynamo  # noqa: F401

from repro.synthetic import write_fake_cifar  # noqa: F401  (tests import it from here)


@pytest.fixture
def fake_data(tmp_path):
    d = tmp_path / "data"
    d.mkdir()
    return write_fake_cifar(d)


@pytest.fixture(scope="module")
def module_fake_data(tmp_path_factory):
    """The fake CIFAR of `fake_data`, written once for a test module."""
    return write_fake_cifar(tmp_path_factory.mktemp("data"))
