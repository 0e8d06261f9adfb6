"""`pytest claims/ -n N --gpus` as a researcher types it, with the CUDA layer faked (repro.cuda,
REPRO_FAKE_CUDA=2): real xdist runs in subprocesses, each process recording the device it took.

Checked: each worker takes its entry of the --gpus list (indices within the outer
CUDA_VISIBLE_DEVICES, which nobody changes), a list may repeat a GPU, -n auto starts one worker
per GPU, and the controller chooses no device and leaves its environment as it was.
"""
import json

import pytest

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.slow  # every test here runs pytest sessions in subprocesses, under xdist

RECORDER = '''
import json, os
from pathlib import Path

import pytest

OUT = Path(os.environ["RECORD_DIR"])


def record(config, role):
    from repro import cuda

    data = {"role": role, "env": os.environ.get("CUDA_VISIBLE_DEVICES"),
            "selected": cuda.selected(), "tier": config.getoption("tier"),
            "device": getattr(config, "_repro_device", None)}
    (OUT / f"{role}.json").write_text(json.dumps(data))


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    if hasattr(config, "workerinput"):
        record(config, config.workerinput["workerid"])


def pytest_unconfigure(config):
    if not hasattr(config, "workerinput"):
        record(config, "controller")
'''

CHECK = '''
def test_device(repro_context, worker_id):
    import json, os
    from pathlib import Path
    Path(os.environ["RECORD_DIR"], f"context-{worker_id}.json").write_text(
        json.dumps({"device": repro_context.device, "tag": repro_context.device_tag}))
'''


def run_fake(pytester, tmp_path, *args, gpus=2, outer="4,6"):
    pytester.makeconftest(RECORDER)
    pytester.makepyfile(test_device=CHECK)
    record = tmp_path / "record"
    record.mkdir()
    pytester._monkeypatch.setenv("REPRO_FAKE_CUDA", str(gpus))
    pytester._monkeypatch.setenv("CUDA_VISIBLE_DEVICES", outer)
    pytester._monkeypatch.setenv("RECORD_DIR", str(record))
    res = pytester.runpytest_subprocess("-p", "repro.plugin", "--store", str(tmp_path / "s"),
                                        "-p", "no:cacheprovider", *args)
    seen = {p.stem: json.loads(p.read_text()) for p in record.glob("*.json")}
    return res, seen


def workers(seen):
    return {k: v for k, v in seen.items() if k.startswith("gw")}


def test_each_worker_takes_its_own_gpu_and_the_controller_none(pytester, tmp_path):
    res, seen = run_fake(pytester, tmp_path, "-n", "2", "--gpus")
    assert res.ret == 0, res.stdout.str()
    assert {k: v["selected"] for k, v in workers(seen).items()} == {"gw0": 0, "gw1": 1}
    assert {k: v["device"] for k, v in workers(seen).items()} == {"gw0": "cuda:0",
                                                                   "gw1": "cuda:1"}
    assert seen["controller"]["selected"] is None
    # nobody hides or reorders GPUs: cuda:i stays the outer list's entry i everywhere
    assert {v["env"] for v in seen.values() if "env" in v} == {"4,6"}
    assert {v["tier"] for v in seen.values() if "tier" in v} == {"paper"}  # --gpus: paper tier
    for ctx in (v for k, v in seen.items() if k.startswith("context-")):
        assert "Fake GPU" in ctx["tag"] and ctx["device"].startswith("cuda:")


def test_a_repeated_list_puts_several_workers_on_one_gpu(pytester, tmp_path):
    res, seen = run_fake(pytester, tmp_path, "-n", "4", "--gpus", "0,0,1,1")
    assert res.ret == 0, res.stdout.str()
    assert {k: v["selected"] for k, v in workers(seen).items()} == {
        "gw0": 0, "gw1": 0, "gw2": 1, "gw3": 1}
    assert seen["controller"]["selected"] is None and seen["controller"]["env"] == "4,6"


def test_n_auto_starts_one_worker_per_gpu(pytester, tmp_path):
    res, seen = run_fake(pytester, tmp_path, "-n", "auto", "--gpus", gpus=3, outer="0,1,2")
    assert res.ret == 0, res.stdout.str()
    assert {k: v["selected"] for k, v in workers(seen).items()} == {"gw0": 0, "gw1": 1, "gw2": 2}


def test_more_workers_than_gpus_share_them_in_turn(pytester, tmp_path):
    res, seen = run_fake(pytester, tmp_path, "-n", "3", "--gpus", "1", outer="4,6")
    assert res.ret == 0, res.stdout.str()
    assert {v["selected"] for v in workers(seen).values()} == {1}


def test_a_gpu_index_past_the_visible_ones_is_a_usage_error(pytester, tmp_path):
    res, _ = run_fake(pytester, tmp_path, "-n", "2", "--gpus", "0,2")
    assert res.ret == pytest.ExitCode.USAGE_ERROR
    res.stderr.fnmatch_lines(["*--gpus names device 2, but only 2 GPU(s) are visible*"])


def test_gpus_without_cuda_stops_at_once(pytester, tmp_path):
    pytester.makepyfile(test_x="def test_x():\n    pass\n")
    pytester._monkeypatch.delenv("REPRO_FAKE_CUDA", raising=False)
    pytester._monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")  # whatever this machine has
    res = pytester.runpytest_subprocess("-p", "repro.plugin", "--store", str(tmp_path / "s"),
                                        "-n", "2", "--gpus")
    assert res.ret == pytest.ExitCode.USAGE_ERROR
    res.stderr.fnmatch_lines(["*--gpus was given but no CUDA device is visible here*"])
