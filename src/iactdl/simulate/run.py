"""Simulate a whole sample, chunk by chunk, into an event file (and the observed truth file).

Memory is flat in the number of events: one chunk of ``chunk_size`` events is drawn, imaged and
appended with :class:`iactdl.io.EventWriter` at a time. One ``numpy`` Generator seeded from the
rule's seed drives everything; the detector (noise table, gains, dead pixels) has its own stream
spawned from the same seed, so the camera is the same whatever the number of events.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping

import numpy as np

from iactdl.io import EventWriter
from iactdl.io.event_columns import SAMPLES, TRUTH_COLUMNS
from iactdl.simulate.detector import Detector, detect
from iactdl.simulate.observation import (
    expected_counts,
    observation_throws,
    observed_attrs,
    observed_showers,
)
from iactdl.simulate.settings import check_config, detector_config, shower_config
from iactdl.simulate.showers import gamma_showers, proton_showers
from iactdl.simulate.spectra import disk_positions, wobble_positions
from iactdl.simulate.throw import Throw, throws_attr

__all__ = ["simulate_chunks", "simulate_sample"]

log = logging.getLogger(__name__)


def _camera(cfg: Mapping, sample: str, seed: int):
    det = Detector.from_config(detector_config(cfg, observed=sample == "observed"))
    det_rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    return det, det.noise_quantiles(det_rng), det.pixel_gains(det_rng)


def _source_sampler(rng, sample: str, cfg: Mapping):
    """``draw(m) -> (x, y)``: source positions (mm) of gammas of this sample."""
    if sample == "gamma_diffuse":

        def draw(m):
            return disk_positions(rng, m, cfg["diffuse_max_offset_deg"])

    else:  # point-like: at one of the wobble positions

        def draw(m):
            return wobble_positions(rng, m, cfg["wobble_offset_deg"], cfg["n_wobble_positions"])

    return draw


def _chunk(rng, sample: str, n: int, cfg: Mapping, tally: dict) -> tuple:
    """Showers of one chunk of a labelled sample and the per-event columns besides images and
    truth; ``tally[primary]["n_thrown"]`` counts the showers thrown."""
    wob = (cfg["wobble_offset_deg"], cfg["n_wobble_positions"])
    trig = cfg["trigger"]
    if sample in ("gamma", "gamma_diffuse"):
        draw = _source_sampler(rng, sample, cfg)
        showers = gamma_showers(rng, n, draw, cfg["gamma"], trig, tally.setdefault("gamma", {}))
        return showers, {"source_x": showers.true_source_x, "source_y": showers.true_source_y}
    sx, sy = wobble_positions(rng, n, *wob)
    showers = proton_showers(rng, n, cfg["proton"], trig, tally.setdefault("proton", {}))
    return showers, {"source_x": sx, "source_y": sy}


def _observed(rng, cfg: Mapping, throws: dict) -> Iterator[tuple]:
    """Showers of the observation, chunk by chunk, and their columns besides images and truth:
    ``source_x/y`` the ON source of the event's pointing (the analysis draws the regions)."""
    n_thrown = {p: int(rng.poisson(mu)) for p, mu in expected_counts(cfg).items()}
    throws.update(observation_throws(cfg, n_thrown))
    for showers, on_x, on_y, done in observed_showers(rng, cfg, n_thrown):
        yield showers, {"source_x": on_x, "source_y": on_y}, done


def _labelled(rng, sample: str, n_events: int, cfg: Mapping, throws: dict) -> Iterator[tuple]:
    tally: dict = {}
    size = cfg["chunk_size"]
    for start in range(0, n_events, size):
        n = min(size, n_events - start)
        yield *_chunk(rng, sample, n, cfg, tally), (start + n) / n_events
    primary = "proton" if sample == "proton" else "gamma"
    viewcone = {"gamma": 0.0, "gamma_diffuse": cfg["diffuse_max_offset_deg"]}
    particle = cfg[primary]
    throws[primary] = Throw(
        n_thrown=int(tally.get(primary, {}).get("n_thrown", 0)),
        e_min_tev=float(particle["e_min_tev"]),
        e_max_tev=float(particle["e_max_tev"]),
        spectral_index=float(particle["spectral_index"]),
        curvature=0.0,
        max_impact_m=float(particle["max_impact_m"]),
        viewcone_deg=float(viewcone.get(sample, particle.get("max_offset_deg", 0.0))),
    )


def simulate_chunks(
    sample: str,
    n_events: int | None,
    config: Mapping | None,
    seed: int,
    throws: dict | None = None,
    position: dict | None = None,
) -> Iterator[dict[str, np.ndarray]]:
    """Yield chunks of events (dicts of columns, truth included) of a sample; deterministic in seed.

    ``n_events``: triggered events of a labelled sample; ``None`` for ``observed``, whose events
    follow from ``simulation.observed.hours`` and the fluxes (:mod:`iactdl.simulate.observation`;
    chunks of at most ``chunk_size``, gammas and hadrons shuffled within a chunk). ``throws``, if
    given, receives the :class:`~iactdl.simulate.throw.Throw` of every primary (complete once the
    generator is exhausted); ``position``, if given, ``position["done"]``: the fraction of the
    sample (of the observation time, for ``observed``) yielded so far.

    Parameters
    ----------
    sample : str
        One of :data:`iactdl.io.event_columns.SAMPLES`: ``"gamma"``, ``"gamma_diffuse"``,
        ``"proton"`` or ``"observed"``.
    n_events : int or None
        Triggered events of a labelled sample (>= 0); ``None`` for ``observed``.
    config : Mapping or None
        The ``simulation`` config section (partial: defaults fill the rest; checked).
    seed : int
        Seed of the showers' stream (``SeedSequence([seed, 0])``) and of the detector's
        (``[seed, 1]``).
    throws : dict, optional
        Filled with primary name to :class:`~iactdl.simulate.throw.Throw`.
    position : dict, optional
        ``position["done"]`` is set to the fraction done before each chunk is yielded.

    Yields
    ------
    dict of str to numpy.ndarray
        One chunk: ``event_id`` (int64, consecutive over the sample), ``image`` (p.e.) and
        ``peak_time`` (ns), each (n_events, 1440) float32, ``particle_id``, ``true_energy``
        (TeV), ``true_impact`` (m), ``true_source_x/y`` and ``source_x/y`` (mm). The
        observation's events are shuffled within the chunk (``event_id`` stays in order).

    Raises
    ------
    ValueError
        If ``sample`` is unknown, ``n_events`` does not suit the sample, the config is invalid
        or the observation has no ``hours``.
    """
    if sample not in SAMPLES:
        raise ValueError(f"sample: {sample!r} is not one of {list(SAMPLES)}")
    observed = sample == "observed"
    if observed and n_events is not None:
        raise ValueError(
            "n_events: the observation's events follow from simulation.observed.hours; pass None"
        )
    if not observed and (n_events is None or n_events < 0):
        raise ValueError(f"n_events: expected >= 0, got {n_events}")
    cfg = check_config(config)
    if observed and cfg["observed"]["hours"] is None:
        raise ValueError("simulation.observed.hours: null, no observation to simulate")
    det, noise_q, gains = _camera(cfg, sample, seed)
    # the observing conditions that act before the trigger (moonlight threshold, atmosphere)
    cfg = shower_config(cfg, detector_config(cfg, observed=observed))
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0]))
    throws = {} if throws is None else throws
    chunks = (
        _observed(rng, cfg, throws) if observed else _labelled(rng, sample, n_events, cfg, throws)
    )
    start = 0
    for showers, extra, done in chunks:
        n = showers.n
        if position is not None:
            position["done"] = done
        image, peak_time = detect(rng, showers, det, noise_q, gains)
        cols = {
            "event_id": np.arange(start, start + n, dtype=np.int64),
            "image": image,
            "peak_time": peak_time,
            "particle_id": showers.particle_id,
            "true_energy": showers.true_energy,
            "true_impact": showers.true_impact,
            "true_source_x": showers.true_source_x,
            "true_source_y": showers.true_source_y,
            **extra,
        }
        start += n
        if observed:
            order = rng.permutation(n)
            cols = {k: (v if k == "event_id" else v[order]) for k, v in cols.items()}
        yield cols


def simulate_sample(
    sample: str,
    n_events: int | None,
    config: Mapping | None,
    seed: int,
    out_path: str | os.PathLike,
    truth_path: str | os.PathLike | None = None,
) -> None:
    """Simulate ``sample`` into ``out_path`` (the ``events`` layout of iactdl.io).

    Parameters
    ----------
    sample : {"gamma", "gamma_diffuse", "proton", "observed"}
    n_events : int, or None for ``observed`` (its events follow from ``simulation.observed.hours``)
    config : mapping
        The ``simulation`` config section (partial: defaults fill the rest; checked).
    seed : int
        Same seed, same config: an identical file.
    out_path : path
        Events file; attribute ``throws`` (JSON, :mod:`iactdl.simulate.throw`): the showers thrown
        per primary. For ``observed`` it has no truth columns, only the ON source's
        ``source_x/y`` (no regions: the analysis draws them from reconstructed directions);
        attribute ``ontime_s`` (the observation time, s).
    truth_path : path, required for ``observed``
        The observed truth (``event_id`` and the truth columns), for evaluation rules only.
    """
    cfg = check_config(config)
    observed = sample == "observed"
    if observed and truth_path is None:
        raise ValueError("simulate_sample: sample 'observed' needs truth_path for its truth file")
    attrs = observed_attrs(cfg) if observed else {"sample": sample}
    attrs["wobble_offset_deg"] = cfg["wobble_offset_deg"]
    compression = None if cfg["compression"] == "none" else cfg["compression"]
    meta = {"config": cfg, "seed": seed, "attrs": attrs, "compression": compression}
    log.info("simulating %s %s events (seed %d) -> %s", n_events, sample, seed, out_path)
    writer = EventWriter(out_path, **meta)
    truth = EventWriter(truth_path, **meta) if observed else None
    throws: dict = {}
    with writer:
        if truth is not None:
            truth.__enter__()
        try:
            for cols in simulate_chunks(sample, n_events, cfg, seed, throws):
                if truth is not None:
                    truth.append({k: cols[k] for k in ("event_id", *TRUTH_COLUMNS)})
                    cols = {k: v for k, v in cols.items() if k not in TRUTH_COLUMNS}
                writer.append(cols)
                log.info("%s: %d events", sample, writer.n_rows)
            for w in (writer, truth):
                if w is not None:
                    w.set_attr("throws", throws_attr(throws))
        except BaseException as exc:
            if truth is not None:
                truth.__exit__(type(exc), exc, exc.__traceback__)
            raise
        if truth is not None:
            truth.__exit__(None, None, None)
