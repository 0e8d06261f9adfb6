"""CPU kernels split their sums by thread, so a CPU run's numbers depend on the thread count: the
count is part of the run's key, and the engine sets it, whatever the process was using."""
import pytest
import torch
from helpers import tiny

from repro import Context, RunStore, get_run


def spec(seed=0):
    return tiny([(2, "blur"), (1, None)], seed, augment=True)


def context(tmp_path, fake_data, name, threads):
    return Context(RunStore(tmp_path / name), data_dir=str(fake_data), cpu_threads=threads)


def test_the_cpu_thread_count_is_part_of_the_key(tmp_path, fake_data):
    one, two = (context(tmp_path, fake_data, "s", t) for t in (1, 2))
    assert '"threads":1' in one.device_tag and '"threads":2' in two.device_tag
    assert one.key(spec()) != two.key(spec())
    assert Context(one.store, data_dir=str(fake_data)).key(spec()) == one.key(spec())  # default


def test_a_run_trains_on_its_own_thread_count_whatever_the_process_uses(tmp_path, fake_data):
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        a = get_run(spec(), context(tmp_path, fake_data, "a", 1))
        assert torch.get_num_threads() == 2  # restored after training
        torch.set_num_threads(1)
        b = get_run(spec(), context(tmp_path, fake_data, "b", 1))
    finally:
        torch.set_num_threads(before)
    assert a.epochs_trained == b.epochs_trained == 3
    assert a.metrics == b.metrics


def test_a_bad_thread_count_is_refused(tmp_path):
    with pytest.raises(ValueError, match="cpu_threads must be a positive integer"):
        Context(RunStore(tmp_path / "s"), cpu_threads=0)
