"""What a run trained for the session measures (repro.measures)."""
from helpers import tiny

from repro.measures import for_session, merged

TAG = "cpu-1t"


def test_a_run_measures_what_the_runs_continuing_it_measure_over_its_epochs():
    lean = tiny([(2, "blur")], test_every=0)
    longer = tiny([(2, "blur"), (3, None)], fisher_at=(1, 4), fisher_steps=(5,), test_every=2,
                  fisher_probe=20)
    got = for_session(lean, [lean, longer], TAG)
    assert got.key(TAG) == lean.key(TAG)
    assert (got.fisher_at, got.fisher_steps, got.fisher_probe) == ((1,), (5,), 20)
    assert got.test_every == 2


def test_runs_that_do_not_continue_it_add_nothing():
    lean = tiny([(2, "blur")], test_every=0)
    others = [tiny([(2, "vflip"), (3, None)], fisher_at=(1,)),  # other training
              tiny([(1, "blur")], fisher_at=(1,)),  # shorter: does not continue it
              tiny([(2, "blur")], seed=1, fisher_at=(1,))]
    assert for_session(lean, others, TAG) == lean


def test_fisher_of_another_probe_is_left_to_its_own_run():
    a = tiny([(2, None)], fisher_at=(2,), fisher_probe=20, test_every=0)
    b = tiny([(2, None)], fisher_at=(1,), fisher_probe=40, test_every=3)
    got = merged(a, b)
    assert (got.fisher_at, got.fisher_probe, got.test_every) == ((2,), 20, 3)
    # a run that traces nothing takes the other's probe and estimator
    lean = tiny([(2, None)], test_every=1)
    assert (merged(lean, b).fisher_at, merged(lean, b).fisher_probe) == ((1,), 40)
