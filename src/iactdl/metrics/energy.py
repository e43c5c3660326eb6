"""Energy estimation: bias and resolution per bin of true energy, and the migration matrix.

With the relative error ``r = (E_est - E_true) / E_true``, the bias is the median of ``r`` and the
resolution the half-width of the central 68 % interval of ``r``, i.e. the 68 % containment
(pyirf's ``energy_bias_resolution``, CTA's convention; for a Gaussian ``r`` with width sigma it
equals sigma). The migration matrix is the 2-D histogram of (E_true, E_est) in log bins, normalised
per bin of true energy: the probability of estimating ``E_est`` given ``E_true``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["relative_error", "bias_resolution", "binned_bias_resolution", "migration_matrix"]


def relative_error(e_true, e_est) -> np.ndarray:
    """The relative error ``r = (E_est - E_true) / E_true`` per event.

    Parameters
    ----------
    e_true, e_est : array_like
        True and estimated energies (TeV), same shape.

    Returns
    -------
    numpy.ndarray
        Float64, per event.

    Raises
    ------
    ValueError
        Shapes that differ, or a true energy <= 0.
    """
    e_true = np.asarray(e_true, dtype=np.float64)
    e_est = np.asarray(e_est, dtype=np.float64)
    if e_true.shape != e_est.shape:
        raise ValueError(f"true {e_true.shape} and estimated {e_est.shape} energies differ")
    if np.any(e_true <= 0):
        raise ValueError("true energies must be > 0 TeV")
    return (e_est - e_true) / e_true


def bias_resolution(e_true, e_est) -> tuple[float, float]:
    """Bias and resolution of the relative error over all events (see the module's text).

    Parameters
    ----------
    e_true, e_est : array_like
        True and estimated energies (TeV).

    Returns
    -------
    bias : float
        The median of ``r``.
    resolution : float
        The half-width of the central 68 % interval of ``r`` (NaN for no events).
    """
    r = relative_error(e_true, e_est)
    if len(r) == 0:
        return float("nan"), float("nan")
    lo, med, hi = np.percentile(r, [16.0, 50.0, 84.0])
    return float(med), float((hi - lo) / 2.0)


def binned_bias_resolution(e_true, e_est, bins, min_events: int = 10) -> dict[str, np.ndarray]:
    """Bias and resolution per bin of true energy (TeV); bins with < ``min_events`` are NaN.

    Vectorised: one sort per bin, no per-event loops.

    Parameters
    ----------
    e_true, e_est : array_like
        True and estimated energies (TeV).
    bins : array_like
        Edges of the true-energy bins (TeV).
    min_events : int
        The fewest events a bin needs for its numbers.

    Returns
    -------
    dict of str to numpy.ndarray
        ``energy_bins`` (edges, TeV), ``energy_center`` (log centre), ``bias``, ``resolution`` and
        ``count`` per bin.
    """
    bins = np.asarray(bins, dtype=np.float64)
    e_true = np.asarray(e_true, dtype=np.float64)
    r = relative_error(e_true, e_est)
    idx = np.digitize(e_true, bins) - 1
    n_bins = len(bins) - 1
    bias = np.full(n_bins, np.nan)
    res = np.full(n_bins, np.nan)
    count = np.bincount(idx[(idx >= 0) & (idx < n_bins)], minlength=n_bins)
    for k in np.flatnonzero(count >= min_events):  # loop over bins, not events
        lo, med, hi = np.percentile(r[idx == k], [16.0, 50.0, 84.0])
        bias[k], res[k] = med, (hi - lo) / 2.0
    return {
        "energy_bins": bins,
        "energy_center": np.sqrt(bins[:-1] * bins[1:]),
        "bias": bias,
        "resolution": res,
        "count": count,
    }


def migration_matrix(e_true, e_est, bins_true, bins_est=None) -> dict[str, np.ndarray]:
    """P(E_est bin | E_true bin): rows true energy, columns estimated energy (TeV bins).

    Parameters
    ----------
    e_true, e_est : array_like
        True and estimated energies (TeV).
    bins_true : array_like
        Edges of the true-energy bins (TeV).
    bins_est : array_like, optional
        Edges of the estimated-energy bins; default ``bins_true``.

    Returns
    -------
    dict of str to numpy.ndarray
        ``bins_true``, ``bins_est``, ``counts`` (the raw histogram) and ``probability`` (rows with
        no events are zero).
    """
    bins_true = np.asarray(bins_true, dtype=np.float64)
    bins_est = bins_true if bins_est is None else np.asarray(bins_est, dtype=np.float64)
    counts, _, _ = np.histogram2d(e_true, e_est, bins=[bins_true, bins_est])
    norm = counts.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        prob = np.where(norm > 0, counts / norm, 0.0)
    return {"bins_true": bins_true, "bins_est": bins_est, "counts": counts, "probability": prob}
