"""The paper's central comparison: three ways around the simulation -> observation gap, each
within one architecture.

Row groups hold one architecture each, so that a difference between rows is the approach's, not
the model's: ``boosted trees`` (histogram gradient boosting on the Hillas features), ``feature
MLP`` (the MLP on the same features) and ``pixel net`` (the pixel-level net with the best AUC on
the simulated test split among the source-only ones, named in the group; the other approaches
of that group use the same net). Within a group, one row per approach:

- ``source-only``: trained on simulations alone;
- ``domain-adapted``: trained on simulations plus unlabelled ``observed_train`` (``adapt``);
- ``ON/OFF corrected``: trained on the ON/OFF labels of ``observed_train``, Menon-corrected;
- ``oracle``: the ON/OFF model's estimator on the truth of the same events (a ceiling, reference).

Where a group has several candidates for an approach, the row is chosen without observed truth:
source-only and adapted models by their AUC on the simulated test split, ON/OFF models by their
held-out ON-vs-OFF AUC (:func:`onoff_auc`; under class-conditional noise ``AUC_noisy - 1/2`` is
proportional to ``AUC_clean - 1/2``, so it ranks as the clean AUC would).

Every point is scored on ``observed_test`` against its hidden truth (evaluation: this module is
the comparison rule's, which reads the truth), with a bootstrap uncertainty: the events of
``observed_test`` resampled with a fixed seed, the same resamples for every row (paired), and every
number recomputed on each: ROC AUC, the Li & Ma significance and gamma efficiency at the cuts
that maximise the significance on ``observed_val`` (truth-free), and the calibration metrics. AUC,
significance and efficiency use every event of observed_test. The cuts are the significance
table's: the (theta^2, gammaness) pair the model's theta^2 analysis chose on observed_val
(``dl3/{model}/theta2.json``, :func:`iactdl.evaluate.theta2_analysis.choose_cuts`), so a model's
Li & Ma here is the one of ``significance.csv`` with a bootstrap spread; an oracle's pair is
chosen alike on its own observed_val predictions, among the same theta^2 candidates.

Calibration is judged on the events in the ON or an OFF region (theta^2 cut), at their prior:
only there does the observation give its gamma fraction without truth, ``(N_on - alpha N_off) /
(N_on + N_off)`` (recomputed on each resample); over all events ``(N_on - alpha N_off) / N``
would miss every gamma reconstructed outside the ON region (about two thirds of them in the
default observation). It is also where the ON/OFF-trained posteriors are defined (Menon's
correction is fitted on those events). A simulation-trained posterior assumes the training
split's gamma fraction (about half), so before any calibration metric it is moved (Saerens,
Latinne & Decaestecker 2002, :func:`prior_shift`) to that estimate; an oracle's (trained on all
of observed_train with its truth) from the observation's true gamma fraction to it;
ON/OFF-trained posteriors are at that prior already. The estimate is biased low by the gammas
reconstructed in an OFF region ((1 + alpha) times their number: missing from N_on and subtracted
with the OFF counts; the labeller's leak, measured by benchmarks/region_acceptance.py at ~11 % of
the labelled gammas), and ``true_gamma_fraction``
beside it in the table shows by how much. Brier skill score (against always predicting the
true gamma fraction of those events), log loss and ECE on equal-mass bins are reported side by
side: at a few per cent gammas a model that predicts the prior everywhere has an ECE near 0, the
skill score says it has no skill.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np
import pandas as pd

from iactdl.evaluate.latex import latex_table, tex_escape
from iactdl.evaluate.thresholds import CONSTANT_MODEL
from iactdl.io import atomic_paths
from iactdl.io.jsonfile import read_json

# prior_shift lives with the measurement (evaluate_labelnoise): kept importable from here, while
# the measurement does not import this module's tables and figures (their edits would rerun it)
from iactdl.labelnoise.measurement import prior_shift

__all__ = [
    "APPROACHES",
    "GROUPS",
    "METRICS",
    "approach_of",
    "architecture_of",
    "comparison_rows",
    "prior_shift",
    "gamma_fraction_estimate",
    "bootstrap_metrics",
    "chosen_cuts",
    "comparison_table",
    "write_comparison",
    "plot_comparison",
    "plot_reliability",
    "build_comparison",
]

# "joint" last: the colours and markers of the others stay what they were
APPROACHES = ("source-only", "domain-adapted", "ON/OFF corrected", "oracle", "joint")
TRAINED = ("source-only", "domain-adapted", "ON/OFF corrected", "joint")  # "oracle" follows ON/OFF
GROUPS = ("boosted trees", "feature MLP", "pixel net")
BOOSTED = ("hist_gradient_boosting", "gradient_boosting")
# every bootstrapped number: column -> what the table and figure call it
METRICS = {
    "roc_auc": "ROC AUC",
    "li_ma_significance": "Li & Ma significance",
    "gamma_efficiency": "gamma efficiency",
    "brier_skill": "Brier skill score",
    "log_loss": "log loss",
    "ece": "ECE (equal-mass bins)",
}
# what a constant model (one gammaness for every event) has no value of: they need a ranking
UNRANKED = ("roc_auc", "li_ma_significance", "gamma_efficiency")
N_CALIBRATION_BINS = 10  # equal-mass bins of the ECE (fewer where a bin would hold < 20 events)
MIN_EVENTS_PER_BIN = 20
PROB_FLOOR = 1e-6  # log loss: a posterior of exactly 0 or 1 would cost an infinite penalty


def approach_of(entry: Mapping) -> str:
    """The approach of a model entry: ON/OFF (``labelnoise``), adapted (``adapt``), source-only.

    Parameters
    ----------
    entry : Mapping
        The model's config entry (``models.{name}``).

    Returns
    -------
    str
        ``"ON/OFF corrected"`` if it has a ``labelnoise`` section, ``"joint"`` if a ``joint``
        one, else ``"domain-adapted"`` if it has an ``adapt`` section, else ``"source-only"``
        (one of :data:`APPROACHES`).
    """
    if entry.get("labelnoise") is not None:
        return "ON/OFF corrected"
    if entry.get("joint") is not None:
        return "joint"
    if entry.get("adapt") is not None:
        return "domain-adapted"
    return "source-only"


def architecture_of(entry: Mapping) -> str | None:
    """The row group of an entry: "boosted trees", "feature MLP", "pixel net" (any net on
    pixels), or None (other baselines, other feature nets: not compared).

    Parameters
    ----------
    entry : Mapping
        The model's config entry (``kind``, and ``estimator`` for a baseline or ``net`` for a net).

    Returns
    -------
    str or None
        One of :data:`GROUPS`, or None for a model that is in no group (also a net not in
        :data:`iactdl.models.nets.catalog.NETS`).
    """
    if entry.get("kind") == "baseline":
        return "boosted trees" if entry.get("estimator") in BOOSTED else None
    from iactdl.models.nets.catalog import NETS

    net = NETS.get(entry.get("net"))
    if net is None:
        return None
    if net.input_kind != "features":
        return "pixel net"
    return "feature MLP" if entry.get("net") == "mlp" else None


def onoff_auc(info: Mapping) -> float:
    """The truth-free ROC AUC of ON against OFF an ON/OFF model is chosen by: a baseline's
    cross-validated one, a net's on observed_val (the epoch it kept)."""
    if info.get("kind") == "net":
        return float(info["metrics"]["val_auc"])
    return float(info["cv"]["roc_auc"])


def comparison_rows(
    entries: Mapping[str, Mapping], metrics: Mapping[str, Mapping], infos: Mapping[str, Mapping],
    oracles: Mapping[str, bool] | None = None,
) -> list[dict]:  # fmt: skip
    """The rows (group, approach, model, the model whose predictions score it, whether its
    posterior is prior-corrected), chosen without observed truth (module doc).

    Parameters
    ----------
    entries : Mapping of str to Mapping
        Model name -> its config entry (:func:`approach_of`, :func:`architecture_of`).
    metrics : Mapping of str to Mapping
        Model name -> its metrics file; ``["test"]["roc_auc"]`` (the simulated test split) ranks
        source-only and adapted models and picks the pixel group's net.
    infos : Mapping of str to Mapping
        Model name -> its training info; ranks ON/OFF models by their truth-free ON-vs-OFF AUC
        (:func:`onoff_auc`).
    oracles : Mapping of str to bool, optional
        ON/OFF model -> whether its oracle ``{model}~oracle`` has predictions (then an ``oracle``
        row follows its row); default: none has.

    Returns
    -------
    list of dict
        In the order of :data:`GROUPS` and :data:`APPROACHES`, groups or approaches without a
        candidate left out: dicts with ``group``, ``approach``, ``model``, ``scored`` (the model
        whose predictions are scored) and ``prior_corrected`` (bool).
    """
    oracles = oracles or {}
    arch = {n: architecture_of(e) for n, e in entries.items()}
    pixel = [n for n, e in entries.items() if arch[n] == "pixel net"]
    pixel_source = [n for n in pixel if approach_of(entries[n]) == "source-only"]
    # the pixel group's net: the best source-only one on the simulated test split
    best_net = None
    if pixel_source:
        best_net = entries[max(pixel_source, key=lambda n: metrics[n]["test"]["roc_auc"])]["net"]
    elif pixel:
        best_net = entries[pixel[0]]["net"]
    rows = []
    for group in GROUPS:
        members = [n for n in entries if arch[n] == group]
        if group == "pixel net":
            members = [n for n in members if entries[n]["net"] == best_net]
        for approach in TRAINED:
            cands = [n for n in members if approach_of(entries[n]) == approach]
            if not cands:
                continue
            if approach == "ON/OFF corrected":
                best = max(cands, key=lambda n: onoff_auc(infos[n]))
            else:
                best = max(cands, key=lambda n: metrics[n]["test"]["roc_auc"])
            # a Menon-corrected posterior (ON/OFF models, the joint baselines) is at the
            # observation's prior already; a simulated-balance one is moved there
            menon = approach == "ON/OFF corrected" or (
                approach == "joint" and entries[best].get("kind") == "baseline"
            )
            rows.append({"group": group, "approach": approach, "model": best, "scored": best,
                         "prior_corrected": not menon})  # fmt: skip
            if approach == "ON/OFF corrected" and oracles.get(best):
                # the oracle learnt all of observed_train's events: moved to the prior of those
                # in a region like the simulation-trained rows (module doc)
                rows.append({"group": group, "approach": "oracle", "model": f"{best}~oracle",
                             "scored": f"{best}~oracle", "prior_corrected": True})  # fmt: skip
    return rows


def gamma_fraction_estimate(on, off, n, alpha: float, floor: float = 1e-4):
    """The gamma fraction of ``n`` events with ``on`` ON and ``off`` OFF counts, without truth:
    ``(N_on - alpha N_off) / N``, kept in [floor, 1 - floor] (a prior of 0 would set every
    corrected posterior to 0). Vectorised over arrays of counts.

    Parameters
    ----------
    on : float or array_like
        Events (or summed bootstrap weights) in the ON region.
    off : float or array_like
        Events (or weights) in the OFF regions, all together.
    n : float or array_like
        All events (weights) the fraction is of.
    alpha : float
        The ON/OFF exposure ratio (1 / number of OFF regions).
    floor : float
        The estimate is clipped to ``[floor, 1 - floor]``.

    Returns
    -------
    numpy.ndarray
        The estimated gamma fractions (float64; a NumPy scalar for scalar counts), broadcast
        over the inputs.
    """
    est = (np.asarray(on, dtype=np.float64) - alpha * np.asarray(off, dtype=np.float64)) / n
    return np.clip(est, floor, 1.0 - floor)


def _auc_sorted(w, y):
    """Weighted ROC AUC (Mann-Whitney, ties half) of events already in score order, ``w``: each
    event's multiplicity; ties between distinct events are broken by order (continuous scores)."""
    g = w * y
    h = w * (1.0 - y)
    below = np.cumsum(h) - h
    n_g, n_h = g.sum(), h.sum()
    if n_g == 0 or n_h == 0:
        return np.nan
    return float((g * (below + 0.5 * h)).sum() / (n_g * n_h))


def _calibration(w, y, p, n_bins):
    """Brier score, log loss and equal-mass ECE of posterior ``p`` (in ascending order), weights
    ``w``; equal-mass bins by the cumulative weight."""
    total = w.sum()
    if total == 0:  # no event in a region on this resample
        return np.nan, np.nan, np.nan
    brier = float((w * (p - y) ** 2).sum() / total)
    q = np.clip(p, PROB_FLOOR, 1 - PROB_FLOOR)
    log_loss = float(-(w * (y * np.log(q) + (1 - y) * np.log1p(-q))).sum() / total)
    cum = np.cumsum(w) - 0.5 * w
    idx = np.minimum((cum / total * n_bins).astype(np.int64), n_bins - 1)
    cnt = np.bincount(idx, w, n_bins)
    gap = np.abs(np.bincount(idx, w * y, n_bins) - np.bincount(idx, w * p, n_bins))
    ece = float(gap[cnt > 0].sum() / total)
    return brier, log_loss, ece


def _row_metrics(
    w, y, p_sorted, score_pass, region_on, region_off, signal_on, signal_off, alpha, base_rate,
    n_bins,
):  # fmt: skip
    """Every number of one row on one (re)sample: weights ``w`` in the row's score order;
    calibration on the events in a region (ON or OFF, ``region_on``/``region_off``) only; the
    Li & Ma significance of the events passing the cut in ``signal_on``/``signal_off`` (the
    regions at the row's theta^2 cut)."""
    auc = _auc_sorted(w, y)
    labelled = region_on | region_off
    brier, log_loss, ece = _calibration(w[labelled], y[labelled], p_sorted[labelled], n_bins)
    total = w.sum()
    ref = base_rate * (1.0 - base_rate)  # Brier score of always predicting the gamma fraction
    from iactdl.evaluate.significance import li_ma_significance

    on = (w * (score_pass & signal_on)).sum()
    off = (w * (score_pass & signal_off)).sum()
    n_g = (w * y).sum()
    return {
        "roc_auc": auc,
        "li_ma_significance": float(li_ma_significance(on, off, alpha)),
        "gamma_efficiency": float((w * y * score_pass).sum() / n_g) if n_g else np.nan,
        "brier_skill": 1.0 - brier / ref if ref > 0 else np.nan,
        "log_loss": log_loss,
        "ece": ece,
        "_total": total,
    }


def bootstrap_metrics(
    is_gamma, region, n_off_regions: int, rows: list[dict], n_bootstrap: int = 200,
    seed: int = 0,
) -> pd.DataFrame:  # fmt: skip
    """Each row's metrics on observed_test and their bootstrap standard deviations.

    ``rows``: dicts with ``score`` (the ranking score the cut applies to), ``posterior`` (P(gamma
    | x) as the model gives it), ``cut`` (on ``score``: events with ``score >= cut`` pass),
    ``prior_corrected`` and ``train_prior`` (the gamma fraction the posterior assumes; the string
    ``"observed"`` for an oracle: the true gamma fraction of all events); optionally ``selected``
    (bool per event: the events passing the cut, instead of ``score >= cut``), ``signal_region``
    (each event's region at the row's own theta^2 cut, which the Li & Ma significance counts
    instead of ``region``) and ``theta2_cut`` (that cut, deg^2, for the table). Events are
    resampled with replacement (multiplicities of ``rng.integers``, seed ``seed``), the same
    resamples for every row; the prior estimate, the prior correction and every metric are
    recomputed on each. Calibration metrics, the prior
    estimate and ``true_gamma_fraction`` refer to the events in ON or OFF (module doc).

    Parameters
    ----------
    is_gamma : array_like, shape (n_events,)
        The hidden truth of observed_test's events (bool or 0/1).
    region : array_like, shape (n_events,)
        Each event's region: 0 ON, 1 to ``n_off_regions`` OFF, any other value neither.
    n_off_regions : int
        The number of OFF regions (alpha = 1 / ``n_off_regions``).
    rows : list of dict
        One dict a row (keys above, plus ``group``, ``approach`` and ``model`` copied to the
        table); ``score`` and ``posterior`` of shape (n_events,), in the events' order.
    n_bootstrap : int
        Number of bootstrap resamples.
    seed : int
        Seed of the resampling (:func:`numpy.random.default_rng`).

    Returns
    -------
    pandas.DataFrame
        One row per entry of ``rows``: ``group``, ``approach``, ``model``, ``prior_corrected``,
        ``train_prior`` (NaN for an oracle), ``prior_estimate`` and ``true_gamma_fraction`` (of
        the events in ON or OFF), every column of :data:`METRICS` with its bootstrap standard
        deviation ``{column}_unc`` (NaN with fewer than two finite resamples), ``cut``,
        ``theta2_cut`` (the row's, NaN without one), ``n_events``, ``n_gamma`` (all events),
        ``n_labelled`` and ``n_labelled_gamma`` (in ON or OFF) and ``n_bootstrap``.

    Raises
    ------
    ValueError
        A row whose ``score``, ``posterior``, ``selected`` or ``signal_region`` does not have one
        value per event.
    """
    y = np.asarray(is_gamma).astype(np.float64)
    region = np.asarray(region)
    n = y.size
    alpha = 1.0 / n_off_regions
    on_mask = region == 0
    off_mask = (region >= 1) & (region <= n_off_regions)
    labelled = on_mask | off_mask
    n_labelled = int(labelled.sum())
    n_bins = int(max(1, min(N_CALIBRATION_BINS, n_labelled // MIN_EVENTS_PER_BIN)))
    prepared = []
    for row in rows:
        score = np.asarray(row["score"], dtype=np.float64)
        posterior = np.asarray(row["posterior"], dtype=np.float64)
        passed = np.asarray(row.get("selected", score >= row["cut"]), dtype=bool)
        signal = np.asarray(row.get("signal_region", region))
        if {score.shape, posterior.shape, passed.shape, signal.shape} != {(n,)}:
            raise ValueError(f"comparison: row {row.get('model')} has {score.size} scores "
                             f"({passed.size} cut decisions, {signal.size} regions) for {n} "
                             "events")  # fmt: skip
        sig_on = signal == 0
        sig_off = (signal >= 1) & (signal <= n_off_regions)
        # one order per row: the posterior is monotone in the score for every model here
        # (gammaness = score, or Menon's increasing map of p_on), and the prior shift keeps it
        order = np.argsort(posterior, kind="mergesort")
        prepared.append((order, y[order], posterior[order], passed[order], on_mask[order],
                         off_mask[order], sig_on[order], sig_off[order]))  # fmt: skip

    def one(w):
        on, off = (w * on_mask).sum(), (w * off_mask).sum()
        prior = float(gamma_fraction_estimate(on, off, on + off, alpha))
        wl = w * labelled
        base_rate = float((wl * y).sum() / wl.sum()) if wl.sum() else np.nan
        observed = float(np.clip((w * y).sum() / w.sum(), PROB_FLOOR, 1 - PROB_FLOOR))
        out = []
        for row, (order, ys, ps, passed, ons, offs, s_on, s_off) in zip(rows, prepared,
                                                                         strict=True):  # fmt: skip
            assumed = observed if isinstance(row["train_prior"], str) else row["train_prior"]
            p = prior_shift(ps, assumed, prior) if row["prior_corrected"] else ps
            m = _row_metrics(w[order], ys, p, passed, ons, offs, s_on, s_off, alpha, base_rate,
                             n_bins)  # fmt: skip
            m["prior_estimate"] = prior
            m["true_gamma_fraction"] = base_rate
            out.append(m)
        return out

    central = one(np.ones(n))
    rng = np.random.default_rng(seed)
    draws = [one(np.bincount(rng.integers(0, n, n), minlength=n).astype(np.float64))
             for _ in range(n_bootstrap)]  # fmt: skip
    table = []
    for k, row in enumerate(rows):
        rec = {key: row[key] for key in ("group", "approach", "model") if key in row}
        rec["prior_corrected"] = bool(row["prior_corrected"])
        observed = isinstance(row["train_prior"], str)  # "observed": an oracle
        rec["train_prior"] = np.nan if observed else float(row["train_prior"])
        rec["prior_estimate"] = central[k]["prior_estimate"]
        rec["true_gamma_fraction"] = central[k]["true_gamma_fraction"]
        for col in METRICS:
            rec[col] = central[k][col]
            vals = np.array([d[k][col] for d in draws], dtype=np.float64)
            vals = vals[np.isfinite(vals)]
            rec[f"{col}_unc"] = float(vals.std(ddof=1)) if vals.size > 1 else np.nan
        rec["cut"] = float(row["cut"])
        rec["theta2_cut"] = float(row.get("theta2_cut", np.nan))
        rec["n_events"] = int(n)
        rec["n_gamma"] = int(y.sum())
        rec["n_labelled"] = n_labelled
        rec["n_labelled_gamma"] = int(y[labelled].sum())
        rec["n_bootstrap"] = int(n_bootstrap)
        table.append(rec)
    return pd.DataFrame(table)


def comparison_table(
    rows: list[dict], predictions: Mapping[str, Mapping], truth: Mapping, n_off_regions: int,
    cuts: Mapping[str, Mapping], train_prior: float, n_bootstrap: int = 200, seed: int = 0,
) -> pd.DataFrame:  # fmt: skip
    """The comparison from :func:`comparison_rows`' rows: ``predictions[scored]`` (observed_test
    gammaness), the hidden ``truth`` (``is_gamma``, ``region``) row for row, each row's
    truth-free cuts chosen on observed_val (``cuts``, :func:`chosen_cuts`: the theta^2 analysis's
    pair) and the gamma fraction of the simulated training split (the prior the
    simulation-trained posteriors assume).

    A row whose cuts say ``constant_model`` (its gammaness on observed_val took one value:
    :func:`iactdl.evaluate.thresholds.constant_score`) ranks nothing: its ROC AUC, Li & Ma
    significance and gamma efficiency (0.5, and the counts of no cut, by construction) are left
    out (NaN) and ``constant_model`` is True; its calibration metrics stay (a constant posterior
    is still a posterior: the Brier skill score says how far it is from the prior).

    Parameters
    ----------
    rows : list of dict
        The rows of :func:`comparison_rows`.
    predictions : Mapping of str to Mapping
        Scored model -> its observed_test columns (``gammaness``: the score the cut applies to
        and the posterior); the events in the same order for all.
    truth : Mapping
        ``is_gamma`` (the hidden truth) and ``region`` (0 ON, 1.. OFF) of the same events.
    n_off_regions : int
        The number of OFF regions.
    cuts : Mapping of str to Mapping
        Scored model -> ``theta2_cut`` (deg^2), ``gammaness_cut`` (events with ``gammaness >
        gammaness_cut`` pass, as in :func:`iactdl.evaluate.theta2.theta2_counts`), ``region``
        (each event's region at that theta^2 cut, :func:`iactdl.evaluate.theta2.theta2_regions`)
        and optionally ``constant_model`` (None or the reason): the row's Li & Ma significance
        and gamma efficiency are those at this pair. Every row needs one.
    train_prior : float
        The gamma fraction of the simulated training split.
    n_bootstrap : int
        Number of bootstrap resamples.
    seed : int
        Seed of the resampling.

    Returns
    -------
    pandas.DataFrame
        The table of :func:`bootstrap_metrics`, one row per entry of ``rows``, and
        ``constant_model`` (bool).

    Raises
    ------
    KeyError
        A row without its cuts, naming it.
    """
    missing = [row["scored"] for row in rows if row["scored"] not in cuts]
    if missing:
        raise KeyError(
            f"comparison: no cuts chosen on observed_val for row(s) {missing} (cuts has "
            f"{sorted(cuts)}); chosen_cuts gives every row its pair"
        )
    full = []
    for row in rows:
        chosen = cuts[row["scored"]]
        g = np.asarray(predictions[row["scored"]]["gammaness"], dtype=np.float64)
        prior = "observed" if row["approach"] == "oracle" else train_prior
        full.append({**row, "score": g, "posterior": g, "cut": chosen["gammaness_cut"],
                     "selected": g > chosen["gammaness_cut"], "signal_region": chosen["region"],
                     "theta2_cut": chosen["theta2_cut"], "train_prior": prior})  # fmt: skip
    df = bootstrap_metrics(truth["is_gamma"], truth["region"], n_off_regions, full,
                           n_bootstrap, seed)  # fmt: skip
    constant = np.array([bool(cuts[row["scored"]].get("constant_model")) for row in rows])
    df["constant_model"] = constant
    for col in UNRANKED:  # no ranking, no working point: 0.5 and "every event" are no result
        df.loc[constant, [col, f"{col}_unc"]] = np.nan
    return df


def _pm(value, unc, digits):
    if not np.isfinite(value):
        return "--"
    if not np.isfinite(unc):
        return f"${value:.{digits}f}$"
    return f"${value:.{digits}f} \\pm {unc:.{digits}f}$"


def _tex(df: pd.DataFrame, entries: Mapping[str, Mapping] | None = None) -> str:
    header = ["architecture", "approach", "model", "ROC AUC", r"$S_\mathrm{Li\&Ma}$",
              r"$\epsilon_\gamma$", "BSS", "log loss", "ECE"]  # fmt: skip
    rows = []
    for r in df.itertuples():
        constant = bool(getattr(r, "constant_model", False))
        rows.append([
            r.group, r.approach, tex_escape(_label(r.model, entries)),
            CONSTANT_MODEL if constant else _pm(r.roc_auc, r.roc_auc_unc, 3),
            CONSTANT_MODEL if constant else _pm(r.li_ma_significance, r.li_ma_significance_unc, 1),
            _pm(r.gamma_efficiency, r.gamma_efficiency_unc, 2),
            _pm(r.brier_skill, r.brier_skill_unc, 3), _pm(r.log_loss, r.log_loss_unc, 3),
            _pm(r.ece, r.ece_unc, 3),
        ])  # fmt: skip
    return latex_table("lllrrrrrr", header, rows)


def _label(model: str, entries: Mapping[str, Mapping] | None) -> str:
    """A row's model as a reader names it ("boosted trees, ON/OFF labels (oracle)")."""
    from iactdl.evaluate.labels import model_label

    entries = entries or {}
    base = model.removesuffix("~oracle")
    label = model_label(base, entries.get(base))
    return f"{label} (oracle)" if model.endswith("~oracle") else label


def write_comparison(
    df: pd.DataFrame, csv: str | os.PathLike, tex: str | os.PathLike,
    entries: Mapping[str, Mapping] | None = None,
) -> None:  # fmt: skip
    """The table as CSV (with each row's readable ``label``) and as a LaTeX tabular (both
    written, or neither new).

    Parameters
    ----------
    df : pandas.DataFrame
        The table of :func:`comparison_table`.
    csv : str or os.PathLike
        The CSV file to write (every column, numbers to 6 significant digits).
    tex : str or os.PathLike
        The LaTeX tabular to write (each metric as value +- bootstrap uncertainty).
    entries : Mapping of str to Mapping, optional
        Model name -> config entry, for the readable model labels.
    """
    out = df.copy()
    out.insert(3, "label", [_label(m, entries) for m in out["model"]])
    with atomic_paths(csv, tex) as (csv_tmp, tex_tmp):
        out.to_csv(csv_tmp, index=False, float_format="%.6g")
        tex_tmp.write_text(_tex(df, entries))


PANELS = ("roc_auc", "li_ma_significance", "brier_skill", "log_loss", "ece")


def plot_comparison(
    df: pd.DataFrame, pdf: str | os.PathLike, png: str | os.PathLike,
    entries: Mapping[str, Mapping] | None = None,
) -> None:  # fmt: skip
    """One row per (architecture, approach), groups separated and named, every point with its
    bootstrap uncertainty: ROC AUC, Li & Ma significance at the truth-free cut, and the
    calibration at the observation's prior (Brier skill score, log loss, equal-mass ECE). A
    constant model's row says "constant model" in the AUC and Li & Ma panels (no point).

    Parameters
    ----------
    df : pandas.DataFrame
        The table of :func:`comparison_table` (rows of one group consecutive).
    pdf : str or os.PathLike
        The figure as PDF.
    png : str or os.PathLike
        The figure as PNG (both written, or neither new).
    entries : Mapping of str to Mapping, optional
        Model name -> config entry, for the readable model labels.
    """
    from matplotlib.ticker import MaxNLocator  # no backend chosen by this import

    from iactdl.evaluate import style  # sets the Agg backend before pyplot loads

    n = len(df)
    # each group's rows under a header row that names the architecture (a gap in the data)
    group_start = [k == 0 or df["group"].iloc[k] != df["group"].iloc[k - 1] for k in range(n)]
    ypos = np.arange(n) + np.cumsum(group_start)
    headers = ypos[np.asarray(group_start)] - 1
    n_rows = n + len(headers)
    fig, axes = style.subplots(
        1, len(PANELS), columns=2, aspect=0.1 + 0.04 * n_rows, sharey=True
    )  # fmt: skip
    colours = {a: style.colour(k) for k, a in enumerate(APPROACHES)}
    markers = {a: style.MARKERS[k % len(style.MARKERS)] for k, a in enumerate(APPROACHES)}
    for ax, col in zip(axes, PANELS, strict=True):
        for a in APPROACHES:
            sel = (df["approach"] == a).to_numpy()
            if sel.any():
                ax.errorbar(df[col][sel], ypos[sel], xerr=df[f"{col}_unc"][sel].fillna(0),
                            fmt=markers[a], color=colours[a], ms=3, capsize=2, label=a)  # fmt: skip
        for h in headers[1:]:
            ax.axhline(h - 0.5, color="0.6", lw=0.6)
        if col in UNRANKED:  # where a constant model has no value, say why there is no point
            for y in ypos[df.get("constant_model", pd.Series(False, df.index)).to_numpy(bool)]:
                ax.text(0.5, y, CONSTANT_MODEL, transform=ax.get_yaxis_transform(),
                        ha="center", va="center", fontsize=5.5, color="0.4")  # fmt: skip
        ax.set_xlabel(METRICS[col].replace("Li & Ma significance", "Li & Ma / sigma"))
        ax.grid(alpha=0.3, axis="x")
        ax.margins(x=0.15)
        # at most three ticks: five narrow panels side by side, labels like 0.025 would touch
        ax.xaxis.set_major_locator(MaxNLocator(3))
    axes[2].axvline(0.0, color="0.5", lw=0.6, ls=":")  # Brier skill 0: no better than the prior
    groups = [g for g, s in zip(df["group"], group_start, strict=True) if s]
    ticks = np.r_[headers, ypos]
    labels = [*groups, *(_label(m, entries) for m in df["model"])]
    axes[0].set_yticks(ticks, labels)
    for tick in axes[0].get_yticklabels()[: len(groups)]:
        tick.set_fontweight("bold")
    axes[0].set_ylim(n_rows - 0.5, -0.5)
    handles, names = axes[0].get_legend_handles_labels()
    for ax in axes[1:]:
        for h, nm in zip(*ax.get_legend_handles_labels(), strict=True):
            if nm not in names:
                handles.append(h)
                names.append(nm)
    fig.legend(handles, names, loc="outside upper center", ncols=len(names))
    style.save_figure(fig, (pdf, png))


RELIABILITY_MIN_EVENTS = 20  # fewest events of a bin drawn in the reliability diagram


def plot_reliability(
    measurement: Mapping,
    pdf: str | os.PathLike,
    png: str | os.PathLike,
    label: str | None = None,
    entry: Mapping | None = None,
) -> None:
    """Reliability diagram of one ON/OFF model before and after correction, and of its oracle, on
    the equal-mass bins of the measurement (each bin about the same number of events), with each
    curve's ECE on those bins.

    Parameters
    ----------
    measurement : Mapping
        An ON/OFF model's measurement file: ``model``, ``measurement`` (with
        ``calibration_after`` and optionally ``calibration_before``) and optionally ``oracle``;
        each calibration holds ``reliability`` (``mean_predicted``, ``fraction_gamma``,
        ``count`` per bin) and its ECE. Bins with fewer than :data:`RELIABILITY_MIN_EVENTS`
        events are not drawn.
    pdf : str or os.PathLike
        The figure as PDF.
    png : str or os.PathLike
        The figure as PNG (both written, or neither new).
    label : str, optional
        The model's readable name in the title (the rule passes that of ``figure_label_of`` in
        ``workflow/rules/common.smk``, unique among the ON/OFF models); by default
        :func:`iactdl.evaluate.labels.model_label` of the measurement's ``model`` and ``entry``.
    entry : Mapping, optional
        The model's config entry (``models.{model}``), which names it when ``label`` is not
        given; without either the title shows the model's config name.
    """
    from iactdl.evaluate import style  # sets the Agg backend first

    fig, ax = style.subplots(columns=1, aspect=0.9)
    ax.plot([0, 1], [0, 1], color="0.5", lw=0.8, ls=":", label="perfect calibration")
    curves = [
        ("before correction: P(ON)", measurement["measurement"].get("calibration_before")),
        ("after correction", measurement["measurement"]["calibration_after"]),
    ]
    if "oracle" in measurement:
        curves.append(("oracle (truth-trained)", measurement["oracle"]["calibration_after"]))
    shown = []
    for k, (curve, cal) in enumerate(curves):
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
                    label=f"{curve}, ECE {ece:.3f}")  # fmt: skip
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
    if label is None:  # the name the other figures give it, not the config key
        from iactdl.evaluate.labels import model_label

        label = model_label(str(measurement.get("model")), entry)
    # the name on a line of its own: "boosted trees, ON/OFF labels" and the bins on one line
    # reach past the column
    ax.set_title(f"{label}\n{n_bins} equal-mass bins "
                 f"(>= {RELIABILITY_MIN_EVENTS} events shown)")  # fmt: skip
    fig.legend(loc="outside upper center", ncols=1)
    style.save_figure(fig, (pdf, png))


def _split_thetas(path, n_off: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``event_id``, ``theta_deg`` and ``theta_deg_off_1..n`` (shape (n_off, n_events)) of an
    observed split file.

    The split file, not a model's DL3 file: :func:`iactdl.io.dl3.read_dl3` reads FACT's DL3
    layout, which needs ``gamma_prediction`` and ``gamma_energy_prediction`` (absent from a split
    file), and the DL3 files that hold these thetas are per model (an oracle has none), so one
    would be picked for no reason but its thetas.
    """
    from iactdl.io import read_columns  # refuses a missing column, naming the file and it
    from iactdl.io.dl3 import theta_off_columns

    wanted = ["event_id", "theta_deg", *theta_off_columns(n_off)]
    data = read_columns(path, wanted)
    return data["event_id"], data["theta_deg"], np.stack([data[c] for c in wanted[2:]])


def _check_same_events(event_id, other_event_id, path, other_path) -> None:
    """``other_path``'s events are ``path``'s, in the same order (two files of one observed
    split: predictions, or the split file itself)."""
    from iactdl.io import InputError

    if not np.array_equal(event_id, other_event_id):
        raise InputError(f"{other_path}: its events are not those of {path} in the same order "
                         "(both should be the same observed split)")  # fmt: skip


def chosen_cuts(
    rows: list[dict], analyses: Mapping[str, Mapping], test_thetas, n_off: int,
    oracle_val: Mapping[str, Mapping] | None = None, val_thetas=None,
) -> dict[str, dict]:  # fmt: skip
    """Each row's (theta^2, gammaness) cuts, chosen on observed_val without truth, and the
    observed_test regions at its theta^2 cut (:func:`comparison_table`'s ``cuts``).

    A model's pair is its theta^2 analysis's choice (``analyses[model]["choice"]``, rule
    ``theta2``; the significance table's); an oracle's (no theta^2 analysis of its own) is chosen
    the same way (:func:`iactdl.evaluate.theta2_analysis.choose_cuts`) on its observed_val
    gammaness, among its ON/OFF model's theta^2 candidates.

    Parameters
    ----------
    rows : list of dict
        The rows of :func:`comparison_rows`.
    analyses : Mapping of str to Mapping
        Model -> its theta^2 analysis (``dl3/{model}/theta2.json``).
    test_thetas : tuple of numpy.ndarray
        ``theta_deg`` (n_events,) and ``theta_deg_off`` (n_off, n_events) of observed_test, deg.
    n_off : int
        The number of OFF regions.
    oracle_val : Mapping of str to Mapping, optional
        Oracle (``{model}~oracle``) -> its observed_val predictions (``gammaness``); needed for
        an oracle row.
    val_thetas : tuple of numpy.ndarray, optional
        The same as ``test_thetas`` of observed_val, in the order of ``oracle_val``'s events.

    Returns
    -------
    dict of str to dict
        Scored model -> ``theta2_cut``, ``gammaness_cut``, ``region`` (per observed_test
        event: 0 ON, 1..n_off OFF, -1 neither) and ``constant_model`` (None, or why its
        observed_val gammaness ranks nothing: :func:`~iactdl.evaluate.theta2_analysis.choose_cuts`;
        an analysis made before that check counts as not constant).

    Raises
    ------
    KeyError
        A row without its analysis, or an oracle row without its observed_val predictions.
    """
    from iactdl.evaluate.theta2 import theta2_regions
    from iactdl.evaluate.theta2_analysis import choose_cuts

    out = {}
    for row in rows:
        if row["approach"] == "oracle":
            base = row["model"].removesuffix("~oracle")
            if oracle_val is None or row["scored"] not in oracle_val or val_thetas is None:
                raise KeyError(f"comparison: {row['scored']}: its observed_val predictions and "
                               "observed_val's thetas are needed to choose its cuts")  # fmt: skip
            choice = choose_cuts(oracle_val[row["scored"]]["gammaness"], *val_thetas,
                                 analyses[base]["theta2_cut_candidates"],
                                 where=f"{row['scored']}: observed_val gammaness")  # fmt: skip
        else:
            choice = analyses[row["model"]]["choice"]
        theta2_cut = float(choice["theta2_cut"])
        out[row["scored"]] = {
            "theta2_cut": theta2_cut,
            "gammaness_cut": float(choice["gammaness_cut"]),
            "region": theta2_regions(*test_thetas, theta2_cut),
            # found where its observed_val predictions were turned into cuts (no truth)
            "constant_model": choice.get("constant_model"),
        }
    return out


def build_comparison(
    models, entries: Mapping, metrics, infos, measurements, predictions: Mapping[str, str],
    truth, train, csv, tex, pdf, png, n_bootstrap: int = 200, seed: int = 0, *,
    analyses, observed_test, observed_val=None, oracle_val: Mapping[str, str] | None = None,
) -> pd.DataFrame:  # fmt: skip
    """Read the per-model files (``metrics``, ``infos``, ``measurements``, ``analyses``: lists
    aligned with ``models``; ``predictions``: model -> its observed_test predictions, oracles
    included), the hidden truth and the simulated training split (its gamma fraction), write
    table and figure; each row at its cuts chosen on observed_val (:func:`chosen_cuts`).

    Parameters
    ----------
    models : sequence of str
        The candidate models.
    entries : Mapping
        Model name -> config entry (at least those of ``models``).
    metrics : sequence of str or os.PathLike
        Each model's metrics JSON file, aligned with ``models``.
    infos : sequence of str or os.PathLike
        Each model's training info JSON file, aligned with ``models``.
    measurements : sequence of str or os.PathLike
        Each model's measurement JSON file, aligned with ``models``.
    predictions : Mapping of str to str
        Model (and ``{model}~oracle``) -> its observed_test predictions file (``event_id``,
        ``region``, ``gammaness``; attribute ``n_off_regions``).
    truth : str or os.PathLike
        The observation's hidden truth file.
    train : str or os.PathLike
        The simulated training split (column ``is_gamma``).
    csv : str or os.PathLike
        The table as CSV (:func:`write_comparison`).
    tex : str or os.PathLike
        The table as a LaTeX tabular.
    pdf : str or os.PathLike
        The figure as PDF (:func:`plot_comparison`).
    png : str or os.PathLike
        The figure as PNG.
    n_bootstrap : int
        Number of bootstrap resamples.
    seed : int
        Seed of the resampling.
    analyses : sequence of str or os.PathLike
        Each model's theta^2 analysis (``dl3/{model}/theta2.json``), aligned with ``models``.
    observed_test : str or os.PathLike
        The observed_test split (``event_id``, ``theta_deg``, ``theta_deg_off_1..n``).
    observed_val : str or os.PathLike, optional
        The observed_val split (the same columns); needed with ``oracle_val``.
    oracle_val : Mapping of str to str, optional
        Oracle (``{model}~oracle``) -> its observed_val predictions, where it has a row.

    Returns
    -------
    pandas.DataFrame
        The table written (:func:`comparison_table`).

    Raises
    ------
    ValueError
        None of ``models`` falls in a row group.
    iactdl.io.InputError
        Predictions files whose events are not the same, in the same order.
    """
    from iactdl.io import read_attrs, read_columns, read_observed_truth

    def load(paths):
        return {m: read_json(p) for m, p in zip(models, paths, strict=True)}

    entries = {m: entries[m] for m in models}
    infos_, metrics_, meas = load(infos), load(metrics), load(measurements)
    analyses_ = load(analyses)
    oracles = {m: f"{m}~oracle" in predictions and "oracle" in meas[m] for m in models}
    rows = comparison_rows(entries, metrics_, infos_, oracles)
    if not rows:
        raise ValueError(f"comparison: none of {list(models)} is boosted trees, the feature MLP or "
                         "a pixel net; nothing to compare")  # fmt: skip
    preds, event_id, n_off = {}, None, None
    for row in rows:
        path = predictions[row["scored"]]
        preds[row["scored"]] = p = read_columns(path, ["event_id", "region", "gammaness"])
        if event_id is None:
            event_id, region = p["event_id"], p["region"]
            n_off = int(read_attrs(path)["n_off_regions"])
        else:
            _check_same_events(event_id, p["event_id"], predictions[rows[0]["scored"]], path)
    hidden = read_observed_truth(truth, event_id, (), events_path=predictions[rows[0]["scored"]])
    train_gamma = read_columns(train, ["is_gamma"])["is_gamma"]
    test_id, *test_thetas = _split_thetas(observed_test, n_off)
    _check_same_events(event_id, test_id, predictions[rows[0]["scored"]], observed_test)
    oracle_preds, val_thetas = {}, None
    for row in (r for r in rows if r["approach"] == "oracle"):
        path = (oracle_val or {}).get(row["scored"])
        if path is None or observed_val is None:
            raise ValueError(f"comparison: oracle row {row['scored']} needs its observed_val "
                             "predictions (oracle_val) and the observed_val split (observed_val)"
                             " to choose its cuts")  # fmt: skip
        if val_thetas is None:  # one read of observed_val, whatever the number of oracles
            val_id, *val_thetas = _split_thetas(observed_val, n_off)
        oracle_preds[row["scored"]] = p = read_columns(path, ["event_id", "gammaness"])
        _check_same_events(p["event_id"], val_id, path, observed_val)
    cuts = chosen_cuts(rows, analyses_, test_thetas, n_off, oracle_preds, val_thetas)
    df = comparison_table(
        rows, preds, {"is_gamma": hidden["is_gamma"], "region": region}, n_off, cuts,
        float(np.mean(train_gamma)), n_bootstrap, seed,
    )  # fmt: skip
    write_comparison(df, csv, tex, entries)
    plot_comparison(df, pdf, png, entries)
    return df
