"""Streamed training (``stream: true``) of the nets that train on more than the simulations' own
labels: the target oracle (hidden truth), the ON/OFF net (stage 6's labels), the adapted nets
(DANN and IW-DANN with an observed_train stream beside the simulated one, importance weights).
Against resident training: the same events and batches per epoch, comparable results; and a
killed streamed run resumes to the very weights of an uninterrupted one."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from onoff_toy import assign_regions

from iactdl.adapt.dann import DANNObjective, DANNSettings, DomainAdversarialNet, class_prior_weights
from iactdl.adapt.nets import train_adapted_net
from iactdl.fit import FitSettings, engine, fit
from iactdl.fit.engine import evaluate
from iactdl.fit.losses import multitask_loss
from iactdl.fit.oracle import train_oracle_net
from iactdl.fit.streaming import StreamedSplit
from iactdl.fit.toydata import TOY_FEATURES, toy_events
from iactdl.fit.train import load_split, split_targets
from iactdl.io import InputError, write_events
from iactdl.labelnoise.nets import fit_onoff_net, onoff_targets
from iactdl.models.nets import build_net, input_columns

FEATS = list(TOY_FEATURES)
TRUTH = ("is_gamma", "particle_id", "true_energy")
N_OFF = 3
ENTRY = {
    "kind": "net", "task": "separation", "net": "mlp", "features": FEATS,
    "settings": {"hidden": [16, 16]},
    "epochs": 3, "batch_size": 32, "lr": 0.003,
}  # fmt: skip


def _observed(n, seed):
    """Observed-like toy events: another gain and a moved camera centre, an ON/OFF region per
    event (some in none: region -1), the truth kept apart."""
    ev = toy_events(n, seed=seed, max_pixels=16)
    ev["size"] = ev["size"] * 0.7
    ev["cog_x"] = ev["cog_x"] + 150.0
    ev["event_id"] = ev["event_id"] + 10_000 * seed
    region = assign_regions(np.random.default_rng(seed), ev["is_gamma"].astype(bool), N_OFF)
    region[::17] = -1
    ev["region"] = region
    return ev


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("streamed_stages")
    # storage chunks of 64 rows: streamed in blocks of 64, pools of 8 blocks
    write_events(d / "train.h5", toy_events(640, seed=1, max_pixels=16), chunk_rows=64)
    write_events(d / "val.h5", toy_events(256, seed=2, max_pixels=16))
    truth = {}
    for split, n, seed in (("observed_train", 700, 3), ("observed_val", 256, 4)):
        ev = _observed(n, seed)
        write_events(
            d / f"{split}.h5", {k: v for k, v in ev.items() if k not in TRUTH},
            attrs={"n_off_regions": N_OFF}, chunk_rows=64,
        )  # fmt: skip
        for k in ("event_id", "particle_id", "true_energy"):
            truth.setdefault(k, []).append(ev[k])
    write_events(d / "observed_truth.h5", {k: np.concatenate(v) for k, v in truth.items()})
    (d / "diagnostics.json").write_text(
        json.dumps({"label_shift": {"all": {"em": {"estimate": 0.1, "std": 0.01}}}})
    )
    return d


def _job(files, tmp_path, train="train.h5", val="val.h5"):
    return {"train_path": files / train, "val_path": files / val, "seed": 7,
            "model_dir": tmp_path, "progress": False}  # fmt: skip


def _both(train, tmp_path, **kw):
    """The same training resident and streamed: their model.json records."""
    resident = train(entry=dict(ENTRY), **kw, model_dir=tmp_path / "resident")
    streamed = train(entry={**ENTRY, "stream": True}, **kw, model_dir=tmp_path / "streamed")
    return resident, streamed


def _comparable(resident, streamed):
    assert streamed["config"]["stream"] is True and "stream" not in resident["config"]
    assert streamed["n_train"] == resident["n_train"] and streamed["n_val"] == resident["n_val"]
    assert streamed["metrics"]["epochs_run"] == resident["metrics"]["epochs_run"] == 3
    # another order of the same events: not the same numbers, about the same quality
    r, s = resident["metrics"], streamed["metrics"]
    assert abs(s["best_val_loss"] - r["best_val_loss"]) < 0.1 * r["best_val_loss"]
    assert abs(s["val_auc"] - r["val_auc"]) < 0.08


# --- the split: the same events, targets and batches as resident ------------------------------


@pytest.mark.parametrize("hook", ["truth", "onoff"])
def test_a_stream_with_given_targets_holds_the_resident_events_and_batches(files, hook):
    path = files / "observed_train.h5"
    kw = (
        {"truth_path": files / "observed_truth.h5"}
        if hook == "truth"
        else {"labels": onoff_targets}
    )
    rows = np.arange(0, 700, 2)  # max_train_events draws rows; the labels' keep applies on top
    resident = load_split(path, "mlp", FEATS, "separation", rows, **kw)
    s = StreamedSplit(
        path, input_columns("mlp", FEATS), "features", FEATS, rows=rows, chunk_rows=64,
        buffer_chunks=3, targets=split_targets(path, **kw),
    )  # fmt: skip
    n = len(resident["is_gamma"])
    assert s.n == n and (hook == "truth" or n < len(rows))  # region -1 left out
    torch.testing.assert_close(s["is_gamma"], resident["is_gamma"])
    batches = list(s.batches(epoch_seed=3, batch_size=32))
    assert len(batches) == n // 32  # the resident path's count
    got = torch.cat([b["is_gamma"] for b in batches])
    size = torch.nan_to_num(torch.cat([b["features"][:, 0] for b in batches]))
    # each streamed event carries its own target: (size, label) pairs are the resident ones
    size_resident = torch.nan_to_num(resident["features"][:, 0]).tolist()
    pairs = set(zip(size_resident, resident["is_gamma"].tolist(), strict=True))
    assert set(zip(size.tolist(), got.tolist(), strict=True)) <= pairs


def test_weights_set_by_a_stage_travel_with_their_events(files):
    s = StreamedSplit(files / "train.h5", input_columns("mlp", FEATS), "features", FEATS,
                      chunk_rows=64, buffer_chunks=3)  # fmt: skip
    w = class_prior_weights(s["is_gamma"].numpy(), 0.1)
    s["sample_weight"] = s["domain_weight"] = w
    for b in s.batches(5, 32):
        expected = torch.from_numpy(class_prior_weights(np.array([0.0, 1.0]), 0.1))
        torch.testing.assert_close(b["sample_weight"], expected[b["is_gamma"].long()])
    with pytest.raises(ValueError, match=r"'sample_weight': \(3,\) values for the 640 events"):
        s["sample_weight"] = np.ones(3)
    with pytest.raises(KeyError, match="its inputs are read from"):
        s["features"]


# --- the stages: resident and streamed, side by side -------------------------------------------


def test_the_oracle_streams(files, tmp_path):
    kw = _job(files, tmp_path, "observed_train.h5", "observed_val.h5")
    del kw["model_dir"]
    resident, streamed = _both(
        train_oracle_net, tmp_path, truth_path=files / "observed_truth.h5", **kw
    )
    assert streamed["oracle"] is True
    _comparable(resident, streamed)
    with pytest.raises(InputError, match="observed_truth.h5: no truth row for .* of .*train.h5"):
        train_oracle_net(
            entry={**ENTRY, "stream": True}, truth_path=files / "observed_truth.h5",
            **{**kw, "train_path": files / "train.h5"}, model_dir=tmp_path / "bad",
        )  # fmt: skip


def test_the_onoff_net_streams(files, tmp_path):
    kw = _job(files, tmp_path, "observed_train.h5", "observed_val.h5")
    del kw["model_dir"]

    def train(entry, **job):
        return fit_onoff_net(entry={**entry, "labelnoise": {"noise_rates": "known_alpha"}}, **job)

    resident, streamed = _both(train, tmp_path, **kw)
    assert streamed["labels"] == resident["labels"] == "on_off"
    _comparable(resident, streamed)


@pytest.mark.parametrize("method", ["dann", "iwdann", "importance"])
def test_adapted_nets_stream(files, tmp_path, method):
    kw = _job(files, tmp_path)
    del kw["model_dir"]
    adapt = {"method": method, "lambda_max": 0.3}
    if method == "importance":
        adapt = {"method": method, "weight_features": ["size", "width", "length"]}

    def train(entry, **job):
        return train_adapted_net(
            entry={**entry, "adapt": adapt},
            target_path=files / "observed_train.h5", diagnostics_path=files / "diagnostics.json",
            name="toy", **job,
        )  # fmt: skip

    resident, streamed = _both(train, tmp_path, **kw)
    _comparable(resident, streamed)
    if method != "importance":
        assert streamed["adapt"]["n_target"] == resident["adapt"]["n_target"] == 700
    if method == "iwdann":
        assert streamed["adapt"]["source_prior"] == resident["adapt"]["source_prior"]
    if method == "importance":  # the same weights, fitted on the same events
        assert streamed["importance_weights"] == resident["importance_weights"]


# --- resume: a killed streamed run ends with the uninterrupted run's weights -------------------


def _dann_run(files, ckpt=None, stop=None, epochs=3):
    def stream(name, **kw):
        return StreamedSplit(files / name, input_columns("mlp", FEATS), "features", FEATS,
                             chunk_rows=64, buffer_chunks=3, **kw)  # fmt: skip

    train, target = stream("train.h5"), stream("observed_train.h5", labelled=False)
    train["sample_weight"] = train["domain_weight"] = class_prior_weights(
        train["is_gamma"].numpy(), 0.1
    )
    val = load_split(files / "val.h5", "mlp", FEATS, "separation")
    torch.manual_seed(0)
    net = build_net("mlp", {"hidden": [16, 16], "dropout": 0.2}, ("gammaness",), len(FEATS))
    net.fit_scaling(**{k: train.sample(0)[k] for k in net.input_names})
    model = DomainAdversarialNet(net, domain_hidden=16)
    s = FitSettings(epochs=epochs, batch_size=32, lr=3e-3, seed=5)
    # a target batch of 48 (1.5 x 32): observed_train's 700 events give 14 a pass, an epoch's 20
    # steps take a second pass
    settings = DANNSettings(
        lambda_max=0.5, domain_hidden=16, class_weights=True, target_batch_fraction=1.5
    )
    obj = DANNObjective(target, settings, s.batch_size, multitask_loss)
    try:
        result = fit(model, train, val, s, checkpoint_path=ckpt, progress=False,
                     stop_after_epoch=stop, objective=obj)  # fmt: skip
    finally:
        obj.close()
    return model, result


def test_a_streamed_dann_resumes_to_the_uninterrupted_weights(files, tmp_path):
    a, ra = _dann_run(files, ckpt=tmp_path / "a.pt")
    assert ra.samples_per_epoch == 640 // 32 * 32
    assert np.isfinite(ra.history[-1]["domain_loss"]) and ra.history[-1]["lambda"] > 0
    _, killed = _dann_run(files, ckpt=tmp_path / "b.pt", stop=2)
    assert len(killed.history) == 2
    resumed, rr = _dann_run(files, ckpt=tmp_path / "b.pt")
    assert rr.resumed_from == 2
    for (k, va), vb in zip(a.state_dict().items(), resumed.state_dict().values(), strict=True):
        assert torch.equal(va, vb), k


# --- streamed validation: the resident set's loss, AUC and outputs, read chunk by chunk --------

# |streamed - resident| of a validation loss or AUC: the same events and outputs gathered in
# another grouping of the forward passes (float32 rounding of the matrix products); measured
# 0 on these toy sets, bounded here by float32's resolution of a loss of ~0.5
VAL_TOLERANCE = 1e-6


def test_a_streamed_validation_set_gives_the_resident_loss_auc_and_outputs(files):
    path = files / "observed_val.h5"  # storage chunks of 64 rows: 4 blocks of 64, pools of 3
    kw = {"labels": onoff_targets}  # a stage's labels with a keep: region -1 left out
    resident = load_split(path, "mlp", FEATS, "separation", **kw)
    streamed = StreamedSplit(
        path, input_columns("mlp", FEATS), "features", FEATS, chunk_rows=64, buffer_chunks=3,
        targets=split_targets(path, **kw),
    )  # fmt: skip
    w = class_prior_weights(resident["is_gamma"].numpy(), 0.2)  # a stage's weights (IW-DANN)
    resident["sample_weight"] = torch.from_numpy(w)
    streamed["sample_weight"] = w
    assert streamed.n == len(resident["is_gamma"]) < 256
    assert len(list(streamed.chunks())) == 2  # more than one pool: the gathering is tested
    torch.manual_seed(0)
    net = build_net("mlp", {"hidden": [16, 16]}, ("gammaness", "log10_energy"), len(FEATS))
    net.fit_scaling(resident["features"])
    for batch_size in (4096, 50):  # one forward pass a chunk, and several
        a = evaluate(net, resident, multitask_loss, batch_size)
        b = evaluate(net, streamed, multitask_loss, batch_size)
        assert abs(a[0] - b[0]) <= VAL_TOLERANCE and abs(a[1] - b[1]) <= VAL_TOLERANCE
        torch.testing.assert_close(a[2], b[2], rtol=0, atol=1e-6)
    assert net.training  # evaluate restores the mode


def test_fit_validates_a_streamed_set_as_the_resident_one(files):
    train = load_split(files / "train.h5", "mlp", FEATS, "separation")
    val_path = files / "observed_val.h5"
    val = StreamedSplit(val_path, input_columns("mlp", FEATS), "features", FEATS,
                        chunk_rows=64, buffer_chunks=1,
                        targets=split_targets(val_path, labels=onoff_targets))  # fmt: skip
    runs = []
    for v in (load_split(val_path, "mlp", FEATS, "separation", labels=onoff_targets), val):
        torch.manual_seed(0)
        net = build_net("mlp", {"hidden": [16, 16]}, ("gammaness",), len(FEATS))
        net.fit_scaling(train["features"])
        s = FitSettings(epochs=3, batch_size=32, lr=3e-3, seed=5)
        runs.append((net, fit(net, train, v, s, progress=False)))
    (a, ra), (b, rb) = runs
    for x, y in zip(ra.history, rb.history, strict=True):
        assert abs(x["val_loss"] - y["val_loss"]) <= VAL_TOLERANCE
        assert abs(x["val_auc"] - y["val_auc"]) <= VAL_TOLERANCE
    assert ra.best_epoch == rb.best_epoch
    for (k, va), vb in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        assert torch.equal(va, vb), k  # validation does not touch training


@pytest.mark.parametrize("stage", ["oracle", "onoff", "iwdann"])
def test_streamed_stages_validate_streamed_as_resident(files, tmp_path, stage):
    """A streamed net's validation set is streamed (the stage's targets, weights and finalise
    hooks included) and gives what the resident one gives, to rounding."""
    kw = _job(files, tmp_path, "observed_train.h5", "observed_val.h5")
    del kw["model_dir"]
    entry = {**ENTRY, "stream": True}
    if stage == "oracle":
        train, kw = train_oracle_net, {**kw, "truth_path": files / "observed_truth.h5"}
    elif stage == "onoff":
        entry["labelnoise"] = {"noise_rates": "known_alpha"}
        train = fit_onoff_net
    else:  # IW-DANN with the class loss weighted (the val's weights) and the domain probe
        entry["adapt"] = {"method": "iwdann", "lambda_max": 0.3, "weight_class_loss": True}
        kw = {
            **kw, "train_path": files / "train.h5", "val_path": files / "val.h5", "name": "toy",
            "target_path": files / "observed_train.h5",
            "diagnostics_path": files / "diagnostics.json",
            "target_val_path": files / "observed_val.h5",
        }  # fmt: skip
        train = train_adapted_net
    seen = []
    real_evaluate = engine.evaluate

    def spy(net, data, *a, **k):
        seen.append(type(data).__name__)
        return real_evaluate(net, data, *a, **k)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(engine, "evaluate", spy)
        streamed = train(entry=entry, **kw, model_dir=tmp_path / "streamed")
    assert set(seen) == {"StreamedSplit"}
    resident = train(entry=entry, **kw, model_dir=tmp_path / "resident", resident_val=True)
    assert streamed["n_val"] == resident["n_val"]
    r, s = resident["metrics"], streamed["metrics"]
    assert r["best_epoch"] == s["best_epoch"]
    assert abs(r["best_val_loss"] - s["best_val_loss"]) <= VAL_TOLERANCE
    assert abs(r["val_auc"] - s["val_auc"]) <= VAL_TOLERANCE
    if stage == "onoff":  # finalise: the flip rates from the net's observed_val predictions
        _close(streamed["labelnoise"], resident["labelnoise"])
    if stage == "iwdann":  # the domain probe reads val's probe events from disk
        assert streamed["adapt"]["domain_auc"] == resident["adapt"]["domain_auc"]


def _close(a, b, path="") -> None:
    """Nested records equal, their floats to 1e-6."""
    if isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for k in a:
            _close(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _close(x, y, f"{path}[{i}]")
    elif isinstance(a, float):
        assert a == pytest.approx(b, abs=1e-6, nan_ok=True), path
    else:
        assert a == b, path
