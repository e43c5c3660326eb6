"""The observed events split into ``observed_train``, ``observed_val`` and ``observed_test``.

Training on observed events (domain adaptation, ON/OFF training) and scoring the same events would
be in-sample, so the observation is split once:

- ``observed_train``: the unlabelled target data of stages 5-6 (DANN's target stream, the domain
  classifier, the ON/OFF models). Its file holds the feature table of *every* train event and no
  image columns, so that a few million events stay small on disk;
- ``observed_train_images``: the first ``max_train_images`` train events (in file order) with every
  column, images included (``grid_image``, ``pixel_set``, ``pixel_set_mask``): what pixel-level
  nets need (some 1e5 events at most). File order is the order of ``event_id`` in the simulation,
  so the subset too only grows when the observation grows;
- ``observed_val``: model selection without truth (all columns, images included);
- ``observed_test``: the only observed events any model is scored on (all columns, images included).

Assignment. Event ``i`` goes to a split by a hash of its ``event_id`` alone (SplitMix64, Steele et
al. 2014, salted with the rule's seed): ``u = hash(event_id) / 2**64`` is uniform in [0, 1), and the
split is train for ``u < f_train``, val for ``u < f_train + f_val``, test otherwise. Unlike a
permutation, an event's split does not depend on the other events: when the observation grows (more
events, more files) no event changes split, and reading in chunks gives the same answer as reading
whole. A quality cut drops events without moving any.

Stratification by ``region`` (ON, OFF 1..n): every region is cut at the same thresholds of the same
uniform hash, so each region holds the configured fractions of its events up to binomial noise
(relative ``sqrt((1 - f) / (f n))``, 0.2 % at 1e5 events per region), and so does the ON/OFF
ratio that the Li & Ma significance and the label-noise correction rest on. Exact quotas per region
would need a ranking over all events, which moves events between splits whenever the sample grows;
the per-region counts are logged and stored in each file's ``split_counts`` attribute. FACT DL2
observations have no ``region`` column (it is a DL3 quantity, from theta to the ON and OFF
positions): their events form one stratum.

The observed truth (:data:`iactdl.io.TRUTH_COLUMNS`) never enters these files; a chunk carrying a
truth column is refused.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from contextlib import ExitStack
from pathlib import Path

import numpy as np

from iactdl.features.columns import IMAGE_PRODUCTS
from iactdl.features.split import DATASETS_DEFAULTS, check_fractions, quality_mask
from iactdl.io import (
    TRUTH_COLUMNS,
    EventWriter,
    InputError,
    column_names,
    data_attrs,
    n_events,
    read_columns,
)

__all__ = [
    "OBSERVED_SPLITS",
    "OBSERVED_FILES",
    "DEFAULT_OBSERVED_FRACTIONS",
    "DEFAULT_MAX_TRAIN_IMAGES",
    "check_observed_fractions",
    "event_hash_uniform",
    "observed_split_assignment",
    "ObservedSplitWriter",
    "split_observed",
]

log = logging.getLogger(__name__)

OBSERVED_SPLITS = ("train", "val", "test")
# output keys of the writer: the three splits plus the image subset of train
OBSERVED_FILES = ("train", "train_images", "val", "test")
DEFAULT_OBSERVED_FRACTIONS = DATASETS_DEFAULTS["observed_fractions"]
DEFAULT_MAX_TRAIN_IMAGES = DATASETS_DEFAULTS["observed_train_images"]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser (Steele, Lea & Flood 2014): a bijection of uint64 whose output bits
    are uniform and independent of neighbouring inputs (consecutive event ids included)."""
    z = x + _GOLDEN  # uint64 arrays wrap modulo 2**64, as the algorithm wants
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


def event_hash_uniform(event_id: np.ndarray, salt: int = 0) -> np.ndarray:
    """A uniform number in [0, 1) per event, a function of ``(event_id, salt)`` only (float64).

    ``u = (splitmix64(event_id XOR splitmix64(salt)) >> 11) * 2**-53`` (SplitMix64: Steele, Lea &
    Flood 2014): the top 53 bits of the hash, exact in float64.

    Parameters
    ----------
    event_id : integer array (n_events,)
        Event ids (any integer dtype; taken as int64 bits).
    salt : int
        Salt of the hash, the rule's seed (default 0); reduced modulo 2**64.

    Returns
    -------
    numpy.ndarray of float64, shape (n_events,)
        The uniform number of each event.

    Raises
    ------
    iactdl.io.InputError
        ``event_id`` not of an integer dtype.
    """
    ids = np.asarray(event_id)
    if ids.dtype.kind not in "iu":
        raise InputError(f"event_id: expected integers, got dtype {ids.dtype}")
    key = _splitmix64(np.array([int(salt) & 0xFFFFFFFFFFFFFFFF], dtype=np.uint64))[0]
    h = _splitmix64(ids.astype(np.int64).view(np.uint64) ^ key)
    return (h >> np.uint64(11)).astype(np.float64) * 2.0**-53  # top 53 bits: exact in float64


def check_observed_fractions(fractions: Mapping[str, float] | None) -> dict[str, float]:
    """``{train, val, test}`` fractions (default: :data:`DEFAULT_OBSERVED_FRACTIONS`), each > 0
    and summing to 1, or a ValueError naming ``datasets.observed_fractions`` (the simulations'
    check, :func:`iactdl.features.split.check_fractions`).

    Parameters
    ----------
    fractions : mapping of str to float or None
        ``datasets.observed_fractions``; None or empty: :data:`DEFAULT_OBSERVED_FRACTIONS`.

    Returns
    -------
    dict of str to float
        The fractions of train, val and test, in that order.
    """
    return check_fractions(fractions or DEFAULT_OBSERVED_FRACTIONS, "observed_fractions")


def observed_split_assignment(
    event_id: np.ndarray, fractions: Mapping[str, float] | None = None, salt: int = 0
) -> np.ndarray:
    """Split index per event, 0 train, 1 val, 2 test (int8), from the hash of its ``event_id``.

    Train where ``u < f_train``, val where ``u < f_train + f_val``, test otherwise, with ``u`` of
    :func:`event_hash_uniform`: an event's split depends on its id and the salt only.

    Parameters
    ----------
    event_id : integer array (n_events,)
        Event ids.
    fractions : mapping of str to float, optional
        Train/val/test fractions (:func:`check_observed_fractions`); default
        :data:`DEFAULT_OBSERVED_FRACTIONS`.
    salt : int
        Salt of the hash, the rule's seed (default 0).

    Returns
    -------
    numpy.ndarray of int8, shape (n_events,)
        The split index of each event.
    """
    f = check_observed_fractions(fractions)
    edges = np.array([f["train"], f["train"] + f["val"]])
    return np.searchsorted(edges, event_hash_uniform(event_id, salt), side="right").astype(np.int8)


class ObservedSplitWriter:
    """Route chunks of observed events into the split files, atomically (all files or none).

    Parameters
    ----------
    outputs : mapping of str to str or os.PathLike
        The output file of each key of :data:`OBSERVED_FILES`.
    fractions : mapping of str to float, optional
        Train/val/test fractions (:func:`check_observed_fractions`).
    salt : int
        The rule's seed: the hash's salt (default 0).
    max_train_images : int
        Train events (the first, in order of arrival) that also go, with their images, to
        ``train_images``; 0 for none (default :data:`DEFAULT_MAX_TRAIN_IMAGES`).
    config : mapping, optional
        Config section stored as provenance in every file.
    seed : int, optional
        Seed stored as provenance in every file.
    attrs : mapping, optional
        Data attributes of every file (e.g. ``n_off_regions``); ``observed_fractions`` and
        ``observed_split`` are added.
    compression : str or None
        HDF5 compression of every file (gzip level 1 by default: the grid images are mostly zeros
        and shrink ~10x).
    buffer_bytes : int
        Rows are collected per file up to about this many bytes and appended as one block (memory
        is bounded by 5x this, whatever the number of events; default 8 MiB). A block of 8 MiB is
        a few thousand rows, enough to make the cost per append small; a larger buffer only moves
        the peak memory to larger observations (at 32 MiB the feature-only train file, ~0.5 kB a
        row, filled its buffer only after ~65k train events, some 400k simulated ones).

    Raises
    ------
    ValueError
        ``outputs`` lacking a key, or ``max_train_images`` < 0.
    """

    def __init__(
        self,
        outputs: Mapping[str, str | os.PathLike],
        fractions: Mapping[str, float] | None = None,
        salt: int = 0,
        max_train_images: int = DEFAULT_MAX_TRAIN_IMAGES,
        config: Mapping | None = None,
        seed: int | None = None,
        attrs: Mapping | None = None,
        compression: str | None = "gzip",
        buffer_bytes: int = 8 << 20,
    ):
        missing = [k for k in OBSERVED_FILES if k not in outputs]
        if missing:
            raise ValueError(f"ObservedSplitWriter: outputs lack {missing}")
        if int(max_train_images) < 0:
            raise ValueError(
                f"config datasets.observed_train_images: expected >= 0, got {max_train_images}"
            )
        self.fractions = check_observed_fractions(fractions)
        self.salt = int(salt)
        self.max_train_images = int(max_train_images)
        attrs = dict(attrs or {})
        attrs["observed_fractions"] = json.dumps(self.fractions, sort_keys=True)
        self.writers = {
            k: EventWriter(
                outputs[k],
                config=config,
                seed=seed,
                attrs={**attrs, "observed_split": k},
                compression=compression,
            )
            for k in OBSERVED_FILES
        }
        # counts[file][region] (region -1: no region column, one stratum)
        self.counts: dict[str, dict[int, int]] = {k: {} for k in OBSERVED_FILES}
        self.n_rows = {k: 0 for k in OBSERVED_FILES}
        self.buffer_bytes = int(buffer_bytes)
        self._buffer: dict[str, list] = {k: [] for k in OBSERVED_FILES}
        self._buffer_bytes = {k: 0 for k in OBSERVED_FILES}

    def __enter__(self) -> ObservedSplitWriter:
        opened = []
        try:
            for w in self.writers.values():
                w.__enter__()
                opened.append(w)
        except BaseException as exc:
            for w in opened:
                w.__exit__(type(exc), exc, None)
            raise
        return self

    def append(self, chunk: Mapping[str, np.ndarray]) -> None:
        """Add one chunk of observed events (dict column -> array, ``event_id`` required).

        Parameters
        ----------
        chunk : mapping of str to numpy.ndarray
            The chunk's columns, (n_events, ...) each; ``region`` (int) where the events have
            theta^2 regions. The train file gets all but the image columns.

        Raises
        ------
        iactdl.io.InputError
            A truth column (:data:`iactdl.io.TRUTH_COLUMNS`) in the chunk, or no ``event_id``.
        """
        truth = sorted(set(chunk) & set(TRUTH_COLUMNS))
        if truth:
            raise InputError(
                f"observed split: truth column(s) {truth} in the observed events; the truth is "
                "read by evaluation only and never goes into observed_train/_val/_test"
            )
        if "event_id" not in chunk:
            raise InputError(
                f"observed split: no column 'event_id' (the events have {sorted(chunk)})"
            )
        part = observed_split_assignment(chunk["event_id"], self.fractions, self.salt)
        region = np.asarray(chunk["region"]) if "region" in chunk else None
        features = [c for c in chunk if c not in IMAGE_PRODUCTS]
        for k, name in enumerate(OBSERVED_SPLITS):
            rows = np.flatnonzero(part == k)
            if not rows.size:
                continue
            if name == "train":
                self._write("train", {c: chunk[c] for c in features}, rows, region)
                room = self.max_train_images - self.n_rows["train_images"]
                if room > 0:
                    self._write("train_images", chunk, rows[:room], region)
            else:
                self._write(name, chunk, rows, region)

    def _write(self, key, chunk, rows, region) -> None:
        if not rows.size:
            return
        part = {c: np.asarray(v)[rows] for c, v in chunk.items()}
        self._buffer[key].append(part)
        self._buffer_bytes[key] += sum(v.nbytes for v in part.values())
        self.n_rows[key] += rows.size
        if self._buffer_bytes[key] >= self.buffer_bytes:
            self._flush(key)
        if region is None:  # events without regions: one count (region -1 is "in no region")
            self.counts[key][None] = self.counts[key].get(None, 0) + rows.size
            return
        values, counts = np.unique(region[rows], return_counts=True)
        for v, c in zip(values.tolist(), counts.tolist(), strict=True):
            self.counts[key][v] = self.counts[key].get(v, 0) + c

    def _flush(self, key) -> None:
        """Append the buffered rows of one file as one block: HDF5 appends cost per call (a
        resize and a compressed write per column), and a chunk of the stream leaves only a few
        hundred rows per split after the cuts."""
        parts = self._buffer[key]
        if parts:
            self.writers[key].append({c: np.concatenate([p[c] for p in parts]) for c in parts[0]})
        self._buffer[key], self._buffer_bytes[key] = [], 0

    @property
    def n_written(self) -> int:
        """Events written to train, val and test so far (each event to exactly one)."""
        return sum(self.n_rows[k] for k in OBSERVED_SPLITS)

    def set_attr(self, key: str, value) -> None:
        """Set a file attribute on every output (e.g. a summary known only at the end).

        Parameters
        ----------
        key : str
            Attribute name.
        value : object
            Attribute value, as :meth:`iactdl.io.EventWriter.set_attr` stores it.
        """
        for w in self.writers.values():
            w.set_attr(key, value)

    def __exit__(self, exc_type, exc, tb) -> bool:
        # every writer is closed whatever fails first (a full disk in one file's close): a writer
        # left open would be closed by the garbage collector, which can crash h5py and never
        # removes its temporary file
        writers = ExitStack()
        for w in reversed(self.writers.values()):  # closed in OBSERVED_FILES order
            writers.push(w)
        if exc_type is not None:
            return writers.__exit__(exc_type, exc, tb)
        with writers:
            for key in OBSERVED_FILES:
                self._flush(key)
            empty = [k for k in OBSERVED_SPLITS if self.n_rows[k] == 0]
            if empty:
                raise InputError(
                    f"observed split: split(s) {empty} would be empty (fractions "
                    f"{self.fractions}, {self.n_written} events in all): too few "
                    "observed events pass the cuts"
                )
            for w in self.writers.values():
                w.set_attr("split_counts", json.dumps(self.counts_by_region(), sort_keys=True))
        log.info("observed split, events per file and region: %s", self.counts_by_region())
        return False

    def counts_by_region(self) -> dict[str, dict[str, int]]:
        """Events written per file and region (``"-1"``: in no theta^2 region; ``"all"`` when
        the events have no region column).

        Returns
        -------
        dict of str to dict of str to int
            Events per file key of :data:`OBSERVED_FILES`, then per region (as a string),
            regions in increasing order.
        """
        return {
            k: {
                ("all" if r is None else str(r)): n
                for r, n in sorted(c.items(), key=lambda rc: -2 if rc[0] is None else rc[0])
            }
            for k, c in self.counts.items()
        }


def split_observed(
    in_path: str | os.PathLike,
    outputs: Mapping[str, str | os.PathLike],
    fractions: Mapping[str, float] | None = None,
    salt: int = 0,
    max_train_images: int = DEFAULT_MAX_TRAIN_IMAGES,
    chunk_size: int = DATASETS_DEFAULTS["chunk_size"],
    config: Mapping | None = None,
    quality_cuts: Mapping | None = None,
    drop: Iterable[str] = TRUTH_COLUMNS,
    regions: Callable[[Mapping], dict] | None = None,
    extra_attrs: Mapping | None = None,
) -> dict:
    """Split an observed features file (``results/features/observed.h5``) into the observed split
    files, after the same quality cuts as the simulations (``datasets.quality_cuts``; default
    ``DATASETS_DEFAULTS["quality_cuts"]``, ``{}`` for none).

    ``regions``: the ON/OFF regions from reconstructed directions (a callable on a chunk, e.g.
    :class:`iactdl.observed_regions.RegionLabeller`), applied after the quality cuts as rule
    ``stream_observed`` does; its ``n_off`` becomes the files' ``n_off_regions``. ``extra_attrs``:
    further file attributes of every split file (FACT data: ``ontime_s``, the observation time).

    Truth columns in the input (``drop``) are left out; every other column is kept. Returns the
    counts per file and region (also logged and stored as attribute ``split_counts``).

    Parameters
    ----------
    in_path : str or os.PathLike
        The observed features file; never modified.
    outputs : mapping of str to str or os.PathLike
        The output file of each key of :data:`OBSERVED_FILES`.
    fractions : mapping of str to float, optional
        Train/val/test fractions; default :data:`DEFAULT_OBSERVED_FRACTIONS`.
    salt : int
        The rule's seed: the hash's salt, also stored as the files' seed (default 0).
    max_train_images : int
        Train events also written with images to ``train_images`` (default
        :data:`DEFAULT_MAX_TRAIN_IMAGES`).
    chunk_size : int
        Events read per chunk (default 4096).
    config : mapping, optional
        Config section stored as provenance in every file.
    quality_cuts : mapping, optional
        Column -> ``[min, max]`` (inclusive, None: open; NaN fails).
    drop : iterable of str
        Input columns left out (default :data:`iactdl.io.TRUTH_COLUMNS`).
    regions : callable, optional
        Chunk -> chunk with a ``region`` column, with an ``n_off`` attribute (OFF regions).
    extra_attrs : mapping, optional
        Further data attributes of every split file.

    Returns
    -------
    dict of str to dict of str to int
        :meth:`ObservedSplitWriter.counts_by_region` after the last chunk.

    Raises
    ------
    iactdl.io.InputError
        A truth column not in ``drop``, no ``event_id``, a cut column missing, or an empty split.
    """
    if quality_cuts is None:
        quality_cuts = DATASETS_DEFAULTS["quality_cuts"]
    path = Path(in_path)
    cols = [c for c in column_names(path) if c not in set(drop)]
    n = n_events(path)
    attrs = {k: v for k, v in data_attrs(path).items() if k in ("n_off_regions", "ontime_s")}
    if regions is not None:
        attrs["n_off_regions"] = regions.n_off
    attrs.update(extra_attrs or {})
    kept = 0
    with ObservedSplitWriter(
        outputs, fractions, salt, max_train_images, config=config, seed=salt, attrs=attrs
    ) as writer:
        for start in range(0, n, chunk_size):
            chunk = read_columns(path, cols, start, min(start + chunk_size, n))
            keep = quality_mask(chunk, quality_cuts, path)
            kept += int(keep.sum())
            if keep.any():
                selected = {c: v[keep] for c, v in chunk.items()}
                writer.append(regions(selected) if regions is not None else selected)
    log.info(
        "split_observed %s: %d of %d events pass the quality cuts %s",
        path,
        kept,
        n,
        dict(quality_cuts or {}),
    )
    return writer.counts_by_region()
