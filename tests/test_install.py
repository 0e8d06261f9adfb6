"""The package as a user installs it: the pytest plugin by entry point (inert in a session with no
claim), the claims as `repro_claims` for `pytest --pyargs`, and the `repro` command; from a
wheel in a fresh virtual environment outside the repository."""
import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytest_plugins = ["pytester"]


@pytest.mark.slow
def test_the_plugin_is_inert_in_a_session_that_collects_no_claim(pytester, tmp_path,
                                                                 monkeypatch):
    """Loaded by its entry point (no -p, no conftest): no store, no report, no thread count."""
    store = tmp_path / "store"
    monkeypatch.setenv("REPRO_STORE", str(store))
    default = subprocess.run([sys.executable, "-c", "import torch; print(torch.get_num_threads())"],
                             capture_output=True, text=True, check=True).stdout.strip()
    pytester.makepyfile(test_plain='''
import torch

def test_plain():
    print("threads", torch.get_num_threads())
''')
    res = pytester.runpytest_subprocess("-s", "-p", "no:cacheprovider")
    res.assert_outcomes(passed=1)
    res.stdout.fnmatch_lines(["*plugins:*repro-*", f"*threads {default}*"])  # loaded, inert
    assert "repro verdicts" not in res.stdout.str() and "repro progress" not in res.stdout.str()
    assert not store.exists()
    left = [p.name for p in pytester.path.iterdir()  # pytester's own files aside
            if p.name not in ("stdout", "stderr") and not p.name.startswith("runpytest")]
    assert left == ["test_plain.py"]  # no reports/, no probe


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh virtual environment with the built wheel installed (its dependencies, torch
    among them, seen through this environment's site-packages); its bin directory."""
    tmp = tmp_path_factory.mktemp("install")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "--wheel-dir", str(tmp / "dist"), str(ROOT)],
                   check=True, capture_output=True, text=True, cwd=tmp)
    (wheel,) = (tmp / "dist").glob("repro-*.whl")
    env_dir = tmp / "env"
    venv.create(env_dir, with_pip=False)
    purelib = Path(sysconfig.get_paths(vars={"base": str(env_dir), "platbase": str(env_dir)})[
        "purelib"])
    # the dependencies, not this checkout: an editable install's finder is a .pth of its own,
    # which a path listed in another .pth does not run
    (purelib / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(env_dir / "bin" / "python"),
                    "install", "--quiet", "--no-deps", str(wheel)], check=True,
                   capture_output=True, text=True, cwd=tmp)
    return env_dir / "bin"


def clean_env() -> dict:
    return {k: v for k, v in os.environ.items() if not k.startswith(("REPRO_", "PYTEST_"))
            and k != "PYTHONPATH"}


@pytest.mark.slow
def test_the_wheel_gives_the_repro_command_and_the_claims_by_pyargs(installed, tmp_path):
    outside = tmp_path / "project"
    outside.mkdir()
    where = subprocess.run([installed / "python", "-c", "import repro, repro_claims; "
                            "print(repro.__file__); print(repro_claims.__file__)"],
                           capture_output=True, text=True, check=True, cwd=outside,
                           env=clean_env()).stdout
    assert str(ROOT) not in where, where  # the wheel's copy, not this checkout

    helped = subprocess.run([installed / "repro", "--help"], capture_output=True, text=True,
                            check=True, cwd=outside, env=clean_env()).stdout
    for command in ("power", "compare", "seedbase", "fingerprint", "plan"):
        assert f"  {command} " in helped, helped

    empty = tmp_path / "data"
    empty.mkdir()
    planned = subprocess.run(
        [installed / "python", "-m", "pytest", "--pyargs", "repro_claims", "--rootdir", ".",
         "-p", "no:cacheprovider", "--tier", "smoke", "-k", "multipathway", "--dry-run",
         "--store", str(tmp_path / "store"), "--data-dir", str(empty)],
        capture_output=True, text=True, cwd=outside, env=clean_env(), check=False)
    out = planned.stdout + planned.stderr
    assert planned.returncode == 0, out  # the multipathway model needs no dataset
    assert "kleinman2024/multipathway-gate" in out and "repro plan (dry run, tier smoke" in out
    assert sorted(p.name for p in outside.iterdir()) == []  # a dry run writes no report
