"""Measuring a model on the observation against its hidden truth: the label-noise study (stage 6).

Evaluation side only (it reads the truth). The ON/OFF labels are those of the theta^2 rule
(:mod:`iactdl.observed_regions`): most events lie in no region (``region`` -1) and carry no label.
Menon et al. (2015)'s class-conditional noise is defined on the *labelled* events L (ON or one of
the ``n_off`` OFF regions), the sample the ON/OFF models are fit on; the noisy label is ON/OFF, the
clean one gamma/hadron, and every rate below is a fraction of L:

- ``rho_minus = P(ON | hadron, L)``: ``alpha / (1 + alpha)`` when the ON region and each OFF
  region have the same background acceptance (``alpha = 1 / n_off``);
- ``rho_plus = P(OFF | gamma, L)``: the source's gammas reconstructed into an OFF region (a wrong
  disp sign, a poor direction); 0 by assumption of the known-alpha correction.

These are pkccn's (Bunse et al.; ``pkccn/experiments/fact.py``): only events within the theta cut
of ON or an OFF position are labelled, ``p_minus = 1 / 6`` for alpha = 1/5 is ``P(noisy ON | clean
hadron)`` on them, and ``p_plus`` is left to Menon's quantile estimate.

For a model's scores on ``observed_test``:

- ROC AUC with a bootstrap uncertainty (all events: a ranking is defined everywhere);
- calibration (ECE, Brier score, reliability diagram) on the events the posterior refers to: the
  labelled ones for an ON/OFF model (its corrected ``gammaness`` is ``P(gamma | x)`` at the prior
  of L), all for a posterior fit on all events (the oracle); for an ON/OFF model before (``p_on``
  read as ``P(gamma | x)``) and after Menon's correction;
- the true flip rates on L (``rho_minus_true``, ``rho_plus_true``) and the background's true
  ON/OFF ratio (``alpha_true``: hadrons in ON over hadrons in OFF);
- the ON gamma fraction: by counting (``(N_on - alpha N_off) / N_on``, known alpha, with its
  Poisson uncertainty), from the model and with alpha estimated from the data
  (``rho_minus / (1 - rho_minus)``), against the true fraction. Since
  ``sum_L eta = N_gamma(L)`` for a posterior calibrated on L and ``N_on,gamma = (1 - rho_plus)
  N_gamma(L)``, an ON/OFF model's estimate is ``(1 - rho_plus) sum_L eta / N_on`` (with known alpha
  and a calibrated model it equals the counted one). A posterior at the prior of all events is
  moved to the ON region's prior by Saerens et al. (2002)'s EM instead. Both count the signal
  leaking into OFF regions against the ON region, ``alpha N_off,gamma``: ``true_excess`` is the
  fraction they estimate. The model's uncertainty has two terms: the events' (bootstrap) and its
  calibration's. The second dominates: the gammas are a small excess over the hadrons, so the
  estimate hangs on the mean of ``p_on``, which the fit set to the ON fraction of its ``n_train``
  training labels, binomial noise and all (see :func:`on_gamma_fraction`);
- at each threshold chosen without truth (the corrected 0.5 and the Li & Ma maximum on
  ``observed_val``): gamma and hadron efficiency (truth) and the Li & Ma significance of the excess.
"""

from __future__ import annotations

import os

import numpy as np

from iactdl.evaluate.significance import li_ma_significance
from iactdl.io.jsonfile import read_json
from iactdl.metrics.separation import (
    brier_score,
    calibration_curve,
    expected_calibration_error,
    roc_auc_bootstrap,
)

__all__ = [
    "labelled_events",
    "flip_rates_true",
    "prior_shift",
    "em_prior",
    "calibration_summary",
    "on_gamma_fraction",
    "at_threshold",
    "measure_onoff",
    "evaluate_labelnoise",
]


MIN_EVENTS_PER_BIN = 20  # fewest events of an equal-mass bin of the reliability diagram


def calibration_summary(is_gamma, prob, n_bins: int = 10) -> dict:
    """ECE, Brier score and the reliability diagram of ``prob`` as ``P(gamma)``.

    The reliability diagram is on equal-mass bins: at the observation's few % gammas equal-width
    bins leave 3-6 of them filled. At most ``n_bins`` of them, fewer where the events would leave
    a bin below ``MIN_EVENTS_PER_BIN`` (a fraction of a handful of events is noise).

    Parameters
    ----------
    is_gamma : array_like of bool
        The truth per event.
    prob : array_like
        The predicted ``P(gamma)`` per event.
    n_bins : int
        Number of bins.

    Returns
    -------
    dict
        ``ece`` (equal-width bins), ``ece_equal_mass`` (on the diagram's bins), ``brier`` and
        ``reliability`` (the diagram's curve).
    """
    prob = np.clip(np.asarray(prob, dtype=np.float64), 0.0, 1.0)
    n_mass = int(max(1, min(n_bins, prob.size // MIN_EVENTS_PER_BIN)))
    return {
        "ece": expected_calibration_error(is_gamma, prob, n_bins),
        "ece_equal_mass": expected_calibration_error(is_gamma, prob, n_mass, "quantile"),
        "brier": brier_score(is_gamma, prob),
        "reliability": calibration_curve(is_gamma, prob, n_mass, "quantile"),
    }


def labelled_events(region, n_off_regions: int) -> np.ndarray:
    """Events in the ON or an OFF region: the sample ON/OFF labels (and Menon's noise) exist on.

    Parameters
    ----------
    region : array_like of int
        Per event: 0 ON, 1..n_off_regions OFF, -1 (or anything else) in no region.
    n_off_regions : int
        Number of OFF positions.

    Returns
    -------
    numpy.ndarray of bool
        Per event: in a region.
    """
    region = np.asarray(region)
    return (region >= 0) & (region <= n_off_regions)


def flip_rates_true(is_gamma, region, n_off_regions: int) -> dict:
    """The ON/OFF labels' class-conditional noise rates from the truth, on the labelled events.

    Parameters
    ----------
    is_gamma : array_like of bool
        The hidden truth per event.
    region : array_like of int
        Per event: 0 ON, 1..n_off_regions OFF, -1 in no region (left out).
    n_off_regions : int
        Number of OFF positions.

    Returns
    -------
    dict
        ``rho_minus_true`` (``P(ON | hadron)``), ``rho_plus_true`` (``P(OFF | gamma)``), both
        among the labelled events (NaN without hadrons or gammas there); ``alpha_true`` (hadrons in
        ON / hadrons in OFF: ``1 / n_off`` at equal acceptance) and the counts they come from.
    """
    is_gamma = np.asarray(is_gamma).astype(bool)
    region = np.asarray(region)
    lab = labelled_events(region, n_off_regions)
    on, off = lab & (region == 0), lab & (region != 0)
    h_on, h_off = int(np.count_nonzero(on & ~is_gamma)), int(np.count_nonzero(off & ~is_gamma))
    g_on, g_off = int(np.count_nonzero(on & is_gamma)), int(np.count_nonzero(off & is_gamma))
    nan = float("nan")
    return {
        "rho_minus_true": h_on / (h_on + h_off) if h_on + h_off else nan,
        "rho_plus_true": g_off / (g_on + g_off) if g_on + g_off else nan,
        "alpha_true": h_on / h_off if h_off else nan,
        "n_hadron_on": h_on,
        "n_hadron_off": h_off,
        "n_gamma_on": g_on,
        "n_gamma_off": g_off,
    }


def _poisson_bootstrap_std(values, n_bootstrap: int, seed: int) -> float:
    """Std of ``sum(values)`` under resampling of the events (Poisson(1) weights, batched)."""
    rng = np.random.default_rng(seed)
    values = np.asarray(values, dtype=np.float64)
    sums = []
    batch = max(1, int(4e6 // max(values.size, 1)))
    for done in range(0, n_bootstrap, batch):
        b = min(batch, n_bootstrap - done)
        sums.append(rng.poisson(1.0, (b, values.size)) @ values)
    return float(np.std(np.concatenate(sums), ddof=1))


def prior_shift(prob, prior_from: float, prior_to: float) -> np.ndarray:
    """A posterior P(gamma | x) fit at class prior ``prior_from`` moved to prior ``prior_to``
    (Saerens, Latinne & Decaestecker 2002, eq. 2.4; the likelihoods are unchanged):
    ``p' = r p / (r p + s (1 - p))`` with ``r = prior_to / prior_from``, ``s = (1 - prior_to) /
    (1 - prior_from)``.

    Parameters
    ----------
    prob : array_like
        Posteriors P(gamma | x), any shape.
    prior_from : float
        The gamma fraction the posteriors assume (of the training data), in (0, 1).
    prior_to : float
        The gamma fraction to move them to, in (0, 1).

    Returns
    -------
    numpy.ndarray
        The shifted posteriors (float64, the shape of ``prob``); where the formula is not finite
        (0/0), the input value.
    """
    p = np.asarray(prob, dtype=np.float64)
    r = prior_to / prior_from
    s = (1.0 - prior_to) / (1.0 - prior_from)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = r * p / (r * p + s * (1.0 - p))
    return np.where(np.isfinite(out), out, p)


def em_prior(posterior, train_prior: float, weights=None, tol: float = 1e-10, max_iter: int = 1000):
    """The gamma fraction of a set of events from posteriors fit at another prior (Saerens,
    Latinne & Decaestecker 2002, sec. 2.2): iterate ``pi <- mean(shift(p, train_prior, pi))``.

    Parameters
    ----------
    posterior : array_like
        ``P(gamma | x)`` per event, at the class prior ``train_prior``.
    train_prior : float
        The gamma fraction the posteriors assume, in (0, 1).
    weights : array_like, optional
        Event weights (a bootstrap's), shape ``(n_events,)`` or ``(n_replicas, n_events)``.
    tol : float
        Stop when no estimate moves by more than this.
    max_iter : int
        Most iterations.

    Returns
    -------
    float or numpy.ndarray
        The maximum-likelihood prior of the events (one per row of ``weights``).
    """
    p = np.clip(np.asarray(posterior, dtype=np.float64), 1e-12, 1 - 1e-12)
    w = np.ones((1, p.size)) if weights is None else np.atleast_2d(weights).astype(np.float64)
    total = w.sum(axis=1)
    pi = (w @ p) / total
    for _ in range(max_iter):
        shifted = prior_shift(p, train_prior, np.clip(pi, 1e-9, 1 - 1e-9)[:, None])
        new = (w * shifted).sum(axis=1) / total
        done = np.max(np.abs(new - pi)) < tol
        pi = new
        if done:
            break
    return float(pi[0]) if weights is None else pi


def on_gamma_fraction(
    region, n_off_regions: int, is_gamma=None, eta_unclipped=None, alpha_estimated=None,
    n_bootstrap: int = 200, seed: int = 0, n_train: int | None = None, slope: float = 1.0,
    label_fraction: float | None = None, rho_plus: float = 0.0, train_prior: float | None = None,
) -> dict:  # fmt: skip
    """The gamma fraction of the ON region: counted, from the model's posterior, and true.

    Two kinds of model (see the module docstring for the derivation):

    - an ON/OFF model (``train_prior`` None): ``eta_unclipped`` is Menon's corrected posterior
      ``eta = slope * p_on + b`` at the prior of the labelled events L it was fit on; the estimate
      is ``(1 - rho_plus) sum_L eta / N_on``, events in no region left out (their images are not
      the sample the posterior's prior describes);
    - a posterior at the prior ``train_prior`` of all events (the oracle): the ON region's prior
      by Saerens et al.'s EM (:func:`em_prior`) on the ON events.

    The events' uncertainty is a Poisson bootstrap (``model_std_events``); the calibration's
    (``model_std_calibration``) comes from the mean the fit matched to its ``n_train`` training
    labels (``label_fraction`` ``f``: the ON fraction of L, or the gamma fraction for a posterior),
    which carry binomial noise ``sqrt(f (1 - f) / n_train)``: for an ON/OFF model every one of the
    ``N_L`` labelled events inherits it, ``slope sqrt(f (1 - f) / n_train) N_L / N_on``; for a
    posterior it is a relative error ``d = sqrt((1 - f) / (f n_train))`` of the prior, which moves
    the posterior odds by ``1 + d`` and the EM prior ``pi`` by ``pi (1 - pi) d``. The calibration
    term is the larger by far for an ON/OFF model: with 116k training events it was 0.007 in the
    fraction against 0.002 from the events, and on a toy observation
    (tests/test_labelnoise_eval.py) the pulls had a standard deviation of 5.7 without it and 1.1
    with it. ``model_std`` combines both (without ``n_train``, the events' alone).

    Parameters
    ----------
    region : array_like of int
        Per event: 0 ON, 1..n_off_regions OFF, -1 in no region.
    n_off_regions : int
        Number of OFF positions.
    is_gamma : array_like of bool, optional
        The hidden truth, for the ``true`` fractions and the pulls.
    eta_unclipped : array_like, optional
        The model's unclipped posterior per event, for its estimate.
    alpha_estimated : float, optional
        An alpha-free estimate of alpha, for a second counted fraction.
    n_bootstrap : int
        Poisson bootstrap replicas of ``model_std_events``.
    seed : int
        Seed of the bootstrap.
    n_train : int, optional
        Training events of the model, for ``model_std_calibration``.
    slope : float
        ``slope`` above (an ON/OFF model's ``a = 1 / (1 - rho_plus - rho_minus)``).
    label_fraction : float, optional
        ``f`` above; default the ON fraction of the labelled events, or for a posterior the mean
        of ``eta_unclipped``.
    rho_plus : float
        ``P(OFF | gamma)`` of the ON/OFF model's correction (0 for known alpha).
    train_prior : float, optional
        The gamma fraction a posterior (not an ON/OFF model) was fit at: selects EM.

    Returns
    -------
    dict
        ``counted`` (``(N_on - alpha N_off) / N_on``) and its std, ``n_on``, ``n_off`` and
        ``n_labelled``; with ``eta_unclipped`` ``model``, ``model_method``, ``model_std_events``,
        ``model_std_calibration`` and ``model_std``; with ``alpha_estimated``
        ``counted_alpha_estimated``; with truth ``true`` (``N_on,gamma / N_on``), ``true_excess``
        (``(N_on,gamma - alpha N_off,gamma) / N_on``, what counting estimates at equal
        acceptance) and the pulls against ``true``.
    """
    region = np.asarray(region)
    alpha = 1.0 / n_off_regions
    lab = labelled_events(region, n_off_regions)
    n_on = int(np.count_nonzero(region == 0))
    n_off = int(np.count_nonzero(lab & (region != 0)))
    if n_on == 0:
        raise ValueError("on_gamma_fraction: no ON events")
    out = {
        "n_on": n_on,
        "n_off": n_off,
        "n_labelled": n_on + n_off,
        "counted": (n_on - alpha * n_off) / n_on,
        "counted_std": float(np.sqrt(n_on + alpha**2 * n_off) / n_on),
    }
    if eta_unclipped is not None:
        eta = np.asarray(eta_unclipped, dtype=np.float64)
        if train_prior is None:
            eta_l = eta[lab]
            out["model_method"] = "menon_pooled_labelled"
            out["model"] = float((1.0 - rho_plus) * eta_l.sum() / n_on)
            std = _poisson_bootstrap_std(eta_l, n_bootstrap, seed) * (1.0 - rho_plus) / n_on
            out["model_std_events"] = std
            f = label_fraction if label_fraction is not None else n_on / eta_l.size
            f = float(np.clip(f, 1e-6, 1 - 1e-6))
            cal = None
            if n_train:
                cal = abs(slope) * np.sqrt(f * (1 - f) / n_train) * eta_l.size / n_on
        else:
            eta_on = eta[region == 0]
            out["model_method"] = "em_prior_on"
            pi = em_prior(eta_on, train_prior)
            out["model"] = pi
            rng = np.random.default_rng(seed)
            reps = em_prior(eta_on, train_prior, rng.poisson(1.0, (n_bootstrap, eta_on.size)))
            out["model_std_events"] = float(np.std(reps, ddof=1))
            f = float(np.clip(label_fraction if label_fraction is not None else train_prior,
                              1e-6, 1 - 1e-6))  # fmt: skip
            cal = pi * (1 - pi) * np.sqrt((1 - f) / (f * n_train)) if n_train else None
        out["model_std"] = out["model_std_events"]
        if cal is not None:
            out["model_std_calibration"] = float(cal)
            out["model_std"] = float(np.hypot(out["model_std_events"], cal))
    if alpha_estimated is not None:
        out["alpha_estimated"] = float(alpha_estimated)
        out["counted_alpha_estimated"] = (n_on - alpha_estimated * n_off) / n_on
    if is_gamma is not None:
        is_gamma = np.asarray(is_gamma).astype(bool)
        g_on = np.count_nonzero(is_gamma & (region == 0))
        g_off = np.count_nonzero(is_gamma & lab & (region != 0))
        out["true"] = float(g_on / n_on)
        out["true_excess"] = float((g_on - alpha * g_off) / n_on)
        for key in ("counted", "model"):
            if key in out:
                out[f"{key}_pull"] = (out[key] - out["true"]) / out[f"{key}_std"]
    return out


def at_threshold(score, region, n_off_regions: int, cut: float, is_gamma=None) -> dict:
    """Counts, Li & Ma significance and (with truth) efficiencies of ``score >= cut``.

    Parameters
    ----------
    score : array_like
        The model's score per event.
    region : array_like of int
        Per event: 0 ON, 1..n_off_regions OFF.
    n_off_regions : int
        Number of OFF positions (alpha = 1 / n_off_regions).
    cut : float
        Events with ``score >= cut`` pass.
    is_gamma : array_like of bool, optional
        The hidden truth per event, for the efficiencies.

    Returns
    -------
    dict
        ``cut``, ``n_on``, ``n_off``, ``excess`` (``n_on - alpha n_off``),
        ``li_ma_significance`` (Li & Ma 1983, eq. 17) and, with truth, ``gamma_efficiency`` and
        ``hadron_efficiency``.
    """
    score = np.asarray(score, dtype=np.float64)
    region = np.asarray(region)
    passed = score >= cut
    n_on = int(np.count_nonzero(passed & (region == 0)))
    n_off = int(np.count_nonzero(passed & (region >= 1) & (region <= n_off_regions)))
    alpha = 1.0 / n_off_regions
    out = {
        "cut": float(cut),
        "n_on": n_on,
        "n_off": n_off,
        "excess": n_on - alpha * n_off,
        "li_ma_significance": float(li_ma_significance(n_on, n_off, alpha)),
    }
    if is_gamma is not None:
        is_gamma = np.asarray(is_gamma).astype(bool)
        out["gamma_efficiency"] = float(passed[is_gamma].mean()) if is_gamma.any() else np.nan
        out["hadron_efficiency"] = float(passed[~is_gamma].mean()) if (~is_gamma).any() else np.nan
    return out


def measure_onoff(
    *,
    score,
    region,
    is_gamma,
    n_off_regions: int,
    cuts: dict,
    gammaness=None,
    eta_unclipped=None,
    rho_minus_estimated=None,
    n_bootstrap: int = 200,
    n_bins: int = 10,
    seed: int = 0,
    calibration: dict | None = None,
) -> dict:
    """Every number of the stage-6 measurement for one model on ``observed_test``.

    Parameters
    ----------
    score : array_like
        The model's ranking score (``p_on`` for ON/OFF models, ``gammaness`` otherwise); ``cuts``
        are on this scale.
    region : array_like of int
        Per event: 0 ON, 1..n_off_regions OFF, -1 in no region.
    is_gamma : array_like of bool
        The hidden truth per event.
    n_off_regions : int
        Number of OFF positions.
    cuts : dict
        Threshold name -> cut on ``score``, chosen without truth.
    gammaness : array_like, optional
        The corrected posterior (ON/OFF models), at the prior of the labelled events: its
        calibration is measured on them, before (``score`` read as P(gamma)) and after; without
        it ``score`` is a posterior at the prior of all events, calibrated on all.
    eta_unclipped : array_like, optional
        ``a p_on + b`` without clipping, for the model's ON gamma fraction.
    rho_minus_estimated : float, optional
        An alpha-free estimate of rho_minus, compared with the true ``P(ON | hadron)`` of the
        labelled events here.
    n_bootstrap : int
        Poisson bootstrap replicas of the ON gamma fraction's uncertainty.
    n_bins : int
        Bins of the calibration.
    seed : int
        Seed of the bootstrap.
    calibration : dict, optional
        ``n_train``, ``slope``, ``label_fraction``, ``rho_plus`` and ``train_prior`` of
        :func:`on_gamma_fraction` (how the model's ON gamma fraction is estimated and the
        calibration term of its uncertainty).

    Returns
    -------
    dict
        ``calibration_before`` (ON/OFF models) and ``calibration_after``
        (:func:`calibration_summary`) with ``calibration_events`` (``labelled`` or ``all``),
        :func:`flip_rates_true` (``rho_minus_true``, ...; and ``rho_minus_estimated``),
        ``on_gamma_fraction`` (:func:`on_gamma_fraction`) and per threshold name its
        :func:`at_threshold` under ``thresholds``.
    """
    is_gamma = np.asarray(is_gamma).astype(bool)
    region = np.asarray(region)
    score = np.asarray(score, dtype=np.float64)
    auc, auc_std = roc_auc_bootstrap(is_gamma.astype(int), score, n_bootstrap, seed)
    out = {
        "n_events": int(score.size),
        "n_gamma": int(is_gamma.sum()),
        "roc_auc": auc,
        "roc_auc_unc": auc_std,
    }
    if gammaness is not None:
        # Menon's posterior is P(gamma | x) at the prior of the events the ON/OFF model was fit
        # on, those in a region; elsewhere (most events) the gamma fraction is far lower
        lab = labelled_events(region, n_off_regions)
        out["calibration_events"] = "labelled"
        out["n_calibration_events"] = int(lab.sum())
        out["calibration_before"] = calibration_summary(is_gamma[lab], score[lab], n_bins)
        out["calibration_after"] = calibration_summary(
            is_gamma[lab], np.asarray(gammaness)[lab], n_bins
        )
    else:
        out["calibration_events"] = "all"
        out["n_calibration_events"] = int(score.size)
        out["calibration_after"] = calibration_summary(is_gamma, score, n_bins)
    out.update(flip_rates_true(is_gamma, region, n_off_regions))
    alpha_est = None
    if rho_minus_estimated is not None:
        out["rho_minus_estimated"] = float(rho_minus_estimated)
        alpha_est = rho_minus_estimated / (1.0 - rho_minus_estimated)
    out["on_gamma_fraction"] = on_gamma_fraction(
        region, n_off_regions, is_gamma, eta_unclipped, alpha_est, n_bootstrap, seed,
        **(calibration or {}),
    )  # fmt: skip
    out["thresholds"] = {
        name: at_threshold(score, region, n_off_regions, cut, is_gamma)
        for name, cut in cuts.items()
    }
    return out


def _predictions(path, columns) -> dict:
    from iactdl.io import InputError, column_names, read_columns

    have = column_names(path)
    missing = [c for c in columns if c not in have]
    if missing:
        raise InputError(f"{path}: prediction column(s) {missing} missing; the file has {have}")
    return read_columns(path, columns)


def _score_and_cuts(info: dict, test: dict, val: dict, n_off: int):
    """Score column, truth-free cuts on it, and the correction's arrays (ON/OFF models only)."""
    from iactdl.evaluate.thresholds import li_ma_threshold
    from iactdl.labelnoise.correction import MenonCorrection

    ln = info.get("labelnoise")
    # a cut keeping fewer than 10 ON events is a fluctuation; a tiny val split has fewer in all
    min_on = int(max(1, min(10, np.count_nonzero(np.asarray(val["region"]) == 0))))
    n_train = int(info["n_train"]) if info.get("n_train") else None
    if ln is None:  # a posterior already: corrected 0.5 is 0.5
        cuts = {"corrected_0.5": 0.5}
        cuts["li_ma_val"] = li_ma_threshold(val["gammaness"], val["region"], n_off, min_on)["cut"]
        # its mean was fit to its training labels' gamma fraction: the observed one for an oracle
        q = float(np.mean(test["gammaness"]))
        calibration = {"n_train": n_train, "slope": 1.0, "label_fraction": q, "train_prior": q}
        return test["gammaness"], cuts, {"eta_unclipped": test["gammaness"],
                                         "calibration": calibration}  # fmt: skip
    c = ln["correction"]
    corr = MenonCorrection(c["rho_minus"], c["rho_plus"], c["method"])
    cuts = {"corrected_0.5": corr.threshold(0.5)}
    cuts["li_ma_val"] = li_ma_threshold(val["p_on"], val["region"], n_off, min_on)["cut"]
    extra = {
        "gammaness": test["gammaness"],
        "eta_unclipped": corr.unclipped(test["p_on"]),
        "rho_minus_estimated": ln["estimated"].get("anchor", {}).get("rho_minus"),
        # the mean of p_on was fit to the ON fraction of the training labels (the test's ON
        # fraction among its labelled events estimates it: the splits are random)
        "calibration": {
            "n_train": n_train,
            "slope": float(c["a"]),
            "label_fraction": None,
            "rho_plus": float(c["rho_plus"]),
        },
    }
    return test["p_on"], cuts, extra


def evaluate_labelnoise(
    info: str | os.PathLike,
    test: str | os.PathLike,
    val: str | os.PathLike,
    truth: str | os.PathLike,
    output: str | os.PathLike,
    oracle_info: str | os.PathLike | None = None,
    oracle_test: str | os.PathLike | None = None,
    oracle_val: str | os.PathLike | None = None,
    n_bootstrap: int = 200,
    n_bins: int = 10,
    seed: int = 0,
) -> dict:
    """The stage-6 measurement of one separation model (and its oracle), written to ``output``.

    The thresholds are chosen on ``val`` without truth; the hidden ``truth`` scores ``test`` only.

    Parameters
    ----------
    info : str or os.PathLike
        The model's ``model.json``.
    test, val : str or os.PathLike
        The model's predictions on observed_test and observed_val.
    truth : str or os.PathLike
        The observation's hidden truth file.
    output : str or os.PathLike
        The JSON file to write.
    oracle_info, oracle_test, oracle_val : str or os.PathLike, optional
        The same of the model's oracle, measured alike.
    n_bootstrap : int
        Poisson bootstrap replicas of the ON gamma fraction's uncertainty.
    n_bins : int
        Bins of the calibration (:func:`calibration_summary`).
    seed : int
        Seed of the bootstrap.

    Returns
    -------
    dict
        What ``output`` holds: ``model``, ``measurement`` (:func:`measure_onoff`) and, with an
        oracle, ``oracle``.

    Raises
    ------
    InputError
        A predictions file without ``n_off_regions``, or events missing from the truth.
    """
    from iactdl.io import InputError, read_attrs, read_observed_truth, to_json, write_json

    def one(info_path, test_path, val_path):
        meta = read_json(info_path)
        cols = ["event_id", "region", "gammaness"] + (["p_on"] if "labelnoise" in meta else [])
        t, v = _predictions(test_path, cols), _predictions(val_path, cols)
        n_off = read_attrs(test_path).get("n_off_regions")
        if n_off is None:
            raise InputError(f"{test_path}: attribute n_off_regions missing (alpha unknown)")
        score, cuts, extra = _score_and_cuts(meta, t, v, int(n_off))
        hidden = read_observed_truth(truth, t["event_id"], (), events_path=test_path)
        result = measure_onoff(
            score=score, region=t["region"], is_gamma=hidden["is_gamma"].astype(bool),
            n_off_regions=int(n_off), cuts=cuts, n_bootstrap=n_bootstrap, n_bins=n_bins,
            seed=seed, **extra,
        )  # fmt: skip
        result["labels"] = meta.get("labels", "simulation")
        if "labelnoise" in meta:
            result["flip_rates"] = meta["labelnoise"]
        return result

    out = {"model": read_json(info).get("name"), "model_info": str(info)}
    out["measurement"] = one(info, test, val)
    if oracle_info is not None:
        out["oracle"] = one(oracle_info, oracle_test, oracle_val)
    out = to_json(out)
    write_json(output, out)
    return out
