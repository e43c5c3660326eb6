"""Direction reconstruction: theta and the angular resolution per bin of true energy.

``theta`` is the angular distance between the reconstructed and the true source position. Both
are points in the camera plane (mm); at FACT's field of view (< 2.5 deg off axis) the small-angle
plate scale ``MM_TO_DEG = 180 / (pi f)`` turns their distance into degrees to better than 0.01 %
of theta (on FACT's ``gamma_diffuse.hdf5`` it matches aict-tools' ``theta_deg``, computed in
horizontal coordinates, to 0.003 deg: ``tests/test_disp.py``).

The angular resolution is the 68 % containment radius of theta: the ``ONE_SIGMA_QUANTILE``
(``erf(1/sqrt 2)`` = 0.6827) quantile of theta, with numpy's linear interpolation, per bin of
true energy; pyirf's ``angular_resolution`` (``pyirf.benchmarks``) and CTA's IRFs define it the
same way, and ``tests/test_disp.py`` checks the two agree. For a 2-D Gaussian point spread of width
sigma per axis, theta is Rayleigh distributed and the 68 % containment is ``1.51 sigma``.
"""

from __future__ import annotations

import math

import numpy as np

from iactdl.camera import MM_TO_DEG

__all__ = ["ONE_SIGMA_QUANTILE", "theta", "containment", "angular_resolution"]

# the fraction inside one sigma of a 1-D Gaussian, pyirf's ONE_SIGMA_QUANTILE (~0.6827)
ONE_SIGMA_QUANTILE = math.erf(1.0 / math.sqrt(2.0))


def theta(x_rec, y_rec, x_true, y_true, *, mm_to_deg: float = MM_TO_DEG) -> np.ndarray:
    """Angular distance between reconstructed and true source positions in the camera, deg.

    Parameters
    ----------
    x_rec, y_rec : array_like
        Reconstructed source position, mm (camera frame).
    x_true, y_true : array_like
        True source position, mm.
    mm_to_deg : float
        Plate scale, deg per mm (FACT: ``180 / (pi * 4889 mm)`` = 0.011719).

    Returns
    -------
    ndarray
        ``hypot(x_rec - x_true, y_rec - y_true) * mm_to_deg``, deg; NaN where an input is NaN.
    """
    dx = np.asarray(x_rec, dtype=np.float64) - np.asarray(x_true, dtype=np.float64)
    dy = np.asarray(y_rec, dtype=np.float64) - np.asarray(y_true, dtype=np.float64)
    return np.hypot(dx, dy) * mm_to_deg


def containment(theta_deg, fraction: float = ONE_SIGMA_QUANTILE) -> float:
    """Radius (deg) that contains ``fraction`` of the events: the quantile of theta.

    NaN thetas (events without a reconstruction) are ignored, as pyirf does (``np.nanquantile``);
    an empty input gives NaN.

    Parameters
    ----------
    theta_deg : array_like
        Angular distance between reconstructed and true direction per event (deg, >= 0).
    fraction : float
        The contained fraction, in (0, 1); default 68.27 % (one Gaussian sigma).

    Returns
    -------
    float
        The containment radius (deg).

    Raises
    ------
    ValueError
        A negative theta, or a fraction outside (0, 1).
    """
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"containment fraction must be in (0, 1), got {fraction}")
    t = np.asarray(theta_deg, dtype=np.float64)
    if np.any(t < 0):
        raise ValueError("theta must be >= 0 deg (an angular distance)")
    t = t[np.isfinite(t)]
    return float(np.quantile(t, fraction)) if len(t) else float("nan")


def angular_resolution(
    theta_deg, true_energy, bins, *, fraction: float = ONE_SIGMA_QUANTILE, min_events: int = 10
) -> dict[str, np.ndarray]:
    """68 % containment of theta per bin of true energy.

    Parameters
    ----------
    theta_deg : array_like
        Angular distance reconstructed - true source, deg (:func:`theta`).
    true_energy : array_like
        True energy, TeV.
    bins : array_like
        Energy bin edges, TeV (increasing). Events outside ``[bins[0], bins[-1])`` are not
        counted (pyirf's ``calculate_bin_indices``).
    fraction : float
        Containment fraction; default ``ONE_SIGMA_QUANTILE`` (0.6827), pyirf's default.
    min_events : int
        Bins with fewer events get NaN (pyirf fills any non-empty bin; pass 1 to do the same).

    Returns
    -------
    dict
        ``energy_bins`` (edges, TeV), ``energy_center`` (log centre, TeV),
        ``angular_resolution`` (deg) and ``count`` per bin.
    """
    bins = np.asarray(bins, dtype=np.float64)
    if bins.ndim != 1 or len(bins) < 2 or np.any(np.diff(bins) <= 0):
        raise ValueError(f"energy bins must be >= 2 increasing edges (TeV), got {bins}")
    t = np.asarray(theta_deg, dtype=np.float64)
    e = np.asarray(true_energy, dtype=np.float64)
    if t.shape != e.shape:
        raise ValueError(f"theta {t.shape} and true energy {e.shape} differ in shape")
    idx = np.digitize(e, bins) - 1
    n_bins = len(bins) - 1
    valid = (idx >= 0) & (idx < n_bins) & np.isfinite(t)
    count = np.bincount(idx[valid], minlength=n_bins)
    res = np.full(n_bins, np.nan)
    for k in np.flatnonzero(count >= max(min_events, 1)):  # loop over bins, not events
        res[k] = containment(t[valid & (idx == k)], fraction)
    return {
        "energy_bins": bins,
        "energy_center": np.sqrt(bins[:-1] * bins[1:]),
        "angular_resolution": res,
        "count": count,
    }
