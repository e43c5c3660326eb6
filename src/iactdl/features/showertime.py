"""The shower's time in the readout window, per event, and its trigger time walk and jitter.

The readout window of an IACT is placed by the trigger, so where the shower's light sits in the
window is set by *when the trigger fired* relative to the shower: a leading-edge discriminator on
the summed signal of a trigger patch fires earlier on the rising edge of a brighter pulse (time
walk), and noise on that edge moves it from event to event (jitter). This module measures both on
any events given as images and pixel peak times, real (the photon-stream files of FACT, read by
:func:`iactdl.io.photonstream.read_photonstream`) or simulated (:mod:`iactdl.simulate`), with one
estimator, so that the simulator's trigger-time parameters can be checked against real files
(``benchmarks/trigger_time.py``, ``tests/test_trigger_time.py``).

- :func:`shower_times`: per event the *shower time* = the charge-weighted mean peak time of the
  pixels of the cleaned image (tail cuts with a time constraint) that lie within ``trim_ns`` of
  their charge-weighted median, and the image's brightness = the
  size of the cleaned image (p.e.). The median of the bright pixels is robust against the
  night-sky photons a photon stream keeps (``subtract_pedestal``: each event's median pixel count,
  the night-sky level, is taken off before cleaning) and, up to the image's time gradient, is the
  time at the image's centre.
- :func:`time_walk_profile`: in bins of brightness, the median shower time and its scatter across
  events (1.4826 x the median absolute deviation, a standard deviation robust to the few events
  whose cleaning picked up a noise island).
- :func:`fit_time_walk`: the walk model of :func:`iactdl.simulate.detector.trigger_time_offsets`,
  ``t = t0 + walk_ns * (1 - sqrt(size_ref / size))``, fitted by least squares (three passes
  clipping residuals beyond 3 robust sigma); the jitter is the robust scatter of the residuals.
  It includes the estimator's own noise (a few tenths of a ns on bright images), so it bounds the
  trigger jitter from above.

Vectorised over events: one dense cleaning and one row-wise sort per chunk, no per-event loop.
"""

from __future__ import annotations

import numpy as np

from iactdl.features.cleaning import tailcuts_clean
from iactdl.simulate.detector import WALK_SIZE_REF_PE, walk_shape

__all__ = [
    "SHOWER_TIME_DEFAULTS",
    "WALK_SIZE_REF_PE",
    "BRIGHTNESS_EDGES_PE",
    "shower_times",
    "walk_shape",
    "weighted_median",
    "robust_std",
    "time_walk_profile",
    "fit_time_walk",
]

# the cleaning of the shower-time estimator: FACT-Tools' standard thresholds raised a little above
# the photon stream's night-sky level (~3 photons per pixel in 50 ns in run 20170119_229), and a
# time constraint that drops night-sky pixels far from the shower's time
SHOWER_TIME_DEFAULTS = {
    "picture_threshold": 6.0,
    "boundary_threshold": 3.0,
    "time_limit_ns": 5.0,
    "min_pixels": 4,
    "trim_ns": 3.0,
}
# brightness bins of the measurement (cleaned size, p.e.): faint, near threshold, medium, bright
BRIGHTNESS_EDGES_PE = (0.0, 60.0, 150.0, 400.0, np.inf)


def weighted_median(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Row-wise weighted median of ``(n, m)`` arrays (weights >= 0; NaN for rows of weight 0).

    The smallest value whose cumulative weight reaches half the row's total (the lower weighted
    median).

    Parameters
    ----------
    values : array (n, m)
        Values per row; ``inf`` entries with weight 0 serve as padding.
    weights : array (n, m)
        Weights, >= 0.

    Returns
    -------
    numpy.ndarray of float64, shape (n,)
        The weighted median of each row.
    """
    values = np.asarray(values, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    order = np.argsort(values, axis=1)
    v = np.take_along_axis(values, order, axis=1)
    c = np.cumsum(np.take_along_axis(weights, order, axis=1), axis=1)
    total = c[:, -1]
    idx = np.minimum((c < 0.5 * total[:, None]).sum(axis=1), values.shape[1] - 1)
    out = v[np.arange(v.shape[0]), idx]
    return np.where(total > 0, out, np.nan)


def robust_std(x: np.ndarray) -> float:
    """1.4826 x the median absolute deviation (a Gaussian's standard deviation); NaN if empty.

    Parameters
    ----------
    x : array_like
        Samples; non-finite ones are left out.

    Returns
    -------
    float
        ``1.4826 * median(|x - median(x)|)``, in the unit of ``x``; NaN without finite samples.
    """
    x = np.asarray(x, dtype=np.float64)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return float("nan")
    return float(1.4826 * np.median(np.abs(x - np.median(x))))


def shower_times(
    image: np.ndarray,
    peak_time: np.ndarray,
    *,
    subtract_pedestal: bool = False,
    picture_threshold: float = SHOWER_TIME_DEFAULTS["picture_threshold"],
    boundary_threshold: float = SHOWER_TIME_DEFAULTS["boundary_threshold"],
    time_limit_ns: float | None = SHOWER_TIME_DEFAULTS["time_limit_ns"],
    min_pixels: int = SHOWER_TIME_DEFAULTS["min_pixels"],
    trim_ns: float = SHOWER_TIME_DEFAULTS["trim_ns"],
) -> dict[str, np.ndarray]:
    """Per event: ``time`` (ns, the shower's time in the readout window), ``size`` (p.e., cleaned
    image), ``n_pixels`` (cleaned); ``time`` and ``size`` are NaN for events with fewer than
    ``min_pixels`` cleaned pixels.

    Parameters
    ----------
    image, peak_time : arrays (n_events, n_pixels)
        Charges (p.e.) and peak times (ns) of the pixels.
    subtract_pedestal : bool
        Take each event's median pixel charge off first: photon-stream images count the night-sky
        photons (no pedestal subtracted), the simulator's images are pedestal-subtracted.
    picture_threshold, boundary_threshold : float
        Tail-cut thresholds of the cleaning, p.e. (defaults 6 and 3).
    time_limit_ns : float or None
        Time constraint of the cleaning, ns (default 5); None: off.
    min_pixels : int
        Fewer cleaned pixels: NaN ``time`` and ``size`` (default 4).
    trim_ns : float
        Pixels within this distance of the charge-weighted median peak time enter the weighted
        mean, ns (default 3).

    Returns
    -------
    dict of str to numpy.ndarray, shape (n_events,)
        ``time`` (ns), ``size`` (p.e., float64) and ``n_pixels`` (int).
    """
    image = np.asarray(image, dtype=np.float64)
    peak_time = np.asarray(peak_time, dtype=np.float64)
    if image.ndim != 2 or image.shape != peak_time.shape:
        raise ValueError(
            f"image and peak_time must be (n_events, n_pixels) of one shape, got {image.shape} "
            f"and {peak_time.shape}"
        )
    if subtract_pedestal:
        image = image - np.median(image, axis=1, keepdims=True)
    mask = tailcuts_clean(
        image,
        picture_threshold=picture_threshold,
        boundary_threshold=boundary_threshold,
        peak_time=peak_time if time_limit_ns is not None else None,
        time_limit=time_limit_ns,
    )
    weight = np.where(mask, np.maximum(image, 0.0), 0.0)
    n_pixels = mask.sum(axis=1)
    ok = n_pixels >= min_pixels
    median = weighted_median(np.where(mask, peak_time, np.inf), weight)
    # refine: the charge-weighted mean of the pixels within trim_ns of the median (the median
    # alone moves in steps of the photon stream's 0.25 ns)
    near = mask & (np.abs(peak_time - median[:, None]) <= trim_ns)
    w_near = np.where(near, weight, 0.0)
    total = w_near.sum(axis=1)
    time = np.where(
        total > 0,
        (w_near * np.where(near, peak_time, 0.0)).sum(axis=1) / np.maximum(total, 1e-30),
        median,
    )
    size = weight.sum(axis=1)
    return {
        "time": np.where(ok, time, np.nan),
        "size": np.where(ok, size, np.nan),
        "n_pixels": n_pixels,
    }


def time_walk_profile(
    size: np.ndarray, time: np.ndarray, edges=BRIGHTNESS_EDGES_PE
) -> list[dict[str, float]]:
    """Per brightness bin ``[edges[i], edges[i+1])`` of ``size``: ``n`` events, ``size_median``,
    ``time_median`` (ns), ``scatter_ns`` (robust std across events), ``std_ns`` (plain, ddof 1).
    Events with a NaN time or size are left out.

    Parameters
    ----------
    size : array (n_events,)
        Brightness of each event (cleaned size), p.e.
    time : array (n_events,)
        Shower time of each event, ns (:func:`shower_times`).
    edges : sequence of float
        Bin edges in size, p.e. (default :data:`BRIGHTNESS_EDGES_PE`).

    Returns
    -------
    list of dict of str to float
        One row per bin: ``size_min``, ``size_max`` (p.e.), ``n``, ``size_median`` (p.e.),
        ``time_median``, ``scatter_ns``, ``std_ns`` (ns); NaN where the bin has too few events.
    """
    size = np.asarray(size, dtype=np.float64)
    time = np.asarray(time, dtype=np.float64)
    ok = np.isfinite(size) & np.isfinite(time)
    which = np.digitize(size[ok], edges) - 1
    rows = []
    for i in range(len(edges) - 1):  # a handful of bins, never events
        t, s = time[ok][which == i], size[ok][which == i]
        rows.append(
            {
                "size_min": float(edges[i]),
                "size_max": float(edges[i + 1]),
                "n": int(t.size),
                "size_median": float(np.median(s)) if t.size else float("nan"),
                "time_median": float(np.median(t)) if t.size else float("nan"),
                "scatter_ns": robust_std(t) if t.size > 1 else float("nan"),
                "std_ns": float(np.std(t, ddof=1)) if t.size > 1 else float("nan"),
            }
        )
    return rows


def fit_time_walk(
    size: np.ndarray,
    time: np.ndarray,
    *,
    size_ref: float = WALK_SIZE_REF_PE,
    power: float = 0.5,
    min_size: float = 0.0,
) -> dict[str, float]:
    """Fit ``time = t0_ns + walk_ns * walk_shape(size)`` (events of ``size >= min_size``).

    ``walk_shape(size) = 1 - (size_ref / size)^power``: linear least squares in (t0, walk), three
    passes, each keeping the events within 3 robust sigma of the last pass's fit.

    Parameters
    ----------
    size : array (n_events,)
        Brightness of each event (cleaned size), p.e.
    time : array (n_events,)
        Shower time of each event, ns; non-finite sizes or times are left out.
    size_ref : float
        Size at which the walk is zero, p.e. (default :data:`WALK_SIZE_REF_PE`, 100).
    power : float
        Exponent of the walk model (default 0.5; 1 for the ``a / size`` alternative).
    min_size : float
        Smallest size fitted, p.e. (default 0).

    Returns
    -------
    dict of str to float
        ``t0_ns``, ``walk_ns`` (the shift of a very bright shower against one of ``size_ref``),
        ``walk_err_ns`` (its standard error), ``jitter_ns`` (robust std of the residuals:
        trigger jitter plus the estimator's noise), ``n`` (events used after clipping),
        ``n_total`` (events with finite size and time above ``min_size``); NaN where fewer than
        three events remain.
    """
    size = np.asarray(size, dtype=np.float64)
    time = np.asarray(time, dtype=np.float64)
    ok = np.isfinite(size) & np.isfinite(time) & (size >= min_size)
    x, t = walk_shape(size[ok], size_ref, power), time[ok]
    keep = np.ones(t.size, dtype=bool)
    coef = np.array([np.nan, np.nan])
    for _ in range(3):
        if keep.sum() < 3:
            break
        design = np.stack([np.ones(keep.sum()), x[keep]], axis=1)
        coef = np.linalg.lstsq(design, t[keep], rcond=None)[0]
        resid = t - coef[0] - coef[1] * x
        sigma = robust_std(resid[keep])
        keep = np.abs(resid) <= 3 * max(sigma, 1e-3)
    resid = t - coef[0] - coef[1] * x
    n = int(keep.sum())
    if n >= 3:
        xk = x[keep]
        sxx = float(((xk - xk.mean()) ** 2).sum())
        s2 = float((resid[keep] ** 2).sum() / (n - 2))
        walk_err = float(np.sqrt(s2 / sxx)) if sxx > 0 else float("nan")
    else:
        walk_err = float("nan")
    return {
        "t0_ns": float(coef[0]),
        "walk_ns": float(coef[1]),
        "walk_err_ns": walk_err,
        "jitter_ns": robust_std(resid[keep]) if n else float("nan"),
        "n": n,
        "n_total": int(t.size),
    }
