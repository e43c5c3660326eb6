"""Joint models (iactdl.labelnoise.joint): simulated labels and ON/OFF labels in one model.

The joint loss reduces to the plain loss without observed events and to the ON/OFF loss without
simulated ones; a joint net and a joint baseline (one fit of both domains) train on a simulated
set plus observed-like ON/OFF files (tests/test_onoff_net.py's construction: gammas only in ON,
protons evenly over ON and N_OFF OFF regions) and separate observed test events, the baseline
without tied blocks of top scores; bad inputs are refused.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from onoff_toy import assign_regions
from showers import shower_features

from iactdl.config import validate_model
from iactdl.evaluate.predictions import predict_file
from iactdl.features.columns import DEFAULT_FEATURES
from iactdl.io import read_columns, write_events
from iactdl.labelnoise.joint import (
    domain_weights,
    fit_joint_baseline,
    joint_loss,
    noisy_logit,
    onoff_loss,
    train_joint_net,
)
from iactdl.metrics import roc_auc

FEATURES = list(DEFAULT_FEATURES)
N_OFF = 5
NET = {
    "kind": "net", "task": "separation", "net": "mlp", "features": FEATURES,
    "settings": {"hidden": [32, 32], "dropout": 0.0}, "lr": 0.003, "epochs": 6,
    "batch_size": 128, "patience": 3, "joint": {"weight": 1.0},
}  # fmt: skip
BDT = {
    "kind": "baseline", "task": "separation", "estimator": "hist_gradient_boosting",
    "params": {"max_iter": 30, "max_depth": 3, "min_samples_leaf": 20, "early_stopping": False},
    "features": FEATURES, "cv_folds": 3, "joint": {},
}  # fmt: skip


def _sample(n_g, n_p, seed):
    g, p = (
        shower_features("gamma", n_g, seed, FEATURES),
        shower_features("proton", n_p, seed + 1, FEATURES),
    )
    cols = {c: np.concatenate([g[c], p[c]]) for c in FEATURES}
    y = np.r_[np.ones(len(g["size"]), bool), np.zeros(len(p["size"]), bool)]
    order = np.random.default_rng(seed).permutation(len(y))
    return {c: v[order] for c, v in cols.items()}, y[order]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Simulated train/val (with is_gamma) and observed train/val/test (region, n_off_regions,
    no truth; the test's classes returned)."""
    d = tmp_path_factory.mktemp("joint")
    cols, y = _sample(1500, 1500, 31)
    n = len(y)
    for split, sl in (("train", slice(0, int(0.75 * n))), ("val", slice(int(0.75 * n), n))):
        write_events(d / f"{split}.h5", {**{c: v[sl] for c, v in cols.items()},
                     "is_gamma": y[sl], "true_energy": np.ones(len(y[sl]))})  # fmt: skip
    cols, y = _sample(600, 6000, 41)
    region = assign_regions(np.random.default_rng(5), y, N_OFF)
    n = len(y)
    cuts = {"observed_train": slice(0, int(0.6 * n)),
            "observed_val": slice(int(0.6 * n), int(0.8 * n)),
            "observed_test": slice(int(0.8 * n), n)}  # fmt: skip
    for split, sl in cuts.items():
        write_events(d / f"{split}.h5", {**{c: v[sl] for c, v in cols.items()},
                     "region": region[sl], "event_id": np.arange(n)[sl]},
                     attrs={"n_off_regions": N_OFF})  # fmt: skip
    return d, y[cuts["observed_test"]]


def test_joint_loss_reduces_to_the_plain_and_to_the_onoff_loss():
    gen = torch.Generator().manual_seed(0)
    f_s, y = torch.randn(50, generator=gen), (torch.rand(50, generator=gen) > 0.5).float()
    f_o, s = torch.randn(40, generator=gen), (torch.rand(40, generator=gen) > 0.7).float()
    rho, none = 0.2 / 1.2, torch.zeros(0)
    plain = F.binary_cross_entropy_with_logits(f_s, y)
    assert torch.allclose(joint_loss(f_s, y, none, none, rho, weight=3.0), plain)
    # no simulated events: w x the cross-entropy of s against the Menon-implied P(ON | x)
    eta_noisy = rho + (1 - rho) * torch.sigmoid(f_o + 0.4)
    onoff = F.binary_cross_entropy(eta_noisy, s)
    assert torch.allclose(joint_loss(none, none, f_o, s, rho, weight=2.0, delta=0.4), 2 * onoff)
    assert torch.allclose(onoff_loss(f_o, s, rho, 0.4), onoff)
    assert torch.allclose(torch.sigmoid(noisy_logit(f_o, rho, 0.4)), eta_noisy)
    both = joint_loss(f_s, y, f_o, s, rho, weight=0.5, delta=0.4)
    assert torch.allclose(both, plain + 0.5 * onoff)
    # far in the hadron tail the noisy posterior is rho_minus, finite (no log(0))
    assert math.isclose(
        float(torch.sigmoid(noisy_logit(torch.tensor([-200.0]), rho))), rho, rel_tol=1e-6
    )


def test_domain_weights_sum_to_the_joint_loss_and_bad_ones_are_refused():
    w_s, w_o = domain_weights(300, 100, 2.0)
    assert math.isclose(w_s.sum(), 400, rel_tol=1e-6) and math.isclose(w_o.sum(), 800, rel_tol=1e-6)
    with pytest.raises(ValueError, match="0 observed ON/OFF events"):
        domain_weights(300, 0, 1.0)
    with pytest.raises(ValueError, match="weight nan"):
        domain_weights(300, 10, float("nan"))


def test_joint_net_trains_and_separates_observed_events(files, tmp_path):
    d, y_test = files
    meta = train_joint_net(
        entry=NET, name="mlp_joint", train_path=d / "train.h5", val_path=d / "val.h5",
        target_path=d / "observed_train.h5", target_val_path=d / "observed_val.h5", seed=1,
        model_dir=tmp_path / "m", progress=False,
    )  # fmt: skip
    info = json.loads((tmp_path / "m" / "model.json").read_text())
    assert info["joint"]["alpha"] == pytest.approx(1 / N_OFF)
    assert info["joint"]["n_on_train"] > 0 and info["joint"]["n_off_train"] > 0
    assert "joint_delta" in meta and "no observed truth" in info["selection"]
    predict_file(tmp_path / "m", d / "observed_test.h5", tmp_path / "p.h5")
    g = read_columns(tmp_path / "p.h5", ["gammaness"])["gammaness"]
    assert roc_auc(y_test, g) > 0.7  # 6 epochs on ~2k simulated events


def test_joint_baseline_is_one_fit_and_is_corrected(files, tmp_path):
    d, y_test = files
    fit_joint_baseline(d / "train.h5", d / "observed_train.h5", tmp_path / "b", "bdt_joint", BDT)
    info = json.loads((tmp_path / "b" / "model.json").read_text())
    assert info["loader"] == "iactdl.labelnoise.joint:load_joint_baseline"
    assert info["labelnoise"]["correction"]["a"] == pytest.approx(1 + 1 / N_OFF)
    predict_file(tmp_path / "b", d / "observed_test.h5", tmp_path / "p.h5")
    p = read_columns(tmp_path / "p.h5", ["gammaness", "p_on", "gammaness_simulated"])
    assert roc_auc(y_test, p["gammaness"]) > 0.8
    # Menon's affine link of P(ON), clipped
    a, b = 1 + 1 / N_OFF, -1 / N_OFF
    assert np.allclose(p["gammaness"], np.clip(a * p["p_on"] + b, 0, 1), atol=1e-6)


def test_joint_baseline_ranks_the_top_events_without_tied_blocks(files, tmp_path):
    """The default config's shape: ``params`` with large leaves (the ON/OFF model's) and the
    simulated stage's ``source_params``. The stacked design fitted those large leaves on the
    ON/OFF labels: hundreds of observed events got one top score (a straight segment of the ROC
    curve, 4056 of observed_test's on the default run). The one fit across both domains takes
    ``source_params`` and ranks them; its simulated-domain score is the same model's."""
    d, y_test = files
    coarse = {"learning_rate": 0.03, "max_iter": 500, "max_leaf_nodes": 15,
              "min_samples_leaf": 500, "early_stopping": True, "validation_fraction": 0.1,
              "n_iter_no_change": 10}  # fmt: skip
    fine = {"max_iter": 60, "max_depth": 3, "min_samples_leaf": 20, "early_stopping": False}
    entry = {**BDT, "params": coarse, "joint": {"source_params": fine}}
    fit_joint_baseline(d / "train.h5", d / "observed_train.h5", tmp_path / "b", "bdt_joint", entry)
    predict_file(tmp_path / "b", d / "observed_test.h5", tmp_path / "p.h5")
    p = read_columns(tmp_path / "p.h5", ["p_on", "gammaness_simulated"])
    top = np.sort(p["p_on"])[::-1][: len(y_test) // 10]
    assert np.unique(top, return_counts=True)[1].max() <= 3
    assert roc_auc(y_test, p["p_on"]) > 0.8
    info = json.loads((tmp_path / "b" / "model.json").read_text())
    assert info["joint"]["design"] == "domains" and info["joint"]["fit_params"] == fine


def test_bad_joint_entries_and_inputs_are_refused(files, tmp_path):
    d, _ = files
    for bad, match in (
        ({"features": FEATURES + ["source_x"]}, "ON and OFF positions differ"),
        ({"joint": {"weight": 0}}, r"weight: 0; expected a number in \(0, 100\]"),
        ({"joint": {"weight": 1000.0}}, r"weight: 1000.0"),
        ({"joint": {"weight": float("nan")}}, r"weight: nan"),
        ({"joint": {"w": 1}}, "unknown key"),
        ({"labelnoise": {}}, "either `joint` or `labelnoise`"),
        ({"energy_head": True}, "carry no energy"),
    ):
        with pytest.raises(ValueError, match=match):
            validate_model("mlp_joint", {**NET, **bad})
    validate_model("mlp_joint", NET)
    validate_model("bdt_joint", BDT)
    # an observation without ON/OFF events (every event outside the theta^2 regions)
    cols = read_columns(d / "observed_train.h5", FEATURES + ["event_id"])
    n = len(cols["event_id"])
    write_events(tmp_path / "none.h5", {**cols, "region": np.full(n, -1, np.int64)},
                 attrs={"n_off_regions": N_OFF})  # fmt: skip
    with pytest.raises(ValueError, match=r"none.h5: no ON \(region 0\) events among 0"):
        fit_joint_baseline(d / "train.h5", tmp_path / "none.h5", tmp_path / "b", "bdt_joint", BDT)
    with pytest.raises(ValueError, match=r"none.h5: no ON \(region 0\) events among 0"):
        train_joint_net(
            entry=NET, name="mlp_joint", train_path=d / "train.h5", val_path=d / "val.h5",
            target_path=tmp_path / "none.h5", target_val_path=d / "observed_val.h5", seed=1,
            model_dir=tmp_path / "m", progress=False,
        )  # fmt: skip
    assert not (tmp_path / "b").exists() or not any((tmp_path / "b").iterdir())
    assert not (tmp_path / "m" / "model.json").exists()


def test_joint_models_get_their_own_rows_in_the_comparison():
    from iactdl.labelnoise.comparison import approach_of, comparison_rows

    feats = {"task": "separation", "features": FEATURES}
    entries = {
        "bdt": {"kind": "baseline", "estimator": "hist_gradient_boosting", **feats},
        "bdt_joint": {**BDT},
        "mlp": {"kind": "net", "net": "mlp", **feats},
        "mlp_joint": {**NET},
    }
    # the joint models are better on the simulations: they must not take the source-only rows
    metrics = {n: {"test": {"roc_auc": a}} for n, a in
               {"bdt": 0.8, "bdt_joint": 0.9, "mlp": 0.8, "mlp_joint": 0.9}.items()}  # fmt: skip
    rows = comparison_rows(entries, metrics, {})
    got = [(r["group"], r["approach"], r["model"], r["prior_corrected"]) for r in rows]
    assert got == [
        ("boosted trees", "source-only", "bdt", True),
        ("boosted trees", "joint", "bdt_joint", False),  # Menon-corrected: the observed prior
        ("feature MLP", "source-only", "mlp", True),
        ("feature MLP", "joint", "mlp_joint", True),  # the simulated balance: moved
    ]
    assert approach_of(NET) == "joint"
    from iactdl.evaluate.labels import model_label

    assert model_label("bdt_joint", BDT) == "boosted trees, simulated + ON/OFF labels"
