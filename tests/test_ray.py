"""`--ray ADDRESS`: each run a claim needs is a task on a Ray cluster; same verdicts and numbers.

The cluster is a local one started by the test (2 CPUs); the claims run in-process by pytester,
so the plugin finds the test's Ray connection already open.
"""

import pytest
from helpers import assert_like_a_plain_run, remote_claim

from repro.report import load_results

ray = pytest.importorskip("ray")

pytest_plugins = ["pytester"]

CLAIM = remote_claim("ray")


@pytest.fixture(scope="module")
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             configure_logging=False)
    yield ray.get_runtime_context().gcs_address
    ray.shutdown()


def verdict(tmp_path, name):
    return load_results(tmp_path / name / "smoke" / "results.json")["verdicts"][0]


@pytest.mark.slow
def test_ray_tasks_give_the_numbers_of_a_plain_run(pytester, cluster, fake_data, tmp_path,
                                                   monkeypatch):
    pytester.makepyfile(test_claim=CLAIM)
    common = ["-p", "repro.plugin", "--data-dir", str(fake_data)]
    with monkeypatch.context() as m:  # nothing may train in this process: only Ray's workers
        m.setattr("repro.engine._train", lambda *a: pytest.fail("trained outside Ray"))
        res = pytester.runpytest(*common, "--ray", cluster, "--store", str(tmp_path / "s-ray"),
                                 "--report", str(tmp_path / "r-ray"))
    res.assert_outcomes(passed=1)
    res = pytester.runpytest(*common, "--store", str(tmp_path / "s"),
                             "--report", str(tmp_path / "r"))
    res.assert_outcomes(passed=1)
    on_ray, plain = verdict(tmp_path, "r-ray"), verdict(tmp_path, "r")
    assert_like_a_plain_run(on_ray, plain)


def test_a_store_the_nodes_cannot_see_is_an_error(tmp_path):
    from repro.config import RunSpec
    from repro.engine import Context
    from repro.ray_backend import StoreNotShared, _run_task
    from repro.store import RunStore

    ctx = Context(store=RunStore(tmp_path / "s"), data_dir=str(tmp_path))
    spec = RunSpec(dataset="cifar10", model="conv3", phases=((1, None),), seed=0)
    with pytest.raises(StoreNotShared, match="every node mounts"):
        _run_task(spec, ctx, str(tmp_path / "s" / ".ray-probe-missing"), 1)


def test_runs_wait_for_the_run_whose_prefix_they_share():
    from repro.config import Phase, RunSpec
    from repro.config import shared_epochs as common_epochs

    def spec(phases, seed=0, **kw):
        return RunSpec(dataset="cifar10", model="conv3", phases=phases, seed=seed, **kw)

    blur40 = spec(((40, "blur"), (160, None)))
    assert common_epochs(blur40, spec(((80, "blur"), (160, None)))) == 40
    assert common_epochs(spec(((200, None),)), spec(((20, None), (40, "blur")))) == 20
    assert common_epochs(blur40, blur40) == 200
    assert common_epochs(blur40, spec(((40, "vflip"), (160, None)))) == 0
    assert common_epochs(blur40, spec(((80, "blur"), (160, None)), seed=1)) == 0
    assert common_epochs(blur40, spec(((80, "blur"), (160, None)), lr=0.1)) == 0
    # phase settings count, not only the deficit: no shared training here
    assert common_epochs(spec((Phase(40, weight_decay=0.0), (160, None))),
                         spec(((40, None), (160, None)))) == 0
