"""The lecture's experiments (iactdl.experiments): sweep points on toy events, their figures.

The sweeps themselves run in the workflow tests on the tiny config (tests/test_rerun.py); here each
point function runs for real on a few hundred toy events and must show the behaviour the experiment
is about: a wide net interpolates flipped labels and a one-unit net cannot; the learning rate with
the lowest validation loss is chosen; subsets are nested; crossings are found where curves cross.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

from iactdl.camera import fact_camera
from iactdl.experiments import (
    capacity_point,
    choose_lr,
    epochs_for,
    inductive_bias_point,
    optimiser_point,
    subset_rows,
)
from iactdl.experiments.capacity import noisy_subset, record_epochs, training_loss
from iactdl.experiments.figures import (
    crossing_size,
    plot_capacity,
    plot_inductive_bias,
    plot_optimisers,
)
from iactdl.fit.toydata import TOY_FEATURES, toy_events
from iactdl.io import write_events
from iactdl.models.nets import build_net

FEATURES = list(TOY_FEATURES)


@pytest.fixture(scope="module")
def splits(tmp_path_factory):
    """train/val/test files of toy events with complete features (as after the quality cuts)."""
    d = tmp_path_factory.mktemp("toy")
    paths = {}
    for k, (split, n) in enumerate({"train": 400, "val": 200, "test": 300}.items()):
        ev = toy_events(n + n // 2, seed=k)
        ok = np.all([np.isfinite(ev[c]) for c in FEATURES], axis=0)
        ev = {c: v[ok][:n] for c, v in ev.items()}
        paths[split] = d / f"{split}.h5"
        write_events(paths[split], ev)
    return paths


def test_noisy_subset_flips_exactly_the_stated_fraction_and_is_seeded():
    labels = np.arange(1000) % 2
    rows, flip = noisy_subset(labels, 300, 0.2, seed=3)
    assert len(rows) == 300 and np.all(np.diff(rows) > 0)
    assert flip.sum() == 60
    rows2, flip2 = noisy_subset(labels, 300, 0.2, seed=3)
    assert np.array_equal(rows, rows2) and np.array_equal(flip, flip2)
    assert not np.array_equal(rows, noisy_subset(labels, 300, 0.2, seed=4)[0])
    with pytest.raises(ValueError, match="label_noise"):
        noisy_subset(labels, 300, 0.5, seed=3)
    assert record_epochs(2000, 10)[-1] == 2000 and record_epochs(2000, 10)[0] == 1


def test_wide_net_interpolates_flipped_labels_and_a_one_unit_net_cannot(splits, tmp_path):
    settings = dict(
        features=FEATURES,
        n_train=200,
        label_noise=0.2,
        epochs=400,
        lr=0.01,
        n_records=6,
        depth=1,
        seed=1,
    )
    wide = capacity_point(
        splits["train"], splits["test"], {**settings, "width": 512}, tmp_path / "w512.json"
    )
    narrow = capacity_point(
        splits["train"], splits["test"], {**settings, "width": 1}, tmp_path / "w1.json"
    )
    d = len(FEATURES)
    assert wide["n_params"] == 512 * (d + 1) + 512 + 1  # no missing-value flags: all trainable
    assert narrow["n_params"] == d + 1 + 2
    # 40 of the 200 labels are flipped: only a net with capacity to spare fits them all
    assert wide["final"]["train_error_noisy"] <= 0.01
    assert narrow["final"]["train_error_noisy"] >= 0.1
    # the net was trained on noisy labels, and scored against the clean ones
    assert narrow["final"]["train_error"] != narrow["final"]["train_error_noisy"]
    assert [r["epoch"] for r in wide["history"]][-1] == 400
    saved = json.loads((tmp_path / "w512.json").read_text())
    assert saved["final"] == pytest.approx(wide["final"])
    facts = plot_capacity(
        [tmp_path / "w1.json", tmp_path / "w512.json"],
        [tmp_path / "capacity.png"],
        epochwise_widths=[1, 512],
    )
    assert (tmp_path / "capacity.png").stat().st_size > 10_000
    threshold = facts["depths"][1]["interpolation_threshold_params"]
    assert threshold == wide["n_params"]


def test_optimiser_points_and_the_learning_rate_chosen_on_validation(splits, tmp_path):
    entry = {
        "kind": "net",
        "task": "separation",
        "net": "mlp",
        "features": FEATURES,
        "settings": {"hidden": [16], "dropout": 0.0},
        "epochs": 4,
        "batch_size": 32,
    }
    summaries = {}
    for lr in (1e-5, 3e-3):  # 1e-5 barely moves in 4 epochs: its validation loss stays higher
        base = tmp_path / "mlp" / "adam" / "constant" / f"lr{lr:g}_seed0"
        summaries[lr] = optimiser_point(
            entry,
            "adam",
            "constant",
            lr,
            7,
            splits["train"],
            splits["val"],
            0,
            0,
            f"{base}.json",
            f"{base}.csv",
        )
    assert summaries[3e-3]["best_val_loss"] < summaries[1e-5]["best_val_loss"]
    chosen = choose_lr(
        {lr: tmp_path / "mlp/adam/constant" / f"lr{lr:g}_seed0.json" for lr in summaries},
        tmp_path / "lr.json",
    )
    assert chosen["lr"] == 3e-3
    assert chosen["at_grid_edge"]  # the larger of two rates: the grid should reach past it
    hist = pd.read_csv(tmp_path / "mlp/adam/constant/lr0.003_seed0.csv")
    assert len(hist) == 4 and hist["wall_seconds"].is_monotonic_increasing
    table = plot_optimisers(
        sorted(str(p) for p in tmp_path.rglob("lr*_seed0.csv")),
        [tmp_path / "opt.png"],
        table_csv=tmp_path / "opt.csv",
        table_tex=tmp_path / "opt.tex",
    )
    assert len(table) == 2 and (tmp_path / "opt.png").exists()
    assert r"\begin{tabular}" in (tmp_path / "opt.tex").read_text()


def test_subsets_are_nested_and_small_subsets_get_more_epochs(splits):
    small, large = subset_rows(splits["train"], 50, 5), subset_rows(splits["train"], 150, 5)
    assert set(small) < set(large)
    assert subset_rows(splits["train"], 0, 5) is None
    entry = {"epochs": 5, "batch_size": 64}
    assert epochs_for(entry, 100_000, min_steps=300, max_epochs=60) == 5
    assert epochs_for(entry, 512, min_steps=300, max_epochs=60) == 38  # 8 steps per epoch
    assert epochs_for(entry, 64, min_steps=300, max_epochs=60) == 60  # capped


def test_inductive_bias_points_and_figure(splits, tmp_path):
    entries = {
        "feature_mlp": {
            "kind": "net",
            "task": "separation",
            "net": "mlp",
            "features": FEATURES,
            "settings": {"hidden": [16]},
            "epochs": 3,
            "batch_size": 32,
        },
        "pixel_mlp": {
            "kind": "net",
            "task": "separation",
            "net": "pixelmlp",
            "settings": {"hidden": [16]},
            "epochs": 3,
            "batch_size": 32,
        },
    }
    points = []
    for name, entry in entries.items():
        for n in (100, 0):
            out = tmp_path / name / f"n{n or 'all'}_seed0.json"
            r = inductive_bias_point(
                entry,
                n,
                11,
                splits["train"],
                splits["val"],
                splits["test"],
                out,
                min_steps=20,
                max_epochs=10,
            )
            assert r["n_train"] == (n or 400) and r["n_test"] == 300
            assert 0.5 < r["test_auc"] <= 1.0  # toy gammas are narrower: learnable
            points.append(out)
    table = plot_inductive_bias(
        points, [tmp_path / "ib.png"], tmp_path / "ib.csv", reference="feature_mlp"
    )
    assert set(table["n_train"]) == {100, 400}
    assert {"crosses_reference_at", "falls_below_reference_at"} <= set(
        pd.read_csv(tmp_path / "ib.csv")
    )


def test_figures_draw_more_curves_than_the_style_has_line_styles(splits, tmp_path):
    """Nine models (feature MLPs of widths 4..12) and nine depths: line styles and markers wrap
    around like the colours, as they do for any number of curves."""
    from iactdl.evaluate import style

    assert len(style.LINESTYLES) == len(style.MARKERS) == 8  # so nine curves wrap
    points = []
    for width in range(4, 13):
        entry = {
            "kind": "net",
            "task": "separation",
            "net": "mlp",
            "features": FEATURES,
            "settings": {"hidden": [width]},
            "epochs": 1,
            "batch_size": 64,
        }
        out = tmp_path / f"mlp{width}" / "n100_seed0.json"
        inductive_bias_point(
            entry, 100, 11, splits["train"], splits["val"], splits["test"], out, max_epochs=1
        )
        points.append(out)
    table = plot_inductive_bias(points, [tmp_path / "ib.png"])
    assert table["model"].nunique() == 9 and (tmp_path / "ib.png").stat().st_size > 10_000
    settings = dict(features=FEATURES, n_train=100, label_noise=0.2, epochs=5, width=2, seed=1)
    for d in range(1, 10):
        capacity_point(
            splits["train"], splits["test"], {**settings, "depth": d}, tmp_path / f"d{d}.json"
        )
    # nine depths' numbers under panel (a) squeeze its axes (matplotlib warns): drawn all the same
    facts = plot_capacity([tmp_path / f"d{d}.json" for d in range(1, 10)], [tmp_path / "c.png"])
    assert sorted(facts["depths"]) == list(range(1, 10))
    assert (tmp_path / "c.png").stat().st_size > 10_000


def test_crossing_size_interpolates_in_log_events():
    table = pd.DataFrame(
        {
            "model": ["ref"] * 3 + ["cnn"] * 3 + ["never"] * 3,
            "n_train": [100, 1000, 10000] * 3,
            "test_auc": [0.80, 0.85, 0.88, 0.70, 0.84, 0.90, 0.6, 0.7, 0.8],
        }
    )
    # cnn - ref: -0.10, -0.01, +0.02 -> crosses 1/3 of the way from 1000 to 10000 in log
    assert crossing_size(table, "cnn", "ref") == pytest.approx(10 ** (3 + 1 / 3))
    assert np.isnan(crossing_size(table, "never", "ref"))
    assert np.isnan(crossing_size(table, "cnn", "ref", "below"))  # below, then above: no fall


def test_crossing_size_says_where_a_net_above_from_the_start_is_overtaken():
    # the default run's shape: the image net beats the reference at 500 events, not at 1500
    table = pd.DataFrame(
        {
            "model": ["ref"] * 3 + ["cnn"] * 3,
            "n_train": [500, 1500, 4500] * 2,
            "test_auc": [0.78, 0.88, 0.90, 0.82, 0.87, 0.875],
        }
    )
    assert crossing_size(table, "cnn", "ref") == 500  # above from the start
    # cnn - ref: +0.04, -0.01 -> falls below 4/5 of the way from 500 to 1500 in log events
    expected = np.exp(np.log(500) + 0.8 * (np.log(1500) - np.log(500)))
    assert crossing_size(table, "cnn", "ref", "below") == pytest.approx(expected)
    with pytest.raises(ValueError, match="direction"):
        crossing_size(table, "cnn", "ref", "sideways")


def test_pixel_mlp_reads_the_1440_camera_pixels_only():
    torch.manual_seed(0)
    net = build_net("pixelmlp", {"hidden": [8], "dropout": 0.0})
    assert net.encoder[0].in_features == 1440
    cam = fact_camera()
    grid = torch.zeros(2, 2, *cam.grid_shape)
    grid[:, 0][:, torch.from_numpy(cam.grid_mask)] = torch.rand(2, 1440) * 10
    out = net(grid)
    outside = grid.clone()
    outside[:, :, torch.from_numpy(~cam.grid_mask)] = 1e6  # cells that are no pixel
    assert torch.equal(net(outside), out)


def test_capacity_losses_decide_by_the_sign_and_an_unknown_loss_is_refused(splits, tmp_path):
    out, label = torch.tensor([2.0, -0.5]), torch.tensor([1.0, 0.0])
    # squared loss on +-1 targets: (2 - 1)^2 and (-0.5 + 1)^2
    assert training_loss("squared", out, label).item() == pytest.approx((1.0 + 0.25) / 2)
    assert training_loss("cross_entropy", out, label).item() == pytest.approx(
        float(torch.nn.functional.binary_cross_entropy_with_logits(out, label))
    )
    with pytest.raises(ValueError, match="experiments.capacity.loss 'hinge'"):
        capacity_point(
            splits["train"], splits["test"], {"features": FEATURES, "loss": "hinge"},
            tmp_path / "x.json",
        )  # fmt: skip
    assert not (tmp_path / "x.json").exists()
