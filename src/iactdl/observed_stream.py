"""The simulated observation in one pass: simulate -> extract's cuts -> features -> splits.

The label-noise stage learns from the ON excess alone, so it needs millions of observed events; at
11.8 kB per raw event (two float32 images of 1440 pixels) the chain of files simulate -> extract ->
build_features -> split_observed would write 12-35 GB of raw and selected images that nobody reads
twice. :func:`stream_observed` (rule ``stream_observed``) does the same work chunk by chunk in one
process and writes only what is used:

1. :func:`iactdl.simulate.simulate_chunks` draws a chunk of the observation (same seed and chunk
   size: the very events rule ``simulate`` would write); its truth goes to the truth file (every
   simulated event, for ``evaluate`` alone) and leaves the chunk;
2. extract's selection (:func:`iactdl.extract.nonfinite_rows`, :func:`iactdl.extract.select_rows`:
   non-finite rows, the trigger-like image cuts, ``extract.ranges``);
3. the features of :func:`iactdl.features.pipeline.add_image_products` (cleaning, Hillas &
   friends, grid image, pixel set) and the quality cuts of ``datasets.quality_cuts``;
4. :class:`iactdl.features.ObservedSplitWriter`: ``observed_train`` (feature table, no images),
   ``observed_train_images`` (the first ``observed_train_images`` train events with images),
   ``observed_val`` and ``observed_test`` (with images).

The raw images exist only in memory, one chunk at a time, so memory is flat in the number of events
and disk grows with the selected events alone. Per event nothing is kept: the split writer's
buffers are bounded (8 MiB a file), each output column caches one HDF5 chunk
(:class:`iactdl.io.EventWriter`), and the heap's free pages are given back after every chunk
(:func:`iactdl.memory.release_free_memory`). The result is identical, column by column, to the
chain of files (a test compares them); ``benchmarks/observed.py`` measures both.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Mapping

import numpy as np

from iactdl.camera import fact_camera
from iactdl.extract import DEFAULTS as EXTRACT_DEFAULTS
from iactdl.extract import RAW_REQUIRED, nonfinite_rows, select_rows
from iactdl.features.observed_split import ObservedSplitWriter
from iactdl.features.pipeline import add_image_products, check_features_config
from iactdl.features.split import DATASETS_DEFAULTS, quality_mask
from iactdl.io import TRUTH_COLUMNS, EventWriter, InputError
from iactdl.io.event_columns import IMAGE_COLUMNS
from iactdl.memory import release_free_memory
from iactdl.progress import Progress
from iactdl.simulate import check_config, simulate_chunks
from iactdl.simulate.observation import observed_attrs
from iactdl.simulate.throw import throws_attr

__all__ = ["stream_observed"]

log = logging.getLogger(__name__)

WHERE = "simulated observation"  # names the input in error messages: there is no input file


def stream_observed(
    simulation: Mapping | None,
    seed: int,
    outputs: Mapping[str, str | os.PathLike],
    truth_path: str | os.PathLike,
    extract: Mapping | None = None,
    features: Mapping | None = None,
    datasets: Mapping | None = None,
    salt: int = 0,
    regions: Callable[[Mapping], dict] | None = None,
) -> dict:
    """Simulate the observation and stream it into the observed split files.

    Parameters
    ----------
    simulation : mapping or None
        Config ``simulation`` (chunk_size, detector, observed: hours, spectra ...); checked. The
        events follow from ``observed.hours`` and the fluxes.
    seed : int
        The simulation's seed (the same as rule ``simulate`` would use for ``observed``).
    outputs : mapping of str to str or os.PathLike
        Paths of ``train``, ``train_images``, ``val``, ``test``
        (:data:`iactdl.features.observed_split.OBSERVED_FILES`).
    truth_path : str or os.PathLike
        The observed truth file (``event_id`` and :data:`iactdl.io.TRUTH_COLUMNS` of every
        simulated event), read by ``evaluate`` only.
    extract, features : mapping, optional
        Config sections ``extract`` and ``features`` (defaults fill the rest).
    datasets : mapping, optional
        Config ``datasets``: ``quality_cuts``, ``observed_fractions``, ``observed_train_images``
        (defaults: :data:`iactdl.features.DATASETS_DEFAULTS`).
    salt : int
        The split's salt (rule ``split_observed``'s seed, so both paths split alike; default 0).
    regions : callable, optional
        The ON/OFF regions from reconstructed directions
        (:class:`iactdl.observed_regions.RegionLabeller`), applied to each chunk after the quality
        cuts, as rule ``split_observed`` does; None keeps the simulator's ``region``.

    Returns
    -------
    dict
        Counts: ``n_simulated`` (triggered events), ``n_nonfinite``, ``removed`` per extract cut,
        ``n_extracted``, ``removed_quality``, the feature flags, ``n_selected``, ``splits`` (per
        file and region), ``ontime_s`` and ``throws``.
        Also stored as the attribute ``observed_summary`` (JSON) of every split file.

    Raises
    ------
    iactdl.io.InputError
        A required column missing, NaN/inf with ``extract.nan_policy: stop``, or an empty split.
    ValueError
        A bad config section.
    """
    sim = check_config(simulation)
    ext = {**EXTRACT_DEFAULTS, **dict(extract or {})}
    if ext["nan_policy"] not in ("drop", "stop"):
        raise ValueError(
            f"config extract.nan_policy: expected drop or stop, got {ext['nan_policy']!r}"
        )
    feat = check_features_config(features)
    data = {**DATASETS_DEFAULTS, **dict(datasets or {})}
    ranges = [("extract.ranges", dict(ext["ranges"] or {}))]
    required = list(dict.fromkeys([*RAW_REQUIRED, *ext["required_columns"]]))
    attrs = {**observed_attrs(sim), "wobble_offset_deg": sim["wobble_offset_deg"]}
    if regions is not None:  # the analysis' OFF regions, not the simulator's
        attrs["n_off_regions"] = regions.n_off
    provenance = {"simulation": sim, "extract": ext, "features": feat, "datasets": data}
    compression = None if sim["compression"] == "none" else sim["compression"]
    camera = fact_camera()
    summary = {"n_simulated": 0, "n_nonfinite": 0, "removed": {}, "n_extracted": 0}
    flags: dict[str, int] = {}
    grid_buffer = None
    hours = sim["observed"]["hours"]
    log.info("streaming %s h of observation (seed %d) into %s", hours, seed, dict(outputs))
    truth = EventWriter(truth_path, config=sim, seed=seed, attrs=attrs, compression=compression)
    splits = ObservedSplitWriter(
        outputs,
        data["observed_fractions"],
        salt,
        data["observed_train_images"],
        config=provenance,
        seed=seed,
        attrs=attrs,
    )
    # the number of triggered events is known only at the end: progress in observation time
    ontime = int(round(attrs["ontime_s"]))
    progress = Progress(ontime, log, what="observed", verb="streamed", unit="s of observation")
    with truth, splits:
        throws: dict = {}
        position: dict = {}
        for cols in simulate_chunks("observed", None, sim, seed, throws, position):
            n = len(cols["event_id"])
            summary["n_simulated"] += n
            truth.append({k: cols[k] for k in ("event_id", *TRUTH_COLUMNS)})
            chunk = {k: v for k, v in cols.items() if k not in TRUTH_COLUMNS}
            missing = [c for c in required if c not in chunk]
            if missing:
                raise InputError(f"{WHERE}: config extract.required_columns: no column {missing}")
            bad, by_column = nonfinite_rows(chunk, required)
            if bad.any() and ext["nan_policy"] == "stop":
                raise InputError(
                    f"{WHERE}: {int(bad.sum())} rows with NaN or inf (per column {by_column}); "
                    "config extract.nan_policy is 'stop'"
                )
            summary["n_nonfinite"] += int(bad.sum())
            keep, removed = select_rows(chunk, ~bad, config=ext, ranges=ranges, path=WHERE)
            for name, count in removed.items():
                summary["removed"][name] = summary["removed"].get(name, 0) + count
            summary["n_extracted"] += int(keep.sum())
            rows = np.flatnonzero(keep)
            events = {k: v[rows] for k, v in chunk.items() if k not in IMAGE_COLUMNS}
            counts, grid_buffer = add_image_products(
                events,
                chunk["image"][rows],
                chunk["peak_time"][rows],
                feat,
                camera=camera,
                grid_buffer=grid_buffer,
            )
            for key, value in counts.items():
                flags[key] = flags.get(key, 0) + value
            good = quality_mask(events, data["quality_cuts"], WHERE)
            if good.any():
                selected = {k: v[good] for k, v in events.items()}
                splits.append(regions(selected) if regions is not None else selected)
            # this chunk's arrays are freed: their heap pages go back, or the free holes of
            # chunks of varying size keep the resident memory creeping up (iactdl.memory)
            del chunk, events, cols
            release_free_memory()
            progress.update(
                int(round(position["done"] * ontime)),
                f"{summary['n_simulated']} triggered, {summary['n_extracted']} extracted, "
                f"{splits.n_written} selected so far",
            )
        summary["removed_quality"] = summary["n_extracted"] - splits.n_written
        summary["features"] = flags
        summary["n_selected"] = splits.n_written
        summary["splits"] = splits.counts_by_region()
        summary["ontime_s"] = attrs["ontime_s"]
        summary["throws"] = json.loads(throws_attr(throws))
        splits.set_attr("observed_summary", json.dumps(summary, sort_keys=True))
        splits.set_attr("throws", throws_attr(throws))
        truth.set_attr("throws", throws_attr(throws))
    log.info("observed stream: %s", summary)
    return summary
