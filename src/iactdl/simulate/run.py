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
from iactdl.io.event_columns import PARTICLE_ID, SAMPLES, TRUTH_COLUMNS
from iactdl.simulate.detector import Detector, detect
from iactdl.simulate.observation import assign_regions, gamma_probability, region_positions
from iactdl.simulate.settings import check_config, detector_config, shower_config
from iactdl.simulate.showers import concat_showers, gamma_showers, proton_showers
from iactdl.simulate.spectra import disk_positions, wobble_positions

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


def _chunk(rng, sample: str, n: int, cfg: Mapping) -> tuple:
    """Showers of one chunk and the per-event columns besides images and truth."""
    wob = (cfg["wobble_offset_deg"], cfg["n_wobble_positions"])
    trig = cfg["trigger"]
    if sample in ("gamma", "gamma_diffuse"):
        showers = gamma_showers(rng, n, _source_sampler(rng, sample, cfg), cfg["gamma"], trig)
        return showers, {"source_x": showers.true_source_x, "source_y": showers.true_source_y}
    if sample == "proton":
        sx, sy = wobble_positions(rng, n, *wob)
        return proton_showers(rng, n, cfg["proton"], trig), {"source_x": sx, "source_y": sy}
    # observed: gammas from the ON source, hadrons spread evenly over ON and OFF regions
    obs = cfg["observed"]
    n_off = obs["n_off_regions"]
    n_gamma = int(rng.binomial(n, gamma_probability(obs["gamma_fraction_on"], n_off)))
    parts, on = [], []
    if n_gamma:
        gammas = gamma_showers(rng, n_gamma, _source_sampler(rng, "gamma", cfg), cfg["gamma"], trig)
        parts.append(gammas)
        on.append((gammas.true_source_x, gammas.true_source_y))
    if n - n_gamma:
        parts.append(proton_showers(rng, n - n_gamma, cfg["proton"], trig))
        on.append(wobble_positions(rng, n - n_gamma, *wob))
    showers = concat_showers(parts)
    on_x = np.concatenate([o[0] for o in on])
    on_y = np.concatenate([o[1] for o in on])
    region = assign_regions(rng, showers.particle_id == PARTICLE_ID["gamma"], n_off)
    sx, sy = region_positions(on_x, on_y, region, n_off)
    return showers, {"source_x": sx, "source_y": sy, "region": region}


def simulate_chunks(
    sample: str, n_events: int, config: Mapping | None, seed: int
) -> Iterator[dict[str, np.ndarray]]:
    """Yield chunks of events (dicts of columns, truth included) of a sample; deterministic in seed.

    Observed chunks come in random order of gammas and hadrons (shuffled within the chunk).
    """
    if sample not in SAMPLES:
        raise ValueError(f"sample: {sample!r} is not one of {list(SAMPLES)}")
    if n_events < 0:
        raise ValueError(f"n_events: expected >= 0, got {n_events}")
    cfg = check_config(config)
    det, noise_q, gains = _camera(cfg, sample, seed)
    # the observing conditions that act before the trigger (moonlight threshold, atmosphere)
    shower_cfg = shower_config(cfg, detector_config(cfg, observed=sample == "observed"))
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0]))
    size = cfg["chunk_size"]
    for start in range(0, n_events, size):
        n = min(size, n_events - start)
        showers, extra = _chunk(rng, sample, n, shower_cfg)
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
        if sample == "observed":
            order = rng.permutation(n)
            cols = {k: (v if k == "event_id" else v[order]) for k, v in cols.items()}
        yield cols


def simulate_sample(
    sample: str,
    n_events: int,
    config: Mapping | None,
    seed: int,
    out_path: str | os.PathLike,
    truth_path: str | os.PathLike | None = None,
) -> None:
    """Simulate ``n_events`` of ``sample`` into ``out_path`` (the ``events`` layout of iactdl.io).

    Parameters
    ----------
    sample : {"gamma", "gamma_diffuse", "proton", "observed"}
    n_events : int
    config : mapping
        The ``simulation`` config section (partial: defaults fill the rest; checked).
    seed : int
        Same seed, same config: an identical file.
    out_path : path
        Events file. For ``observed`` it has no truth columns, only ``region`` and the region's
        ``source_x/y``; its attribute ``n_off_regions`` gives ``alpha = 1 / n_off_regions``.
    truth_path : path, required for ``observed``
        The observed truth (``event_id`` and the truth columns), for evaluation rules only.
    """
    cfg = check_config(config)
    observed = sample == "observed"
    if observed and truth_path is None:
        raise ValueError("simulate_sample: sample 'observed' needs truth_path for its truth file")
    attrs = {"sample": sample, "wobble_offset_deg": cfg["wobble_offset_deg"]}
    if observed:
        attrs["n_off_regions"] = cfg["observed"]["n_off_regions"]
    compression = None if cfg["compression"] == "none" else cfg["compression"]
    meta = {"config": cfg, "seed": seed, "attrs": attrs, "compression": compression}
    log.info("simulating %d %s events (seed %d) -> %s", n_events, sample, seed, out_path)
    writer = EventWriter(out_path, **meta)
    truth = EventWriter(truth_path, **meta) if observed else None
    with writer:
        if truth is not None:
            truth.__enter__()
        try:
            for cols in simulate_chunks(sample, n_events, cfg, seed):
                if truth is not None:
                    truth.append({k: cols[k] for k in ("event_id", *TRUTH_COLUMNS)})
                    cols = {k: v for k, v in cols.items() if k not in TRUTH_COLUMNS}
                writer.append(cols)
                log.info("%s: %d / %d events", sample, writer.n_rows, n_events)
        except BaseException as exc:
            if truth is not None:
                truth.__exit__(type(exc), exc, exc.__traceback__)
            raise
        if truth is not None:
            truth.__exit__(None, None, None)
