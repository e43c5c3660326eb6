"""Datasets: train/val/test of the labelled simulations (observed: :mod:`.observed_split`).

:func:`split_dataset` (rule ``split_dataset``) assigns every event of each labelled sample
(gamma, gamma_diffuse, proton) to train, val or test: per sample, a seeded permutation of its
events is cut at the configured fractions (``round(f * n)``, the remainder to test), so each split
holds the same fraction of every sample (stratified by sample, hence by label) and the splits are
disjoint and together complete. The same seed and inputs give the same split. Files are streamed
in chunks, so images are never all in memory; within a split, rows are ordered by sample (in the
order given) and then by their order in the features file. Two columns are added:

- ``sample``: the sample name as bytes (``b"gamma"``, ...);
- ``is_gamma``: int8, 1 for gammas (``particle_id == 1`` where that column exists, else by the
  sample name), the separation label.

The observed events are split by :func:`iactdl.features.observed_split.split_observed`, which
applies the same quality cuts (``datasets.quality_cuts``: column -> ``[min, max]``, inclusive,
``null`` = open; NaN fails), so that simulations and observations are selected alike. The default,
``num_pixel_in_shower >= 10``, is the cut of FACT's open Crab analysis: it removes events that
failed cleaning (0 pixels) and the noise-dominated tiny images the trigger lets through, which
carry no separation power and would otherwise dominate the observed sample under more NSB.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from iactdl.io import (
    PARTICLE_ID,
    EventWriter,
    InputError,
    n_events,
    open_events,
    read_columns,
)
from iactdl.io.cuts import check_range_cuts, range_cut_masks

__all__ = [
    "DATASETS_DEFAULTS",
    "DEFAULT_FRACTIONS",
    "check_datasets_config",
    "check_fractions",
    "quality_mask",
    "split_assignment",
    "split_dataset",
]

log = logging.getLogger(__name__)

SPLITS = ("train", "val", "test")
# Defaults of config `datasets` (the schema repeats them with descriptions; tests/test_defaults.py)
DATASETS_DEFAULTS = {
    "fractions": {"train": 0.6, "val": 0.2, "test": 0.2},
    "chunk_size": 4096,
    # FACT's open Crab analysis: >= 10 shower pixels (see the module docstring)
    "quality_cuts": {"num_pixel_in_shower": [10, None]},
    # the observed splits (iactdl.features.observed_split)
    "observed_fractions": {"train": 0.6, "val": 0.2, "test": 0.2},
    "observed_train_images": 100_000,
}
DEFAULT_FRACTIONS = DATASETS_DEFAULTS["fractions"]
GAMMA_SAMPLES = ("gamma", "gamma_diffuse")


def check_fractions(fractions: Mapping[str, float], key: str = "fractions") -> dict[str, float]:
    """``datasets.{key}`` (``fractions``: the simulations' splits; ``observed_fractions``: the
    observation's) checked: train, val and test each > 0 (every split is read: val for model
    selection, test for the metrics), summing to 1; raises ``ValueError`` naming the key.

    Parameters
    ----------
    fractions : mapping of str to float
        Fraction of the events per split: exactly the keys ``train``, ``val``, ``test``, each in
        (0, 1], summing to 1 (within 1e-6).
    key : str
        Name of the key under ``datasets`` for the error messages (default ``fractions``).

    Returns
    -------
    dict of str to float
        The fractions as floats, in the order train, val, test.

    Raises
    ------
    ValueError
        A key missing or unknown, a fraction out of (0, 1], or a sum other than 1.
    """
    where = f"datasets.{key}"
    missing = [s for s in SPLITS if s not in fractions]
    unknown = sorted(set(fractions) - set(SPLITS))
    if missing or unknown:
        raise ValueError(
            f"{where}: expected keys {list(SPLITS)}, no others (missing {missing}, "
            f"unknown {unknown})"
        )
    for s in SPLITS:
        f = fractions[s]
        if isinstance(f, bool) or not isinstance(f, (int, float)) or not 0 < f <= 1:
            raise ValueError(
                f"{where}.{s}: expected a fraction > 0 and <= 1, got {f!r} (an empty {s} split "
                f"stops the pipeline later: val feeds model selection, test the metrics)"
            )
    total = sum(float(fractions[s]) for s in SPLITS)
    if abs(total - 1.0) > 1e-6:
        raise ValueError(
            f"{where}: train + val + test must sum to 1, got {total:g} ({dict(fractions)})"
        )
    return {s: float(fractions[s]) for s in SPLITS}


def check_datasets_config(section: Mapping | None) -> dict:
    """The full ``datasets`` section (``section`` over :data:`DATASETS_DEFAULTS`), checked; raises
    ``ValueError`` naming the key (fractions, quality cuts, chunk size, the observed splits).

    Parameters
    ----------
    section : mapping or None
        The config's ``datasets`` section; None or missing keys: the defaults.

    Returns
    -------
    dict
        The section with every key of :data:`DATASETS_DEFAULTS`, fractions as checked by
        :func:`check_fractions` (``observed_fractions`` None: the default).

    Raises
    ------
    ValueError
        An unknown key, or a value of the wrong type or range.
    """
    cfg = {**DATASETS_DEFAULTS, **dict(section or {})}
    unknown = sorted(set(cfg) - set(DATASETS_DEFAULTS))
    if unknown:
        raise ValueError(
            f"datasets: unknown key(s) {unknown}; valid keys: {sorted(DATASETS_DEFAULTS)}"
        )
    cfg["fractions"] = check_fractions(cfg["fractions"])
    check_range_cuts(cfg["quality_cuts"] or {}, "datasets.quality_cuts")
    if isinstance(cfg["chunk_size"], bool) or not isinstance(cfg["chunk_size"], int):
        raise ValueError(f"datasets.chunk_size: expected an integer, got {cfg['chunk_size']!r}")
    if cfg["chunk_size"] < 1:
        raise ValueError(f"datasets.chunk_size: expected >= 1, got {cfg['chunk_size']}")
    cfg["observed_fractions"] = check_fractions(
        cfg["observed_fractions"] or DATASETS_DEFAULTS["observed_fractions"], "observed_fractions"
    )
    images = cfg["observed_train_images"]
    if isinstance(images, bool) or not isinstance(images, int) or images < 0:
        raise ValueError(
            f"datasets.observed_train_images: expected an integer >= 0, got {images!r}"
        )
    return cfg


def split_assignment(n: int, fractions: Mapping[str, float], seed: int) -> np.ndarray:
    """Split index (0 train, 1 val, 2 test) of each of ``n`` events: a seeded permutation cut at
    ``round(f_train n)`` and ``round((f_train + f_val) n)``.

    Parameters
    ----------
    n : int
        Number of events.
    fractions : mapping of str to float
        Fraction per split, checked by :func:`check_fractions`.
    seed : int
        Seed of the permutation (``numpy.random.default_rng``).

    Returns
    -------
    numpy.ndarray of int8, shape (n,)
        The split of each event in its input order; test takes the rounding remainder.
    """
    f = list(check_fractions(fractions).values())
    cut1 = int(round(f[0] * n))
    cut2 = min(n, int(round((f[0] + f[1]) * n)))
    order = np.random.default_rng(seed).permutation(n)
    out = np.empty(n, dtype=np.int8)
    out[order[:cut1]] = 0
    out[order[cut1:cut2]] = 1
    out[order[cut2:]] = 2
    return out


def quality_mask(chunk: Mapping[str, np.ndarray], quality_cuts: Mapping | None, path) -> np.ndarray:
    """Rows of a chunk that pass every ``datasets.quality_cuts`` range (NaN fails).

    Parameters
    ----------
    chunk : mapping of str to numpy.ndarray
        Columns of the chunk, each (n_rows,); must hold every cut column.
    quality_cuts : mapping or None
        Column -> ``[min, max]`` (inclusive, None: open); None or ``{}``: no cut.
    path : str or os.PathLike
        The file the chunk came from, named in the error of a missing column.

    Returns
    -------
    numpy.ndarray of bool, shape (n_rows,)
        True where the row passes every cut.
    """
    n = len(next(iter(chunk.values())))
    keep = np.ones(n, dtype=bool)
    for mask in range_cut_masks(chunk, quality_cuts or {}, "datasets.quality_cuts", path).values():
        keep &= mask
    return keep


def _columns(path: Path) -> list[str]:
    with open_events(path) as f:
        return sorted(f["events"].keys())


def split_dataset(
    inputs: Mapping[str, str | os.PathLike],
    outputs: Mapping[str, str | os.PathLike],
    fractions: Mapping[str, float] | None = None,
    seed: int = 0,
    chunk_size: int = DATASETS_DEFAULTS["chunk_size"],
    config: Mapping | None = None,
    quality_cuts: Mapping | None = None,
) -> dict[str, dict[str, int]]:
    """Split labelled feature files into train/val/test files.

    Parameters
    ----------
    inputs : mapping sample name -> features file (e.g. ``{"gamma": ..., "proton": ...}``)
    outputs : mapping ``train``/``val``/``test`` -> output file
    fractions : mapping split -> fraction (sum 1); default :data:`DEFAULT_FRACTIONS`
    seed : int
        The rule's seed; each sample draws its own permutation from ``(seed, sample index)``.
    chunk_size : int
        Events read and written per chunk (default ``DATASETS_DEFAULTS["chunk_size"]``).
    config : mapping, optional
        The ``datasets`` section, stored with the fractions in the outputs' provenance attributes.
    quality_cuts : mapping column -> [min, max], optional
        Events outside are dropped after the assignment, so a cut changes no other event's split.
        Default: ``DATASETS_DEFAULTS["quality_cuts"]``; ``{}`` for none.

    Returns
    -------
    counts : dict split -> dict sample -> events
    """
    fractions = check_fractions(fractions or DEFAULT_FRACTIONS)
    if quality_cuts is None:
        quality_cuts = DATASETS_DEFAULTS["quality_cuts"]
    check_range_cuts(quality_cuts, "datasets.quality_cuts")
    missing_out = [s for s in SPLITS if s not in outputs]
    if missing_out:
        raise ValueError(f"split_dataset: outputs lack {missing_out}")
    if not inputs:
        raise InputError("split_dataset: no labelled samples to split")
    paths = {name: Path(p) for name, p in inputs.items()}
    cols = {name: _columns(p) for name, p in paths.items()}
    first = next(iter(cols))
    for name, c in cols.items():
        if c != cols[first]:
            raise InputError(
                f"{paths[name]}: columns differ from {paths[first]}: only in {name}: "
                f"{sorted(set(c) - set(cols[first]))}, only in {first}: "
                f"{sorted(set(cols[first]) - set(c))}"
            )
    counts = {s: {} for s in SPLITS}
    counts_cut: dict[str, int] = {}
    section = {"fractions": fractions, **dict(config or {})}
    writers = {s: EventWriter(outputs[s], config=section, seed=seed) for s in SPLITS}
    try:
        for w in writers.values():
            w.__enter__()
        for i, (name, path) in enumerate(paths.items()):
            n = n_events(path)
            assign = split_assignment(
                n, fractions, int(np.random.SeedSequence([seed, i]).generate_state(1)[0])
            )
            for s in SPLITS:
                counts[s][name] = 0
            for start in range(0, n, chunk_size):
                stop = min(start + chunk_size, n)
                chunk = read_columns(path, cols[name], start, stop)
                chunk["sample"] = np.full(stop - start, name.encode(), dtype="S16")
                if "particle_id" in chunk:
                    is_gamma = chunk["particle_id"] == PARTICLE_ID["gamma"]
                    chunk["is_gamma"] = is_gamma.astype(np.int8)
                else:
                    chunk["is_gamma"] = np.full(stop - start, name in GAMMA_SAMPLES, np.int8)
                part = np.where(quality_mask(chunk, quality_cuts, path), assign[start:stop], -1)
                counts_cut[name] = counts_cut.get(name, 0) + int((part < 0).sum())
                for k, s in enumerate(SPLITS):
                    sel = np.flatnonzero(part == k)
                    if sel.size:
                        writers[s].append({c: v[sel] for c, v in chunk.items()})
                        counts[s][name] += int(sel.size)
            log.info(
                "split_dataset %s: %s (%d removed by quality cuts %s)",
                name,
                {s: counts[s][name] for s in SPLITS},
                counts_cut.get(name, 0),
                dict(quality_cuts or {}),
            )
        for s, w in writers.items():
            if w.n_rows == 0:
                raise InputError(
                    f"split_dataset: split '{s}' would be empty (fractions "
                    f"{fractions}, inputs {dict(inputs)})"
                )
    except BaseException as exc:
        for w in writers.values():
            if w._file is not None:
                w.__exit__(type(exc), exc, None)
        raise
    for w in writers.values():
        w.__exit__(None, None, None)
    return counts
