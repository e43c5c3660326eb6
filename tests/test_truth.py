"""The one reader of the observed truth: a join on ``event_id`` that refuses what a merge hides."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from iactdl.io import PARTICLE_ID, InputError, read_observed_truth, write_events


def _truth_file(path, ids, particle_id=None):
    ids = np.asarray(ids, dtype=np.int64)
    if particle_id is None:
        particle_id = np.full(ids.size, PARTICLE_ID["proton"])
    truth = {
        "event_id": ids,
        "particle_id": np.asarray(particle_id, dtype=np.int64),
        "true_energy": 0.1 + ids.astype(np.float64),
    }
    write_events(path, truth)
    return path


def test_join_equals_a_pandas_merge_in_the_events_order(tmp_path):
    rng = np.random.default_rng(4)
    ids = rng.permutation(np.arange(100, 400, 3))  # not sorted, not contiguous
    pid = rng.choice([PARTICLE_ID["gamma"], PARTICLE_ID["proton"]], ids.size)
    path = _truth_file(tmp_path / "truth.h5", ids, pid)
    events = rng.permutation(ids)[:60]  # a shuffled subset, as a prediction file holds
    got = read_observed_truth(path, events, ("particle_id", "true_energy"), "obs.h5")
    truth = pd.DataFrame({"event_id": ids, "particle_id": pid, "true_energy": 0.1 + ids})
    want = pd.DataFrame({"event_id": events}).merge(truth, on="event_id", how="left")
    np.testing.assert_array_equal(got["particle_id"], want["particle_id"])
    np.testing.assert_array_equal(got["true_energy"], want["true_energy"])
    gamma = (want["particle_id"] == PARTICLE_ID["gamma"]).to_numpy()
    np.testing.assert_array_equal(got["is_gamma"], gamma.astype(np.int8))
    assert got["is_gamma"].dtype == np.int8 and 0 < gamma.sum() < gamma.size


def test_only_the_asked_columns_and_is_gamma(tmp_path):
    path = _truth_file(tmp_path / "truth.h5", [3, 1, 2], [1, 14, 1])
    got = read_observed_truth(path, np.array([1, 2]), ())
    assert set(got) == {"is_gamma"} and got["is_gamma"].tolist() == [0, 1]


@pytest.mark.parametrize(
    "events, truth, message",
    [
        (range(10), range(9), "no truth row for 1 of 10 events of obs.h5 (event_id [9]"),
        (range(10), range(1, 10), "(event_id [0]"),
        (range(10), range(20, 30), "no truth row for 10 of 10"),
        (range(10), [*range(10), 3], "truth.h5: column 'event_id' has 1 repeated value(s)"),
        ([0, 1, 1, 2], range(5), "obs.h5: column 'event_id' has 1 repeated value(s) (first [1]"),
    ],
)
def test_refuses_events_without_exactly_one_truth_row(tmp_path, events, truth, message):
    path = _truth_file(tmp_path / "truth.h5", truth)
    with pytest.raises(InputError) as err:
        read_observed_truth(path, np.asarray(events), events_path="obs.h5")
    assert message in str(err.value)
    if "no truth row" in message:  # names the truth file, whose rows are missing
        assert str(err.value).startswith(f"{path}: no truth row")


def test_refuses_an_empty_truth_file(tmp_path):
    path = tmp_path / "truth.h5"
    write_events(path, {"event_id": np.zeros(0, np.int64), "particle_id": np.zeros(0, np.int64)})
    with pytest.raises(InputError, match=r"no truth row for 3 of 3 events \(event_id \[0, 1, 2\]"):
        read_observed_truth(path, np.arange(3), ())
