"""The direction task and the observation's headline: regions from reconstructed directions, the
disp model's files, DL3 in FACT's layout, the truth-free gammaness cut and the significance table.
Small constructed inputs; the whole file runs in a few seconds."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest
from disp_toy import constructed_gammas

from iactdl.camera import MM_TO_DEG
from iactdl.evaluate.significance_table import significance_table
from iactdl.evaluate.theta2 import off_positions, theta_on_off
from iactdl.evaluate.theta2_analysis import (
    analyse_theta2,
    choose_gammaness_cut,
    split_ontime_s,
    write_split_dl3,
)
from iactdl.io import InputError, write_events
from iactdl.models.disp import DISP_FEATURES
from iactdl.models.disp_store import load_disp, train_disp
from iactdl.observed_regions import RegionLabeller


class KnownDirections:
    """Returns the directions a test put in the chunk: regions from constructed positions."""

    def predict(self, columns):
        return {"source_x_pred": columns["rec_x"], "source_y_pred": columns["rec_y"]}


ON_MM = 0.6 / MM_TO_DEG  # the source 0.6 deg right of the camera centre


def _chunk(rec_x, rec_y):
    n = len(rec_x)
    return {
        "event_id": np.arange(n),
        "source_x": np.full(n, ON_MM),
        "source_y": np.zeros(n),
        "rec_x": np.asarray(rec_x, dtype=float),
        "rec_y": np.asarray(rec_y, dtype=float),
        "region": np.full(n, 3),  # the simulator's draw: overwritten
    }


def test_regions_from_constructed_positions():
    off_x, off_y = off_positions(ON_MM, 0.0, 5)
    small = 0.1 / MM_TO_DEG  # 0.1 deg: inside a 0.025 deg^2 region (0.158 deg)
    rec_x = [ON_MM + small, off_x[1] + 0.0, off_x[4], 0.0, ON_MM + 0.2 / MM_TO_DEG]
    rec_y = [0.0, off_y[1] - small, off_y[4], 0.0, 0.0]
    chunk = _chunk(rec_x, rec_y)
    out = RegionLabeller(KnownDirections(), n_off=5, theta2_cut=0.025)(chunk)
    # ON, OFF 2, OFF 5, the camera centre (no region), 0.2 deg off the source (no region)
    assert out["region"].tolist() == [0, 2, 5, -1, -1]
    np.testing.assert_allclose(out["theta_deg"][[0, 4]], [0.1, 0.2], rtol=1e-9)
    np.testing.assert_allclose(out["theta_deg_off_2"][1], 0.1, rtol=1e-9)
    # source-dependent features of an OFF event are relative to its OFF position
    np.testing.assert_allclose([out["source_x"][1], out["source_y"][1]], [off_x[1], off_y[1]])
    np.testing.assert_allclose([out["source_x"][2], out["source_y"][2]], [off_x[4], off_y[4]])
    assert out["source_x"][[0, 3, 4]].tolist() == [ON_MM] * 3
    assert chunk["region"].tolist() == [3] * 5  # the input is left as it was


def test_theta2_cut_refusals_name_the_largest_allowed_value():
    chunk = _chunk([0.0], [0.0])
    with pytest.raises(ValueError, match=r"largest allowed value is 0\.09 deg\^2"):
        RegionLabeller(KnownDirections(), n_off=5, theta2_cut=0.1)(chunk)
    with pytest.raises(ValueError, match="theta2_cut must be > 0"):
        RegionLabeller(KnownDirections(), n_off=5, theta2_cut=0.0)
    with pytest.raises(InputError, match=r"\['source_y'\] missing"):
        RegionLabeller(KnownDirections(), n_off=5, theta2_cut=0.025)(
            {k: v for k, v in chunk.items() if k != "source_y"}
        )


def test_disp_training_data_without_true_source_names_file_and_column(tmp_path):
    cols = constructed_gammas(50)
    path = tmp_path / "train.h5"
    write_events(path, {k: v for k, v in cols.items() if k != "true_source_y"})
    with pytest.raises(InputError, match=r"train\.h5: no column 'true_source_y'"):
        train_disp(path, tmp_path / "disp")
    assert not (tmp_path / "disp" / "model.json").exists()


def test_disp_model_trains_on_diffuse_rows_saves_and_loads(tmp_path):
    cols = constructed_gammas(300)
    n = 300
    cols["sample"] = np.where(np.arange(n) < 200, b"gamma_diffuse", b"gamma").astype("S16")
    cols["event_id"] = np.arange(n)
    cols["true_energy"] = np.ones(n)
    write_events(tmp_path / "train.h5", cols)
    meta = train_disp(tmp_path / "train.h5", tmp_path / "disp", {"n_estimators": 5}, seed=3)
    assert meta["n_train"] == 200
    model = load_disp(tmp_path / "disp")
    assert model.features == list(DISP_FEATURES)
    pred = model.predict(cols)
    assert np.isfinite(pred["source_x_pred"]).all()
    with pytest.raises(InputError, match="'sample' has no 'proton' rows"):
        train_disp(tmp_path / "train.h5", tmp_path / "d2", {"train_sample": "proton"})


def test_the_one_door_loads_a_disp_model_folder(tmp_path):
    from iactdl.models.disp import DispModel
    from iactdl.models.loading import load_model, read_model_info

    cols = constructed_gammas(300)
    write_events(tmp_path / "train.h5", cols)
    train_disp(tmp_path / "train.h5", tmp_path / "disp", {"n_estimators": 5}, seed=3)
    assert read_model_info(tmp_path / "disp")["kind"] == "disp"
    model = load_model(tmp_path / "disp")
    assert isinstance(model, DispModel)
    direct = load_disp(tmp_path / "disp").predict(cols)
    pred = model.predict({c: cols[c] for c in model.required_columns})
    np.testing.assert_array_equal(pred["source_x_pred"], direct["source_x_pred"])
    np.testing.assert_array_equal(pred["source_y_pred"], direct["source_y_pred"])
    # a kind no loader knows is still refused, naming the file, the key and the kinds known
    info = json.loads((tmp_path / "disp" / "model.json").read_text())
    (tmp_path / "odd").mkdir()
    (tmp_path / "odd" / "model.json").write_text(json.dumps({**info, "kind": "dispx"}))
    with pytest.raises(InputError, match=r"odd/model\.json: key 'kind' is 'dispx'.*'disp'"):
        load_model(tmp_path / "odd")


def _observed_split(path, n, seed, ontime_s=3600.0):
    """Directions uniform over the camera (1.5 deg), a tenth of the events (the gamma-like ones)
    from the source (0.05 deg spread): thetas to the source and the OFF positions by geometry."""
    rng = np.random.default_rng(seed)
    r, phi = 1.5 * np.sqrt(rng.uniform(0, 1, n)), rng.uniform(0, 2 * np.pi, n)
    x, y = r * np.cos(phi), r * np.sin(phi)
    x[: n // 10] = 0.6 + rng.normal(0, 0.05, n // 10)
    y[: n // 10] = rng.normal(0, 0.05, n // 10)
    t_on, t_off = theta_on_off(x / MM_TO_DEG, y / MM_TO_DEG, ON_MM, 0.0, 5)
    cols = {"event_id": np.arange(n), "theta_deg": t_on}
    cols.update({f"theta_deg_off_{k}": t_off[k - 1] for k in range(1, 6)})
    counts = {"train": {"0": 60}, "val": {"-1": 20}, "test": {"-1": 20}}
    attrs = {"n_off_regions": 5, "ontime_s": ontime_s, "split_counts": json.dumps(counts)}
    write_events(path, cols, attrs=attrs)
    gammaness = rng.uniform(0, 0.8, n)
    gammaness[: n // 10] = rng.uniform(0.7, 1.0, n // 10)
    return cols, gammaness


def test_dl3_layout_is_what_facts_tools_read(tmp_path):
    cols, g = _observed_split(tmp_path / "observed_test.h5", 500, 0)
    write_events(tmp_path / "pred.h5", {"event_id": cols["event_id"], "gammaness": g})
    write_events(
        tmp_path / "energy.h5", {"event_id": cols["event_id"], "energy_pred": np.full(500, 2.0)}
    )
    n = write_split_dl3(
        tmp_path / "pred.h5", tmp_path / "observed_test.h5", tmp_path / "dl3.h5", "test",
        energy=tmp_path / "energy.h5",
    )  # fmt: skip
    assert n == 500
    # pyfact's read_h5py / aict-tools' theta2 plot: these datasets, GeV energies, ontime in s
    with h5py.File(tmp_path / "dl3.h5", "r") as f:
        events = f["events"]
        for c in ["gamma_prediction", "gamma_energy_prediction", "theta_deg"] + [
            f"theta_deg_off_{k}" for k in range(1, 6)
        ]:
            assert c in events and events[c].shape == (500,), c
        np.testing.assert_allclose(events["gamma_prediction"][:], g)
        np.testing.assert_allclose(events["gamma_energy_prediction"][:], 2000.0)  # GeV
        np.testing.assert_allclose(events["theta_deg_off_3"][:], cols["theta_deg_off_3"])
        # the test split holds 20 of the 100 events: a fifth of the hour
        np.testing.assert_allclose(f["runs"]["ontime"][:], [720.0])
    assert split_ontime_s(tmp_path / "observed_test.h5", "test") == pytest.approx(720.0)


def test_split_without_ontime_or_thetas_is_refused_naming_it(tmp_path):
    write_events(tmp_path / "s.h5", {"event_id": np.arange(3)}, attrs={"n_off_regions": 5})
    with pytest.raises(InputError, match=r"s\.h5: no attribute 'ontime_s'"):
        split_ontime_s(tmp_path / "s.h5", "test")
    write_events(tmp_path / "p.h5", {"event_id": np.arange(3), "gammaness": np.zeros(3)})
    with pytest.raises(InputError, match=r"s\.h5: column\(s\) \['theta_deg'"):
        write_split_dl3(tmp_path / "p.h5", tmp_path / "s.h5", tmp_path / "d.h5", "test")
    assert not (tmp_path / "d.h5").exists()


def test_gammaness_cut_from_on_off_counts_alone_and_the_table(tmp_path):
    for split, seed in (("val", 1), ("test", 2)):
        cols, g = _observed_split(tmp_path / f"observed_{split}.h5", 2000, seed)
        write_events(tmp_path / f"p_{split}.h5", {"event_id": cols["event_id"], "gammaness": g})
        write_split_dl3(
            tmp_path / f"p_{split}.h5", tmp_path / f"observed_{split}.h5",
            tmp_path / f"dl3_{split}.h5", split,
        )  # fmt: skip
    t_off = np.stack([cols[f"theta_deg_off_{k}"] for k in range(1, 6)])
    cut = choose_gammaness_cut(g, cols["theta_deg"], t_off, 0.025)
    assert 0.6 < cut < 0.85  # keeps the source's events (>= 0.7), drops most background (< 0.8)
    out = analyse_theta2(
        tmp_path / "dl3_val.h5", tmp_path / "dl3_test.h5", tmp_path / "t.json", 0.025
    )
    c = out["counts"]
    assert c["n_on"] > 100 and c["li_ma_significance"] > 10
    assert c["hours"] == pytest.approx(0.2)
    assert c["sigma_per_sqrt_hour"] == pytest.approx(c["li_ma_significance"] / np.sqrt(0.2))
    table = significance_table(
        {"rf": tmp_path / "t.json"}, {"rf": {"kind": "baseline"}},
        tmp_path / "s.csv", tmp_path / "s.tex",
    )  # fmt: skip
    assert table["model"].tolist() == ["rf", "FACT open Crab analysis"]
    assert table["family"].tolist() == ["baselines", "reference"]
    assert "sigma" in (tmp_path / "s.tex").read_text()
    assert table["gammaness_cut"].iloc[-1] == 0.85 and table["theta2_cut"].iloc[-1] == 0.025
    # an analysis without its counts is named, and no table is written
    (tmp_path / "bad.json").write_text('{"cut": {}}')
    with pytest.raises(InputError, match=r"bad\.json: no counts \['gammaness_cut'"):
        significance_table(
            {"rf": tmp_path / "bad.json"}, {}, tmp_path / "b.csv", tmp_path / "b.tex"
        )
    assert not (tmp_path / "b.csv").exists() and not (tmp_path / "b.tex").exists()


def test_stage6_labels_leave_events_in_no_region_out(tmp_path):
    from iactdl.fit.train import load_split
    from iactdl.labelnoise.nets import onoff_targets

    region = np.array([-1, 0, 1, -1, 2, 0, -1, 1])
    cols = {"event_id": np.arange(8), "size": np.arange(8, dtype=np.float32) * 10}
    cols["region"] = region
    write_events(tmp_path / "obs.h5", cols, attrs={"n_off_regions": 2})
    t = onoff_targets(tmp_path / "obs.h5")
    assert t["keep"].tolist() == (region >= 0).tolist()
    assert t["is_gamma"].tolist() == [1, 0, 0, 1, 0]
    data = load_split(tmp_path / "obs.h5", "mlp", ["size"], "separation", labels=onoff_targets)
    assert data["is_gamma"].tolist() == [1, 0, 0, 1, 0]
    assert len(data["features"]) == 5
