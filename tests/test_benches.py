"""Every bench under bench/ runs in its tiny mode (seconds on the CPU, synthetic data, a
temporary store) and prints its comparison, so that a bench that breaks fails the tests.

bench/gpu.py --tiny and bench/gpu_claim.py (under xdist) run inside the rehearsal of
`make gpu-check` (bench/gpu_check.py --cpu-dry), which is checked step by step; gpu_claim.py's
own --tiny runs its claims in one process."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODES = [f"{how} {p}" for how in ("eager", "compile") for p in ("fp32", "tf32", "bf16")]

# bench: lines its tiny run must print (regular expressions, each matching a whole line)
EXPECTED = {
    "deep_linear.py": [r"parallel: .* s \(process start-up included\), same numbers",
                       r"ratio \d+\.\d+x"],
    "fisher.py": [r"largest relative difference to the loop: .*", r"ratio: \d+\.\dx"],
    "gpu_claim.py": [r"gpu-check/learns-after-blur: pass .*", r"gpu-check/loss-falls: pass .*",
                     r"gpu claims: 2 verdicts, every one passed"],
    "profile_epoch.py": [r"network operators \(forward and backward\): \d+ % of the epoch; .*"],
    "sharing.py": [r"one store: \d+ epochs trained .*; every per-epoch metric identical: yes",
                   r"removal and window sweeps: \d+ epochs unshared, \d+ shared",
                   r"ratio: \d\.\d{3}"],
    "threads.py": [r"workers: 2 runs at once on 1 thread each: .*", r"ratio: \d+\.\d+x"],
    "throughput.py": [r"common \(DataLoader, .*\): [\d,]+ img/s", r"ratio: \d+\.\d+x"],
}
ELSEWHERE = {"gpu.py", "gpu_check.py"}  # test_gpu_check_cpu_dry_passes_every_step


def test_every_bench_has_a_tiny_run_here():
    benches = {p.name for p in (ROOT / "bench").glob("*.py") if not p.name.startswith("_")}
    assert benches == set(EXPECTED) | ELSEWHERE


@pytest.mark.slow
@pytest.mark.parametrize("bench", sorted(EXPECTED))
def test_the_tiny_mode_runs_and_prints_its_comparison(bench):
    proc = subprocess.run([sys.executable, f"bench/{bench}", "--tiny"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, check=False)
    out = proc.stdout + proc.stderr[-3000:]
    assert proc.returncode == 0, out
    lines = proc.stdout.splitlines()
    for pattern in EXPECTED[bench]:
        assert any(re.fullmatch(pattern, line) for line in lines), (pattern, out)


@pytest.mark.slow
def test_gpu_check_cpu_dry_passes_every_step(tmp_path):
    """`make gpu-check`'s rehearsal on the CPU (bench/gpu_check.py --cpu-dry): every step of the
    GPU visit, bench/gpu.py --tiny among them, runs and passes."""
    out = tmp_path / "gpu_check.json"
    proc = subprocess.run([sys.executable, "bench/gpu_check.py", "--cpu-dry", "--out", str(out),
                           "--work", str(tmp_path / "work")], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, check=False)
    doc = json.loads(out.read_text())
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert doc["mode"] == "cpu-dry" and doc["passed"]
    steps = doc["steps"]
    assert list(steps) == ["device", "bench", "claim", "determinism"]
    assert all(s["passed"] for s in steps.values()), {k: s.get("output_tail") for k, s in
                                                      steps.items() if not s["passed"]}
    check_bench(steps["bench"]["result"])
    printed = steps["bench"]["output_tail"]
    assert "c. engine (eager fp32) against the peer loop" in printed and "speed-up" in printed
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
