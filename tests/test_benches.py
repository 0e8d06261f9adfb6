"""`make gpu-check`'s rehearsal on the CPU (bench/gpu_check.py --cpu-dry): every step of the GPU
visit, bench/gpu.py --tiny among them, runs and passes, so that none of it rots before a GPU is
there."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODES = [f"{how} {p}" for how in ("eager", "compile") for p in ("fp32", "tf32", "bf16")]


@pytest.mark.slow
def test_gpu_check_cpu_dry_passes_every_step(tmp_path):
    out = tmp_path / "gpu_check.json"
    proc = subprocess.run([sys.executable, "bench/gpu_check.py", "--cpu-dry", "--out", str(out),
                           "--work", str(tmp_path / "work")], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    doc = json.loads(out.read_text())
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert doc["mode"] == "cpu-dry" and doc["passed"]
    steps = doc["steps"]
    assert list(steps) == ["device", "bench", "claim", "determinism"]
    assert all(s["passed"] for s in steps.values()), {k: s.get("output_tail") for k, s in
                                                      steps.items() if not s["passed"]}
    check_bench(steps["bench"]["result"])
    verdicts = steps["claim"]["result"]["verdicts"]
    assert {v["outcome"] for v in verdicts.values()} == {"pass"} and len(verdicts) == 2
    workers = {d["worker"] for v in verdicts.values() for d in v["devices"]}
    assert workers == {"gw0", "gw1"}, "each claim on its own xdist worker"
    det = steps["determinism"]["result"]
    assert det["repeat_equal"] and det["resume_equal"] and det["resumed_from"] == 2


def check_bench(doc: dict) -> None:
    """bench/gpu.py --tiny: every mode measured or skipped for its reason, with its ratio."""
    assert doc["device"]["kind"] == "cpu" and doc["torch_threads"] >= 1
    res = doc["results"]
    for mode in MODES:
        want = "skipped" if "tf32" in mode else "ok"  # tf32 is a CUDA mode
        assert res[mode]["status"] == want, (mode, res[mode])
    assert res["eager fp32 nondeterministic"]["status"] == "skipped"  # nothing to turn off
    assert res["eager fp32"]["ratio"] == 1.0
    assert res["compile fp32"]["ratio"] > 0 and res["compile fp32"]["compile_seconds"] >= 0
    for k in (1, 2, 4):
        assert res[f"shared x{k}"]["status"] == "ok"
        assert len(res[f"shared x{k}"]["per_run_images_per_s"]) == k
    peer = res["peer loop"]
    assert peer["status"] == "ok" and len(peer["engine_vs_peer"]) == 3
    assert all(r["speedup"] > 0 for r in peer["engine_vs_peer"])
