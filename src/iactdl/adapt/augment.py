"""Augmentation: the simulation's detector matched to what the observation shows, without truth.

The baseline a domain adversary must beat (Dell'aiera et al., arXiv:2308.12732 and 2403.13633:
matching LST-1's simulated night-sky background to the data raised the Crab's significance from
12.5 to 14.3 sigma). The analyst measures the observed camera's conditions on the observation's own
events (``observed_train``: all events, no labels, no truth), re-simulates the training showers
through a camera with those conditions (same showers and seed, new detector), and trains on that.

:func:`estimate_detector` measures, with jackknife errors over blocks of events:

- **Night sky and gain, from the pedestal** (:mod:`iactdl.features.pedestal`). A pixel without
  Cherenkov light reads ``g_i (N - nsb + e sqrt(N) Z + sigma_el Z')``, ``N ~ Poisson(nsb)``,
  ``g_i`` its gain, ``e`` the excess noise, ``sigma_el`` the electronics noise. Its second and
  third cumulants, pooled over pixels of gain spread ``s``, are
  ``k2 = g^2 (1 + s^2) (nsb (1 + e^2) + sigma_el^2)`` and ``k3 = g^3 (1 + 3 s^2) nsb (1 + 3 e^2)``
  (the Gaussian electronics noise has no third cumulant, the Poisson NSB has ``k3 = nsb``). With
  the camera's constants ``e``, ``sigma_el`` and ``s`` (the simulation's: measured in the lab and
  by dark runs, not by the observation), the two equations give ``g`` and ``nsb``: the moment
  form of calibrating the gain on the single-photo-electron spectrum of the night sky. ``k2 = A
  g^2 + B / g`` has two roots in ``g``; the physical one is below the minimum ``(B / 2A)^(1/3)``,
  where the night sky's variance exceeds twice the electronics' (``nsb (1 + e^2) > 2
  sigma_el^2``, ~0.5 p.e., below the dark-night 0.8 p.e.). The pedestal cuts leave a little
  shower light in (a few % on ``k3``); the same estimator on the simulated training split, whose
  camera the config gives, measures that bias, and the observed cumulants are divided by it.
  Unknown here: the gain *spread* (it needs per-pixel statistics over many events; the
  simulation's is assumed, which moves ``k2`` by < 1 %).
- **The trigger's time placement**, from the shower time (``time_gradient_intercept_long``,
  the time at the image's cog) against the image's size:
  :func:`iactdl.features.showertime.fit_time_walk` fits the walk and the residual scatter on both
  domains. The fit recovers only part of a walk (the size it regresses on is measured with noise,
  and night-sky pixels pull the image's time towards the window's middle): on the simulation,
  whose walk the config gives, the fraction recovered is measured, and the observed fit is divided
  by it (with no simulated walk: the simulation's walk plus the fitted difference). The jitter is
  the simulation's plus the observation's excess residual scatter in quadrature; the estimator's
  own noise grows with the night sky, so this bounds the jitter from above.

Not estimated: the point-spread, the per-pixel time jitter, dead pixels, the trigger threshold,
the atmosphere and the zenith range; the augmented detector keeps the simulation's values of those.

:func:`read_detector` reads the result back for the augmented simulation and refuses a file
whose estimates are missing, non-finite or outside the simulator's physical ranges
(:data:`iactdl.simulate.settings.DEFAULTS`, the ranges of :func:`iactdl.simulate.check_config`).
"""

from __future__ import annotations

import copy
import math
import os
from collections.abc import Mapping

import numpy as np

from iactdl.features.pedestal import PEDESTAL_COLUMNS
from iactdl.features.showertime import fit_time_walk
from iactdl.io import InputError, read_columns
from iactdl.io.jsonfile import read_json, write_json
from iactdl.simulate.settings import check_config

__all__ = [
    "AUGMENT_KEYS",
    "estimate_detector",
    "pedestal_cumulants",
    "gain_and_nsb",
    "read_detector",
    "augmented_simulation",
]

# the detector fields the augmentation sets: what the observation's events can tell
AUGMENT_KEYS = ("nsb_pe", "gain", "trigger_walk_ns", "trigger_jitter_ns")
TIME_COLUMNS = ("size", "time_gradient_intercept_long")
N_BLOCKS = 20  # jackknife blocks of consecutive events


def _block_sums(columns: Mapping[str, np.ndarray], n_blocks: int) -> np.ndarray:
    """Per block of consecutive events, the pooled pixel count and raw moment sums, (4, blocks)."""
    n = np.asarray(columns["pedestal_pixels"], dtype=np.float64)
    m = np.asarray(columns["pedestal_mean"], dtype=np.float64)
    v = np.asarray(columns["pedestal_variance"], dtype=np.float64)
    m3 = np.asarray(columns["pedestal_m3"], dtype=np.float64)
    ok = (n > 0) & np.isfinite(m) & np.isfinite(v) & np.isfinite(m3)
    n, m, v, m3 = n[ok], m[ok], v[ok], m3[ok]
    # raw moments about 0 of each event's pedestal pixels, times their count: sums pool exactly
    per_event = np.stack([n, n * m, n * (v + m * m), n * (m3 + 3 * m * v + m**3)])
    block = np.arange(n.size) * n_blocks // max(n.size, 1)
    return np.stack([np.bincount(block, w, minlength=n_blocks) for w in per_event])


def _cumulants(sums: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """k2, k3 of pooled raw moment sums (first axis: count, sum x, sum x^2, sum x^3)."""
    s0, s1, s2, s3 = sums
    m1, m2, m3 = s1 / s0, s2 / s0, s3 / s0
    return m2 - m1 * m1, m3 - 3 * m2 * m1 + 2 * m1**3


def pedestal_cumulants(columns: Mapping[str, np.ndarray]) -> dict[str, float]:
    """The second and third cumulants (p.e.^2, p.e.^3) of the pedestal pixels of all events.

    Parameters
    ----------
    columns : mapping of str to numpy.ndarray
        The :data:`iactdl.features.pedestal.PEDESTAL_COLUMNS` of a dataset, (n_events,) each;
        events without pedestal pixels are left out.

    Returns
    -------
    dict of str to float
        ``k2``, ``k3``, ``mean`` (p.e.), ``n_events`` and ``n_pixels`` (the pooled count).
    """
    sums = _block_sums(columns, 1)[:, 0]
    k2, k3 = _cumulants(sums)
    n_events = int(np.count_nonzero(np.asarray(columns["pedestal_pixels"]) > 0))
    return {
        "k2": float(k2), "k3": float(k3), "mean": float(sums[1] / sums[0]),
        "n_events": n_events, "n_pixels": int(sums[0]),
    }  # fmt: skip


def gain_and_nsb(
    k2, k3, electronics_noise_pe: float, excess_noise: float, gain_spread: float
) -> tuple[np.ndarray, np.ndarray]:
    """The global gain and the night-sky p.e. that give the pedestal's cumulants (module doc).

    Solves ``k2 = A g^2 + B / g`` on the branch ``g < (B / 2A)^(1/3)`` by bisection, vectorised
    over arrays of cumulants, then ``nsb = k3 / (g^3 (1 + 3 s^2) (1 + 3 e^2))``.

    Parameters
    ----------
    k2, k3 : float or numpy.ndarray
        Second (p.e.^2) and third (p.e.^3) cumulants of the pedestal pixels' charges.
    electronics_noise_pe : float
        Standard deviation of the electronics noise, p.e.
    excess_noise : float
        Relative charge spread of one photo-electron.
    gain_spread : float
        Relative spread of the pixels' gains.

    Returns
    -------
    gain, nsb_pe : numpy.ndarray
        Shape of ``k2``; NaN where no gain solves the equations (``k3 <= 0``, or ``k2`` below the
        smallest value the branch reaches: more variance than the electronics and a night sky of
        that skewness allow is missing).
    """
    k2 = np.asarray(k2, dtype=np.float64)
    k3 = np.asarray(k3, dtype=np.float64)
    a, b = 1 + gain_spread**2, 1 + 3 * gain_spread**2
    c2, c3 = 1 + excess_noise**2, 1 + 3 * excess_noise**2
    big_a = a * electronics_noise_pe**2
    with np.errstate(invalid="ignore", divide="ignore"):
        big_b = a * c2 * k3 / (b * c3)
        g_min = np.where(big_a > 0, np.cbrt(big_b / (2 * big_a)), np.inf)
        lo = np.zeros_like(k2) + 1e-6
        hi = np.where(np.isfinite(g_min), g_min, 100.0)

        def f(g):
            return big_a * g * g + big_b / g - k2

        solvable = (k3 > 0) & (f(hi) <= 0) & np.isfinite(k2)
        for _ in range(80):  # f decreases on (0, g_min]: halve the bracket
            mid = 0.5 * (lo + hi)
            above = f(mid) > 0
            lo, hi = np.where(above, mid, lo), np.where(above, hi, mid)
        gain = np.where(solvable, 0.5 * (lo + hi), np.nan)
        nsb = k3 / (gain**3 * b * c3)
    return gain, nsb


def _jackknife(full: float, leave_out: np.ndarray) -> float:
    """The jackknife standard error of an estimate from its leave-one-block-out values."""
    b = leave_out.size
    return float(math.sqrt((b - 1) / b * np.sum((leave_out - leave_out.mean()) ** 2)))


def _walk_fit(columns: Mapping[str, np.ndarray]) -> dict[str, float]:
    fit = fit_time_walk(columns["size"], columns["time_gradient_intercept_long"])
    return {k: float(v) for k, v in fit.items()}


def _time_placement(obs: Mapping, sim: Mapping, simulated: Mapping, n_blocks: int):
    """Walk and jitter of the observed trigger, the full estimate and the leave-one-out ones."""

    def estimate(fo, fs):
        cfg = simulated["trigger_walk_ns"]
        if cfg > 0 and fs["walk_ns"] > 0:  # the fit's attenuation, measured on the simulation
            walk = fo["walk_ns"] * cfg / fs["walk_ns"]
        else:
            walk = cfg + fo["walk_ns"] - fs["walk_ns"]
        excess = max(fo["jitter_ns"] ** 2 - fs["jitter_ns"] ** 2, 0.0)
        return walk, math.sqrt(simulated["trigger_jitter_ns"] ** 2 + excess)

    full_o, full_s = _walk_fit(obs), _walk_fit(sim)
    full = estimate(full_o, full_s)
    loo = []
    for i in range(n_blocks):
        parts = []
        for cols in (obs, sim):
            n = len(cols["size"])
            keep = (np.arange(n) * n_blocks // max(n, 1)) != i
            parts.append(_walk_fit({k: np.asarray(v)[keep] for k, v in cols.items()}))
        loo.append(estimate(*parts))
    loo = np.asarray(loo)
    errors = (_jackknife(full[0], loo[:, 0]), _jackknife(full[1], loo[:, 1]))
    return full, errors, {"observed": full_o, "simulated": full_s}


def _read(path, columns, what: str) -> dict[str, np.ndarray]:
    try:
        return read_columns(path, list(columns))
    except KeyError as exc:
        raise InputError(
            f"{path}: {what} lacks a column of {list(columns)} ({exc}); the pedestal columns come "
            "from the feature stage (iactdl.features.pedestal): rebuild the features"
        ) from exc


def estimate_detector(
    observed_path: str | os.PathLike,
    simulated_path: str | os.PathLike,
    simulation: Mapping | None,
    out_path: str | os.PathLike | None = None,
    n_blocks: int = N_BLOCKS,
) -> dict:
    """Estimate the observed camera's night sky, gain and trigger time placement (module doc).

    Reads no truth: the observed events' features (``observed_train``), the simulated training
    split's, and the simulated camera's constants from the config.

    Parameters
    ----------
    observed_path : str or os.PathLike
        ``observed_train``: the pedestal columns, ``size`` and ``time_gradient_intercept_long``.
    simulated_path : str or os.PathLike
        The simulated training split (same columns): calibrates the estimators.
    simulation : mapping or None
        Config ``simulation`` (checked; its ``detector`` is the simulated camera).
    out_path : str or os.PathLike, optional
        Where to write the result as JSON (whole or not at all).
    n_blocks : int, optional
        Jackknife blocks of consecutive events; default 20.

    Returns
    -------
    dict
        ``detector``: the estimates of :data:`AUGMENT_KEYS`; ``errors``: their jackknife standard
        errors; ``simulated``: the simulated camera's values; ``pedestal`` and ``time_walk``: the
        measurements behind them; ``assumed``: the camera constants taken from the simulation.

    Raises
    ------
    iactdl.io.InputError
        A file without the columns, or without events with a pedestal.
    ValueError
        The pedestal's cumulants that no gain explains.
    """
    sim_cfg = check_config(simulation)
    det = sim_cfg["detector"]
    const = {k: float(det[k]) for k in ("electronics_noise_pe", "excess_noise", "gain_spread")}
    cols = (*PEDESTAL_COLUMNS, *TIME_COLUMNS)
    obs = _read(observed_path, cols, "observed_train")
    sim = _read(simulated_path, cols, "the simulated training split")
    for path, c in ((observed_path, obs), (simulated_path, sim)):
        if not np.any(np.asarray(c["pedestal_pixels"]) > 0):
            raise InputError(f"{path}: no event has pedestal pixels (column pedestal_pixels)")
    # the pedestal cuts' residual shower light: the simulated camera's cumulants are known
    a, b = 1 + const["gain_spread"] ** 2, 1 + 3 * const["gain_spread"] ** 2
    nsb, gain = float(det["nsb_pe"]), float(det["gain"])
    e2 = const["excess_noise"] ** 2
    expected = (
        gain**2 * a * (nsb * (1 + e2) + const["electronics_noise_pe"] ** 2),
        gain**3 * b * nsb * (1 + 3 * e2),
    )
    so, ss = _block_sums(obs, n_blocks), _block_sums(sim, n_blocks)
    # column 0: every block; 1..n_blocks: leaving one block out (jackknife)
    so = np.concatenate([so.sum(1, keepdims=True), so.sum(1, keepdims=True) - so], axis=1)
    ss = np.concatenate([ss.sum(1, keepdims=True), ss.sum(1, keepdims=True) - ss], axis=1)
    k2o, k3o = _cumulants(so)
    k2s, k3s = _cumulants(ss)
    g, lam = gain_and_nsb(k2o * expected[0] / k2s, k3o * expected[1] / k3s, **const)
    if not (np.isfinite(g[0]) and np.isfinite(lam[0])):
        raise ValueError(
            f"{observed_path}: the pedestal's cumulants k2 = {k2o[0]:.4g} p.e.^2, k3 = "
            f"{k3o[0]:.4g} p.e.^3 (calibrated by the simulation's {k2s[0]:.4g}, {k3s[0]:.4g}) "
            "fit no gain: the night sky's skewness is too small for its variance"
        )
    (walk, jitter), (walk_err, jitter_err), fits = _time_placement(
        {k: obs[k] for k in TIME_COLUMNS}, {k: sim[k] for k in TIME_COLUMNS}, det, n_blocks
    )
    result = {
        "detector": {
            "nsb_pe": float(lam[0]), "gain": float(g[0]),
            "trigger_walk_ns": walk, "trigger_jitter_ns": jitter,
        },
        "errors": {
            "nsb_pe": _jackknife(lam[0], lam[1:]), "gain": _jackknife(g[0], g[1:]),
            "trigger_walk_ns": walk_err, "trigger_jitter_ns": jitter_err,
        },
        "simulated": {k: float(det[k]) for k in AUGMENT_KEYS},
        "pedestal": {
            "observed": {**pedestal_cumulants(obs)},
            "simulated": {**pedestal_cumulants(sim), "k2_expected": expected[0],
                          "k3_expected": expected[1]},
        },
        "time_walk": fits,
        "assumed": const,
        "n_blocks": n_blocks,
    }  # fmt: skip
    if out_path is not None:
        write_json(out_path, result)
    return result


def read_detector(path: str | os.PathLike, simulation: Mapping | None) -> dict[str, float]:
    """The estimated detector of ``path`` (:func:`estimate_detector`'s JSON), checked.

    Parameters
    ----------
    path : str or os.PathLike
        ``results/augment/detector.json``.
    simulation : mapping or None
        Config ``simulation``: its ranges and its detector, which the estimates replace.

    Returns
    -------
    dict of str to float
        The estimates of :data:`AUGMENT_KEYS`.

    Raises
    ------
    iactdl.io.InputError
        A missing or malformed file, a missing, unknown or non-finite estimate, or one outside
        the simulator's range of that key (the message names the file, the key and the range).
    """
    data = read_json(path, "the estimated detector (rule estimate_detector)")
    found = data.get("detector")
    if not isinstance(found, Mapping):
        raise InputError(
            f"{path}: no mapping 'detector' (expected the estimates of {AUGMENT_KEYS})"
        )
    missing = [k for k in AUGMENT_KEYS if k not in found]
    unknown = sorted(set(found) - set(AUGMENT_KEYS))
    if missing or unknown:
        raise InputError(
            f"{path}: detector: missing {missing}, unknown {unknown}; expected exactly "
            f"{list(AUGMENT_KEYS)}"
        )
    out = {}
    for key in AUGMENT_KEYS:
        value = found[key]
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not ok or not math.isfinite(value):
            raise InputError(f"{path}: detector.{key}: expected a finite number, got {value!r}")
        out[key] = float(value)
    try:
        check_config({**dict(simulation or {}), "detector": _merged(simulation, out)})
    except ValueError as exc:
        raise InputError(f"{path}: an estimate outside the simulator's range: {exc}") from exc
    return out


def _merged(simulation: Mapping | None, overrides: Mapping[str, float]) -> dict:
    return {**dict(dict(simulation or {}).get("detector") or {}), **dict(overrides)}


def augmented_simulation(simulation: Mapping | None, overrides: Mapping[str, float]) -> dict:
    """Config ``simulation`` with the camera's fields replaced by the estimates.

    Parameters
    ----------
    simulation : mapping or None
        Config ``simulation``; not modified.
    overrides : mapping of str to float
        Detector fields (:func:`read_detector`).

    Returns
    -------
    dict
        A new ``simulation`` section whose ``detector`` carries ``overrides``; everything else
        (the showers, their number, the seed's use) is the same, so a simulation with the same
        seed throws the same showers.
    """
    out = copy.deepcopy(dict(simulation or {}))
    out["detector"] = _merged(simulation, overrides)
    return out
