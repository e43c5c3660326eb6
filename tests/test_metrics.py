"""Evaluation metrics against hand-computed cases and physical invariants."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from iactdl.evaluate import (
    best_cut_expected_significance,
    bias_resolution,
    binned_bias_resolution,
    brier_score,
    calibration_curve,
    cut_at_gamma_efficiency,
    evaluate_model,
    li_ma_significance,
    migration_matrix,
    onoff_counts,
    roc_auc,
    roc_auc_bootstrap,
    working_points,
)
from iactdl.io import write_events

# ---- Li & Ma (1983) eq. 17 ----


def test_li_ma_zero_excess_is_zero():
    # n_on = alpha * n_off: no excess, no significance, for any alpha
    for n_off, alpha in [(100, 1.0), (300, 1 / 3), (1000, 0.2), (5, 0.2)]:
        assert li_ma_significance(alpha * n_off, n_off, alpha) == pytest.approx(0.0, abs=1e-9)


def test_li_ma_hand_computed():
    # n_on=10, n_off=20, alpha=0.1 by hand:
    # 10 ln(11 * 10/30) = 12.99283, 20 ln(1.1 * 20/30) = -6.20310, sqrt(2 * 6.78973) = 3.68503
    assert li_ma_significance(10, 20, 0.1) == pytest.approx(3.68503, abs=1e-4)
    # a deficit is negative, symmetric in sign convention
    assert li_ma_significance(5, 100, 0.1) < 0


def test_li_ma_vectorised_and_edge_cases():
    s = li_ma_significance(np.array([0, 10, 100]), np.array([0, 20, 100]), 0.1)
    assert s.shape == (3,) and s[0] == 0.0 and s[2] > s[1] > 0
    assert li_ma_significance(10, 0, 0.2) > 0  # no OFF counts: still finite
    assert np.isfinite(li_ma_significance(0, 50, 0.2))
    with pytest.raises(ValueError, match="alpha"):
        li_ma_significance(1, 1, 0.0)


def test_li_ma_large_counts_approach_gaussian_limit():
    # for large counts S -> excess / sqrt(alpha (n_on + n_off)) (Li & Ma eq. 9 regime)
    n_off, alpha = 1_000_000, 0.2
    n_on = alpha * n_off + 1000
    simple = (n_on - alpha * n_off) / np.sqrt(alpha * (n_on + n_off))
    assert li_ma_significance(n_on, n_off, alpha) == pytest.approx(simple, rel=0.01)


@pytest.mark.parametrize("n_on, n_off, alpha", [(10, 20, 0.1), (130, 400, 0.2), (7, 3, 1.0)])
def test_li_ma_excess_agrees_with_pyirf(n_on, n_off, alpha):
    reference = pytest.importorskip("pyirf.statistics").li_ma_significance
    assert li_ma_significance(n_on, n_off, alpha) == pytest.approx(
        float(reference(n_on, n_off, alpha)), rel=1e-6
    )


def test_pyirf_sets_deficits_to_zero_where_we_keep_the_sign():
    # the difference the module docstring states: pyirf 0, ours (and gammapy's) negative
    reference = pytest.importorskip("pyirf.statistics").li_ma_significance
    assert float(reference(5, 100, 0.1)) == 0.0
    assert li_ma_significance(5, 100, 0.1) < -1.0


@pytest.mark.parametrize(
    "n_on, n_off, alpha",
    [
        (10, 20, 0.1),  # excesses
        (130, 400, 0.2),
        (7, 3, 1.0),
        (5, 100, 0.1),  # deficits
        (1, 50, 0.5),
        (80, 1000, 0.2),
        (0, 10, 0.2),  # zero counts: no ON, no OFF, none at all
        (10, 0, 0.2),
        (3, 0, 1.0),
        (0, 0, 0.2),
        (0, 1, 1 / 11),
    ],
)
def test_li_ma_agrees_with_gammapy_wstat(n_on, n_off, alpha):
    stats = pytest.importorskip("gammapy.stats", reason="gammapy (test extra) for the cross-check")
    expected = float(stats.WStatCountsStatistic(n_on, n_off, alpha).sqrt_ts)
    assert li_ma_significance(n_on, n_off, alpha) == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_li_ma_vectorised_agrees_with_gammapy_on_a_grid():
    stats = pytest.importorskip("gammapy.stats", reason="gammapy (test extra) for the cross-check")
    n_on, n_off = np.meshgrid(np.arange(0, 40, 3), np.arange(0, 120, 7))
    for alpha in (0.1, 0.2, 1.0):
        expected = stats.WStatCountsStatistic(n_on, n_off, alpha).sqrt_ts
        np.testing.assert_allclose(
            li_ma_significance(n_on, n_off, alpha), expected, rtol=1e-9, atol=1e-12
        )


def test_onoff_counts_and_cut_choice():
    gammaness = np.array([0.9, 0.8, 0.2, 0.95, 0.1, 0.85, 0.7])
    region = np.array([0, 0, 0, 1, 2, 3, 0])
    c = onoff_counts(gammaness, region, cut=0.75, n_off_regions=3)
    assert (c["n_on"], c["n_off"], c["alpha"]) == (2, 2, pytest.approx(1 / 3))
    assert c["excess"] == pytest.approx(2 - 2 / 3)
    assert c["li_ma_significance"] == pytest.approx(li_ma_significance(2, 2, 1 / 3))
    rng = np.random.default_rng(1)
    cut, s = best_cut_expected_significance(
        rng.beta(5, 2, 5000), rng.beta(2, 5, 5000), 200, 5000, 0.2
    )
    assert 0.3 < cut < 1.0 and s > li_ma_significance(5200, 25000, 0.2)


# ---- separation ----


def test_perfect_classifier_auc_one_and_random_half():
    y = np.r_[np.zeros(500), np.ones(500)]
    assert roc_auc(y, y * 0.5 + 0.25) == 1.0
    auc, unc = roc_auc_bootstrap(y, y, n_bootstrap=50)
    assert auc == 1.0 and unc == pytest.approx(0.0, abs=1e-12)
    assert roc_auc(y, np.full(1000, 0.5)) == 0.5  # all tied: AUC one half
    assert np.isnan(roc_auc(np.ones(10), np.arange(10)))


def test_bootstrap_matches_sklearn_on_resamples():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 1500)
    s = np.round(rng.normal(y * 0.7, 1.0), 1)  # ties on purpose
    auc, unc = roc_auc_bootstrap(y, s, n_bootstrap=400, seed=3)
    assert auc == pytest.approx(roc_auc_score(y, s))
    brute = [roc_auc_score(y[i], s[i]) for i in rng.integers(0, 1500, (300, 1500))]
    assert unc == pytest.approx(np.std(brute), rel=0.15)
    assert roc_auc_bootstrap(y, s, 100, seed=3) == roc_auc_bootstrap(y, s, 100, seed=3)


def test_working_points():
    y = np.r_[np.zeros(1000), np.ones(1000)]
    score = np.r_[np.linspace(0, 0.6, 1000), np.linspace(0.4, 1.0, 1000)]
    cut = cut_at_gamma_efficiency(score[y == 1], 0.5)
    assert np.mean(score[y == 1] >= cut) == pytest.approx(0.5, abs=0.002)
    (wp,) = working_points(y, score, [0.5])
    assert wp["gamma_efficiency"] == pytest.approx(0.5, abs=0.002)
    assert wp["hadron_rejection"] == 1.0  # no hadron above 0.7
    assert wp["accuracy"] == pytest.approx(0.75, abs=0.002)


def test_brier_and_calibration():
    y = np.array([1, 0, 1, 0])
    assert brier_score(y, y) == 0.0
    assert brier_score(y, 1 - y) == 1.0
    assert brier_score(y, np.full(4, 0.5)) == 0.25
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 1, 200_000)
    cal = calibration_curve(rng.uniform(0, 1, p.size) < p, p, n_bins=10)  # calibrated by design
    np.testing.assert_allclose(cal["fraction_gamma"], cal["mean_predicted"], atol=0.01)
    assert cal["count"].sum() == p.size


# ---- energy ----


def test_resolution_of_a_known_gaussian():
    rng = np.random.default_rng(0)
    e_true = 10 ** rng.uniform(-0.5, 1.5, 200_000)
    e_est = e_true * (1 + rng.normal(0.05, 0.1, e_true.size))  # bias 5 %, resolution 10 %
    bias, res = bias_resolution(e_true, e_est)
    assert bias == pytest.approx(0.05, abs=0.002)
    assert res == pytest.approx(0.1, abs=0.002)  # 68 % containment = sigma for a Gaussian
    b = binned_bias_resolution(e_true, e_est, np.geomspace(0.3, 30, 5), min_events=10)
    np.testing.assert_allclose(b["resolution"], 0.1, atol=0.005)
    np.testing.assert_allclose(b["bias"], 0.05, atol=0.005)
    assert b["count"].sum() == np.count_nonzero((e_true >= 0.3) & (e_true < 30))


def test_binned_resolution_empty_bins_are_nan():
    b = binned_bias_resolution([1.0, 1.1], [1.0, 1.2], [0.1, 1.0, 10.0], min_events=1)
    assert np.isnan(b["resolution"][0]) and np.isfinite(b["resolution"][1])


def test_migration_matrix_rows_are_probabilities():
    rng = np.random.default_rng(0)
    e_true = 10 ** rng.uniform(-1, 2, 10_000)
    m = migration_matrix(
        e_true, e_true * rng.lognormal(0, 0.2, e_true.size), np.geomspace(0.1, 100, 10)
    )
    np.testing.assert_allclose(m["probability"].sum(axis=1), 1.0)
    assert np.all(np.argmax(m["probability"], axis=1) == np.arange(9))  # diagonal dominates


# ---- evaluate_model: the metrics file ----


def test_evaluate_model_writes_json(tmp_path):
    rng = np.random.default_rng(0)
    n = 400
    y = rng.integers(0, 2, n).astype(np.int8)
    g = np.clip(rng.normal(0.3 + 0.4 * y, 0.2), 0, 1)
    write_events(tmp_path / "test.h5", {"event_id": np.arange(n), "is_gamma": y, "gammaness": g})
    region = rng.integers(0, 6, n)
    write_events(
        tmp_path / "obs.h5",
        {"event_id": np.arange(n) + 10_000, "gammaness": g, "region": region},
        attrs={"n_off_regions": 5},
    )
    write_events(
        tmp_path / "truth.h5",
        {
            "event_id": np.arange(n) + 10_000,
            "particle_id": np.where(y == 1, 1, 14),
            "true_energy": np.ones(n),
        },
    )
    (tmp_path / "model.json").write_text(
        json.dumps({"name": "m", "kind": "baseline", "task": "separation"})
    )
    out = tmp_path / "metrics" / "m.json"
    result = evaluate_model(
        tmp_path / "model.json",
        tmp_path / "test.h5",
        out,
        {"n_bootstrap": 20},
        tmp_path / "obs.h5",
        tmp_path / "truth.h5",
    )
    on_disk = json.loads(out.read_text())
    assert on_disk == result
    assert result["test"]["roc_auc"] == pytest.approx(roc_auc_score(y, g))
    assert result["observed"]["roc_auc"] == pytest.approx(roc_auc_score(y, g))
    assert result["observed"]["onoff"]["alpha"] == pytest.approx(0.2)
    cut = result["observed"]["cut"]["cut"]
    assert np.mean(g[y == 1] >= cut) == pytest.approx(0.7, abs=0.01)  # the config's default


# ---- figures and the summary table ----


def test_figures_and_summary_written_whole(tmp_path):
    from iactdl.evaluate import write_summary
    from iactdl.evaluate.performance_figures import (
        plot_energy_resolution,
        plot_gammaness,
        plot_learning_curves,
        plot_migration,
        plot_roc_curves,
    )

    rng = np.random.default_rng(0)
    n = 500
    y = rng.integers(0, 2, n).astype(np.int8)
    e = 10 ** rng.uniform(-0.5, 1.5, n)
    write_events(
        tmp_path / "p.h5",
        {
            "event_id": np.arange(n),
            "is_gamma": y,
            "gammaness": np.clip(rng.normal(0.3 + 0.4 * y, 0.2), 0, 1),
            "true_energy": e,
            "energy_pred": e * rng.lognormal(0, 0.2, n),
        },
    )
    for task in ("separation", "energy"):
        (tmp_path / f"{task}.json").write_text(
            json.dumps({"name": task, "kind": "baseline", "task": task})
        )
        evaluate_model(
            tmp_path / f"{task}.json",
            tmp_path / "p.h5",
            tmp_path / f"m_{task}.json",
            {"n_bootstrap": 10, "energy_min": 0.3, "energy_max": 30, "n_energy_bins": 4},
        )
    outs = {}
    for name, fn, arg in [
        ("roc", plot_roc_curves, {"a": tmp_path / "p.h5"}),
        ("gammaness", plot_gammaness, {"a": tmp_path / "p.h5"}),
        ("eres", plot_energy_resolution, {"e": tmp_path / "m_energy.json"}),
        ("migration", plot_migration, {"e": tmp_path / "m_energy.json"}),
        ("learning", plot_learning_curves, {}),  # no nets: a figure that says so
    ]:
        outs[name] = [tmp_path / "fig" / f"{name}.pdf", tmp_path / "fig" / f"{name}.png"]
        fn(arg, outs[name])
    for paths in outs.values():
        assert all(p.stat().st_size > 1000 for p in paths)
    assert sorted(p.name for p in (tmp_path / "fig").iterdir()) == sorted(
        p.name for paths in outs.values() for p in paths
    )  # no temporary files left
    table = write_summary(
        {"sep": tmp_path / "m_separation.json", "en": tmp_path / "m_energy.json"},
        tmp_path / "s.csv",
        tmp_path / "s.tex",
    )
    assert list(table["model"]) == ["en", "sep"]
    sep = json.loads((tmp_path / "m_separation.json").read_text())
    assert table.loc[1, "auc_test"] == sep["test"]["roc_auc"]
    assert table.loc[0, "energy_resolution"] == pytest.approx(0.2, abs=0.05)  # lognormal 0.2
    tex = (tmp_path / "s.tex").read_text()
    assert r"\pm" in tex and "--" in tex and tex.count(r"\\") >= 3


def test_learning_curves_legend_names_each_net_once_and_each_kind_of_curve(tmp_path, monkeypatch):
    """One legend beside the panels: every net once (by colour), then the kinds of curve by line
    style, DANN's class and domain losses apart from the plain training loss."""
    import matplotlib.figure
    import pandas as pd

    from iactdl.evaluate.performance_figures import plot_learning_curves

    epochs = np.arange(1, 6)
    plain = pd.DataFrame({"epoch": epochs, "train_loss": 1 / epochs, "val_loss": 1.1 / epochs,
                          "val_auc": 0.8 + 0.01 * epochs, "seconds": 1.0})  # fmt: skip
    dann = plain.assign(class_loss=0.9 / epochs, domain_loss=0.69 + 0 * epochs)
    dirs = {}
    for name, h in (("mlp", plain), ("deepsets_dann", dann)):
        (tmp_path / name).mkdir()
        h.to_csv(tmp_path / name / "history.csv", index=False)
        dirs[name] = str(tmp_path / name)
    seen = {}
    save = matplotlib.figure.Figure.savefig

    def spy(fig, *args, **kwargs):
        seen["legend"] = [t.get_text() for legend in fig.legends for t in legend.get_texts()]
        seen["ylabel"] = fig.axes[1].get_ylabel()
        return save(fig, *args, **kwargs)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", spy)
    outs = [tmp_path / "lc.pdf", tmp_path / "lc.png"]
    plot_learning_curves(dirs, outs)
    assert all(p.stat().st_size > 1000 for p in outs)
    assert seen["legend"] == [
        "deepsets_dann", "mlp", "training", "validation", "class loss (DANN)", "domain loss (DANN)"
    ]  # fmt: skip
    assert seen["ylabel"] == "validation ROC AUC"
