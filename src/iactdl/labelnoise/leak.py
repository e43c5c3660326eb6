"""The signal leak ``rho_plus = P(OFF | gamma, in a region)``, from the simulations alone.

Menon et al.'s (2015) ``rho_plus`` of ON/OFF labels is the fraction of the source's gammas that a
labelled observation calls OFF: gammas whose reconstructed direction lands in an OFF region rather
than ON (a poor disp, a wrong disp sign), among those that land in any region. It is no property of
the observation's unknown events but of the instrument and the reconstruction, so it is measured
where the truth is allowed: the simulated point-like gammas (sample ``gamma``: a point source at
the wobble position, whose ``source_x/y`` is the ON position) are pushed through the very
:class:`~iactdl.observed_regions.RegionLabeller` that labels the observation (the trained disp
model, the config's ``theta2_cut`` and ``n_off``), and their regions counted. The observation's
truth is never read; the only observed quantities the correction then uses are its ON/OFF labels.

``benchmarks/region_acceptance.py`` measured it at 0.11 (386 of 3464 point-like gammas in a region,
most in the two OFF regions next to ON). With ``rho_plus`` the known-alpha correction's slope
becomes ``a = 1 / (1 - rho_plus - rho_minus)`` instead of ``1 + alpha``
(:meth:`iactdl.labelnoise.correction.MenonCorrection.from_alpha`).

Caveats: the simulated gammas follow the simulation's spectrum, not the source's, and the
observation's shifts (night sky, gain) may change the disp's accuracy: the estimate is the
simulated instrument's leak, with a binomial uncertainty that says nothing of those.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence

import numpy as np

from iactdl.io import InputError, column_names, read_columns, to_json, write_json
from iactdl.observed_regions import region_labeller

__all__ = ["LEAK_SAMPLE", "signal_leak", "estimate_signal_leak", "read_signal_leak"]

log = logging.getLogger(__name__)

LEAK_SAMPLE = "gamma"  # the point-like gammas: a source at the wobble position, like the Crab


def signal_leak(region, n_off: int) -> dict:
    """``rho_plus`` and its binomial uncertainty from the regions of gammas of a point source.

    Parameters
    ----------
    region : array_like of int
        Per gamma: 0 ON, 1..``n_off`` OFF k, -1 in no region (left out).
    n_off : int
        Number of OFF regions.

    Returns
    -------
    dict
        ``rho_plus`` (OFF among the gammas in a region), ``rho_plus_std`` (binomial,
        ``sqrt(rho (1 - rho) / n)``), ``n_gammas`` (all), ``n_in_region``, ``n_on`` and
        ``n_off_regions`` (the count in each OFF region, 1..n_off).

    Raises
    ------
    ValueError
        No gamma in any region, or regions outside -1..n_off.
    """
    region = np.asarray(region).astype(np.int64).ravel()
    if region.size and (region.min() < -1 or region.max() > n_off):
        raise ValueError(f"regions must lie in -1..{n_off}, got {region.min()}..{region.max()}")
    counts = np.bincount(region[region >= 0], minlength=n_off + 1)
    n = int(counts.sum())
    if n == 0:
        raise ValueError(
            f"none of {region.size} point-like gammas lands in the ON or an OFF region: rho_plus "
            "cannot be estimated (too few simulated gammas, or a theta2_cut too small)"
        )
    rho = float(counts[1:].sum() / n)
    return {
        "rho_plus": rho,
        "rho_plus_std": float(np.sqrt(rho * (1.0 - rho) / n)),
        "n_gammas": int(region.size),
        "n_in_region": n,
        "n_on": int(counts[0]),
        "n_off_regions": counts[1:].tolist(),
    }


def estimate_signal_leak(
    disp_dir: str | os.PathLike,
    datasets: Sequence[str | os.PathLike],
    directions: Mapping | None,
    out_json: str | os.PathLike | None = None,
) -> dict:
    """Label the simulated point-like gammas of ``datasets`` like the observation; count the leak.

    Parameters
    ----------
    disp_dir : str or os.PathLike
        The trained disp model (rule ``train_disp``), the one that labels the observation.
    datasets : sequence of str or os.PathLike
        Simulated splits (``results/datasets/{train,val,test}.h5``): their events of sample
        ``gamma`` are used (the disp model trains on ``gamma_diffuse`` alone, so none of them
        was fitted).
    directions : Mapping or None
        The config's ``directions`` section (``theta2_cut``, ``n_off``), as the observation's.
    out_json : str or os.PathLike, optional
        Where to write the result (atomically).

    Returns
    -------
    dict
        :func:`signal_leak`'s numbers plus ``theta2_cut``, the files read and what was done.

    Raises
    ------
    iactdl.io.InputError
        A file without the columns the labeller needs, or no point-like gamma in any region.
    """
    labeller = region_labeller(disp_dir, directions, source="simulated point-like gammas")
    need = list(dict.fromkeys([*labeller.model.required_columns, "source_x", "source_y"]))
    regions = []
    for path in datasets:
        have = column_names(path)
        missing = [c for c in [*need, "sample"] if c not in have]
        if missing:
            raise InputError(f"{path}: the signal leak needs column(s) {missing}")
        sample = read_columns(path, ["sample"])["sample"].astype(str)
        rows = np.flatnonzero(sample == LEAK_SAMPLE)
        if rows.size:
            regions.append(labeller(read_columns(path, need, index=rows))["region"])
    region = np.concatenate(regions) if regions else np.zeros(0, np.int64)
    try:
        out = signal_leak(region, labeller.n_off)
    except ValueError as err:
        raise InputError(f"{[str(p) for p in datasets]}: {err}") from None
    out.update(
        sample=LEAK_SAMPLE,
        theta2_cut=labeller.theta2_cut,
        datasets=[str(p) for p in datasets],
        method=(
            "simulated point-like gammas through the observation's RegionLabeller (trained disp, "
            "theta2_cut, n_off): OFF among those in a region; no observed event read"
        ),
    )
    log.info(
        "signal leak: %d of %d point-like gammas in a region, %d of them OFF: rho_plus = %.4f "
        "+- %.4f", out["n_in_region"], out["n_gammas"], sum(out["n_off_regions"]),
        out["rho_plus"], out["rho_plus_std"],
    )  # fmt: skip
    if out_json is not None:
        write_json(out_json, to_json(out))
    return out


def read_signal_leak(path: str | os.PathLike) -> tuple[float, float]:
    """``rho_plus`` and its uncertainty from the file rule ``signal_leak`` writes.

    Parameters
    ----------
    path : str or os.PathLike
        ``results/labelnoise/signal_leak.json``.

    Returns
    -------
    rho_plus : float
        In [0, 1).
    rho_plus_std : float
        Its binomial uncertainty.

    Raises
    ------
    iactdl.io.InputError
        A file without the numbers, or a ``rho_plus`` outside [0, 1).
    """
    from iactdl.io.jsonfile import read_json

    try:
        leak = read_json(path)
        rho, std = float(leak["rho_plus"]), float(leak["rho_plus_std"])
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise InputError(
            f"{path}: expected rho_plus and rho_plus_std from rule signal_leak "
            f"({type(err).__name__}: {err})"
        ) from None
    if not 0 <= rho < 1:
        raise InputError(f"{path}: rho_plus = {rho}, expected in [0, 1)")
    return rho, std
