"""The paper's central comparison: three ways around the simulation -> observation gap.

One row per approach and model family, all scored on ``observed_test`` against its hidden truth by
:func:`iactdl.labelnoise.measurement.evaluate_labelnoise` (same thresholds, same metrics):

- ``source-only``: trained on simulations alone;
- ``domain-adapted``: trained on simulations plus unlabelled ``observed_train`` (entries with an
  ``adapt`` section; rows appear when such models exist);
- ``ON/OFF corrected``: trained on the ON/OFF labels of ``observed_train``, Menon-corrected;
- ``oracle``: the ON/OFF model's estimator trained on the truth of the same events (a ceiling,
  reference only).

"Best" is chosen without observed truth: source-only and adapted models by their AUC on the
simulated test split; ON/OFF models by their held-out ON-vs-OFF AUC (:func:`onoff_auc`: baselines
cross-validated, nets on observed_val; under class-conditional noise ``AUC_noisy - 1/2`` is
proportional to ``AUC_clean - 1/2``, so it ranks as the clean AUC would). Gamma efficiency and
Li & Ma significance are at the threshold maximising the significance on ``observed_val``
(truth-free); the gamma efficiency's uncertainty is binomial.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np
import pandas as pd

from iactdl.evaluate.latex import latex_table, tex_escape
from iactdl.io import atomic_paths
from iactdl.io.jsonfile import read_json

__all__ = [
    "APPROACHES",
    "approach_of",
    "comparison_table",
    "write_comparison",
    "plot_comparison",
    "plot_reliability",
    "build_comparison",
]

APPROACHES = ("source-only", "domain-adapted", "ON/OFF corrected", "oracle")


def approach_of(entry: Mapping) -> str:
    """The approach of a model entry: ON/OFF corrected, adapted or source-only.

    Parameters
    ----------
    entry : Mapping
        A model entry of ``config.yaml: models``.

    Returns
    -------
    str
        ``"ON/OFF corrected"`` (a ``labelnoise`` section), ``"domain-adapted"`` (an ``adapt``
        section) or ``"source-only"``.
    """
    if entry.get("labelnoise") is not None:
        return "ON/OFF corrected"
    if entry.get("adapt") is not None:
        return "domain-adapted"
    return "source-only"


def onoff_auc(info: Mapping) -> float:
    """The truth-free ROC AUC of ON against OFF an ON/OFF model is chosen by: a baseline's
    cross-validated one, a net's on observed_val (the epoch it kept)."""
    if info.get("kind") == "net":
        return float(info["metrics"]["val_auc"])
    return float(info["cv"]["roc_auc"])


def _row(approach, family, model, m: Mapping) -> dict:
    thr = m["thresholds"]["li_ma_val"]
    n_g = max(m["n_gamma"], 1)
    eff = thr["gamma_efficiency"]
    return {
        "approach": approach,
        "family": family,
        "model": model,
        "roc_auc": m["roc_auc"],
        "roc_auc_unc": m["roc_auc_unc"],
        "ece": m["calibration_after"]["ece"],
        "brier": m["calibration_after"]["brier"],
        "gamma_efficiency": eff,
        "gamma_efficiency_unc": float(np.sqrt(eff * (1 - eff) / n_g)),
        "li_ma_significance": thr["li_ma_significance"],
        "n_events": m["n_events"],
    }


def comparison_table(
    entries: Mapping[str, Mapping],
    metrics: Mapping[str, Mapping],
    infos: Mapping[str, Mapping],
    measurements: Mapping[str, Mapping],
) -> pd.DataFrame:
    """The comparison's rows (see the module's text), one per model.

    Parameters
    ----------
    entries : Mapping of str to Mapping
        Model name to its entry of ``config.yaml: models``.
    metrics : Mapping of str to Mapping
        Model name to its ``metrics.json`` (simulated test AUC).
    infos : Mapping of str to Mapping
        Model name to its ``model.json`` (held-out ON/OFF AUC).
    measurements : Mapping of str to Mapping
        Model name to its stage-6 ``measurement.json``.

    Returns
    -------
    pandas.DataFrame
        One row per model with a measurement.
    """
    rows = []
    for family in ("baseline", "net"):
        names = [n for n, e in entries.items() if e["kind"] == family and n in measurements]
        for approach in ("source-only", "domain-adapted", "ON/OFF corrected"):
            cands = [n for n in names if approach_of(entries[n]) == approach]
            if not cands:
                continue
            if approach == "ON/OFF corrected":
                best = max(cands, key=lambda n: onoff_auc(infos[n]))
            else:
                best = max(cands, key=lambda n: metrics[n]["test"]["roc_auc"])
            rows.append(_row(approach, family, best, measurements[best]["measurement"]))
            if approach == "ON/OFF corrected" and "oracle" in measurements[best]:
                oracle = measurements[best]["oracle"]
                rows.append(_row("oracle", family, f"{best} (oracle)", oracle))
    return pd.DataFrame(rows)


def _tex(df: pd.DataFrame) -> str:
    header = [
        "approach", "family", "model", "ROC AUC", "ECE", r"$\epsilon_\gamma$",
        r"$S_\mathrm{Li\&Ma}$",
    ]  # fmt: skip
    rows = [
        [
            r.approach, r.family, tex_escape(r.model),
            f"${r.roc_auc:.3f} \\pm {r.roc_auc_unc:.3f}$", f"{r.ece:.3f}",
            f"${r.gamma_efficiency:.3f} \\pm {r.gamma_efficiency_unc:.3f}$",
            f"{r.li_ma_significance:.1f}",
        ]
        for r in df.itertuples()
    ]  # fmt: skip
    return latex_table("llllrrr", header, rows)


def write_comparison(df: pd.DataFrame, csv: str | os.PathLike, tex: str | os.PathLike) -> None:
    """The table as CSV and as a LaTeX tabular (both written, or neither new).

    Parameters
    ----------
    df : pandas.DataFrame
        The table of :func:`comparison_table`.
    csv, tex : str or os.PathLike
        The files to write.
    """
    with atomic_paths(csv, tex) as (csv_tmp, tex_tmp):
        df.to_csv(csv_tmp, index=False, float_format="%.6g")
        tex_tmp.write_text(_tex(df))


def plot_comparison(df: pd.DataFrame, pdf: str | os.PathLike, png: str | os.PathLike) -> None:
    """AUC, ECE and Li & Ma significance per approach, one marker per model family.

    Parameters
    ----------
    df : pandas.DataFrame
        The table of :func:`comparison_table`.
    pdf, png : str or os.PathLike
        The figure's files, both written or neither new.
    """
    import matplotlib.pyplot as plt

    from iactdl.evaluate.style import save_figure  # sets the Agg backend first

    fig, axes = plt.subplots(1, 3, figsize=(11, 3.6), sharey=True)
    ypos = {a: i for i, a in enumerate(APPROACHES)}
    markers = {"baseline": "o", "net": "s"}
    offset = {"baseline": -0.12, "net": 0.12}
    panels = [
        ("roc_auc", "roc_auc_unc", "ROC AUC on observed_test"),
        ("ece", None, "ECE (after correction)"),
        ("li_ma_significance", None, "Li & Ma significance / sigma"),
    ]
    for ax, (col, unc, label) in zip(axes, panels, strict=True):
        for family, sub in df.groupby("family"):
            y = [ypos[a] + offset[family] for a in sub["approach"]]
            xerr = sub[unc] if unc else None
            ax.errorbar(sub[col], y, xerr=xerr, fmt=markers[family], label=family, capsize=3)
        ax.set_xlabel(label)
        ax.grid(alpha=0.3)
    axes[0].set_yticks(range(len(APPROACHES)), APPROACHES)
    axes[0].invert_yaxis()
    axes[0].legend(loc="lower left", fontsize="small")
    fig.tight_layout()
    save_figure(fig, (pdf, png), dpi=150)


RELIABILITY_MIN_EVENTS = 20  # fewest events of a bin drawn in the reliability diagram


def plot_reliability(measurement: Mapping, pdf: str | os.PathLike, png: str | os.PathLike) -> None:
    """Reliability diagram of one ON/OFF model before and after correction, and of its oracle.

    On the equal-mass bins of the measurement (each bin about the same number of events), with
    each curve's ECE on those bins.

    Parameters
    ----------
    measurement : Mapping
        The model's ``measurement.json``
        (:func:`~iactdl.labelnoise.measurement.evaluate_labelnoise`).
    pdf, png : str or os.PathLike
        The figure's files, both written or neither new.
    """
    from iactdl.evaluate import style  # sets the Agg backend first
    from iactdl.evaluate.labels import model_label

    fig, ax = style.subplots(columns=1, aspect=0.9)
    ax.plot([0, 1], [0, 1], color="0.5", lw=0.8, ls=":", label="perfect calibration")
    curves = [
        ("before correction: P(ON)", measurement["measurement"].get("calibration_before")),
        ("after correction", measurement["measurement"]["calibration_after"]),
    ]
    if "oracle" in measurement:
        curves.append(("oracle (truth-trained)", measurement["oracle"]["calibration_after"]))
    shown = []
    for k, (label, cal) in enumerate(curves):
        if cal is None:
            continue
        rel = cal["reliability"]
        pred = np.asarray(rel["mean_predicted"], dtype=float)
        frac = np.asarray(rel["fraction_gamma"], dtype=float)
        count = np.asarray(rel["count"], dtype=float)
        # bins with a handful of events are noise (one event reads as 0 or 1): left out, and the
        # rest drawn with their binomial uncertainty
        keep = np.isfinite(pred) & np.isfinite(frac) & (count >= RELIABILITY_MIN_EVENTS)
        err = np.sqrt(frac[keep] * (1 - frac[keep]) / count[keep])
        ece = cal.get("ece_equal_mass", cal["ece"])
        ax.errorbar(pred[keep], frac[keep], yerr=err, marker=style.MARKERS[k], ms=3, capsize=2,
                    color=style.colour(k), ls=style.LINESTYLES[k],
                    label=f"{label}, ECE {ece:.3f}")  # fmt: skip
        shown += [*(frac[keep] - err), *(frac[keep] + err), *pred[keep]]
    ax.set_xlabel("predicted P(gamma)")
    ax.set_ylabel("gamma fraction (observed_test truth)")
    # the range the predictions and fractions cover: at a few % gammas they all sit near 0, and
    # a [0, 1] square would squeeze them into its corner; a bin without gammas stays on the axis
    shown = np.asarray(shown, dtype=float)
    shown = shown[np.isfinite(shown)]
    top = min(1.0, 1.08 * shown.max()) if shown.size and shown.max() > 0 else 1.0
    ax.set_xlim(0, top)
    ax.set_ylim(min(0.0, shown.min() if shown.size else 0.0) - 0.02 * top, top)
    n_bins = len(curves[-1][1]["reliability"]["count"]) if curves[-1][1] else 0
    if not shown.size:  # say so rather than draw an empty square
        ax.text(0.5, 0.5, f"no bin of >= {RELIABILITY_MIN_EVENTS} events", ha="center",
                transform=ax.transAxes)  # fmt: skip
    ax.set_title(f"{model_label(str(measurement.get('model')))}: {n_bins} equal-mass bins "
                 f"(>= {RELIABILITY_MIN_EVENTS} events shown)")  # fmt: skip
    fig.legend(loc="outside upper center", ncols=1)
    style.save_figure(fig, (pdf, png))


def build_comparison(
    models, entries: Mapping, metrics, infos, measurements, csv, tex, pdf, png
) -> pd.DataFrame:
    """Read the per-model JSON files, write the comparison's table and figure.

    Parameters
    ----------
    models : sequence of str
        The models compared.
    entries : Mapping
        Model name to its entry of ``config.yaml: models``.
    metrics, infos, measurements : sequence of str or os.PathLike
        Per model (aligned with ``models``): its ``metrics.json``, ``model.json`` and stage-6
        ``measurement.json``.
    csv, tex : str or os.PathLike
        The table's files (:func:`write_comparison`).
    pdf, png : str or os.PathLike
        The figure's files (:func:`plot_comparison`).

    Returns
    -------
    pandas.DataFrame
        The table (:func:`comparison_table`).

    Raises
    ------
    ValueError
        No model has a measurement.
    """

    def load(paths):
        return {m: read_json(p) for m, p in zip(models, paths, strict=True)}

    df = comparison_table(
        {m: entries[m] for m in models}, load(metrics), load(infos), load(measurements)
    )
    if df.empty:
        raise ValueError("comparison: no model with a measurement; nothing to compare")
    write_comparison(df, csv, tex)
    plot_comparison(df, pdf, png)
    return df
