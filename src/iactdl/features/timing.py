"""Timing features: how the arrival time of the light varies across the image.

The light of a gamma shower arrives with a time gradient along the image axis (the shower front
is inclined to the telescope), which helps to reconstruct the impact distance and the energy.

- ``time_gradient_slope_long`` (ns/mm), ``time_gradient_intercept_long`` (ns): ordinary least
  squares fit ``t = slope * l + intercept`` over the shower pixels, l the longitudinal coordinate
  (mm, :mod:`iactdl.features.hillas`), so the intercept is the time at the cog; the same with the
  transverse coordinate for ``time_gradient_{slope,intercept}_trans`` (FACT-Tools
  ``TimeGradient``, unweighted ``SimpleRegression``).
- ``time_gradient_sse_long`` (ns^2): the sum of squared residuals of the longitudinal fit.
- ``timespread`` (ns): the unweighted standard deviation of the shower pixels' peak times
  (population, 1/N, FACT-Tools ``TimeSpread``); ``timespread_weighted``: charge-weighted.

Against ctapipe 0.28 ``timing_parameters``: ctapipe fits the same line but with least trimmed
squares (``lts_linear_regression``, 85 % of the pixels, random starts), robust against outlier
pixels; its ``deviation`` is the RMS residual ``sqrt(sse / N)``. On times that lie on a line both
agree exactly; on noisy times our slope equals ctapipe's ordinary ``linear_regression`` building
block. Events with fewer than two shower pixels (or all at one l) have NaN slopes; line-shaped
images (transverse spread <= 1e-18 of the longitudinal one) have NaN transverse gradients.
"""

from __future__ import annotations

import numpy as np

from iactdl.camera import CameraGeometry
from iactdl.features.hillas import hillas_pixels
from iactdl.features.shower_pixels import ShowerPixels, per_event_sum, shower_pixels_from_mask

__all__ = ["timing_parameters", "timing_pixels", "TIMING_COLUMNS"]

TIMING_COLUMNS = (
    "time_gradient_slope_long",
    "time_gradient_intercept_long",
    "time_gradient_slope_trans",
    "time_gradient_intercept_trans",
    "time_gradient_sse_long",
    "timespread",
    "timespread_weighted",
)


def _ols(sp: ShowerPixels, u: np.ndarray, t: np.ndarray, n: np.ndarray, t_mean: np.ndarray,
         min_suu: np.ndarray | float = 0.0):  # fmt: skip
    """Per-event OLS of t on u, centred (two passes, float64): slope, intercept at u=0, sse,
    and the spread sum((u - mean u)^2); NaN slope where that spread is <= ``min_suu``."""
    ev = sp.event
    u_mean = per_event_sum(sp, u) / n
    du = u - u_mean.take(ev)
    dt = t - t_mean.take(ev)
    suu = per_event_sum(sp, du * du)
    slope = per_event_sum(sp, du * dt) / suu
    slope = np.where(suu > min_suu, slope, np.nan)
    intercept = t_mean - slope * u_mean
    resid = dt - slope.take(ev) * du
    sse = per_event_sum(sp, resid * resid)
    return slope, intercept, sse, suu


def timing_pixels(sp: ShowerPixels, longi: np.ndarray, trans: np.ndarray) -> dict[str, np.ndarray]:
    """Timing features of sparse shower pixels and their ellipse coordinates.

    Parameters
    ----------
    sp : iactdl.features.shower_pixels.ShowerPixels
        The shower pixels, with their peak times (``sp.time``, ns).
    longi, trans : numpy.ndarray
        Each pixel's ellipse coordinates (mm, :func:`~iactdl.features.hillas.hillas_pixels`).

    Returns
    -------
    dict of str to numpy.ndarray
        The columns of :data:`TIMING_COLUMNS`, float64 per event.

    Raises
    ------
    ValueError
        Without peak times.
    """
    if sp.time is None:
        raise ValueError("timing features need the peak times of the shower pixels")
    t = sp.time
    q = sp.charge
    with np.errstate(invalid="ignore", divide="ignore"):
        n = sp.n_pixels.astype(np.float64)
        t_mean = per_event_sum(sp, t) / n
        dt = t - t_mean.take(sp.event)
        timespread = np.sqrt(per_event_sum(sp, dt * dt) / n)
        size = per_event_sum(sp, q)
        tw_mean = per_event_sum(sp, q * t) / size
        dtw = t - tw_mean.take(sp.event)
        timespread_w = np.sqrt(per_event_sum(sp, q * dtw * dtw) / size)
        slope_l, icpt_l, sse_l, suu_l = _ols(sp, longi, t, n, t_mean)
        # line-shaped images: the transverse coordinates are rounding noise, no gradient
        slope_t, icpt_t, _, _ = _ols(sp, trans, t, n, t_mean, 1e-18 * suu_l)
    few = n < 2
    out = {
        "time_gradient_slope_long": slope_l,
        "time_gradient_intercept_long": icpt_l,
        "time_gradient_slope_trans": slope_t,
        "time_gradient_intercept_trans": icpt_t,
        "time_gradient_sse_long": sse_l,
        "timespread": timespread,
        "timespread_weighted": timespread_w,
    }
    for key in TIMING_COLUMNS[:5]:
        out[key][few] = np.nan
    return out


def timing_parameters(
    image: np.ndarray,
    peak_time: np.ndarray,
    mask: np.ndarray | None = None,
    *,
    moments: str = "fact",
    camera: CameraGeometry | None = None,
) -> dict[str, np.ndarray]:
    """Timing features of plain arrays, the counterpart of ctapipe's ``timing_parameters``.

    Parameters
    ----------
    image : numpy.ndarray
        Charges (p.e.), shape (1440,) or (n_events, 1440).
    peak_time : numpy.ndarray
        Arrival times of the light (ns), same shape as ``image``.
    mask : numpy.ndarray, optional
        Shower pixels (bool, same shape), e.g. from :func:`~iactdl.features.tailcuts_clean`;
        default: every pixel with a positive charge.
    moments : {"fact", "population"}
        Moments of the ellipse that gives the longitudinal and transverse coordinates:
        FACT-Tools' sample moments or ctapipe's population ones.
    camera : iactdl.camera.CameraGeometry, optional
        Pixel positions; default: FACT's camera.

    Returns
    -------
    dict of str to numpy.ndarray
        Float64 arrays (n_events,) with the columns of :data:`TIMING_COLUMNS`.

    Raises
    ------
    ValueError
        If ``moments`` is neither ``"fact"`` nor ``"population"``.
    """
    image = np.atleast_2d(np.asarray(image, dtype=np.float64))
    mask = image > 0 if mask is None else mask
    sp = shower_pixels_from_mask(image, mask, peak_time)
    _, longi, trans = hillas_pixels(sp, camera, moments)
    return timing_pixels(sp, longi, trans)
