"""A wobble observation of the Crab Nebula: its events from fluxes x area x time, and its regions.

The observation is defined by its duration ``T`` (``simulation.observed.hours``) and the sky
(``simulation.observed.spectra``, :mod:`iactdl.simulate.fluxes`): gammas from the Crab, cosmic-ray
protons and helium nuclei isotropic over the field of view. For each primary
``Poisson(T x pi r_max^2 x [solid angle] x integral of the flux)`` showers are thrown over the
scatter disk (and, for the diffuse nuclei, a cone of ``max_offset_deg`` about the pointing), with
energies from the flux over the simulated energy range of that primary; the trigger keeps what it
keeps. The number of observed events and the gamma fraction follow from the physics, not from a
knob. The training background (sample ``proton``) holds protons alone; the observation also holds
helium, as FACT's data hold heavier nuclei that its proton simulations lack.

Wobble pointing (Fomin et al. 1994, APh 2, 137): the telescope points ``wobble_offset_deg`` (FACT:
0.6 deg) away from the source, alternating between ``n_wobble_positions`` positions on that circle
(equal time at each; an event's pointing is drawn from them). Every event carries the camera
position of the ON source for its pointing (``source_x``, ``source_y``: known to the analyst); its
true arrival direction is truth (``true_source_x/y``: the Crab for gammas, the isotropic direction
for hadrons, whose image axis passes through it).

ON/OFF regions are not the simulator's business: they are the analysis' theta^2 cut on
reconstructed directions (:mod:`iactdl.observed_regions`, config ``directions``), as for real data.

Memory is flat: the thrown showers are processed in slices of at most :data:`THROW_BATCH` (scalars
only), and the triggered ones of a slice are imaged ``chunk_size`` at a time.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np

from iactdl.simulate.fluxes import expected_thrown
from iactdl.simulate.settings import thrown_energy_range
from iactdl.simulate.showers import (
    Showers,
    build_gammas,
    build_hadrons,
    concat_showers,
    gamma_geometry,
    hadron_geometry,
    throw_triggered,
)
from iactdl.simulate.spectra import wobble_positions
from iactdl.simulate.throw import Throw

__all__ = [
    "PRIMARIES",
    "THROW_BATCH",
    "observation_throws",
    "observed_attrs",
    "expected_counts",
    "observed_showers",
]

PRIMARIES = ("gamma", "proton", "helium")  # the sky of the observation
THROW_BATCH = 2_000_000  # thrown showers per slice: ~60 MB of scalars


def _viewcone(cfg: Mapping, primary: str) -> float:
    return 0.0 if primary == "gamma" else float(cfg[primary]["max_offset_deg"])


def expected_counts(cfg: Mapping) -> dict[str, float]:
    """Expected thrown showers per primary of the observation of ``cfg`` (a checked
    ``simulation`` section): ``T x area x [solid angle] x integral of the flux``.

    Per primary (:data:`PRIMARIES`) :func:`~iactdl.simulate.fluxes.expected_thrown` over the
    energy range of :func:`~iactdl.simulate.settings.thrown_energy_range`, the scatter disk of
    ``max_impact_m`` and, for the nuclei, the cone of ``max_offset_deg``.

    Parameters
    ----------
    cfg : Mapping
        A checked ``simulation`` section (:func:`~iactdl.simulate.settings.check_config`).

    Returns
    -------
    dict of str to float
        Primary to its expected number of thrown showers (the Poisson mean).
    """
    hours = cfg["observed"]["hours"]
    out = {}
    for p in PRIMARIES:
        lo, hi = thrown_energy_range(cfg, p)
        spec = cfg["observed"]["spectra"][p]
        out[p] = expected_thrown(spec, hours, lo, hi, cfg[p]["max_impact_m"], _viewcone(cfg, p))
    return out


def observation_throws(cfg: Mapping, n_thrown: Mapping[str, int]) -> dict[str, Throw]:
    """The throw records of the observation (``n_thrown`` per primary).

    Parameters
    ----------
    cfg : Mapping
        A checked ``simulation`` section (:func:`~iactdl.simulate.settings.check_config`).
    n_thrown : Mapping of str to int
        Showers thrown per primary of :data:`PRIMARIES`.

    Returns
    -------
    dict of str to iactdl.simulate.throw.Throw
        Primary to its record: energy range, the spectrum's index and curvature, scatter radius
        and viewcone (0 for the gammas).
    """
    out = {}
    for p in PRIMARIES:
        lo, hi = thrown_energy_range(cfg, p)
        spec = cfg["observed"]["spectra"][p]
        out[p] = Throw(
            n_thrown=int(n_thrown[p]),
            e_min_tev=lo,
            e_max_tev=hi,
            spectral_index=float(spec["index"]),
            curvature=float(spec["curvature"]),
            max_impact_m=float(cfg[p]["max_impact_m"]),
            viewcone_deg=_viewcone(cfg, p),
        )
    return out


def observed_attrs(cfg: Mapping) -> dict:
    """File attributes of the observation's files: ``sample`` and ``ontime_s``.

    Parameters
    ----------
    cfg : Mapping
        A checked ``simulation`` section (:func:`~iactdl.simulate.settings.check_config`).

    Returns
    -------
    dict
        ``sample``: ``"observed"``; ``ontime_s``: the observation time, s.
    """
    return {
        "sample": "observed",
        "ontime_s": float(cfg["observed"]["hours"]) * 3600.0,
    }


def observed_showers(
    rng: np.random.Generator, cfg: Mapping, n_thrown: Mapping[str, int]
) -> Iterator[tuple[Showers, np.ndarray, np.ndarray, float]]:
    """Triggered showers of the observation, at most ``chunk_size`` at a time.

    Yields 4-tuples ``(showers, on_x, on_y, done)``: the showers (gammas, protons, helium, in
    that order within a chunk), the ON source position (mm) of each event's wobble pointing, and
    the fraction of the observation time simulated so far. ``n_thrown``: showers thrown per
    primary over the whole observation (``Poisson`` of :func:`expected_counts`).

    The thrown showers are processed in slices of at most :data:`THROW_BATCH` (each an equal
    share of every primary, i.e. of the observation time); the triggered ones of a slice are
    shuffled and imaged in chunks of at most ``cfg["chunk_size"]``.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of every draw.
    cfg : Mapping
        A checked ``simulation`` section (:func:`~iactdl.simulate.settings.check_config`).
        Its ``chunk_size``, ``trigger``, wobble settings, primaries and observed spectra are
        read.
    n_thrown : Mapping of str to int
        Showers thrown per primary of :data:`PRIMARIES` over the whole observation.

    Yields
    ------
    showers : iactdl.simulate.showers.Showers
        A chunk of triggered showers; hadrons' ``true_source_x/y`` is their arrival direction.
    on_x, on_y : numpy.ndarray
        ON source position of each event's wobble pointing, mm, shape (n_events,).
    done : float
        Fraction of the observation time simulated so far, in (0, 1].
    """
    wob = (cfg["wobble_offset_deg"], cfg["n_wobble_positions"])
    trig = cfg["trigger"]
    spectra = cfg["observed"]["spectra"]
    ranges = {p: thrown_energy_range(cfg, p) for p in PRIMARIES}
    total = sum(int(n_thrown[p]) for p in PRIMARIES)
    n_slices = max(1, -(-total // THROW_BATCH))
    # the gammas' sources: the ON position of the pointing (drawn per thrown gamma that survives
    # the first trigger stage; the second depends on where the image falls in the camera)
    geometry = {
        "gamma": gamma_geometry(rng, lambda m: wobble_positions(rng, m, *wob)),
        "proton": hadron_geometry(rng, cfg["proton"]),
        "helium": hadron_geometry(rng, cfg["helium"]),
    }
    for k in range(n_slices):
        # every slice is an equal share of the observation time for every primary
        kept = {}
        for p in PRIMARIES:
            m = int(n_thrown[p]) // n_slices + (k < int(n_thrown[p]) % n_slices)
            lo, hi = ranges[p]
            kept[p] = throw_triggered(rng, m, cfg[p], trig, geometry[p], spectra[p], lo, hi)
        counts = [kept[p]["e"].size for p in PRIMARIES]
        n = sum(counts)
        if n == 0:
            continue
        offsets = np.cumsum([0, *counts])
        order = rng.permutation(n)  # which triggered events share an image chunk
        pieces = np.array_split(order, -(-n // cfg["chunk_size"]))
        for j, piece in enumerate(pieces):
            parts, on = [], []
            for i, p in enumerate(PRIMARIES):
                rows = np.sort(piece[(piece >= offsets[i]) & (piece < offsets[i + 1])]) - offsets[i]
                if rows.size == 0:
                    continue
                t = {key: v[rows] for key, v in kept[p].items()}
                if p == "gamma":
                    parts.append(build_gammas(rng, t))
                    on.append((t["sx"], t["sy"]))
                else:
                    s = build_hadrons(rng, t, cfg[p], p)
                    s.true_source_x, s.true_source_y = t["dx"], t["dy"]  # the arrival direction
                    parts.append(s)
                    on.append(wobble_positions(rng, rows.size, *wob))
            yield (
                concat_showers(parts),
                np.concatenate([o[0] for o in on]),
                np.concatenate([o[1] for o in on]),
                (k + (j + 1) / len(pieces)) / n_slices,
            )
