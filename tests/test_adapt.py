"""Adapted net entries end to end on toy files: DANN, IWDAN, importance weights, the oracle, and
every bad input of the adaptation stage."""

from __future__ import annotations

import json

import numpy as np
import pytest

from iactdl.adapt.figures import plot_representation
from iactdl.adapt.nets import (
    encoder_samples,
    sample_classes,
    target_prior_from_diagnostics,
    train_adapted_net,
)
from iactdl.adapt.settings import adapt_settings, refuse_source_dependent
from iactdl.fit.oracle import train_oracle_net
from iactdl.fit.toydata import TOY_FEATURES, toy_events
from iactdl.io import InputError, write_events
from iactdl.models.nets import load_net

TRUTH = ("is_gamma", "particle_id", "true_energy")
ENTRY = {
    "kind": "net",
    "net": "mlp",
    "features": list(TOY_FEATURES),
    "settings": {"hidden": [16, 16], "dropout": 0.0},
    "epochs": 3,
    "batch_size": 32,
    "lr": 0.003,
}


def _observed(n, seed):
    ev = toy_events(n, seed=seed, max_pixels=32)
    ev["size"] = ev["size"] * 0.7
    ev["cog_x"] = ev["cog_x"] + 150.0
    ev["event_id"] = ev["event_id"] + 10_000 * seed
    return ev


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("adapt")
    write_events(d / "train.h5", toy_events(256, seed=1, max_pixels=32))
    write_events(d / "val.h5", toy_events(128, seed=2, max_pixels=32))
    truth = {}
    for split, n, seed in (("observed_train", 192, 3), ("observed_val", 96, 4)):
        ev = _observed(n, seed)
        write_events(d / f"{split}.h5", {k: v for k, v in ev.items() if k not in TRUTH})
        for k in ("event_id", "particle_id", "true_energy"):
            truth.setdefault(k, []).append(ev[k])
    write_events(d / "observed_truth.h5", {k: np.concatenate(v) for k, v in truth.items()})
    empty = {k: v[:0] for k, v in _observed(4, 5).items() if k not in TRUTH}
    write_events(d / "observed_empty.h5", empty)
    (d / "diagnostics.json").write_text(
        json.dumps({"label_shift": {"all": {"em": {"estimate": 0.08, "std": 0.01}}}})
    )
    return d


def _adapted(files, tmp_path, adapt, entry=ENTRY, **kw):
    return train_adapted_net(
        train_path=files / "train.h5", val_path=files / "val.h5",
        target_path=kw.pop("target", files / "observed_train.h5"), entry={**entry, "adapt": adapt},
        seed=7, model_dir=tmp_path / "model", name="toy_dann", progress=False, **kw,
    )  # fmt: skip


def test_dann_entry_trains_saves_and_says_how_it_selected(files, tmp_path):
    meta = _adapted(files, tmp_path, {"method": "dann", "lambda_max": 0.5})
    assert meta["adapt"]["method"] == "dann" and meta["adapt"]["n_target"] == 192
    assert "no observed truth" in meta["selection"]
    info = json.loads((tmp_path / "model" / "model.json").read_text())
    assert info["config"]["adapt"] == {"method": "dann", "lambda_max": 0.5}
    history = (tmp_path / "model" / "history.csv").read_text().splitlines()
    assert {"domain_loss", "domain_accuracy", "lambda"} <= set(history[0].split(","))
    out = load_net(tmp_path / "model").predict(toy_events(50, seed=9))
    assert out["gammaness"].shape == (50,) and np.all(
        (out["gammaness"] >= 0) & (out["gammaness"] <= 1)
    )
    # the before/after figure's input: the encoder's representation of both domains
    samples = encoder_samples(
        {"dann": tmp_path / "model"}, files / "val.h5", files / "observed_val.h5", n=64, seed=1
    )
    z_s, z_t = samples["dann"]
    assert z_s.shape == (64, 16) and z_t.shape == (64, 16) and np.isfinite(z_s).all()
    classes = sample_classes(files / "val.h5", files / "observed_val.h5", n=64, seed=1)
    plot_representation(samples, [tmp_path / "pca.png"], classes=classes)
    assert (tmp_path / "pca.png").stat().st_size > 1000


def test_representation_classes_are_simulated_labels_and_observed_regions(files, tmp_path):
    """The representation figure's classes: the simulated label, and for observed events their
    ON/OFF region, never the truth; drawn as encoder_samples draws (the same rows)."""
    ev = {k: v for k, v in _observed(50, 6).items() if k not in TRUTH}
    ev["region"] = np.arange(50)  # the region names its row: shows which rows were drawn
    write_events(tmp_path / "obs.h5", ev)
    is_gamma, region = sample_classes(files / "val.h5", tmp_path / "obs.h5", n=20, seed=3)
    assert is_gamma.dtype == bool and len(is_gamma) == 20 and 0 < is_gamma.sum() < 20
    assert len(region) == 20 and np.all(np.diff(region) > 0)  # distinct rows, file order
    rows = np.random.default_rng(3)
    rows.choice(128, size=20, replace=False)  # the simulated draw first, as in encoder_samples
    assert np.array_equal(region, np.sort(rows.choice(50, size=20, replace=False)))
    # FACT DL2 has no region column: every observed event in no region
    _, none = sample_classes(files / "val.h5", files / "observed_val.h5", n=20, seed=3)
    assert np.all(none == -1)
    with pytest.raises(InputError, match=r"observed_val.h5: the representation figure needs"):
        sample_classes(files / "observed_val.h5", files / "observed_val.h5", n=20)


def test_iwdann_takes_the_prior_of_the_shift_diagnostics(files, tmp_path):
    meta = _adapted(
        files, tmp_path, {"method": "iwdann"}, diagnostics_path=files / "diagnostics.json"
    )
    assert meta["adapt"]["target_prior"] == 0.08
    assert meta["adapt"]["source_prior"] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="target_prior or the shift"):
        _adapted(files, tmp_path, {"method": "iwdann"})
    bad = files / "bad.json"
    bad.write_text(json.dumps({"label_shift": {"all": {}}}))
    with pytest.raises(InputError, match=r"bad.json: expected label_shift.all.em.estimate"):
        target_prior_from_diagnostics(bad)


def test_dann_trains_every_epoch_keeps_the_last_and_records_the_domain_auc(files, tmp_path):
    """Early stopping on the source loss ended DANNs before the adversary acted: every epoch runs,
    the last is kept, and the representation's domain AUC (simulated val against observed_val,
    no truth) is recorded before and after training."""
    entry = {**ENTRY, "epochs": 4, "patience": 1, "lr": 0.05}  # lr: the val loss rises early
    meta = _adapted(
        files, tmp_path, {"method": "iwdann", "target_prior": 0.1}, entry=entry,
        target_val_path=files / "observed_val.h5",
    )  # fmt: skip
    assert meta["metrics"]["epochs_run"] == 4 and meta["metrics"]["best_epoch"] == 4
    assert meta["selection"].startswith("the last of the configured epochs")
    auc = json.loads((tmp_path / "model" / "model.json").read_text())["adapt"]["domain_auc"]
    for when in ("before", "after"):
        for probe in ("marginal", "at_target_prior"):
            assert 0 <= auc[when][probe]["auc"] <= 1
        assert auc[when]["marginal"]["n_target"] == 96  # observed_val, every event
    # the cog_x shift of the toy observation is in the MLP's inputs: the domains separate
    assert auc["before"]["marginal"]["auc"] > 0.6


def test_iwdann_keeps_the_gammaness_scale_of_the_simulations(tmp_path):
    """IW-DANN's class weights at a target prior of 0.5 % gammas collapsed the gammaness of every
    observed event into the lowest bin (the default run's figure): the weights belong to the
    domain loss (Tachet des Combes et al. 2020's L_DA^w), the class loss stays the source's."""
    write_events(tmp_path / "train.h5", toy_events(1024, seed=1, max_pixels=32))
    write_events(tmp_path / "val.h5", toy_events(256, seed=2, max_pixels=32))
    obs = toy_events(1024, seed=3, max_pixels=32)
    keep = ~obs["is_gamma"].astype(bool) | (np.arange(1024) % 20 == 0)  # ~5 % gammas
    write_events(tmp_path / "obs.h5", {k: v[keep] for k, v in obs.items() if k not in TRUTH})
    test = toy_events(600, seed=9, max_pixels=32)
    gamma = test["is_gamma"].astype(bool)
    entry = {**ENTRY, "epochs": 6, "batch_size": 64}

    def gammaness(**adapt):
        train_adapted_net(
            train_path=tmp_path / "train.h5", val_path=tmp_path / "val.h5",
            target_path=tmp_path / "obs.h5", seed=1, model_dir=tmp_path / "m", progress=False,
            entry={**entry, "adapt": {"method": "iwdann", "target_prior": 0.005, **adapt}},
        )  # fmt: skip
        return load_net(tmp_path / "m").predict(test)["gammaness"]

    g = gammaness()
    assert np.median(g[gamma]) > 0.5 > np.median(g[~gamma])
    assert (g >= 0.1).mean() > 0.5
    # the paper's optional weighted class loss: the posterior at the 0.5 % prior, the gammas'
    # median below 0.5 (the collapse, milder for this MLP than for the default run's set nets)
    weighted = gammaness(weight_class_loss=True)
    assert np.median(weighted[gamma]) < 0.5
    assert np.median(weighted) < np.median(g) / 2


def test_target_prior_is_the_excess_when_the_label_shift_check_fails(tmp_path):
    # EM assumes pure label shift; with shifted hadrons it collapsed to ~0 on the default data
    shift = {
        "all": {"em": {"estimate": 1.7e-7}, "onoff_excess": {"estimate": 0.032}},
        "assumption_check": {"consistent": False},
    }
    path = tmp_path / "diagnostics.json"
    path.write_text(json.dumps({"label_shift": shift}))
    assert target_prior_from_diagnostics(path) == (0.032, "onoff_excess")
    shift["assumption_check"]["consistent"] = True
    shift["all"]["em"]["estimate"] = 0.05
    path.write_text(json.dumps({"label_shift": shift}))
    assert target_prior_from_diagnostics(path) == (0.05, "em")


def test_importance_weights_are_clipped_and_their_ess_logged(files, tmp_path, caplog):
    pytest.importorskip("iactdl.adapt.shift.domain")
    caplog.set_level("INFO")
    adapt = {"method": "importance", "weight_clip": 3.0, "weight_features": ["size", "cog_x"]}
    meta = _adapted(files, tmp_path, adapt)
    w = meta["importance_weights"]
    assert w["max_weight"] <= 3.0 + 1e-9 and w["n_clipped"] > 0  # cog_x moved: weights explode
    assert 0 < w["effective_sample_size"] < w["n_source"]
    assert "effective sample size" in caplog.text


def test_oracle_learns_from_the_hidden_truth(files, tmp_path):
    meta = train_oracle_net(
        train_path=files / "observed_train.h5", val_path=files / "observed_val.h5",
        truth_path=files / "observed_truth.h5", entry={**ENTRY, "adapt": {"method": "dann"}},
        seed=7, model_dir=tmp_path / "oracle", name="toy_oracle", progress=False,
    )  # fmt: skip
    assert meta["oracle"] is True and meta["n_train"] == 192
    assert meta["metrics"]["val_auc"] > 0.6
    with pytest.raises(
        InputError, match="observed_truth.h5: no truth row for .* events of .*train.h5"
    ):
        train_oracle_net(
            train_path=files / "train.h5", val_path=files / "observed_val.h5",
            truth_path=files / "observed_truth.h5", entry=ENTRY, seed=7,
            model_dir=tmp_path / "o2", progress=False,
        )  # fmt: skip


def test_adapted_entry_without_observed_events_is_refused(files, tmp_path):
    with pytest.raises(InputError, match="observed_empty.h5: no observed events"):
        _adapted(files, tmp_path, {"method": "dann"}, target=files / "observed_empty.h5")
    assert not (tmp_path / "model" / "model.pt").exists()


@pytest.mark.parametrize("lam", [0, -1, 11, "a lot"])
def test_lambda_max_out_of_range_is_refused(lam):
    with pytest.raises(
        ValueError, match=r"models.m.adapt.lambda_max: expected a number in \(0, 10\]"
    ):
        adapt_settings("m", {"adapt": {"method": "dann", "lambda_max": lam}})


def test_unknown_method_and_keys_are_refused():
    with pytest.raises(ValueError, match="method: 'coral'"):
        adapt_settings("m", {"adapt": {"method": "coral"}})
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['lambda'\]"):
        adapt_settings("m", {"adapt": {"method": "dann", "lambda": 1}})


@pytest.mark.parametrize(
    ("key", "column"),
    [("features", "source_x"), ("features", "alpha"), ("derived_features", "distance")],
)
def test_source_dependent_inputs_are_refused_with_the_reason(key, column):
    with pytest.raises(
        ValueError, match=rf"\['{column}'\] depend on the assumed source.*ON and OFF"
    ):
        refuse_source_dependent("m", {"features": ["size"], key: [column]})
    with pytest.raises(ValueError, match="depend on the assumed source"):
        adapt_settings("m", {"adapt": {"method": "importance", "weight_features": [column]}})


def test_the_engine_refuses_the_section_that_stage_5_checks():
    """The engine knows no adapt section: it sends the entry to iactdl.config.validate_model, which
    checks the section with stage 5 and hands the base entry back to the engine."""
    from iactdl.config import validate_model
    from iactdl.fit.entry import validate_entry

    plain = {**ENTRY, "task": "separation"}
    adapted = {**plain, "adapt": {"method": "dann", "lambda_max": 0.3}}
    with pytest.raises(ValueError, match=r"models.m.adapt: .*iactdl.config.validate_model"):
        validate_entry("m", adapted)
    validate_model("m", adapted)
    with pytest.raises(ValueError, match=r"models.m.adapt.lambda_max"):
        validate_model("m", {**plain, "adapt": {"method": "dann", "lambda_max": 11}})
    with pytest.raises(ValueError, match=r"models.m.epochs"):  # the base entry, by the engine
        validate_model("m", {**adapted, "epochs": 0})
