"""The multipathway claim's verdict on synthetic shares of pathway b."""
import pytest

from claims.test_multipathway import SETTINGS, judge
from repro.verdict import outcome_of

S = SETTINGS["smoke"]
UNGATED = [0.5, 0.5, 0.5]


def test_the_measured_shape_passes():
    share = [[0.025, 0.03, 0.02], [0.42, 0.41, 0.42], [0.5, 0.5, 0.499]]
    assert outcome_of(judge(S.onsets, share, UNGATED, S)) == "pass"


@pytest.mark.parametrize("share, why", [
    ([[0.5, 0.5, 0.49], [0.5, 0.5, 0.5], [0.5, 0.5, 0.5]], "an early gate does nothing"),
    ([[0.35, 0.36, 0.34], [0.42, 0.41, 0.42], [0.5, 0.5, 0.5]], "b only partly suppressed"),
    ([[0.02, 0.03, 0.02], [0.2, 0.2, 0.2], [0.1, 0.1, 0.1]], "a late gate suppresses b too"),
    ([[0.02, 0.03, 0.02], [0.4, 0.4, 0.4], [0.6, 0.6, 0.6]], "a late gate changes b"),
])
def test_data_that_violate_the_claim_fail(share, why):
    assert outcome_of(judge(S.onsets, share, UNGATED, S)) == "fail", why
