"""A run's key says what made its numbers: device model and versions, thread count, precision,
determinism, compilation, and the digest of the data file."""
import numpy as np
import pytest

from repro import Context, RunSpec, RunStore, get_run
from repro.synthetic import write_fake_cifar


def spec():
    return RunSpec("cifar10", "conv3", ((1, "blur"), (1, None)), seed=0, width=(4, 8),
                   train_size=100, batch_size=50)


@pytest.fixture
def store(tmp_path):
    return RunStore(tmp_path / "store")


def key(store, data, **kw):
    return Context(store, data_dir=str(data), **kw).key(spec())


def test_the_key_changes_with_each_part_of_the_backend(store, fake_data, monkeypatch):
    base = key(store, fake_data)
    assert key(store, fake_data) == base
    assert key(store, fake_data, cpu_threads=2) != base
    assert key(store, fake_data, precision="bf16") != base
    assert key(store, fake_data, compile=True) != base
    monkeypatch.setenv("REPRO_FAKE_CUDA", "1")  # a CUDA identity, without a GPU
    det = key(store, fake_data, device="cuda:0")
    assert det not in (base, key(store, fake_data, device="cuda:0", deterministic=False))
    assert key(store, fake_data, device="cuda:0", precision="tf32") != det


def test_the_key_changes_with_the_data_file(store, tmp_path, fake_data):
    other = tmp_path / "other"
    other.mkdir()
    write_fake_cifar(other, seed=1)  # same shapes, other pixels
    assert key(store, fake_data) != key(store, other)


def test_the_identity_names_device_versions_and_modes(store, fake_data, monkeypatch):
    ident = Context(store, data_dir=str(fake_data)).backend.identity()
    assert {"kind", "torch", "precision", "threads", "model"} <= set(ident)
    monkeypatch.setenv("REPRO_FAKE_CUDA", "1")
    ident = Context(store, device="cuda:0", deterministic=False).backend.identity()
    assert ident["model"] == "Fake GPU" and ident["determinism"] == "nondeterministic"
    assert {"cuda", "cudnn"} <= set(ident) and ident["precision"] == "fp32"


def test_tf32_is_refused_on_the_cpu(store):
    with pytest.raises(ValueError, match="tf32 is a CUDA mode"):
        Context(store, precision="tf32")


def test_a_run_records_its_device_and_data(store, fake_data):
    ctx = Context(store, data_dir=str(fake_data))
    res = get_run(spec(), ctx)
    meta = store.meta(res.key)
    assert meta["device"] == ctx.backend.identity()
    assert meta["data"]["source"].endswith("cifar10.npz") and len(meta["data"]["digest"]) == 16


def test_bf16_trains_other_numbers_into_another_entry(store, fake_data):
    fp32 = get_run(spec(), Context(store, data_dir=str(fake_data)))
    bf16 = get_run(spec(), Context(store, data_dir=str(fake_data), precision="bf16"))
    assert fp32.key != bf16.key and bf16.epochs_trained == 2
    assert not np.isclose(fp32.metrics[-1]["train_loss"], bf16.metrics[-1]["train_loss"],
                          rtol=0, atol=1e-9)
