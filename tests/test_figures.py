"""The paper's figures as a reader sees them: no value hidden outside an axis, at most eight curves
a panel, legends off the data, readable labels. Each test draws a figure from tiny inline inputs
and inspects the matplotlib figure just before it is saved."""

from __future__ import annotations

import json

import matplotlib.colors
import matplotlib.figure
import numpy as np
import pandas as pd
import pytest

from iactdl.evaluate.style import ONE_COLUMN, TWO_COLUMN
from iactdl.io import write_events

saved_widths: list[float] = []  # the test's figures: the width their text reaches (in)


@pytest.fixture
def saved(monkeypatch):
    """The figures passed to savefig (the figure functions close them afterwards)."""
    figures = []
    saved_widths.clear()
    save = matplotlib.figure.Figure.savefig

    def spy(fig, *args, **kwargs):
        if not figures or figures[-1] is not fig:
            fig.draw_without_rendering()  # legends and ticks laid out, as in the file
            figures.append(fig)
            # the width its text reaches (in; savefig's tight box widens the file to it)
            saved_widths.append(fig.get_tightbbox().width)
        return save(fig, *args, **kwargs)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", spy)
    yield figures
    # every figure at the width of a journal column or of the page (iactdl.evaluate.style): the
    # comparison, reliability and shift figures once came out at matplotlib's default, up to 13 in
    widths = [round(fig.get_figwidth(), 3) for fig in figures]
    assert all(w in (ONE_COLUMN, TWO_COLUMN) for w in widths), widths
    # and no drawn text reaches out of it: savefig's tight box would widen the file past the
    # column (one-line titles and legends made the adaptation figure 3.8 in, the observed ROC
    # 4.56, the ON/OFF gammaness 4.12, the label shift 4.41 of 3.5, the pixel shift 7.79 of 7.1)
    overflow = [(d, w) for d, w in zip(saved_widths, widths, strict=True) if d > w + 0.05]
    assert not overflow, f"text reaches past the column (drawn, column) in inches: {overflow}"


def _inside(inner, outer) -> bool:
    return (
        inner.x0 >= outer.x0 - 1
        and inner.x1 <= outer.x1 + 1
        and (inner.y0 >= outer.y0 - 1 and inner.y1 <= outer.y1 + 1)
    )


def _overlaps(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


# ---- ROC ----


def _roc_inputs(tmp_path, n_models=14, n=400):
    from iactdl.evaluate.labels import FAMILIES

    rng = np.random.default_rng(1)
    predictions, families = {}, {}
    for k in range(n_models):
        y = rng.integers(0, 2, n).astype(np.int8)
        g = np.clip(rng.normal(0.35 + (0.1 + 0.02 * k) * y, 0.2), 0, 1)
        path = tmp_path / f"m{k}.h5"
        write_events(path, {"event_id": np.arange(n), "is_gamma": y, "gammaness": g})
        predictions[f"m{k}"] = path
        families[f"m{k}"] = FAMILIES[k % 2] if k < 12 else "nets"  # 8 nets: two panels
    return predictions, families


def test_roc_at_most_eight_lines_a_panel_grouped_by_family_legend_outside(tmp_path, saved):
    from iactdl.evaluate.performance_figures import plot_roc_curves

    predictions, families = _roc_inputs(tmp_path)
    labels = {name: f"model {name}" for name in predictions}
    plot_roc_curves(predictions, [tmp_path / "roc.png"], families, labels)
    (fig,) = saved
    axes = [ax for ax in fig.axes if ax.get_visible() and ax.lines]
    assert len(axes) == 3  # baselines (6), nets (8 -> 7 + 1)
    assert [ax.get_title() for ax in axes] == ["baselines", "nets (1 of 2)", "nets (2 of 2)"]
    legends = [lg for sub in fig.subfigs for lg in sub.legends]
    assert len(legends) == len(axes)
    for ax in axes:
        assert len(ax.lines) <= 8
        colours = [line.get_color() for line in ax.lines]
        assert len(set(colours)) == len(colours)  # no colour twice in a panel
        for lg in legends:
            assert not _overlaps(lg.get_window_extent(), ax.get_window_extent())
    drawn = [t.get_text() for lg in legends for t in lg.get_texts()]
    assert sum(text.startswith("model m") for text in drawn) == 14


def test_observed_roc_scores_against_the_hidden_truth(tmp_path, saved):
    from iactdl.evaluate.performance_figures import plot_observed_roc

    rng = np.random.default_rng(2)
    n = 300
    particle = np.where(rng.random(n) < 0.1, 1, 14)
    write_events(tmp_path / "truth.h5", {"event_id": np.arange(n), "particle_id": particle,
                                         "true_energy": np.ones(n)})  # fmt: skip
    perfect = (particle == 1).astype(float)
    order = rng.permutation(n)  # the predictions in another order: joined by event_id
    write_events(tmp_path / "p.h5", {"event_id": order, "gammaness": perfect[order]})
    plot_observed_roc({"net": tmp_path / "p.h5"}, tmp_path / "truth.h5", [tmp_path / "r.png"],
                      {"net": "nets"}, {"net": "MLP"})  # fmt: skip
    (fig,) = saved
    text = [t.get_text() for sub in fig.subfigs for lg in sub.legends for t in lg.get_texts()]
    assert text[0].startswith("MLP, AUC 1.000")
    n_gamma = int((particle == 1).sum())
    assert f"{n_gamma} gammas, {n - n_gamma} hadrons" in fig.get_suptitle()


# ---- adaptation bars ----


def _adaptation_table(oracle_auc=0.80):
    rows = []
    for net in ("mlp", "deepsets"):
        for method, auc in (("source", 0.70), ("dann", 0.42), ("iwdann", 0.74),
                            ("oracle", oracle_auc)):  # fmt: skip
            rows.append({"model": f"{net}~{method}~s1", "net": net, "method": method, "seed": 1,
                         "lambda_max": np.nan, "observed_auc": auc, "observed_auc_unc": 0.02,
                         "simulated_auc": 0.9, "gamma_efficiency_observed": 0.5,
                         "li_ma_significance": 3.0})  # fmt: skip
    from iactdl.adapt.table import adaptation_table

    return adaptation_table(pd.DataFrame(rows))


def test_adaptation_bars_axis_holds_every_value_and_labels_are_readable(tmp_path, saved):
    from iactdl.adapt.figures import plot_adaptation_bars

    table = _adaptation_table()
    plot_adaptation_bars(table, [tmp_path / "a.png"])
    (fig,) = saved
    ax = fig.axes[0]
    lo, hi = ax.get_ylim()
    err = table["observed_auc_unc"]
    assert lo <= (table["observed_auc"] - err).min() and hi >= (table["observed_auc"] + err).max()
    assert len(ax.patches) == len(table)  # every bar drawn, the one below 0.5 pointing down
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks == ["Deep Sets", "MLP"]  # the table's order
    legend = [t.get_text() for lg in fig.legends for t in lg.get_texts()]
    assert legend == ["source-only", "DANN", "IW-DANN", "oracle (observed truth)"]
    gap_labels = [t.get_text().strip() for t in ax.texts]
    assert "+40%" in gap_labels and "-280%" in gap_labels  # (0.74-0.70)/0.10, (0.42-0.70)/0.10


def test_oracle_below_source_only_leaves_no_gap_and_says_so(tmp_path, saved):
    from iactdl.adapt.figures import plot_adaptation_bars

    table = _adaptation_table(oracle_auc=0.65)
    assert table["gap_closed"].isna().all()  # not a sign-flipped ratio
    assert np.allclose(table["oracle_gap"], -0.05)
    plot_adaptation_bars(table, [tmp_path / "a.png"])
    (fig,) = saved
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert all("no gap to close" in t for t in ticks)
    assert not fig.axes[0].texts  # no gap-closed numbers


# ---- representation ----


def _representation_inputs(n=400, seed=5):
    """Two models' representations with the classes apart along PC 1 (gamma-like at +2), and
    the events' classes: simulated labels, observed ON/OFF regions (most in none)."""
    rng = np.random.default_rng(seed)
    is_gamma = rng.random(n) < 0.58
    region = rng.choice([0, 1, 2, 3, -1], n, p=[0.05, 0.05, 0.05, 0.05, 0.8])
    shift = np.zeros(8)
    shift[0] = 2.0
    z_s = rng.normal(size=(n, 8)) + np.outer(is_gamma, shift)
    z_t = rng.normal(size=(n, 8)) + np.outer(region == 0, shift) + 0.3
    samples = {"mlp~source~s1": (z_s, z_t), "mlp~iwdann~s1": (z_s, z_t)}
    return samples, (is_gamma, region)


def test_representation_marks_simulated_classes_and_observed_regions(tmp_path, saved):
    """Class alignment can only be seen with the classes marked: simulated gamma / hadron by their
    labels, observed by the truth-free ON / OFF regions, one colour per class, the domain by the
    marker, and one legend inside the page. The figure once marked the domain only."""
    from iactdl.adapt.figures import GAMMA_LIKE, HADRON_LIKE, plot_representation

    samples, (is_gamma, region) = _representation_inputs()
    plot_representation(samples, [tmp_path / "r.png"], classes=(is_gamma, region))
    (fig,) = saved
    assert saved_widths[0] <= TWO_COLUMN + 0.05, saved_widths  # legend inside the page
    (legend,) = fig.legends
    counts = {
        "simulated gamma": is_gamma.sum(), "simulated hadron": (~is_gamma).sum(),
        "observed ON": (region == 0).sum(), "observed OFF": (region >= 1).sum(),
        "observed, no region": (region < 0).sum(),
    }  # fmt: skip
    assert sorted(t.get_text() for t in legend.get_texts()) == sorted(
        f"{k} ({v})" for k, v in counts.items()
    )
    ax = fig.axes[0]
    by_label = {c.get_label().rsplit(" (", 1)[0]: c for c in ax.collections}
    assert set(by_label) == set(counts)
    for label, n in counts.items():
        assert len(by_label[label].get_offsets()) == n
    colour = {k: matplotlib.colors.to_hex(c.get_facecolor()[0], keep_alpha=False)
              for k, c in by_label.items()}  # fmt: skip
    gamma, hadron = GAMMA_LIKE.lower(), HADRON_LIKE.lower()
    assert colour["simulated gamma"] == colour["observed ON"] == gamma
    assert colour["simulated hadron"] == colour["observed OFF"] == hadron
    # the domain by the marker: the observed events' paths differ from the simulated ones'
    sim = by_label["simulated gamma"].get_paths()[0].vertices
    obs = by_label["observed ON"].get_paths()[0].vertices
    assert sim.shape != obs.shape or not np.allclose(sim, obs)
    # the classes are where the events are: the gamma-like groups on the +PC 1 side (or both on
    # the - side: a PCA's sign is arbitrary), the ON events with them
    x = {k: c.get_offsets()[:, 0].mean() for k, c in by_label.items()}
    assert np.sign(x["simulated gamma"] - x["simulated hadron"]) == np.sign(
        x["observed ON"] - x["observed OFF"]
    )
    # one model: one column wide, legend included
    plot_representation({"mlp~iwdann~s1": samples["mlp~iwdann~s1"]}, [tmp_path / "r1.png"],
                        classes=(is_gamma, region))  # fmt: skip
    assert saved_widths[-1] <= ONE_COLUMN + 0.05, saved_widths


def test_representation_refuses_classes_of_other_events(tmp_path):
    from iactdl.adapt.figures import plot_representation

    samples, (is_gamma, region) = _representation_inputs()
    with pytest.raises(ValueError, match="expected the same events"):
        plot_representation(samples, [tmp_path / "r.png"], classes=(is_gamma[:-1], region))


# ---- ON/OFF gammaness ----


def test_onoff_excess_has_poisson_errors_and_log_axes_hold_every_bin(tmp_path, saved):
    from iactdl.adapt.figures import onoff_histograms, plot_onoff_gammaness

    rng = np.random.default_rng(3)
    n = 3000
    region = rng.choice([0, 1, 2, 3, 9], n, p=[0.1, 0.1, 0.1, 0.1, 0.6])
    gammaness = np.where((region == 0) & (rng.random(n) < 0.3), rng.uniform(0.7, 1, n),
                         rng.beta(1, 4, n))  # fmt: skip
    write_events(tmp_path / "p.h5", {"event_id": np.arange(n), "gammaness": gammaness,
                                     "region": region}, attrs={"n_off_regions": 3})  # fmt: skip
    bins = np.linspace(0, 1, 21)
    h = onoff_histograms(gammaness, region, 3, bins)
    assert h["alpha"] == pytest.approx(1 / 3)
    assert np.allclose(h["excess_err"] ** 2, h["on"] + h["off"] / 9)
    plot_onoff_gammaness({"mlp~iwdann~s1": tmp_path / "p.h5"}, [tmp_path / "o.png"])
    (fig,) = saved
    ax, ax_ex = [a for a in fig.axes if a.get_visible()][:2]
    assert ax.get_yscale() == "log" and ax_ex.get_yscale() == "linear"
    lo, hi = ax.get_ylim()
    counts = np.concatenate([h["on"], h["alpha"] * h["off"]])
    assert lo <= counts[counts > 0].min() and hi >= counts.max()
    lo, hi = ax_ex.get_ylim()
    low, high = h["excess"] - h["excess_err"], h["excess"] + h["excess_err"]
    assert lo <= low.min() and hi >= high.max()
    assert fig.subfigs[0]._suptitle.get_text() == "MLP, IW-DANN, seed 1"


def test_readable_model_labels():
    from iactdl.adapt.study import study_label
    from iactdl.evaluate.labels import model_family, model_label, model_labels

    assert study_label("mlp~iwdann~s1") == "MLP, IW-DANN, seed 1"
    assert study_label("deepsets~dann@0.3~s2") == "Deep Sets, DANN (lambda_max 0.3), seed 2"
    assert study_label("hist_gbt") == "hist_gbt"  # not a study model: as it is
    entry = {"kind": "baseline", "estimator": "hist_gradient_boosting",
             "adapt": {"method": "importance"}}  # fmt: skip
    assert model_label("hist_gbt_importance", entry) == "boosted trees, importance weighting"
    assert model_family(entry) == "adapted"
    assert model_family({"kind": "net", "labelnoise": {}}) == "ON/OFF"
    twins = model_labels(["a", "b"], {"a": {"kind": "net", "net": "mlp"},
                                      "b": {"kind": "net", "net": "mlp"}})  # fmt: skip
    assert twins == {"a": "MLP (a)", "b": "MLP (b)"}
    assert json.dumps(twins)  # plain strings, fit for rule params


# ---- the shift study's heat map ----


def _shift_table(shifts, models):
    from iactdl.adapt.shift_table import SHIFT_TABLE_COLUMNS

    methods = {"hist_gbt": ["source", "onoff", "oracle"],
               "mlp": ["source", "importance", "dann", "iwdann", "oracle"]}  # fmt: skip
    rows = []
    for k, (shift, model) in enumerate((s, m) for s in shifts for m in models):
        for method in methods[model]:
            row = dict.fromkeys(SHIFT_TABLE_COLUMNS, np.nan)
            ends = {"source": 0.0, "oracle": 1.0}
            row.update(shift=shift, model=model, method=method, n_seeds=1, oracle_gap_auc=0.05,
                       gap_closed_auc=ends.get(method, 0.3 * k - 0.2))  # fmt: skip
            rows.append(row)
    return pd.DataFrame(rows)


@pytest.mark.parametrize(
    "shifts, models",
    [(["night_sky"], ["hist_gbt"]),  # tests/config/tiny.yaml's study in its `paper`
     (["night_sky", "trigger_timing", "zenith", "all"], ["hist_gbt", "mlp"])],  # config.yaml's
)  # fmt: skip
def test_shift_study_heat_map_is_readable_at_the_papers_width(tmp_path, saved, shifts, models):
    """Panels by the models' readable names (not hist_gbt), shifts without underscores, every
    cell's number inside its panel; the colour bar below one or two rows (beside one, it was a
    0.4 in stub with its label running off the figure)."""
    from iactdl.adapt.shift_table import plot_gap_heatmap

    labels = {"hist_gbt": "boosted trees", "mlp": "MLP"}
    plot_gap_heatmap(_shift_table(shifts, models), [tmp_path / "s.png"], labels=labels)
    (fig,) = saved
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in panels] == [labels[m] for m in models]
    ticks = [t.get_text() for t in panels[0].get_yticklabels()]
    assert ticks == [s.replace("_", " ") for s in shifts]
    for ax in panels:
        box = ax.get_window_extent()
        assert all(_inside(t.get_window_extent(), box) for t in ax.texts)
    (bar,) = [ax for ax in fig.axes if not ax.get_title()]
    below = bar.get_position().y1 < min(ax.get_position().y0 for ax in panels)
    assert below == (len(shifts) < 3)
    extent = bar.get_window_extent()
    assert max(extent.width, extent.height) > 1.0 * fig.dpi  # over an inch long, not a stub


# ---- shift diagnostics ----


def test_pixel_positions_binned_one_bin_per_pixel_column_with_a_density_label(tmp_path, saved):
    from iactdl.adapt.shift.figures import lattice_edges, plot_pixel_shift
    from iactdl.camera import fact_camera

    x = fact_camera().x_deg
    edges = lattice_edges(x, x.min(), x.max())
    counts = np.histogram(np.round(x, 4), edges)[0]
    columns = np.unique(np.round(x, 4))
    # every bin holds exactly one column of pixel centres: no bin with two (the aliasing spikes)
    assert len(edges) - 1 == len(columns) and np.all(counts >= 1)
    assert np.all(np.histogram(columns, edges)[0] == 1)
    rng = np.random.default_rng(4)
    pixels = rng.integers(0, 1440, 5000)
    source = {"x_deg": x[pixels], "charge": rng.lognormal(2, 1, 5000)}
    target = {"x_deg": x[pixels[::-1]], "charge": rng.lognormal(2.1, 1, 5000)}
    table = pd.DataFrame({"input": ["x_deg", "charge"], "ks": [0.01, 0.05],
                          "domain_auc": [0.5, 0.52]})  # fmt: skip
    plot_pixel_shift(table, source, target, 0.53, [tmp_path / "p.png"])
    (fig,) = saved
    drawn = [ax for ax in fig.axes if ax.axison]
    assert [ax.get_ylabel() for ax in drawn] == ["density / deg$^{-1}$", "density / p.e.$^{-1}$"]
    assert fig.get_figwidth() == pytest.approx(7.1)  # the paper's two-column width


def test_label_shift_axis_spans_the_estimates_not_the_simulated_prior(tmp_path, saved):
    from iactdl.adapt.shift.figures import QUANTIFIERS, plot_label_shift

    estimates = {"all": 0.03, "on": 0.2, "off": 0.0}
    shift = {"source": {"gamma_fraction": 0.58}, "model": "hist_gbt"}
    for subset, value in estimates.items():
        shift[subset] = {"n_events": 100}
        for k, key in enumerate(QUANTIFIERS):
            shift[subset][key] = {"estimate": value + 0.01 * k, "std": 0.01}
    plot_label_shift(shift, [tmp_path / "l.png"])
    (fig,) = saved
    lo, hi = fig.axes[0].get_ylim()
    assert lo <= -0.01 and hi >= 0.2 + 0.03 + 0.01  # every estimate with its error bar
    assert hi < 0.4  # not stretched to the simulation's 0.58: the estimates fill the axis
    legend = [t.get_text() for lg in fig.legends for t in lg.get_texts()]
    assert "simulated training set: 0.58 (above the axis)" in legend


# ---- reliability ----


def test_equal_mass_bins_fill_the_diagram_at_a_small_prior():
    from iactdl.metrics import calibration_curve, expected_calibration_error

    rng = np.random.default_rng(5)
    p = rng.beta(0.5, 15, 4000)  # a calibrated P(gamma) with a mean near 3 %
    y = (rng.random(4000) < p).astype(int)
    uniform = calibration_curve(y, p, 10)
    equal_mass = calibration_curve(y, p, 10, "quantile")
    assert np.count_nonzero(uniform["count"] >= 20) <= 4  # the defect: a few filled bins
    assert len(equal_mass["count"]) == 10 and np.all(equal_mass["count"] >= 390)
    assert expected_calibration_error(y, p, 10, "quantile") < 0.02  # calibrated
    with pytest.raises(ValueError, match="strategy"):
        calibration_curve(y, p, 10, "kmeans")


def test_reliability_figure_shows_every_equal_mass_bin(tmp_path, saved):
    from iactdl.labelnoise.comparison import plot_reliability
    from iactdl.labelnoise.measurement import calibration_summary

    rng = np.random.default_rng(6)
    p = rng.beta(0.5, 15, 2000)
    y = (rng.random(2000) < p).astype(int)
    cal = calibration_summary(y, p)
    measurement = {"model": "mlp_onoff", "measurement": {"calibration_after": cal}}
    plot_reliability(measurement, tmp_path / "r.pdf", tmp_path / "r.png")
    (fig,) = saved
    ax = fig.axes[0]
    points = ax.lines[1].get_xydata()  # the errorbar's markers
    assert len(points) == 10  # 10 bins of 200 events, all drawn
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    assert x0 <= points[:, 0].min() and x1 >= points[:, 0].max()
    assert y0 <= points[:, 1].min() and y1 >= points[:, 1].max()
    assert x1 < 0.5  # zoomed on the few % the predictions cover, not the [0, 1] square


# ---- captions ----


def test_captions_quote_no_results_of_one_run():
    """Numbers of results come from the run (on the figure, or the caption's templates over
    snakemake.config/params), never typed into a caption: the capacity caption once quoted the
    default run's minimum, peak and widest error, wrong for any other config."""
    import re
    from pathlib import Path

    from iactdl.config import load_config
    from iactdl.evaluate.report import render_caption

    root = Path(__file__).resolve().parents[1]
    config = load_config(root / "config.yaml")
    text = render_caption(root / "workflow/report/experiments_capacity.rst", config)
    assert "default run" not in text
    assert not re.search(r"\b0\.\d{3}\b", text), text  # no test error typed in


def test_a_small_test_set_gets_fewer_equal_mass_bins_not_an_empty_diagram(tmp_path, saved):
    from iactdl.labelnoise.comparison import plot_reliability
    from iactdl.labelnoise.measurement import MIN_EVENTS_PER_BIN, calibration_summary

    rng = np.random.default_rng(7)
    p = rng.uniform(0.2, 0.6, 70)  # the tiny run: 70 events of observed_test
    y = (rng.random(70) < 0.03).astype(int)
    cal = calibration_summary(y, p, n_bins=10)
    count = np.asarray(cal["reliability"]["count"])
    assert len(count) == 70 // MIN_EVENTS_PER_BIN and count.min() >= MIN_EVENTS_PER_BIN
    plot_reliability({"model": "m", "measurement": {"calibration_after": cal}},
                     tmp_path / "r.pdf", tmp_path / "r.png")  # fmt: skip
    (fig,) = saved
    assert len(fig.axes[0].lines[1].get_xydata()) == 3  # every bin drawn


# ---- readable labels: a model's name, not its config key (issue 22) ----

# config entries as the default config spells them: the key a file name carries, the name a reader
# of the paper needs
LABELLED = {
    "mlp_onoff": {"kind": "net", "task": "separation", "net": "mlp", "labelnoise": {}},
    "deepsets_iwdann": {"kind": "net", "task": "separation", "net": "deepsets",
                        "adapt": {"method": "iwdann"}},
    "hist_gbt_joint": {"kind": "baseline", "task": "separation",
                       "estimator": "hist_gradient_boosting", "joint": {}},
    "energy_rf": {"kind": "baseline", "task": "energy", "estimator": "random_forest"},
}  # fmt: skip


class _Files(list):
    """A rule's input or output as its script sees it: a list with named entries."""

    def __init__(self, **named):
        super().__init__(named.values())
        self.__dict__.update(named)


def _run_figure_script(script, tmp_path, **job):
    """Run the rule script workflow/scripts/``script`` with a stand-in ``snakemake`` object
    (``job``: input, params, wildcards), writing its figure into ``tmp_path``."""
    import runpy
    from pathlib import Path
    from types import SimpleNamespace

    job.setdefault("wildcards", SimpleNamespace())
    sm = SimpleNamespace(
        log=[str(tmp_path / "figure.log")],
        output=_Files(pdf=str(tmp_path / "figure.pdf"), png=str(tmp_path / "figure.png")),
        **job,
    )
    root = Path(__file__).resolve().parents[1]
    runpy.run_path(str(root / "workflow/scripts" / script), init_globals={"snakemake": sm})


def _assert_named(fig, keys, labels):
    """No text of ``fig`` (titles, legends, ticks, axis labels) holds a config key of ``keys``;
    every readable name of ``labels`` is shown."""
    import matplotlib.text

    # a wrapped title ("boosted trees, simulated +\nON/OFF labels") read as one line
    texts = [" ".join(t.get_text().split()) for t in fig.findobj(matplotlib.text.Text)]
    raw = [t for t in texts if any(key in t for key in keys)]
    assert not raw, f"config keys shown: {raw}"
    for label in labels:
        assert any(label in t for t in texts), (label, texts)


def test_reliability_figure_is_titled_by_the_models_name_without_a_label(tmp_path, saved):
    from iactdl.labelnoise.comparison import plot_reliability
    from iactdl.labelnoise.measurement import calibration_summary

    rng = np.random.default_rng(6)
    p = rng.beta(0.5, 15, 400)
    cal = calibration_summary((rng.random(400) < p).astype(int), p)
    measurement = {"model": "mlp_onoff", "measurement": {"calibration_after": cal}}
    plot_reliability(measurement, tmp_path / "r.pdf", tmp_path / "r.png",
                     entry=LABELLED["mlp_onoff"])  # fmt: skip
    (fig,) = saved
    _assert_named(fig, ["mlp_onoff"], ["MLP, ON/OFF labels"])


def test_feature_shift_panels_name_the_features_as_the_field_does(tmp_path, saved):
    from iactdl.adapt.shift.figures import plot_feature_shift

    rng = np.random.default_rng(8)
    keys = ["time_gradient_slope_long", "photoncharge_shower_max", "num_islands",
            "concentration_two_pixel"]  # fmt: skip
    table = pd.DataFrame({"input": keys, "ks": [0.4, 0.3, 0.2, 0.1]})
    source = {k: rng.normal(size=500) for k in keys}
    target = {k: rng.normal(0.3, 1.0, 500) for k in keys}
    plot_feature_shift(table, source, target, 0.6, [tmp_path / "f.png"], n_top=3)
    (fig,) = saved
    _assert_named(fig, keys, ["time gradient, long.", "largest pixel charge", "islands",
                              "concentration, two brightest pixels"])  # fmt: skip


def test_theta2_plot_is_titled_by_the_models_name(tmp_path, saved):
    from types import SimpleNamespace

    from iactdl.evaluate.labels import model_labels

    edges = np.linspace(0, 0.3, 31)
    on = np.full(30, 10.0)
    off = np.full(30, 8.0)
    hist = {
        "edges": edges.tolist(),
        "on": on.tolist(),
        "on_error": np.sqrt(on).tolist(),
        "off_scaled": off.tolist(),
        "off_scaled_error": np.sqrt(off).tolist(),
        "alpha": 0.2,
    }
    counts = {"n_on": 40, "n_off": 100, "alpha": 0.2, "excess": 20.0, "excess_error": 7.0,
              "li_ma_significance": 3.1, "theta2_cut": 0.025, "gammaness_cut": 0.3,
              "hours": 3.5, "sigma_per_sqrt_hour": 1.6}  # fmt: skip
    analysis = tmp_path / "theta2.json"
    analysis.write_text(json.dumps({"histograms": hist, "counts": counts}))
    labels = model_labels(["hist_gbt_joint", "mlp_onoff"], LABELLED)
    for model in labels:
        _run_figure_script(
            "figure_theta2.py", tmp_path, input=_Files(analysis=str(analysis)),
            params=SimpleNamespace(label=labels[model]), wildcards=SimpleNamespace(model=model),
        )  # fmt: skip
    for fig, model in zip(saved, labels, strict=True):
        _assert_named(fig, [model], [labels[model]])
        assert fig.axes[0].get_title().endswith("observed_test")


def test_learning_curves_legend_names_the_models(tmp_path, saved):
    from types import SimpleNamespace

    from iactdl.evaluate.labels import model_labels

    models = ["deepsets_iwdann", "mlp_onoff"]
    info = []
    for k, model in enumerate(models):
        folder = tmp_path / model
        folder.mkdir()
        epochs = np.arange(1, 6)
        pd.DataFrame(
            {
                "epoch": epochs,
                "train_loss": 1.0 / (epochs + k),
                "val_loss": 1.1 / epochs,
                "val_auc": 0.7 + 0.02 * epochs,
            }
        ).to_csv(folder / "history.csv", index=False)
        (folder / "model.json").write_text("{}")
        info.append(str(folder / "model.json"))
    labels = model_labels(models, LABELLED)
    _run_figure_script(
        "figure_learning_curves.py", tmp_path, input=_Files(info=info),
        params=SimpleNamespace(models=models, labels=labels),
    )  # fmt: skip
    (fig,) = saved
    _assert_named(fig, models, ["Deep Sets, IW-DANN", "MLP, ON/OFF labels"])


def test_reliability_diagram_is_titled_by_the_models_name(tmp_path, saved):
    from types import SimpleNamespace

    from iactdl.evaluate.labels import model_label
    from iactdl.io.jsonfile import write_json
    from iactdl.labelnoise.measurement import calibration_summary

    rng = np.random.default_rng(8)
    p = rng.beta(0.5, 15, 2000)
    y = (rng.random(2000) < p).astype(int)
    measurement = tmp_path / "measurement.json"
    cal = calibration_summary(y, p)
    write_json(measurement, {"model": "mlp_onoff", "measurement": {"calibration_after": cal}})
    _run_figure_script(
        "figure_reliability.py", tmp_path, input=_Files(measurement=str(measurement)),
        params=SimpleNamespace(label=model_label("mlp_onoff", LABELLED["mlp_onoff"])),
        wildcards=SimpleNamespace(model="mlp_onoff"),
    )  # fmt: skip
    (fig,) = saved
    _assert_named(fig, ["mlp_onoff"], ["MLP, ON/OFF labels"])


def test_gammaness_and_energy_figures_name_the_models(tmp_path, saved):
    from types import SimpleNamespace

    from iactdl.evaluate.labels import model_labels

    rng = np.random.default_rng(9)
    separation = ["deepsets_iwdann", "hist_gbt_joint"]
    predictions = []
    for model in separation:
        y = rng.integers(0, 2, 300).astype(np.int8)
        path = tmp_path / f"{model}.h5"
        write_events(
            path,
            {
                "event_id": np.arange(300),
                "is_gamma": y,
                "gammaness": np.clip(rng.normal(0.3 + 0.3 * y, 0.2), 0, 1),
            },
        )
        predictions.append(str(path))
    _run_figure_script(
        "figure_gammaness.py", tmp_path, input=_Files(predictions=predictions),
        params=SimpleNamespace(models=separation, labels=model_labels(separation, LABELLED)),
    )  # fmt: skip
    edges = np.geomspace(0.3, 30, 5)
    centre = np.sqrt(edges[1:] * edges[:-1])
    section = {
        "binned": {
            "energy_bins": edges.tolist(),
            "energy_center": centre.tolist(),
            "resolution": [0.3] * 4,
            "bias": [0.1] * 4,
            "count": [50] * 4,
        },
        "migration": {
            "probability": (np.eye(4) * 0.8 + 0.05).tolist(),
            "bins_true": edges.tolist(),
            "bins_est": edges.tolist(),
        },
    }
    energy = ["energy_rf", "mlp_onoff"]
    metrics = []
    for model in energy:
        path = tmp_path / f"{model}.json"
        path.write_text(json.dumps({"test": section}))
        metrics.append(str(path))
    for script in ("figure_energy_resolution.py", "figure_migration.py"):
        _run_figure_script(
            script, tmp_path, input=_Files(metrics=metrics),
            params=SimpleNamespace(models=energy, labels=model_labels(energy, LABELLED)),
        )  # fmt: skip
    gammaness, resolution, migration = saved
    _assert_named(gammaness, separation,
                  ["Deep Sets, IW-DANN", "boosted trees, simulated + ON/OFF labels"])  # fmt: skip
    for fig in (resolution, migration):
        _assert_named(fig, energy, ["random forest", "MLP, ON/OFF labels"])


# ---- the paper style everywhere ----


def test_every_figure_is_sized_by_the_paper_style():
    """No figure code sets its own size: figures come from iactdl.evaluate.style (subplots,
    subfigure_grid), or name its column widths. Seven of fifteen figures once called matplotlib
    with its default size, up to 13 inches wide against the paper's 3.5 / 7.1 inch columns."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    files = [*root.glob("src/iactdl/**/*.py"), *root.glob("workflow/scripts/*.py")]
    found = []
    for path in files:
        if path.name == "style.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            owner = getattr(func.value, "id", "") if isinstance(func, ast.Attribute) else ""
            where = f"{path.relative_to(root)}:{node.lineno}"
            if owner in ("plt", "pyplot") and name in ("subplots", "subplot_mosaic"):
                found.append(f"{where}: plt.{name} (use style.subplots)")
            if owner in ("plt", "pyplot") and name == "figure":
                if not any(kw.arg == "figsize" for kw in node.keywords):
                    found.append(f"{where}: plt.figure at matplotlib's default size")
            if name in ("set_size_inches", "set_figwidth"):
                found.append(f"{where}: {name}")
            for kw in node.keywords:
                if kw.arg == "figsize":
                    width = kw.value.elts[0] if isinstance(kw.value, ast.Tuple) else kw.value
                    if not (isinstance(width, ast.Attribute) and width.attr in
                            ("ONE_COLUMN", "TWO_COLUMN")):  # fmt: skip
                        found.append(f"{where}: figsize={ast.unparse(kw.value)}")
    assert not found, "figures not sized by iactdl.evaluate.style:\n" + "\n".join(found)
