import pytest

from repro.gpus import NoGPU, parse_gpus, worker_gpu


def test_gpus_are_indices_into_the_visible_devices():
    assert parse_gpus("all", 2) == [0, 1]
    assert parse_gpus(None, 3) == [0, 1, 2]
    assert parse_gpus("1,0", 2) == [1, 0]
    assert parse_gpus("0,0,1,1", 2) == [0, 0, 1, 1]
    with pytest.raises(NoGPU, match="names device 2, but only 2 GPU"):
        parse_gpus("2", 2)
    with pytest.raises(NoGPU, match="takes 'all' or a list"):
        parse_gpus("claims/", 2)


def test_worker_n_takes_entry_n():
    gpus = [0, 0, 1, 1]
    assert [worker_gpu(gpus, f"gw{i}") for i in range(4)] == [0, 0, 1, 1]
    assert worker_gpu(gpus, None) == 0  # a plain run


def test_a_worker_past_the_list_shares_deterministically_with_a_warning():
    with pytest.warns(UserWarning, match="gw5 is past the 2 entries"):
        assert worker_gpu([4, 6], "gw5") == 6  # a worker xdist restarted under a new id


def test_no_gpu_is_a_clear_error():
    with pytest.raises(NoGPU, match="no CUDA device is visible"):
        parse_gpus("all", 0)
