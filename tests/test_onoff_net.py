"""Nets on ON/OFF labels (iactdl.labelnoise.nets): the synthetic label-flip check, prediction with
the correction, the oracle, every bad input, and that the rule reads no truth.

Fixture: simulated point-like gammas and protons through the library's features (as
tests/test_onoff.py for the baselines), written as observed-like files: gammas only in ON, protons
evenly over ON and N_OFF OFF regions, i.e. the clean labels flipped with rho_+ = 0 and
rho_- = alpha / (1 + alpha); the truth in its own file, as the simulator writes it.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from onoff_toy import assign_regions
from showers import shower_features

from iactdl.config import validate_model
from iactdl.evaluate.predictions import predict_file
from iactdl.features.columns import DEFAULT_FEATURES
from iactdl.fit.oracle import train_oracle_net
from iactdl.fit.toydata import toy_events
from iactdl.fit.train import load_split
from iactdl.io import read_columns, write_events
from iactdl.labelnoise.measurement import evaluate_labelnoise
from iactdl.labelnoise.nets import fit_onoff_net, load_onoff_net, onoff_targets
from iactdl.metrics import expected_calibration_error, roc_auc
from iactdl.models.nets import load_net

ROOT = Path(__file__).resolve().parents[1]
FEATURES = list(DEFAULT_FEATURES)
N_OFF = 5  # alpha = 0.2: a = 1.2, b = -0.2
ENTRY = {
    "kind": "net", "task": "separation", "net": "mlp", "features": FEATURES,
    "settings": {"hidden": [32, 32], "dropout": 0.0}, "lr": 0.003, "epochs": 20,
    "batch_size": 128, "patience": 4, "labelnoise": {"noise_rates": "known_alpha"},
}  # fmt: skip


def _features(sample, n, seed):
    return shower_features(sample, n, seed, FEATURES)


@pytest.fixture(scope="module")
def observed(tmp_path_factory):
    """train/val/test files (60/20/20) with features, region, event_id and n_off_regions; the
    truth (event_id, particle_id, true_energy) in truth.h5; is_gamma of the test events."""
    g, p = _features("gamma", 5000, 21), _features("proton", 10000, 22)
    cols = {c: np.concatenate([g[c], p[c]]) for c in FEATURES}
    y = np.r_[np.ones(len(g["size"]), bool), np.zeros(len(p["size"]), bool)]
    order = np.random.default_rng(0).permutation(len(y))
    cols, y = {c: v[order] for c, v in cols.items()}, y[order]
    region = assign_regions(np.random.default_rng(2), y, N_OFF)
    eid = np.arange(len(y), dtype=np.int64) * 7 + 3  # event ids need not be positions
    d = tmp_path_factory.mktemp("obs_net")
    n = len(y)
    cuts = {"train": slice(0, int(0.6 * n)), "val": slice(int(0.6 * n), int(0.8 * n)),
            "test": slice(int(0.8 * n), n)}  # fmt: skip
    for split, sl in cuts.items():
        write_events(d / f"{split}.h5",
                     {**{c: v[sl] for c, v in cols.items()}, "region": region[sl],
                      "event_id": eid[sl]}, attrs={"n_off_regions": N_OFF})  # fmt: skip
    write_events(d / "truth.h5", {"event_id": eid, "particle_id": np.where(y, 1, 14),
                                  "true_energy": np.ones(n)})  # fmt: skip
    return d, y[cuts["test"]], region


def _train(d, model_dir, entry=ENTRY, train="train.h5", val="val.h5"):
    return fit_onoff_net(
        entry=entry, name="mlp_onoff", train_path=d / train, val_path=d / val, seed=3,
        model_dir=model_dir, progress=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def trained(observed, tmp_path_factory):
    d, _, _ = observed
    out = tmp_path_factory.mktemp("nets")
    _train(d, out / "onoff")
    train_oracle_net(
        entry=ENTRY, name="mlp_onoff", truth_path=d / "truth.h5", train_path=d / "train.h5",
        val_path=d / "val.h5", seed=3, model_dir=out / "oracle", progress=False,
    )  # fmt: skip
    return out


def test_corrected_net_recovers_the_clean_posterior(observed, trained):
    """Train on the flipped labels, correct with the known alpha: the posterior is calibrated like
    the same net trained on the clean labels (the oracle), and much better than uncorrected."""
    d, y, _ = observed
    test = read_columns(d / "test.h5", FEATURES)
    out = load_onoff_net(trained / "onoff").predict(test)
    clean = load_net(trained / "oracle").predict(test)["gammaness"]
    p_on, corrected = out["p_on"].astype(float), out["gammaness"].astype(float)
    np.testing.assert_allclose(corrected, np.clip(1.2 * p_on - 0.2, 0, 1), atol=1e-6)
    ece = {k: expected_calibration_error(y, v) for k, v in
           (("noisy", p_on), ("corrected", corrected), ("clean", clean))}  # fmt: skip
    auc = {k: roc_auc(y, v) for k, v in (("corrected", corrected), ("clean", clean))}
    dev = {k: float(np.mean(np.abs(v - clean))) for k, v in (("noisy", p_on), ("corr", corrected))}
    print(f"ECE {ece}, AUC {auc}, mean |. - clean| {dev}")
    assert ece["noisy"] > ece["corrected"] + 0.03  # uncorrected P(ON|x) is visibly off ...
    assert ece["corrected"] < ece["clean"] + 0.03  # ... corrected, as calibrated as the oracle
    assert dev["corr"] < dev["noisy"]  # nearer the clean-trained net event by event
    assert auc["corrected"] > 0.75 and auc["corrected"] > auc["clean"] - 0.05


def test_model_json_records_the_correction_and_no_truth(observed, trained):
    d, _, region = observed
    info = json.loads((trained / "onoff" / "model.json").read_text())
    ln = info["labelnoise"]
    assert info["kind"] == "net" and info["labels"] == "on_off"
    assert ln["alpha"] == pytest.approx(0.2) and ln["correction"]["method"] == "known_alpha"
    assert ln["correction"]["a"] == pytest.approx(1.2) and ln["correction"]["b"] == pytest.approx(
        -0.2
    )
    assert ln["estimated_from"] == "observed_val" and "pooled observation" in ln["prior"]
    # the alpha-free anchor estimate comes from the net's observed_val predictions (the ON
    # fraction of the 20 % lowest-scored events there) and finds rho_- = 1/6 within its binomial
    # error plus the bias of gammas among those events (a third of the events here are gammas)
    anchor = ln["estimated"]["anchor"]
    val = read_columns(d / "val.h5", FEATURES + ["region"])
    p_on = load_onoff_net(trained / "onoff").predict(val)["p_on"]
    low = np.argsort(p_on, kind="stable")[: round(0.2 * len(p_on))]
    assert anchor["rho_minus"] == pytest.approx(np.mean(val["region"][low] == 0), abs=0.01)
    assert abs(anchor["rho_minus"] - 1 / 6) < 3 * anchor["rho_minus_std"] + 0.03
    n_val = len(read_columns(d / "val.h5", ["region"])["region"])
    assert info["n_on_val"] + info["n_off_val"] == info["n_val"] == n_val
    assert 0.5 < info["metrics"]["val_auc"] < 1  # ON against OFF on observed_val
    assert "no truth" in info["selection"]
    oracle = json.loads((trained / "oracle" / "model.json").read_text())
    assert oracle["oracle"] is True and "labelnoise" not in oracle["config"]
    assert oracle["heads"] == info["heads"] == ["gammaness"]  # the same net, on truth


def test_prediction_writes_corrected_gammaness_and_p_on(observed, trained, tmp_path):
    d, _, _ = observed
    n = predict_file(trained / "onoff", d / "test.h5", tmp_path / "pred.h5")
    pred = read_columns(tmp_path / "pred.h5", ["gammaness", "p_on", "region", "event_id"])
    assert n == len(pred["event_id"])
    np.testing.assert_allclose(
        pred["gammaness"], np.clip(1.2 * pred["p_on"].astype(float) - 0.2, 0, 1), atol=1e-6
    )
    assert pred["gammaness"].min() >= 0 and pred["gammaness"].max() <= 1
    assert (pred["gammaness"] == 0).any()  # some P(ON|x) below rho_- = 1/6: clipped, not negative


def test_stage6_measurement_of_the_net_and_its_oracle(observed, trained, tmp_path):
    """evaluate_labelnoise reads the net's correction from its model.json: the corrected
    posterior's calibration and the ON gamma fraction against the hidden truth, beside its
    oracle."""
    d, y, _ = observed
    for who in ("onoff", "oracle"):
        for split in ("val", "test"):
            predict_file(trained / who, d / f"{split}.h5", tmp_path / f"{who}_{split}.h5")
    out = evaluate_labelnoise(
        info=trained / "onoff" / "model.json", test=tmp_path / "onoff_test.h5",
        val=tmp_path / "onoff_val.h5", truth=d / "truth.h5", output=tmp_path / "m.json",
        oracle_info=trained / "oracle" / "model.json", oracle_test=tmp_path / "oracle_test.h5",
        oracle_val=tmp_path / "oracle_val.h5", n_bootstrap=20,
    )  # fmt: skip
    m, o = out["measurement"], out["oracle"]
    ece = (m["calibration_before"]["ece"], m["calibration_after"]["ece"])
    print(
        f"AUC {m['roc_auc']:.3f} (oracle {o['roc_auc']:.3f}); ECE before/after {ece} (oracle "
        f"{o['calibration_after']['ece']:.3f}); ON gamma fraction {m['on_gamma_fraction']}"
    )
    assert m["labels"] == "on_off" and m["flip_rates"]["correction"]["a"] == pytest.approx(1.2)
    assert m["n_events"] == len(y) and m["n_gamma"] == int(y.sum())
    assert m["calibration_after"]["ece"] < m["calibration_before"]["ece"]
    assert m["calibration_after"]["ece"] < o["calibration_after"]["ece"] + 0.03
    # the gamma fraction in ON from the corrected posterior: within two uncertainties of the truth
    assert abs(m["on_gamma_fraction"]["model_pull"]) < 2


def test_resumes_from_its_checkpoint(observed, trained, tmp_path):
    """A rerun finds the finished run's checkpoint and writes the same weights."""
    d, _, _ = observed
    shutil.copytree(trained / "onoff", tmp_path / "m")
    (tmp_path / "m" / "model.pt").unlink()
    _train(d, tmp_path / "m")
    a = (trained / "onoff" / "model.pt").read_bytes()
    assert (tmp_path / "m" / "model.pt").read_bytes() == a


@pytest.mark.parametrize("net", ["deepsets", "hexcnn"])
def test_pixel_nets_train_on_onoff_labels_of_their_images(tmp_path, net):
    """A pixel-level net reads its images (observed_train_images), with the same labels and
    correction; the file has no truth columns."""
    truth = ("is_gamma", "particle_id", "true_energy")
    for split, n, seed in (("train", 240, 1), ("val", 120, 2), ("test", 60, 3)):
        ev = toy_events(n, seed=seed, max_pixels=32)
        region = assign_regions(np.random.default_rng(seed), ev["is_gamma"] == 1, N_OFF)
        write_events(tmp_path / f"{split}.h5",
                     {**{k: v for k, v in ev.items() if k not in truth}, "region": region},
                     attrs={"n_off_regions": N_OFF})  # fmt: skip
    settings = {"deepsets": {"phi": [8], "rho": [8]},
                "hexcnn": {"channels": [4], "head_hidden": 8}}[net]  # fmt: skip
    entry = {"kind": "net", "task": "separation", "net": net, "features": [],
             "settings": settings, "epochs": 2, "batch_size": 32,
             "labelnoise": {"noise_rates": "anchor"}}  # fmt: skip
    meta = _train(tmp_path, tmp_path / "m", entry=entry)
    assert meta["input_kind"] != "features" and meta["n_train"] == 240
    assert meta["labelnoise"]["correction"]["method"] == "anchor"
    n = predict_file(tmp_path / "m", tmp_path / "test.h5", tmp_path / "pred.h5")
    pred = read_columns(tmp_path / "pred.h5", ["gammaness", "p_on"])
    c = meta["labelnoise"]["correction"]
    expected = np.clip(c["a"] * pred["p_on"].astype(float) + c["b"], 0, 1)
    assert n == 60
    np.testing.assert_allclose(pred["gammaness"], expected, atol=1e-6)


def _with_regions(d, tmp_path, name, region, n_off=N_OFF):
    cols = read_columns(d / "train.h5", FEATURES + ["event_id"])
    write_events(tmp_path / name, {**cols, "region": region(len(cols["event_id"]))},
                 attrs={"n_off_regions": n_off})  # fmt: skip
    return tmp_path / name


def test_bad_inputs_are_refused_and_nothing_is_written(observed, tmp_path):
    d, _, _ = observed
    model_dir = tmp_path / "m"
    _with_regions(d, tmp_path, "on_only.h5", lambda n: np.zeros(n, np.int64))
    with pytest.raises(ValueError, match=r"on_only.h5: no OFF \(region >= 1\) events"):
        _train(tmp_path, model_dir, train="on_only.h5", val=d / "val.h5")
    _with_regions(d, tmp_path, "off_only.h5", lambda n: np.ones(n, np.int64))
    with pytest.raises(ValueError, match=r"off_only.h5: no ON \(region 0\) events"):
        _train(tmp_path, model_dir, train=d / "train.h5", val="off_only.h5")
    # observed_val's alpha must be observed_train's
    _with_regions(d, tmp_path, "val3.h5", lambda n: np.arange(n) % 4, n_off=3)
    with pytest.raises(ValueError, match="val3.h5: n_off_regions gives alpha"):
        _train(tmp_path, model_dir, train=d / "train.h5", val="val3.h5")
    assert not model_dir.exists() or not any(model_dir.iterdir())
    # source-dependent features, an energy head, adapt and labelnoise together: refused in the entry
    for bad, match in (
        ({"features": FEATURES + ["source_x"]}, "ON and OFF positions differ"),
        ({"energy_head": True}, "ON/OFF labels carry no energy"),
        ({"direction_head": "disp"}, "observed events carry no true source position"),
        ({"adapt": {"method": "dann"}}, "either `adapt` or `labelnoise`"),
        ({"labelnoise": {"noise_rates": "guess"}}, "noise_rates"),
    ):
        with pytest.raises(ValueError, match=match):
            validate_model("mlp_onoff", {**ENTRY, **bad})
        with pytest.raises(ValueError, match=match):
            _train(d, model_dir, entry={**ENTRY, **bad})
    validate_model("mlp_onoff", ENTRY)
    validate_model("mlp", {**ENTRY, "labelnoise": None})  # the schema's default: a plain net
    with pytest.raises(ValueError, match="not both"):
        load_split(d / "train.h5", "mlp", FEATURES, "separation", truth_path=d / "truth.h5",
                   labels=onoff_targets)  # fmt: skip
    assert not model_dir.exists() or not any(model_dir.iterdir())


def _rule_inputs(dry_run: str, rule: str) -> list[str]:
    """The input files of every job of ``rule`` in Snakemake's dry-run listing."""
    inputs = []
    for block in re.split(r"\n(?=(?:local)?rule \w+:)", dry_run):
        if re.match(rf"(?:local)?rule {rule}:", block):
            m = re.search(r"^\s+input: (.*)$", block, re.M)
            inputs += [s.strip() for s in m.group(1).split(",")] if m else []
    return inputs


@pytest.mark.workflow  # a dry run only (~10 s), but snakemake on the tiny config
def test_the_onoff_net_rule_reads_no_truth(tmp_path):
    """Dry run of the tiny config: the ON/OFF net's training job reads observed_train and
    observed_val, never the hidden truth; only its oracle's job does. The signal leak of its
    correction comes from the simulated splits alone."""
    if shutil.which("snakemake") is None:
        pytest.skip("snakemake is not installed")
    proc = subprocess.run(
        ["snakemake", "-n", "--configfile", str(ROOT / "tests/config/tiny.yaml"),
         "--directory", str(tmp_path / "work")],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    net = _rule_inputs(out, "train_onoff_net")
    assert net and not [f for f in net if "truth" in f], net
    # and the known-alpha correction's signal leak, which reads simulations and the disp model
    assert {Path(f).name for f in net} == {
        "observed_train.h5",
        "observed_val.h5",
        "signal_leak.json",
    }
    leak = _rule_inputs(out, "signal_leak")
    assert {Path(f).name for f in leak} == {
        "train.h5",
        "val.h5",
        "test.h5",
        "model.json",
        "model.skops",
    }, leak
    oracle = _rule_inputs(out, "train_onoff_oracle_net")
    assert any(Path(f).name == "observed_truth.h5" for f in oracle), oracle
    assert re.search(r"^rule labelnoise_comparison:", out, re.M)
