import pytest

from repro.gpus import NoGPU, parse_gpus, worker_gpu


def test_gpus_index_into_the_outer_visible_devices():
    assert parse_gpus("0,1", "4,6") == ["4", "6"]
    assert parse_gpus("all", "4,6") == ["4", "6"]
    assert parse_gpus("1,0", None) == ["1", "0"]
    with pytest.raises(NoGPU, match="has 2 entries"):
        parse_gpus("2", "4,6")


def test_one_gpu_per_worker():
    gpus = ["4", "6"]
    assert worker_gpu(gpus, "gw0") == "4" and worker_gpu(gpus, "gw1") == "6"
    assert worker_gpu(gpus, None) == "4"
    with pytest.raises(NoGPU, match="use -n 2"):
        worker_gpu(gpus, "gw2")


def test_no_gpu_is_a_clear_error():
    with pytest.raises(NoGPU, match="no CUDA GPU"):
        worker_gpu([], "gw0")
