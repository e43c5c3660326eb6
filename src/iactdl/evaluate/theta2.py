"""The theta^2 rule of a wobble observation: ON/OFF counts, excess, Li & Ma, sigma per sqrt(hour).

An event counts in the ON region when it is gamma-like and its reconstructed direction lies near
the source, and in OFF region k when it lies as near the k-th OFF position (the source position
rotated about the camera centre by ``k 2 pi / (n_off + 1)``, pyfact's ``calc_off_position``)::

    N_on  = #{gammaness > g_cut  and  theta_deg^2         < theta2_cut}
    N_off = sum_k #{gammaness > g_cut  and  theta_deg_off_k^2 < theta2_cut},   k = 1..n_off
    alpha = 1 / n_off,   excess = N_on - alpha N_off,   excess error = sqrt(N_on + alpha^2 N_off)

and the significance is Li & Ma (1983), ApJ 272, 317, eq. 17
(:func:`iactdl.evaluate.significance.li_ma_significance`). Over the observation time ``T``
(the summed ``ontime`` of the runs, in hours) the significance grows like ``sqrt(T)`` for a steady
source, so ``S / sqrt(T / h)`` compares analyses of different lengths: FACT's open Crab analysis
gives 26.6 sigma in 17.7 h, 6.3 sigma per sqrt(hour).

FACT's open analysis (fact-project/open_crab_sample_analysis, ``Makefile``) cuts at gammaness
0.85 and theta^2 = 0.025 deg^2 (:data:`OPEN_CRAB_CUTS`) and draws the plot with fact_plots'
``fact_plot_theta_squared`` (40 bins in [0, 0.3] deg^2, alpha = 0.2). pyfact keeps
``gamma_prediction >= threshold`` and its ``split_on_off_source_independent`` ``theta <=
sqrt(theta2_cut)``; the plot script counts ``theta < sqrt(theta2_cut)``. We use strict
inequalities on both; they differ only for events exactly on a cut (none in FACT's
``crab_dl3_small.hdf5`` at these cuts).

Regions must not overlap: with the source at ``r`` (the wobble offset, deg) from the camera centre
and ``n_off + 1`` positions evenly on that circle, neighbours are ``2 r sin(pi / (n_off + 1))``
apart, so ``theta2_cut <= (r sin(pi / (n_off + 1)))^2`` (:func:`max_theta2_cut`; FACT, r = 0.6 deg
and n_off = 5: 0.09 deg^2, pyfact's "half the wobble offset"). Given the offset, a larger cut is
refused; without it, an event counted in two regions is.
"""

from __future__ import annotations

import math
import numbers
import os

import numpy as np

from iactdl.camera import MM_TO_DEG
from iactdl.evaluate.significance import li_ma_significance
from iactdl.io.dl3 import read_dl3
from iactdl.metrics.direction import theta

__all__ = [
    "check_theta2_cut",
    "OPEN_CRAB_CUTS",
    "FACT_PUBLISHED",
    "THETA2_RANGE",
    "THETA2_BINS",
    "NO_REGION",
    "max_theta2_cut",
    "off_positions",
    "theta_on_off",
    "theta2_regions",
    "observation_hours",
    "theta2_counts",
    "on_off_counts_over_cuts",
    "theta2_histograms",
    "dl3_theta2",
]

# fact-project/open_crab_sample_analysis, Makefile: PREDICTION_THRESHOLD, THETA2_CUT (deg^2)
OPEN_CRAB_CUTS = {"gammaness_cut": 0.85, "theta2_cut": 0.025}
# FACT's open Crab sample analysis on the full 17.7 h (issue 20; fact-data README)
FACT_PUBLISHED = {"li_ma_significance": 26.6, "hours": 17.7, "sigma_per_sqrt_hour": 6.3}
# fact_plots' plot_theta_squared: range [0, 0.3] deg^2, 40 bins
THETA2_RANGE = (0.0, 0.3)
THETA2_BINS = 40
# region of an event in neither the ON nor an OFF region (pyfact's apply_energy_dependent_theta_cut)
NO_REGION = -1


def max_theta2_cut(wobble_offset_deg: float, n_off: int) -> float:
    """Largest theta^2 cut (deg^2) for which ON and OFF regions do not overlap.

    Parameters
    ----------
    wobble_offset_deg : float
        Distance of the source position from the camera centre, deg (FACT: 0.6).
    n_off : int
        Number of OFF positions; with the source, ``n_off + 1`` points evenly on a circle.

    Returns
    -------
    float
        ``(wobble_offset_deg * sin(pi / (n_off + 1)))**2``, deg^2: half the distance between
        neighbouring positions, squared.
    """
    if not wobble_offset_deg > 0:
        raise ValueError(f"wobble offset must be > 0 deg, got {wobble_offset_deg}")
    if int(n_off) != n_off or n_off < 1:
        raise ValueError(f"n_off must be an integer >= 1, got {n_off}")
    return float((wobble_offset_deg * math.sin(math.pi / (n_off + 1))) ** 2)


def check_theta2_cut(
    theta2_cut,
    wobble_offset_deg: float | None = None,
    n_off: int | None = None,
    where: str | None = None,
    *,
    keys: tuple[str, str] | None = None,
) -> float:
    """Refuse a theta^2 cut that is not a number > 0, or one that lets regions overlap, naming
    the largest allowed: the one check of every theta^2 cut (config, regions, analysis, counts).

    The largest cut is ``(wobble_offset_deg * sin(pi / (n_off + 1)))^2``
    (:func:`iactdl.evaluate.theta2.max_theta2_cut`): the ON and ``n_off`` OFF positions lie
    evenly on a circle about the camera centre, and each region's radius stays below half their
    spacing.

    Parameters
    ----------
    theta2_cut : float
        The cut on theta^2, deg^2.
    wobble_offset_deg : float, optional
        Distance of the ON position from the camera centre, deg (FACT: 0.6); without it only
        ``theta2_cut > 0`` is checked (FACT's files: the events carry the offset).
    n_off : int, optional
        Number of OFF positions; needed with ``wobble_offset_deg``.
    where : str, optional
        The config key or file that holds the cut, named first in the error.
    keys : tuple of (str, str), optional
        The config keys of the offset and of ``n_off`` (``("simulation.wobble_offset_deg",
        "directions.n_off")``), cited with their values in the overlap error; without them the
        error says what the values are.

    Returns
    -------
    float
        The cut, as a float.

    Raises
    ------
    ValueError
        A cut that is not a finite number > 0, or one above the largest allowed.
    """
    prefix = f"{where}: " if where else ""
    number = isinstance(theta2_cut, numbers.Real) and not isinstance(theta2_cut, bool)
    if not (number and math.isfinite(theta2_cut) and theta2_cut > 0):
        raise ValueError(
            f"{prefix}theta2_cut must be > 0 deg^2 (a region around each position), "
            f"got {theta2_cut!r}"
        )
    if wobble_offset_deg is None:
        return float(theta2_cut)
    largest = max_theta2_cut(wobble_offset_deg, n_off)
    if theta2_cut > largest:
        if keys is None:
            geometry = (
                f"source {wobble_offset_deg:.4g} deg from the camera centre, {n_off} OFF positions"
            )
        else:
            geometry = f"{keys[0]} {wobble_offset_deg:.4g}, {keys[1]} {n_off}"
        raise ValueError(
            f"{prefix}theta2_cut = {theta2_cut} deg^2 lets the ON and OFF regions overlap "
            f"({geometry}); the largest allowed value is {largest:.4g} deg^2"
        )
    return float(theta2_cut)


def off_positions(source_x, source_y, n_off: int) -> tuple[np.ndarray, np.ndarray]:
    """The OFF positions: the source position rotated about the camera centre.

    Parameters
    ----------
    source_x, source_y : array_like
        Source position in the camera frame (mm, or any unit: the result has the same), per event
        or one for all.
    n_off : int
        Number of OFF positions (>= 1).

    Returns
    -------
    x_off, y_off : ndarray, shape (n_off, ...)
        Position k (k = 1..n_off) is the source rotated by ``k 2 pi / (n_off + 1)`` (pyfact
        ``fact.analysis.source.calc_off_position``): same distance from the centre, so the same
        acceptance as the ON position.
    """
    if int(n_off) != n_off or n_off < 1:
        raise ValueError(f"n_off must be an integer >= 1, got {n_off}")
    x = np.asarray(source_x, dtype=np.float64)
    y = np.asarray(source_y, dtype=np.float64)
    r, phi = np.hypot(x, y), np.arctan2(y, x)
    k = np.arange(1, int(n_off) + 1).reshape((-1,) + (1,) * r.ndim)
    angle = phi + k * 2.0 * np.pi / (n_off + 1)
    return r * np.cos(angle), r * np.sin(angle)


def theta_on_off(
    x_rec, y_rec, source_x, source_y, n_off: int, *, mm_to_deg: float = MM_TO_DEG
) -> tuple[np.ndarray, np.ndarray]:
    """theta to the source and to each OFF position, deg: the DL3 columns from directions.

    Parameters
    ----------
    x_rec, y_rec : array_like
        Reconstructed source position per event, mm (camera frame; e.g. the disp method's).
    source_x, source_y : array_like
        The source's (wobble) position in the camera, mm.
    n_off : int
        Number of OFF positions (:func:`off_positions`).
    mm_to_deg : float
        Plate scale, deg per mm (:func:`iactdl.metrics.direction.theta`).

    Returns
    -------
    theta_deg : ndarray, shape (n_events,)
    theta_deg_off : ndarray, shape (n_off, n_events)
    """
    x_rec, y_rec, source_x, source_y = np.broadcast_arrays(
        *(np.asarray(v, dtype=np.float64) for v in (x_rec, y_rec, source_x, source_y))
    )
    x_off, y_off = off_positions(source_x, source_y, n_off)
    on = theta(x_rec, y_rec, source_x, source_y, mm_to_deg=mm_to_deg)
    return on, theta(x_rec[None], y_rec[None], x_off, y_off, mm_to_deg=mm_to_deg)


def theta2_regions(theta_deg, theta_deg_off, theta2_cut: float) -> np.ndarray:
    """The region of each event by the theta^2 rule (no gammaness cut): the ON/OFF labels.

    Parameters
    ----------
    theta_deg : array_like, shape (n_events,)
        Angular distance of the reconstructed direction to the source position, deg; NaN: in
        no region.
    theta_deg_off : array_like, shape (n_off, n_events)
        The same to each OFF position, deg.
    theta2_cut : float
        Region radius squared, deg^2 (> 0): an event is in a region where ``theta^2 <
        theta2_cut``.

    Returns
    -------
    ndarray of int8
        0 ON (``theta_deg^2 < theta2_cut``), k for OFF position k, :data:`NO_REGION` (-1) for
        events in neither (most of an observation). Overlapping regions are refused as in
        :func:`theta2_counts`.
    """
    _, t_on, t_off = _check_inputs(
        np.zeros(np.shape(theta_deg)), theta_deg, theta_deg_off, None, theta2_cut
    )
    in_on, in_off = _in_regions(t_on, t_off, theta2_cut)
    region = np.full(t_on.shape, NO_REGION, dtype=np.int8)
    region[in_on] = 0
    for k, inside in enumerate(in_off, start=1):
        region[inside] = k
    return region


def observation_hours(ontime_s) -> float:
    """Observation time in hours: the sum of the runs' ``ontime`` (s) / 3600.

    Refuses a negative or non-finite ontime, and a total of 0 (no time, no rate).

    Parameters
    ----------
    ontime_s : array_like
        Ontime of each run, s (one value or one per run).

    Returns
    -------
    float
        The summed ontime, h.

    Raises
    ------
    ValueError
        No runs, an ontime that is negative or not finite, or a total of 0 s.
    """
    ontime = np.asarray(ontime_s, dtype=np.float64)
    if ontime.size == 0 or not np.all(np.isfinite(ontime)) or np.any(ontime < 0):
        raise ValueError(f"ontime must be finite and >= 0 s per run, got {ontime_s!r}")
    total = float(ontime.sum())
    if total <= 0:
        raise ValueError("the runs' ontime sums to 0 s: no observation time")
    return total / 3600.0


def _check_inputs(gammaness, theta_deg, theta_deg_off, n_off, theta2_cut):
    check_theta2_cut(theta2_cut)
    g = np.asarray(gammaness, dtype=np.float64)
    t_on = np.asarray(theta_deg, dtype=np.float64)
    t_off = np.asarray(theta_deg_off, dtype=np.float64)
    if t_off.ndim == 1:
        t_off = t_off[None]
    if g.ndim != 1 or t_on.shape != g.shape:
        raise ValueError(
            f"gammaness {g.shape} and theta_deg {t_on.shape}: expected equal 1-D shapes"
        )
    if t_off.ndim != 2 or t_off.shape[1] != len(g) or t_off.shape[0] < 1:
        raise ValueError(
            f"theta_deg_off has shape {np.shape(theta_deg_off)}; expected (n_off, {len(g)}): "
            "one row of thetas per OFF position"
        )
    if n_off is not None and t_off.shape[0] != n_off:
        raise ValueError(
            f"n_off = {n_off} but theta_deg_off holds {t_off.shape[0]} OFF positions; "
            "alpha = 1 / n_off needs them to agree"
        )
    if np.any(t_on < 0) or np.any(t_off < 0):
        raise ValueError("theta must be >= 0 deg (an angular distance)")
    return g, t_on, t_off


def _in_regions(t_on, t_off, theta2_cut) -> tuple[np.ndarray, np.ndarray]:
    """Masks ON ``(n_events,)`` and OFF ``(n_off, n_events)``; refuses an event in two regions."""
    with np.errstate(invalid="ignore"):  # NaN theta: in no region
        in_on = t_on**2 < theta2_cut
        in_off = t_off**2 < theta2_cut
    both = in_on.astype(np.int64) + in_off.sum(axis=0)
    if np.any(both > 1):
        raise ValueError(
            f"{int(np.count_nonzero(both > 1))} event(s) fall in two regions at theta2_cut = "
            f"{theta2_cut} deg^2: ON and OFF regions overlap; choose a smaller cut"
        )
    return in_on, in_off


def theta2_counts(
    gammaness,
    theta_deg,
    theta_deg_off,
    *,
    gammaness_cut: float,
    theta2_cut: float,
    n_off: int | None = None,
    ontime_s=None,
    wobble_offset_deg: float | None = None,
) -> dict:
    """ON/OFF counts from theta and the significance of the excess (the theta^2 rule).

    Parameters
    ----------
    gammaness : array_like, shape (n_events,)
        Classifier output in [0, 1] (``gamma_prediction``).
    theta_deg : array_like, shape (n_events,)
        Angular distance reconstructed direction - source position, deg. NaN: in no region.
    theta_deg_off : array_like, shape (n_off, n_events)
        The same to each OFF position (``theta_deg_off_1..n``), deg.
    gammaness_cut : float
        Events with ``gammaness > gammaness_cut`` count (FACT's open analysis: 0.85).
    theta2_cut : float
        Region radius squared, deg^2 (> 0): ``theta^2 < theta2_cut`` (FACT: 0.025).
    n_off : int, optional
        Expected number of OFF positions; refused if ``theta_deg_off`` holds another number.
    ontime_s : array_like, optional
        The runs' ontime, s; gives ``hours`` and ``sigma_per_sqrt_hour`` (NaN without).
    wobble_offset_deg : float, optional
        Source distance from the camera centre, deg; with it a ``theta2_cut`` above
        :func:`max_theta2_cut` is refused (overlapping regions).

    Returns
    -------
    dict
        ``gammaness_cut``, ``theta2_cut`` (deg^2), ``n_events``, ``n_selected`` (passing the
        gammaness cut), ``n_on``, ``n_off``, ``n_off_regions``, ``alpha`` = 1 / n_off_regions,
        ``excess`` = N_on - alpha N_off, ``excess_error`` = sqrt(N_on + alpha^2 N_off),
        ``li_ma_significance`` (Li & Ma 1983 eq. 17, signed like the excess), ``hours`` (summed
        ontime / 3600) and ``sigma_per_sqrt_hour`` = S / sqrt(hours).

    Raises
    ------
    ValueError
        A theta^2 cut <= 0 (or above :func:`max_theta2_cut` given the offset), shapes that
        disagree, ``n_off`` that disagrees with ``theta_deg_off``, negative thetas, or an event
        counted in two regions (overlapping regions).

    Notes
    -----
    Li & Ma (1983), ApJ 272, 317, eq. 17, with ``a = alpha``::

        S = sqrt(2) * sqrt( N_on ln[(1 + a) / a * N_on / (N_on + N_off)]
                          + N_off ln[(1 + a) * N_off / (N_on + N_off)] )

    signed like the excess (:func:`iactdl.evaluate.significance.li_ma_significance`; equal to
    gammapy's ``WStatCountsStatistic(n_on, n_off, alpha).sqrt_ts``). A steady source's S grows
    like sqrt(T), so ``S / sqrt(hours)`` compares observations of different lengths.
    """
    g, t_on, t_off = _check_inputs(gammaness, theta_deg, theta_deg_off, n_off, theta2_cut)
    if not np.isfinite(gammaness_cut):
        raise ValueError(f"gammaness_cut must be a finite number, got {gammaness_cut}")
    n_regions = t_off.shape[0]
    if wobble_offset_deg is not None:
        check_theta2_cut(theta2_cut, wobble_offset_deg, n_regions)
    selected = g > gammaness_cut
    in_on, in_off = _in_regions(t_on, t_off, theta2_cut)
    in_on, in_off = in_on & selected, in_off & selected[None]
    n_on = int(np.count_nonzero(in_on))
    n_off_count = int(np.count_nonzero(in_off))
    alpha = 1.0 / n_regions
    hours = observation_hours(ontime_s) if ontime_s is not None else float("nan")
    significance = float(li_ma_significance(n_on, n_off_count, alpha))
    return {
        "gammaness_cut": float(gammaness_cut),
        "theta2_cut": float(theta2_cut),
        "n_events": int(len(g)),
        "n_selected": int(np.count_nonzero(selected)),
        "n_on": n_on,
        "n_off": n_off_count,
        "n_off_regions": int(n_regions),
        "alpha": alpha,
        "excess": n_on - alpha * n_off_count,
        "excess_error": math.sqrt(n_on + alpha**2 * n_off_count),
        "li_ma_significance": significance,
        "hours": hours,
        "sigma_per_sqrt_hour": significance / math.sqrt(hours) if hours > 0 else float("nan"),
    }


def on_off_counts_over_cuts(
    gammaness, theta_deg, theta_deg_off, *, theta2_cut: float, gammaness_cuts
) -> tuple[np.ndarray, np.ndarray]:
    """N_on and N_off of :func:`theta2_counts` at every gammaness cut of ``gammaness_cuts`` at
    once: one pass over the events (sorted gammaness of each region), not one per cut.

    Parameters
    ----------
    gammaness, theta_deg, theta_deg_off
        As :func:`theta2_counts` (thetas in deg; ``theta_deg_off`` of shape (n_off, n_events));
        a NaN gammaness passes no cut.
    theta2_cut : float
        Region radius squared, deg^2 (> 0).
    gammaness_cuts : array_like, shape (n_cuts,)
        The cuts: an event counts at a cut where ``gammaness > cut``.

    Returns
    -------
    n_on, n_off : ndarray of int64, shape (n_cuts,)
        ON events and OFF events summed over the OFF positions, per cut: equal to
        ``theta2_counts(..., gammaness_cut=cut)["n_on"]`` and ``["n_off"]``.

    Raises
    ------
    ValueError
        As :func:`theta2_counts`: a cut <= 0, shapes that disagree, negative thetas, or an event
        in two regions.
    """
    g, t_on, t_off = _check_inputs(gammaness, theta_deg, theta_deg_off, None, theta2_cut)
    in_on, in_off = _in_regions(t_on, t_off, theta2_cut)
    cuts = np.asarray(gammaness_cuts, dtype=np.float64)
    # the gammaness of every event in a region (an event counted once per OFF region it is in)
    on = np.sort(g[in_on & ~np.isnan(g)])
    off = np.sort(np.concatenate([g[inside & ~np.isnan(g)] for inside in in_off]))
    # events above a cut: those after the last one <= cut in sorted order
    n_on = len(on) - np.searchsorted(on, cuts, side="right")
    n_off = len(off) - np.searchsorted(off, cuts, side="right")
    return n_on.astype(np.int64), n_off.astype(np.int64)


def theta2_histograms(
    gammaness,
    theta_deg,
    theta_deg_off,
    *,
    gammaness_cut: float,
    bins=THETA2_BINS,
    theta2_range=THETA2_RANGE,
) -> dict[str, np.ndarray]:
    """theta^2 histograms of the gamma-like events around the source and the OFF positions.

    Parameters
    ----------
    gammaness, theta_deg, theta_deg_off
        As :func:`theta2_counts` (thetas in deg; ``theta_deg_off`` of shape (n_off, n_events)).
    gammaness_cut : float
        Only events with ``gammaness > gammaness_cut`` are histogrammed.
    bins : int or array_like
        Number of bins in ``theta2_range`` or the edges, deg^2 (default: fact_plots' 40).
    theta2_range : (float, float)
        Range, deg^2 (default [0, 0.3]).

    Returns
    -------
    dict
        ``edges`` (deg^2), ``on`` (counts), ``off`` (counts summed over the OFF positions),
        ``alpha``, ``off_scaled`` = alpha * off and its Poisson error ``off_scaled_error`` =
        alpha * sqrt(off), and ``on_error`` = sqrt(on).
    """
    g, t_on, t_off = _check_inputs(gammaness, theta_deg, theta_deg_off, None, 1.0)
    selected = g > gammaness_cut
    on, edges = np.histogram(t_on[selected] ** 2, bins=bins, range=theta2_range)
    off, _ = np.histogram((t_off[:, selected] ** 2).ravel(), bins=edges)
    alpha = 1.0 / t_off.shape[0]
    return {
        "edges": edges,
        "on": on,
        "on_error": np.sqrt(on),
        "off": off,
        "alpha": alpha,
        "off_scaled": alpha * off,
        "off_scaled_error": alpha * np.sqrt(off),
    }


def dl3_theta2(
    path: str | os.PathLike,
    *,
    gammaness_cut: float = OPEN_CRAB_CUTS["gammaness_cut"],
    theta2_cut: float = OPEN_CRAB_CUTS["theta2_cut"],
    n_off: int | None = None,
    wobble_offset_deg: float | None = None,
) -> dict:
    """:func:`theta2_counts` of a DL3 file in FACT's layout (:func:`iactdl.io.dl3.read_dl3`).

    Hours from the summed ``runs/ontime``. Defaults: FACT's open-analysis cuts. A file without
    the theta columns, without ``runs/ontime`` or with another number of OFF positions than
    ``n_off`` is refused naming the file and the column (:class:`iactdl.io.InputError`).

    Parameters
    ----------
    path : path
        The DL3 file: events with ``gamma_prediction``, ``theta_deg`` and
        ``theta_deg_off_1..n`` (deg), and the runs' ``ontime`` (s).
    gammaness_cut : float
        Events with ``gamma_prediction > gammaness_cut`` count (default 0.85, FACT's).
    theta2_cut : float
        Region radius squared, deg^2 (default 0.025, FACT's).
    n_off : int, optional
        The number of OFF positions the file must hold (default: as many as it has).
    wobble_offset_deg : float, optional
        The source's distance from the camera centre, deg; with it a ``theta2_cut`` that lets
        the regions overlap is refused (:func:`max_theta2_cut`).

    Returns
    -------
    dict
        :func:`theta2_counts`' result plus ``path``.
    """
    dl3 = read_dl3(path, columns=[], n_off=n_off)
    out = theta2_counts(
        dl3.events["gamma_prediction"],
        dl3.events["theta_deg"],
        dl3.theta_off,
        gammaness_cut=gammaness_cut,
        theta2_cut=theta2_cut,
        ontime_s=dl3.ontime_s,
        wobble_offset_deg=wobble_offset_deg,
    )
    return {"path": str(path), **out}
