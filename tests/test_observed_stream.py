"""The streaming observed path (iactdl.observed_stream) against the chain of files it replaces:
simulate_sample -> extract_events -> build_features -> split_observed, column by column."""

from __future__ import annotations

import json
import logging
import re

import numpy as np
import pytest
from disp_toy import toy_disp_model

from iactdl.extract import extract_events
from iactdl.features import build_features, split_observed
from iactdl.features.observed_split import OBSERVED_FILES
from iactdl.io import TRUTH_COLUMNS, InputError, read_attrs, read_columns
from iactdl.observed_regions import RegionLabeller
from iactdl.observed_stream import stream_observed
from iactdl.rule_log import rule_logging
from iactdl.simulate import simulate_sample

HOURS = 0.0145  # ~860 triggered events (~16.5 Hz with the default shifts: moonlight, haze)
ONTIME_S = 52  # HOURS in whole seconds, the progress lines' unit
SIM = {"chunk_size": 400, "observed": {"hours": HOURS}}  # several chunks
EXTRACT = {"chunk_size": 300}
FEATURES = {"pixel_set_size": 32, "chunk_size": 256}
DATASETS = {
    "quality_cuts": {"num_pixel_in_shower": [10, None]},
    "observed_fractions": {"train": 0.5, "val": 0.25, "test": 0.25},
    "observed_train_images": 60,
}


def _outputs(folder, tag):
    return {k: folder / f"{tag}_observed_{k}.h5" for k in OBSERVED_FILES}


@pytest.fixture(scope="module")
def both_paths(tmp_path_factory):
    d = tmp_path_factory.mktemp("observed")
    # the chain of files
    simulate_sample("observed", None, SIM, 17, d / "raw.h5", truth_path=d / "chain_truth.h5")
    extract_events("simulate", d / "raw.h5", d / "events.h5", EXTRACT, sample="observed")
    build_features(d / "events.h5", d / "features.h5", FEATURES)
    # both paths label ON/OFF by the theta^2 rule on the same disp model's directions
    regions = RegionLabeller(toy_disp_model(), n_off=5, theta2_cut=0.08)
    chain = _outputs(d, "chain")
    split_observed(
        d / "features.h5",
        chain,
        DATASETS["observed_fractions"],
        salt=5,
        max_train_images=DATASETS["observed_train_images"],
        chunk_size=200,
        quality_cuts=DATASETS["quality_cuts"],
        regions=regions,
    )
    # one pass, logged to a file as rule stream_observed logs it
    stream = _outputs(d, "stream")
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        with rule_logging(str(d / "stream_observed.log"), "stream_observed"):
            summary = stream_observed(
                SIM, 17, stream, d / "stream_truth.h5", EXTRACT, FEATURES, DATASETS, salt=5,
                regions=regions,
            )  # fmt: skip
    finally:  # rule_logging set up the root logger as a script's process would: give it back
        root.handlers[:] = handlers
        root.setLevel(level)
    return d, chain, stream, summary


def test_stream_equals_the_chain_of_files(both_paths):
    d, chain, stream, _ = both_paths
    for key in OBSERVED_FILES:
        a, b = read_columns(chain[key]), read_columns(stream[key])
        assert sorted(a) == sorted(b), key
        for col in a:
            assert a[col].dtype == b[col].dtype, (key, col)
            np.testing.assert_array_equal(a[col], b[col], err_msg=f"{key}: {col}")
        for attr in ("n_off_regions", "ontime_s"):
            assert read_attrs(stream[key])[attr] == read_attrs(chain[key])[attr], (key, attr)
        assert read_attrs(stream[key])["ontime_s"] == pytest.approx(HOURS * 3600)
    # the regions are the theta^2 rule's: most events in none, some ON or OFF
    region = np.concatenate(
        [read_columns(stream[k], ["region"])["region"] for k in ("train", "val", "test")]
    )
    assert (region == -1).any() and (region >= 0).any(), np.unique(region, return_counts=True)
    t_chain, t_stream = read_columns(d / "chain_truth.h5"), read_columns(d / "stream_truth.h5")
    for col in t_chain:
        np.testing.assert_array_equal(t_chain[col], t_stream[col], err_msg=col)


def test_stream_writes_no_truth_and_counts_every_event(both_paths):
    d, _, stream, summary = both_paths
    truth = read_columns(d / "stream_truth.h5", ["event_id"])["event_id"]
    n = len(truth)
    assert 600 < n < 1200  # ~16.5 Hz x 52 s (benchmarks/observation_rates.py)
    assert np.array_equal(truth, np.arange(n))  # the truth covers every simulated event
    ids = []
    for key in ("train", "val", "test"):
        cols = read_columns(stream[key])
        assert not set(TRUTH_COLUMNS) & set(cols)
        ids.append(cols["event_id"])
        assert json.loads(read_attrs(stream[key])["observed_summary"]) == json.loads(
            json.dumps(summary)
        )
    ids = np.concatenate(ids)
    assert len(np.unique(ids)) == len(ids) == summary["n_selected"]
    assert summary["n_simulated"] == n
    assert (
        summary["n_simulated"] - summary["n_nonfinite"] - sum(summary["removed"].values())
        == summary["n_extracted"]
        == summary["n_selected"] + summary["removed_quality"]
    )
    assert 0 < summary["n_selected"] < n


def test_stream_log_says_how_far_it_is_in_lines_with_totals(both_paths):
    d = both_paths[0]
    text = (d / "stream_observed.log").read_text()
    assert "\r" not in text  # plain lines, no progress bar
    found = re.findall(
        r"observed: streamed (\d+) / (\d+) s of observation \((\d+) %\), [\d.]+ s.*; "
        r"(\d+) triggered, (\d+) extracted",
        text,
    )
    assert len(found) >= 3, text  # ~1500 / chunk_size = 4 chunks, each past another tenth
    done = [int(f[0]) for f in found]
    assert all(int(f[1]) == ONTIME_S for f in found)
    assert done == sorted(done) and done[-1] == ONTIME_S and found[-1][2] == "100"
    assert [int(f[2]) for f in found] == [round(100 * k / ONTIME_S) for k in done]


def test_stream_refuses_bad_input_and_leaves_nothing(tmp_path):
    out = _outputs(tmp_path, "bad")
    with pytest.raises(InputError, match="required_columns.*'nonexistent'"):
        stream_observed(
            SIM, 1, out, tmp_path / "t.h5", extract={"required_columns": ["nonexistent"]}
        )
    with pytest.raises(InputError, match="empty"):
        stream_observed(
            SIM, 1, out, tmp_path / "t.h5", datasets={"quality_cuts": {"size": [1e9, None]}}
        )
    assert not any(p.exists() for p in [*out.values(), tmp_path / "t.h5"])
