"""The extract stage: raw events (simulated or real FACT DL2) -> quality-selected events, our names.

``results/events/{sample}.h5`` holds the same columns as its input (images, truth, source position,
region ...) for the rows that pass

1. the non-finite check: NaN or inf in a required column (images included) is bad input; the rows
   are counted and dropped (``extract.nan_policy: drop``) or the stage stops (``stop``) with the
   count per column in the message;
2. for images (source ``simulate``) a trigger-like cut: at least ``min_pixels_above_threshold``
   pixels with ``image >= pixel_threshold`` p.e., and the signal charge, the total charge of those
   pixels, ``>= min_signal_charge`` p.e. FACT's trigger asks for a few neighbouring pixels over
   threshold; images of events that would not have triggered carry no shower to learn from. The
   charge is summed over pixels above threshold, not over the whole camera, so that night-sky
   background (about 1440 x its mean per pixel when not subtracted) does not pass an empty image;
3. range cuts ``{column: [min, max]}`` (inclusive, ``null`` for an open end) on 1-D columns:
   ``extract.ranges`` for any source, plus ``fact.quality_cuts`` for FACT DL2 (by default the
   quality cuts of the FACT open Crab sample analysis, from F. Temme's PhD thesis, TU Dortmund 2016:
   ``num_pixel_in_shower >= 10``, ``num_islands < 8``, ``length < 70`` mm, ``width < 35`` mm,
   ``leakage1 < 0.6``, ``leakage2 < 0.85``).

The particle ids of a labelled simulation (``gamma``, ``gamma_diffuse``, ``proton``) must all be
its sample's primary (:data:`iactdl.io.event_columns.SAMPLE_PRIMARY`): the labels come from the
sample, so a proton file listed as ``fact.files.gamma`` is refused (:func:`check_primary`), not
trained on as gammas.

For source ``fact`` the FACT columns are mapped to ours by :mod:`iactdl.io.fact` (truth in TeV, m,
mm; features passed through under FACT's names; no images). An empty selection is an error (a
downstream stage could only fail later, less clearly). Streaming: chunks of ``extract.chunk_size``
rows are read, selected and appended by :class:`iactdl.io.EventWriter`, so memory stays flat; the
output appears only when the whole file went through (write, then rename).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np

from iactdl.io import (
    PARTICLE_ID,
    SAMPLE_PRIMARY,
    SAMPLES,
    SIMULATED_SAMPLES,
    EventWriter,
    InputError,
    iter_chunks,
    open_events,
)
from iactdl.io.cuts import check_range_cuts, range_cut_masks
from iactdl.io.fact import FACT_FEATURES, iter_fact_chunks
from iactdl.io.nonfinite import NonfiniteTally

__all__ = [
    "DEFAULTS",
    "FACT_DEFAULTS",
    "check_extract_config",
    "check_fact_config",
    "check_primary",
    "extract_events",
    "nonfinite_rows",
    "image_cut_masks",
    "select_rows",
]

log = logging.getLogger(__name__)

# Defaults of config `extract` (the schema repeats them with descriptions)
DEFAULTS = {
    "chunk_size": 4096,
    "nan_policy": "drop",
    "min_signal_charge": 30.0,
    "pixel_threshold": 5.5,
    "min_pixels_above_threshold": 3,
    "ranges": {},
    "required_columns": [],
    "compression": "gzip",
}
# Defaults of config `fact`
FACT_DEFAULTS = {
    "files": dict.fromkeys(SAMPLES),  # sample -> file; None: not produced
    "features": list(FACT_FEATURES),
    "extra_columns": [],
    "quality_cuts": {
        "num_pixel_in_shower": [10, None],
        "num_islands": [None, 7],
        "length": [None, 70.0],
        "width": [None, 35.0],
        "leakage1": [None, 0.6],
        "leakage2": [None, 0.85],
    },
}
RAW_REQUIRED = ("event_id", "image", "peak_time")
SIM_TRUTH_REQUIRED = ("particle_id", "true_energy", "true_impact")
FACT_TRUTH_REQUIRED = ("particle_id", "true_energy", "true_impact", "source_x", "source_y")
_PROVENANCE = ("iactdl_version", "config", "seed")


def check_extract_config(section: Mapping | None) -> dict:
    """The full ``extract`` section (``section`` over :data:`DEFAULTS`), checked; raises
    ``ValueError`` naming the key. Used by :func:`extract_events` and the workflow's validation.

    Parameters
    ----------
    section : mapping or None
        The config's ``extract`` section; None or missing keys: :data:`DEFAULTS`.

    Returns
    -------
    dict
        The section with every key of :data:`DEFAULTS`.

    Raises
    ------
    ValueError
        An unknown key, a ``nan_policy`` other than drop/stop, a ``compression`` other than
        gzip/lzf/none, a ``chunk_size`` below 1, or a malformed range cut.
    """
    cfg = {**DEFAULTS, **dict(section or {})}
    unknown = sorted(set(cfg) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"extract: unknown key(s) {unknown}; valid keys: {sorted(DEFAULTS)}")
    if cfg["nan_policy"] not in ("drop", "stop"):
        raise ValueError(f"extract.nan_policy: expected drop or stop, got {cfg['nan_policy']!r}")
    if cfg["compression"] not in ("gzip", "lzf", "none"):
        raise ValueError(
            f"extract.compression: expected gzip, lzf or none, got {cfg['compression']!r}"
        )
    if not isinstance(cfg["chunk_size"], int) or cfg["chunk_size"] < 1:
        raise ValueError(f"extract.chunk_size: expected an integer >= 1, got {cfg['chunk_size']!r}")
    check_range_cuts(cfg["ranges"] or {}, "extract.ranges")
    return cfg


def check_fact_config(section: Mapping | None) -> dict:
    """The full ``fact`` section (``section`` over :data:`FACT_DEFAULTS`), checked; raises
    ``ValueError`` naming the key.

    Parameters
    ----------
    section : mapping or None
        The config's ``fact`` section; None or missing keys: :data:`FACT_DEFAULTS`.

    Returns
    -------
    dict
        The section with every key of :data:`FACT_DEFAULTS`.

    Raises
    ------
    ValueError
        An unknown key, no features, a malformed quality cut, or a cut on a column not read from
        the FACT files (features, extra columns, ``event_id``, truth).
    """
    fact = {**FACT_DEFAULTS, **dict(section or {})}
    unknown = sorted(set(fact) - set(FACT_DEFAULTS))
    if unknown:
        raise ValueError(f"fact: unknown key(s) {unknown}; valid keys: {sorted(FACT_DEFAULTS)}")
    if not fact["features"]:
        raise ValueError("fact.features: empty; list the FACT image features to pass through")
    check_range_cuts(fact["quality_cuts"] or {}, "fact.quality_cuts")
    read = {*fact["features"], *fact["extra_columns"], "event_id", *FACT_TRUTH_REQUIRED}
    for name in fact["quality_cuts"] or {}:
        if name not in read:
            raise ValueError(
                f"fact.quality_cuts.{name}: column '{name}' is not read from the FACT files; "
                "add it to fact.features or fact.extra_columns, or drop the cut"
            )
    return fact


def nonfinite_rows(chunk: Mapping[str, np.ndarray], columns) -> tuple[np.ndarray, dict[str, int]]:
    """Rows with NaN/inf in any of ``columns`` (2-D: in any pixel), and the count per column.

    Parameters
    ----------
    chunk : mapping of str to numpy.ndarray
        The chunk's columns, (n_rows, ...) each; must hold every name of ``columns``.
    columns : iterable of str
        The columns checked; integer and bool columns are finite by type and skipped.

    Returns
    -------
    bad : numpy.ndarray of bool, shape (n_rows,)
        True for rows with a non-finite value in any of ``columns``.
    counts : dict of str to int
        Rows with a non-finite value, per column that has any.
    """
    n = len(next(iter(chunk.values())))
    bad = np.zeros(n, dtype=bool)
    counts = {}
    for name in columns:
        values = np.asarray(chunk[name])
        if values.dtype.kind not in "fc":
            continue  # integers and bools are always finite
        rows = ~np.isfinite(values)
        if rows.ndim > 1:
            rows = rows.reshape(n, -1).any(axis=1)
        if rows.any():
            counts[name] = int(rows.sum())
            bad |= rows
    return bad, counts


def check_primary(counts: Mapping[int, int], sample: str, path, source: str = "fact") -> None:
    """Refuse a file whose particle ids are not the primary of the sample it is listed as.

    The labels of a labelled simulation come from its sample (``gamma`` -> 1), so a proton file
    listed as ``fact.files.gamma`` would otherwise be trained on as gammas, silently.

    Parameters
    ----------
    counts : mapping of int to int
        Events per CORSIKA particle id found in the file (all of its rows).
    sample : str
        The sample the file is listed as; samples not in
        :data:`iactdl.io.event_columns.SAMPLE_PRIMARY` (``observed``) are not checked.
    path : str or os.PathLike
        The file, for the message.
    source : "fact" or "simulate"
        Where the file comes from: names the column and config key in the message.

    Raises
    ------
    InputError
        Naming the file, the sample, the ids found (events per id) and the id expected.
    """
    if sample not in SAMPLE_PRIMARY:
        return
    primary = SAMPLE_PRIMARY[sample]
    expected = PARTICLE_ID[primary]
    wrong = {int(pid): int(n) for pid, n in counts.items() if int(pid) != expected}
    if not wrong:
        return
    names = {v: k for k, v in PARTICLE_ID.items()}
    found = ", ".join(
        f"{pid} ({names.get(pid, 'unknown')}): {n} events" for pid, n in sorted(counts.items())
    )
    if source == "fact":
        where = (
            f"FACT column 'corsika_run_header_particle_id'; listed in config fact.files.{sample}"
        )
    else:
        where = f"column 'particle_id' of the simulator's '{sample}' sample"
    raise InputError(
        f"{path}: listed as sample '{sample}', which holds {primary}s (particle id {expected}), "
        f"but the file holds particle ids {found} ({where}); list the file under the sample of its "
        "primary"
    )


def image_cut_masks(
    image: np.ndarray, min_signal_charge: float, pixel_threshold: float, min_pixels: int
) -> dict[str, np.ndarray]:
    """The trigger-like cuts on a chunk of images (n, 1440) in p.e.: rows that pass each.

    Parameters
    ----------
    image : numpy.ndarray, shape (n_events, n_pixels)
        Charges, p.e.
    min_signal_charge : float
        Least signal charge, the sum of the pixels at or above ``pixel_threshold``, p.e.
    pixel_threshold : float
        Charge at which a pixel counts as above threshold, p.e.
    min_pixels : int
        Least number of pixels above threshold.

    Returns
    -------
    dict of str to numpy.ndarray of bool, shape (n_events,)
        ``min_pixels_above_threshold`` and ``min_signal_charge``: True where the event passes.
    """
    above = image >= pixel_threshold
    signal = np.where(above, image, 0.0).sum(axis=1, dtype=np.float64)
    return {
        "min_pixels_above_threshold": above.sum(axis=1) >= min_pixels,
        "min_signal_charge": signal >= min_signal_charge,
    }


def select_rows(
    chunk: Mapping[str, np.ndarray],
    keep: np.ndarray,
    *,
    config: Mapping,
    ranges: list[tuple[str, Mapping]],
    path,
) -> tuple[np.ndarray, dict[str, int]]:
    """Apply the image cuts (where the chunk has images) and the range cuts to the rows ``keep``.

    ``config`` is the ``extract`` section with its defaults; ``ranges`` the ``(config key, cuts)``
    pairs. Returns the rows kept and the rows each cut removed, in the order applied (a row counts
    for the first cut it fails).

    Parameters
    ----------
    chunk : mapping of str to numpy.ndarray
        The chunk's columns, (n_rows, ...) each; ``image`` (n_rows, n_pixels), p.e., if any.
    keep : bool array (n_rows,)
        The rows still in (e.g. those without non-finite values); not modified.
    config : mapping
        The ``extract`` section with its defaults (:func:`check_extract_config`).
    ranges : list of (str, mapping)
        ``(config key, {column: [min, max]})`` pairs, applied in order after the image cuts.
    path : str or os.PathLike
        The input file, named in the error of a missing cut column.

    Returns
    -------
    keep : numpy.ndarray of bool, shape (n_rows,)
        The rows that pass every cut.
    removed : dict of str to int
        Rows each cut removed (by cut name or column), in the order applied.
    """
    keep = np.asarray(keep, dtype=bool).copy()
    masks = {}
    if "image" in chunk:
        masks.update(
            image_cut_masks(
                chunk["image"],
                config["min_signal_charge"],
                config["pixel_threshold"],
                config["min_pixels_above_threshold"],
            )
        )
    for key, rng in ranges:
        masks.update(range_cut_masks(chunk, rng, key, path))
    removed = {}
    for name, mask in masks.items():
        removed[name] = int((keep & ~mask).sum())
        keep &= mask
    return keep, removed


def _simulated_chunks(in_path, required, chunk_size) -> tuple[Iterator, dict]:
    with open_events(in_path, required=required) as f:
        attrs = {k: f.attrs[k] for k in f.attrs}
    return iter_chunks(in_path, chunk_size), attrs


def _fact_chunks(in_path, fact, sample, chunk_size) -> tuple[Iterator, dict]:
    with open_events(in_path, text_ok=True, external=True) as f:
        attrs = {k: f.attrs[k] for k in f.attrs}
    truth = True if sample in SIMULATED_SAMPLES else None
    chunks = iter_fact_chunks(in_path, chunk_size, fact["features"], fact["extra_columns"], truth)
    return chunks, attrs


def extract_events(
    source: str,
    in_path: str | os.PathLike,
    out_path: str | os.PathLike,
    config_section: Mapping | None = None,
    fact_section: Mapping | None = None,
    sample: str | None = None,
) -> dict:
    """Select the good events of one sample and write them in our column names.

    Parameters
    ----------
    source : "simulate" or "fact"
        ``simulate``: ``in_path`` is a raw event file of :mod:`iactdl.simulate` (``event_id``,
        ``image``, ``peak_time``, truth ...). ``fact``: a FACT-Tools DL2 file.
    in_path : str or os.PathLike
        The input file; never modified.
    out_path : str or os.PathLike
        The output, ``results/events/{sample}.h5``, written whole or not at all.
    config_section : mapping, optional
        Config ``extract`` (missing keys take :data:`DEFAULTS`).
    fact_section : mapping, optional
        Config ``fact`` (source fact; missing keys take :data:`FACT_DEFAULTS`).
    sample : str, optional
        The sample name; for the labelled simulations (gamma, gamma_diffuse, proton) the truth
        columns are required.

    Returns
    -------
    dict
        The counts: ``n_input``, ``n_nonfinite``, ``nonfinite_by_column``, rows removed by each cut
        (``removed``, in the order applied), ``n_selected``. Also written to the output's attribute
        ``extract_summary`` (JSON) and logged.

    Raises
    ------
    InputError
        Missing/not-HDF5 input, no ``events`` group, a missing required column, NaN/inf with
        ``nan_policy: stop`` (counts per column), a range cut on a missing column, an empty
        selection. No output is left behind.
    ValueError
        ``source`` neither ``simulate`` nor ``fact``, or a bad config section.
    """
    cfg = check_extract_config(config_section)
    in_path, out_path = Path(in_path), Path(out_path)
    chunk_size = int(cfg["chunk_size"])
    ranges = [("extract.ranges", dict(cfg["ranges"] or {}))]
    if source == "simulate":
        required = list(RAW_REQUIRED) + (
            list(SIM_TRUTH_REQUIRED) if sample in SIMULATED_SAMPLES else []
        )
        required += list(cfg["required_columns"])
        chunks, attrs = _simulated_chunks(in_path, list(dict.fromkeys(required)), chunk_size)
        provenance = {"source": source, "extract": cfg}
    elif source == "fact":
        fact = check_fact_config(fact_section)
        required = list(fact["features"]) + list(cfg["required_columns"])
        required += list(FACT_TRUTH_REQUIRED) if sample in SIMULATED_SAMPLES else []
        chunks, attrs = _fact_chunks(in_path, fact, sample, chunk_size)
        ranges.append(("fact.quality_cuts", dict(fact["quality_cuts"] or {})))
        provenance = {"source": source, "extract": cfg, "fact": fact}
    else:
        raise ValueError(f"config source: expected simulate or fact, got {source!r}")
    required = list(dict.fromkeys(required))

    summary = {"n_input": 0, "n_nonfinite": 0, "nonfinite_by_column": {}, "removed": {}}
    tally = NonfiniteTally()  # every input column, for the log
    out_attrs = {k: v for k, v in attrs.items() if k not in _PROVENANCE}
    out_attrs.update({f"input_{k}": attrs[k] for k in _PROVENANCE if k in attrs})
    out_attrs["input_file"] = in_path.name
    stopping = False
    primaries: dict[int, int] = {}  # events per particle id, for check_primary
    wrong_primary = False
    compression = None if cfg["compression"] == "none" else cfg["compression"]
    with EventWriter(
        out_path, config=provenance, attrs=out_attrs, compression=compression
    ) as writer:
        for i, chunk in enumerate(chunks):
            n = len(chunk["event_id"])
            summary["n_input"] += n
            missing = [c for c in required if c not in chunk]
            if missing:
                raise InputError(f"{in_path}: missing required column(s) {missing}")
            tally.add(chunk)
            if sample in SAMPLE_PRIMARY:
                ids, counts = np.unique(chunk["particle_id"], return_counts=True)
                for pid, count in zip(ids.tolist(), counts.tolist(), strict=True):
                    primaries[pid] = primaries.get(pid, 0) + count
                # keep counting to name every id of the file, write nothing more
                wrong_primary |= bool((ids != PARTICLE_ID[SAMPLE_PRIMARY[sample]]).any())
            bad, by_column = nonfinite_rows(chunk, required)
            summary["n_nonfinite"] += int(bad.sum())
            for name, count in by_column.items():
                summary["nonfinite_by_column"][name] = (
                    summary["nonfinite_by_column"].get(name, 0) + count
                )
            if bad.any() and cfg["nan_policy"] == "stop":
                stopping = True  # keep counting to report the total, write nothing more
            if stopping or wrong_primary:
                continue
            keep, removed = select_rows(chunk, ~bad, config=cfg, ranges=ranges, path=in_path)
            for name, count in removed.items():
                summary["removed"][name] = summary["removed"].get(name, 0) + count
            if keep.any():
                writer.append({k: v[keep] for k, v in chunk.items()})
            log.info(
                "%s chunk %d: %d events read, %d kept (%d so far)",
                in_path.name,
                i,
                n,
                int(keep.sum()),
                writer.n_rows,
            )
        if wrong_primary:
            check_primary(primaries, sample, in_path, source)
        summary["n_selected"] = writer.n_rows
        summary["nonfinite_values"] = tally.by_column()
        policy = {"drop": "required: rows dropped", "stop": "required: stopped"}[cfg["nan_policy"]]
        tally.log(
            log,
            in_path,
            lambda c: (
                f"{policy}, extract.nan_policy: {cfg['nan_policy']}"
                if c in required
                else "not required: kept as missing values"
            ),
            warn=summary["n_nonfinite"] > 0,
        )
        if stopping:
            raise InputError(
                f"{in_path}: {summary['n_nonfinite']} of {summary['n_input']} rows have NaN or inf "
                f"in required columns (rows per column: {summary['nonfinite_by_column']}); "
                "config extract.nan_policy is 'stop' (set it to 'drop' to remove these rows)"
            )
        if summary["n_nonfinite"]:
            log.warning(
                "%s: dropped %d rows with NaN/inf in required columns (extract.nan_policy: drop)",
                in_path,
                summary["n_nonfinite"],
            )
        if writer.n_rows == 0:
            raise InputError(
                f"{in_path}: no events left after the cuts of config extract"
                f"{'/fact.quality_cuts' if source == 'fact' else ''} (read {summary['n_input']}, "
                f"non-finite {summary['n_nonfinite']}, removed per cut {summary['removed']}); "
                "loosen the cuts or check the input"
            )
        writer.set_attr("extract_summary", json.dumps(summary, sort_keys=True))
    log.info("%s -> %s: %s", in_path, out_path, summary)
    return summary
