"""The observed splits (iactdl.features.observed_split): determinism, disjointness, completeness,
stratification by region, stability when the observation grows, no truth, the train image cap."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from iactdl.extract import extract_events
from iactdl.features import (
    ObservedSplitWriter,
    build_features,
    observed_split_assignment,
    split_observed,
)
from iactdl.features.observed_split import OBSERVED_FILES, event_hash_uniform
from iactdl.io import TRUTH_COLUMNS, InputError, n_events, read_attrs, read_columns, write_events

FRACTIONS = {"train": 0.6, "val": 0.2, "test": 0.2}


def _observed(n: int, start: int = 0, seed: int = 0, region=True) -> dict[str, np.ndarray]:
    """A feature table of n observed events with small stand-ins for the image columns."""
    rng = np.random.default_rng(seed)
    ids = np.arange(start, start + n, dtype=np.int64)
    cols = {
        "event_id": ids,
        "size": rng.lognormal(5, 1, n),
        "num_pixel_in_shower": rng.integers(3, 60, n),
        # the image columns carry the event id, so the test can see they stay with their event
        "grid_image": np.repeat(ids[:, None, None, None], 2, axis=1).astype(np.float32)
        * np.ones((1, 2, 3, 3), np.float32),
        "pixel_set": np.repeat(ids[:, None, None], 4, axis=2).astype(np.float32)
        * np.ones((1, 5, 4), np.float32),
        "pixel_set_mask": np.ones((n, 5), bool),
    }
    if region:
        cols["region"] = rng.integers(0, 6, n)
    return cols


def _outputs(tmp_path, tag):
    return {k: tmp_path / f"{tag}_observed_{k}.h5" for k in OBSERVED_FILES}


def _split_file(tmp_path, tag, cols, **kwargs):
    src = tmp_path / f"{tag}_features.h5"
    write_events(src, cols, attrs={"n_off_regions": 5})
    out = _outputs(tmp_path, tag)
    counts = split_observed(src, out, **{"quality_cuts": {}, **kwargs})
    return out, counts


def test_assignment_depends_on_event_id_and_salt_only():
    ids = np.arange(50_000, dtype=np.int64)
    a = observed_split_assignment(ids, FRACTIONS, salt=7)
    # the same events in another order, in chunks, or among others get the same split
    perm = np.random.default_rng(1).permutation(ids.size)
    assert np.array_equal(observed_split_assignment(ids[perm], FRACTIONS, salt=7), a[perm])
    assert np.array_equal(
        np.concatenate(
            [observed_split_assignment(c, FRACTIONS, 7) for c in np.array_split(ids, 7)]
        ),
        a,
    )
    # another salt is another split, with the same fractions
    b = observed_split_assignment(ids, FRACTIONS, salt=8)
    assert abs(np.mean(a == b) - 0.44) < 0.02  # independent: 0.6^2 + 2 * 0.2^2 agree by chance
    for k, f in enumerate(FRACTIONS.values()):
        sigma = np.sqrt(f * (1 - f) / ids.size)
        assert abs(np.mean(a == k) - f) < 4 * sigma
        assert abs(np.mean(b == k) - f) < 4 * sigma
    u = event_hash_uniform(ids, 7)
    assert u.min() >= 0 and u.max() < 1
    # consecutive ids are uncorrelated (no stripes in event order)
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 0.02


def test_split_is_disjoint_complete_deterministic_and_truth_free(tmp_path):
    cols = _observed(3000)
    cols_with_truth = {**cols, "particle_id": np.full(3000, 14), "true_energy": np.ones(3000)}
    out, counts = _split_file(tmp_path, "a", cols_with_truth, fractions=FRACTIONS, salt=3)
    seen = []
    for s in ("train", "val", "test"):
        got = read_columns(out[s])
        assert not set(TRUTH_COLUMNS) & set(got), s
        assert sum(counts[s].values()) == len(got["event_id"])
        seen.append(got["event_id"])
        # every non-image column is that event's own
        np.testing.assert_array_equal(got["size"], cols["size"][got["event_id"]])
        np.testing.assert_array_equal(got["region"], cols["region"][got["event_id"]])
        if s != "train":
            assert got["grid_image"].shape[1:] == (2, 3, 3)
            np.testing.assert_array_equal(got["grid_image"][:, 0, 0, 0], got["event_id"])
        attrs = read_attrs(out[s])
        assert attrs["n_off_regions"] == 5 and attrs["observed_split"] == s
        assert json.loads(attrs["split_counts"]) == counts
    all_ids = np.concatenate(seen)
    assert len(all_ids) == len(np.unique(all_ids)) == 3000  # disjoint and complete
    # the assignment is the hash's, and a second run writes the same events
    split_of = observed_split_assignment(cols["event_id"], FRACTIONS, 3)
    for k in range(3):
        assert np.array_equal(seen[k], np.flatnonzero(split_of == k))
    again, _ = _split_file(tmp_path, "b", cols, fractions=FRACTIONS, salt=3)
    for s in ("train", "val", "test"):
        for c in ("event_id", "size", "region"):
            np.testing.assert_array_equal(
                read_columns(again[s], [c])[c], read_columns(out[s], [c])[c]
            )


def test_each_region_gets_the_configured_fractions(tmp_path):
    n = 60_000
    cols = _observed(n, seed=2)
    cols["region"] = np.where(np.arange(n) % 10 == 0, 0, 1 + np.arange(n) % 5)  # ON rarer
    fractions = {"train": 0.7, "val": 0.1, "test": 0.2}
    writer_out = _outputs(tmp_path, "s")
    with ObservedSplitWriter(writer_out, fractions, salt=11, max_train_images=0) as w:
        for start in range(0, n, 7000):
            w.append({k: v[start : start + 7000] for k, v in cols.items()})
    counts = w.counts_by_region()
    for region in map(str, range(6)):
        n_region = sum(counts[s][region] for s in ("train", "val", "test"))
        assert n_region == np.sum(cols["region"] == int(region))
        for s, f in fractions.items():
            sigma = np.sqrt(f * (1 - f) / n_region)
            assert abs(counts[s][region] / n_region - f) < 4 * sigma, (region, s)


def test_split_is_stable_when_the_observation_grows(tmp_path):
    small, _ = _split_file(tmp_path, "small", _observed(2000, seed=4), salt=5)
    first, more = _observed(2000, seed=4), _observed(3000, start=2000, seed=9)
    grown_cols = {k: np.concatenate([first[k], more[k]]) for k in first}  # the same first events
    grown, _ = _split_file(tmp_path, "grown", grown_cols, salt=5, max_train_images=400)
    for s in ("train", "val", "test"):
        a = read_columns(small[s], ["event_id"])["event_id"]
        b = read_columns(grown[s], ["event_id"])["event_id"]
        assert np.array_equal(b[b < 2000], a)  # no old event changed split
    # the image subset is the first train events; growing keeps it (it was already full here)
    ids = read_columns(grown["train_images"], ["event_id"])["event_id"]
    assert ids.size == 400
    assert np.array_equal(ids, read_columns(grown["train"], ["event_id"])["event_id"][:400])


def test_train_images_are_capped_and_train_has_no_images(tmp_path):
    out, counts = _split_file(tmp_path, "c", _observed(3000), salt=1, max_train_images=250)
    train = read_columns(out["train"])
    assert not {"grid_image", "pixel_set", "pixel_set_mask"} & set(train)
    assert len(train["event_id"]) > 1500
    images = read_columns(out["train_images"])
    assert len(images["event_id"]) == 250 == sum(counts["train_images"].values())
    np.testing.assert_array_equal(images["event_id"], train["event_id"][:250])
    np.testing.assert_array_equal(images["grid_image"][:, 1, 2, 2], images["event_id"])
    np.testing.assert_array_equal(images["pixel_set"][:, 4, 3], images["event_id"])
    # a cap above the number of train events keeps them all
    out, _ = _split_file(tmp_path, "d", _observed(3000), salt=1, max_train_images=10**6)
    assert np.array_equal(
        read_columns(out["train_images"], ["event_id"])["event_id"],
        read_columns(out["train"], ["event_id"])["event_id"],
    )


def test_events_without_region_form_one_stratum(tmp_path):
    """FACT DL2 observations have no region column: the split still works."""
    out, counts = _split_file(tmp_path, "f", _observed(500, region=False), salt=2)
    assert set(counts["test"]) == {"all"}
    assert "region" not in read_columns(out["val"])


@pytest.mark.parametrize(
    "fractions, match",
    [
        ({"train": 0.7, "val": 0.2, "test": 0.2}, "sum to 1"),
        ({"train": 0.8, "val": 0.2, "test": 0.0}, "> 0"),
        ({"train": 0.8, "val": 0.2}, "expected keys"),
    ],
)
def test_bad_fractions_are_refused(tmp_path, fractions, match):
    with pytest.raises(ValueError, match=match):
        _split_file(tmp_path, "bad", _observed(100), fractions=fractions)
    assert not any(p.exists() for p in _outputs(tmp_path, "bad").values())


def test_empty_split_and_truth_columns_leave_no_output(tmp_path):
    out = _outputs(tmp_path, "e")
    with pytest.raises(InputError, match=r"\['val', 'test'\].*empty|empty"):
        with ObservedSplitWriter(out, FRACTIONS) as w:
            w.append({k: v[:1] for k, v in _observed(10).items()})
    assert not any(p.exists() for p in out.values())
    with pytest.raises(InputError, match="truth column.*particle_id"):
        with ObservedSplitWriter(out, FRACTIONS) as w:
            w.append({**_observed(10), "particle_id": np.ones(10, int)})
    assert not any(p.exists() for p in out.values())


FACT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "fact-data"


def fact_observed_chain(fact_data: Path, tmp_path: Path) -> dict:
    """Real FACT DL2 events without their truth columns (an observation's layout: no region,
    no CORSIKA columns) through extract (source fact), build_features and split_observed."""
    import h5py

    pytest.importorskip("hdf5plugin", reason="FACT files are blosc-compressed")
    import hdf5plugin  # noqa: F401

    observed = tmp_path / "observed_dl2.hdf5"
    with h5py.File(fact_data / "proton.hdf5", "r") as src, h5py.File(observed, "w") as dst:
        g = dst.create_group("events")
        for name, ds in src["events"].items():
            if not name.startswith(("corsika_", "ceres_", "mc_")):
                g.create_dataset(name, data=ds[:])
    extract_events("fact", observed, tmp_path / "events.h5", {}, {}, "observed")
    build_features(tmp_path / "events.h5", tmp_path / "features.h5")
    out = _outputs(tmp_path, "fact")
    counts = split_observed(tmp_path / "features.h5", out, FRACTIONS, salt=1, max_train_images=50)
    return {"out": out, "counts": counts, "n": n_events(tmp_path / "features.h5")}


@pytest.mark.skipif(
    not (FACT_DATA / "proton.hdf5").exists(), reason=f"real FACT files not found in {FACT_DATA}"
)
def test_real_fact_dl2_observation_splits_without_region(tmp_path):
    got = fact_observed_chain(FACT_DATA, tmp_path)
    ids = np.concatenate(
        [read_columns(got["out"][s], ["event_id"])["event_id"] for s in ("train", "val", "test")]
    )
    assert len(np.unique(ids)) == len(ids) == got["n"] > 500
    assert set(got["counts"]["val"]) == {"all"}
    cols = read_columns(got["out"]["test"])
    assert "size" in cols and "region" not in cols and "grid_image" not in cols
    assert not set(TRUTH_COLUMNS) & set(cols)


def test_buffered_appends_write_the_same_files(tmp_path):
    cols = _observed(4000, seed=6)
    files = {}
    for tag, buffer_bytes in (("small", 1), ("large", 1 << 30)):
        files[tag] = _outputs(tmp_path, tag)
        with ObservedSplitWriter(files[tag], FRACTIONS, 3, 700, buffer_bytes=buffer_bytes) as w:
            for start in range(0, 4000, 300):
                w.append({k: v[start : start + 300] for k, v in cols.items()})
    for key in OBSERVED_FILES:
        a, b = read_columns(files["small"][key]), read_columns(files["large"][key])
        assert sorted(a) == sorted(b)
        for c in a:
            np.testing.assert_array_equal(a[c], b[c], err_msg=f"{key}: {c}")


@pytest.mark.parametrize(
    "section, match",
    [
        ({"observed_fractions": {"train": 0.9, "val": 0.1, "test": 0.0}}, "observed_fractions"),
        ({"observed_train_images": -1}, "observed_train_images"),
        ({"observed_train_images": 1.5}, "observed_train_images"),
    ],
)
def test_config_check_names_the_observed_keys(section, match):
    from iactdl.features.split import check_datasets_config

    with pytest.raises(ValueError, match=match):
        check_datasets_config(section)
    assert check_datasets_config({})["observed_train_images"] == 100_000
