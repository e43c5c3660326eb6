"""Reader of real FACT DL2/DL3 files (FACT-Tools / pyfact / aict-tools layout) in our names.

The one place where FACT's column names are mapped to ours (:mod:`iactdl.io.event_columns`).

FACT -> ours (units converted here, nowhere else):

=======================================  ========  =====================  =====  ==================
FACT column                              unit      ours                   unit   note
=======================================  ========  =====================  =====  ==================
``night``, ``run_id``, ``event_num``     -         ``event_id``           -      fact_event_id
``corsika_run_header_particle_id``       -         ``particle_id``        -      1 gamma, 14 proton
``corsika_event_header_total_energy``    GeV       ``true_energy``        TeV    / 1000
``ceres_event_basic_impact``             cm        ``true_impact``        m      / 100 (MMcEvt)
``corsika_event_header_x``, ``_y``       cm        ``true_impact``        m      fallback: hypot
``source_position_x``, ``_y``            mm        ``source_x``, ``_y``   mm     camera frame
``source_position_x``, ``_y`` (gammas)   mm        ``true_source_x/_y``   mm     NaN for hadrons
image features (:data:`FACT_FEATURES`)   FACT      same names             same   passed through
=======================================  ========  =====================  =====  ==================

Camera frame. FACT-Tools writes ``cog_x/cog_y`` and ``source_position_x/y`` in mm in the frame
that pyfact defines from the pixel map (``x = -pos_Y * 9.5``, ``y = pos_X * 9.5``), the frame of
:mod:`iactdl.camera`. So no sign flip: the main axis of simulated gamma images (``delta``) points
back to ``(source_position_x, source_position_y)`` as written (checked on the shared files in the
tests: the median ``|sin|`` of the angle between the axis and cog->source is ~0.08 as is and
>= 0.48 with either sign flipped).

Source positions. For point-like gammas and protons FACT's ``source_position`` is the wobble
position of the source (0.6 deg = 51.2 mm off the centre); for diffuse gammas it is the true
direction of the primary. It becomes our assumed ON position ``source_x/y`` for every sample and
the true source ``true_source_x/y`` for gammas only (the contract: NaN for hadrons).

Impact. MARS/CERES store the impact parameter (``ceres_event_basic_impact``) in cm, as CORSIKA
does for core positions: 10716 cm median on ``gamma.hdf5``, i.e. 107 m, inside FACT's 270 m
scatter radius (400 m for protons).

Levels. DL2 files carry the image features (``size``, ``width``, ...); simulated DL2 also the
CORSIKA truth. DL3 files (aict-tools ``fact_to_dl3``, e.g. ``crab_dl3_small.hdf5``) carry
predictions and ``theta_deg``, ``theta_deg_off_1..5`` but no image features: :func:`read_fact`
reads them (event id plus the columns asked for), the extract stage needs DL2 (see
:func:`fact_level`).

Compression. pyfact's ``write_data`` compresses with blosc:zstd (HDF5 filter 32001); h5py reads such
files only after ``import hdf5plugin`` (done in :func:`iactdl.io.hdf5.open_events`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence

import h5py
import numpy as np

from iactdl.io.hdf5 import GROUP, InputError, check_column, open_events, read_dataset

__all__ = [
    "fact_ontime_s",
    "FACT_FEATURES",
    "FACT_TRUTH_COLUMNS",
    "DL3_COLUMNS",
    "GEV_PER_TEV",
    "CM_PER_M",
    "fact_event_id",
    "fact_level",
    "fact_n_events",
    "read_fact",
    "iter_fact_chunks",
]

log = logging.getLogger(__name__)

GEV_PER_TEV = 1000.0
CM_PER_M = 100.0
# event_num of a FACT run stays far below 1e7 (a 5-minute run has < 1e6 triggers)
EVENTS_PER_RUN = 10**7
RUNS_PER_NIGHT = 1000

# The image features of FACT-Tools DL2 that we pass through under their own names and units
# (size p.e.; width, length, cog_x/y mm; delta rad; time slopes ns/mm; timespread ns ...).
FACT_FEATURES = (
    "size",
    "width",
    "length",
    "delta",
    "cog_x",
    "cog_y",
    "num_islands",
    "num_pixel_in_shower",
    "leakage1",
    "leakage2",
    "concentration_cog",
    "concentration_core",
    "concentration_one_pixel",
    "concentration_two_pixel",
    "skewness_long",
    "skewness_trans",
    "kurtosis_long",
    "kurtosis_trans",
    "time_gradient_slope_long",
    "time_gradient_slope_trans",
    "timespread",
    "photoncharge_shower_mean",
    "photoncharge_shower_variance",
    "photoncharge_shower_max",
)

# FACT columns the truth is built from (simulated files); impact has a fallback, see _impact_m
FACT_TRUTH_COLUMNS = (
    "corsika_run_header_particle_id",
    "corsika_event_header_total_energy",
    "source_position_x",
    "source_position_y",
)
_IMPACT = "ceres_event_basic_impact"
_CORE = ("corsika_event_header_x", "corsika_event_header_y")

# What aict-tools' DL3 adds; a file with these but without the features is DL3
DL3_COLUMNS = ("gamma_prediction", "gamma_energy_prediction", "theta_deg")


def fact_event_id(
    run_id: np.ndarray, event_num: np.ndarray, night: np.ndarray | None = None
) -> np.ndarray:
    """Our int64 ``event_id`` from FACT's event identification.

    ``(night * 1000 + run_id) * 10**7 + event_num`` for observations and ``run_id * 10**7 +
    event_num`` for simulations (no ``night``): unique as long as a night has < 1000 runs and a run
    < 10**7 events, and readable back by eye (20131104 243 0004315 -> night, run, event).

    Parameters
    ----------
    run_id : numpy.ndarray
        FACT's run number per event.
    event_num : numpy.ndarray
        FACT's event number within the run.
    night : numpy.ndarray, optional
        The night (YYYYMMDD) per event; ``None`` for simulations.

    Returns
    -------
    numpy.ndarray
        The ``event_id`` per event (int64).
    """
    run = np.asarray(run_id, dtype=np.int64)
    if night is not None:
        run = np.asarray(night, dtype=np.int64) * RUNS_PER_NIGHT + run
    return run * EVENTS_PER_RUN + np.asarray(event_num, dtype=np.int64)


def fact_level(path: str | os.PathLike) -> str:
    """The data level of a FACT file, from the columns it has.

    Parameters
    ----------
    path : str or os.PathLike
        A FACT HDF5 file.

    Returns
    -------
    str
        ``"dl2_simulated"``, ``"dl2_observed"`` or ``"dl3"``.
    """
    with open_events(path, text_ok=True, external=True) as f:
        have = set(f[GROUP].keys())
    if "size" in have:
        return "dl2_simulated" if "corsika_event_header_total_energy" in have else "dl2_observed"
    if set(DL3_COLUMNS) <= have:
        return "dl3"
    raise InputError(
        f"{path}: neither FACT DL2 (no image feature 'size' in group '{GROUP}') nor aict-tools DL3 "
        f"(no {list(DL3_COLUMNS)})"
    )


def fact_ontime_s(path: str | os.PathLike) -> float:
    """The observation time of a FACT observed DL2 file: the sum of ``runs/ontime`` (s), as
    FACT's open analysis sums it for the hours of its theta^2 plot.

    Parameters
    ----------
    path : str or os.PathLike
        A FACT observed DL2 HDF5 file with a dataset ``runs/ontime`` (s per run).

    Returns
    -------
    float
        The total observation time, in seconds.

    Raises
    ------
    InputError
        Naming the file and the dataset where ``runs/ontime`` is missing, empty, or holds a
        negative or non-finite value.
    """
    with h5py.File(path, "r") as f:
        if "runs" not in f or "ontime" not in f["runs"]:
            raise InputError(
                f"{path}: no dataset 'runs/ontime' (s per run): the observation time of the "
                "observed DL2 file, needed for the DL3 runs table and sigma per sqrt(hour)"
            )
        ontime = np.asarray(f["runs"]["ontime"][:], dtype=np.float64)
    if ontime.size == 0 or not np.all(np.isfinite(ontime)) or np.any(ontime < 0):
        raise InputError(f"{path}: 'runs/ontime' must hold finite values >= 0 s per run")
    return float(ontime.sum())


def fact_n_events(path: str | os.PathLike) -> int:
    """Number of events (rows of group ``events``) of a FACT file.

    Parameters
    ----------
    path : str or os.PathLike
        A FACT HDF5 file.

    Returns
    -------
    int
        Its number of events.
    """
    with open_events(path, text_ok=True, external=True) as f:
        g = f[GROUP]
        datasets = [ds for ds in g.values() if isinstance(ds, h5py.Dataset) and ds.ndim]
        lengths = {int(ds.shape[0]) for ds in datasets}
    if len(lengths) > 1:
        raise InputError(f"{path}: columns of group '{GROUP}' have different lengths {lengths}")
    return lengths.pop() if lengths else 0


def _needed(have: set[str], features, extra, truth: bool | None, path) -> tuple[list, bool]:
    """FACT columns to read, and whether truth is built; raises naming what is missing."""
    id_cols = ["run_id", "event_num"] + (["night"] if "night" in have else [])
    simulated = "corsika_event_header_total_energy" in have
    if truth is None:
        truth = simulated
    need = id_cols + list(features) + list(extra)
    if "source_position_x" in have or truth:
        need += ["source_position_x", "source_position_y"]
    if truth:
        need += list(FACT_TRUTH_COLUMNS)
        need += [_IMPACT] if _IMPACT in have or not set(_CORE) <= have else list(_CORE)
    need = list(dict.fromkeys(need))
    missing = [c for c in need if c not in have]
    if missing:
        what = "simulated FACT DL2 (truth)" if truth else "FACT DL2"
        if set(DL3_COLUMNS) <= have and "size" not in have:
            what += "; this looks like aict-tools DL3 (predictions, theta_deg, no image features)"
        raise InputError(f"{path}: missing column(s) {missing} in group '{GROUP}' ({what})")
    return need, truth


def _to_ours(raw: dict[str, np.ndarray], features, extra, truth: bool) -> dict[str, np.ndarray]:
    """Map one chunk of FACT columns to ours (the unit conversions of the table above)."""
    out = {
        "event_id": fact_event_id(raw["run_id"], raw["event_num"], raw.get("night")),
    }
    if "source_position_x" in raw:
        out["source_x"] = raw["source_position_x"].astype(np.float64)
        out["source_y"] = raw["source_position_y"].astype(np.float64)
    if truth:
        pid = raw["corsika_run_header_particle_id"].astype(np.int64)
        out["particle_id"] = pid
        out["true_energy"] = raw["corsika_event_header_total_energy"] / GEV_PER_TEV
        if _IMPACT in raw:
            out["true_impact"] = raw[_IMPACT] / CM_PER_M
        else:
            out["true_impact"] = np.hypot(raw[_CORE[0]], raw[_CORE[1]]) / CM_PER_M
        is_gamma = pid == 1
        out["true_source_x"] = np.where(is_gamma, out["source_x"], np.nan)
        out["true_source_y"] = np.where(is_gamma, out["source_y"], np.nan)
    for name in list(features) + list(extra):
        out[name] = raw[name]
    return out


def iter_fact_chunks(
    path: str | os.PathLike,
    chunk_size: int = 100_000,
    features: Sequence[str] = FACT_FEATURES,
    extra_columns: Sequence[str] = (),
    truth: bool | None = None,
) -> Iterator[dict[str, np.ndarray]]:
    """Stream a FACT DL2/DL3 file in chunks of rows, each a dict of our columns.

    Parameters
    ----------
    path : str or os.PathLike
        A FACT file (group ``events``, one 1-D dataset per column).
    chunk_size : int
        Rows per chunk; memory is about ``chunk_size * n_columns * 8`` bytes.
    features : sequence of str
        FACT image features to pass through (all must exist: DL2). ``()`` for DL3.
    extra_columns : sequence of str
        Further FACT columns passed through unchanged (e.g. ``pointing_position_zd``,
        ``gamma_prediction``, ``theta_deg``).
    truth : bool, optional
        Build the truth columns (``particle_id``, ``true_energy`` ...). ``None``: when the file is
        simulated (has ``corsika_event_header_total_energy``); ``True``: required.

    Yields
    ------
    dict of str to numpy.ndarray
        The columns of one chunk, in our names and units.

    Raises
    ------
    InputError
        Missing file, not HDF5, no ``events`` group, a missing column (named), unequal lengths.
    """
    n = fact_n_events(path)
    with open_events(path, text_ok=True, external=True) as f:
        g = f[GROUP]
        need, truth = _needed(set(g.keys()), features, extra_columns, truth, path)
        for name in need:  # numbers, one per event (FACT's text columns are never read)
            check_column(path, name, g[name])
            if g[name].ndim != 1:
                raise InputError(f"{path}: column '{name}' is {g[name].ndim}-D, expected 1-D")
        for start in range(0, n, chunk_size):
            stop = min(start + chunk_size, n)
            raw = {name: read_dataset(path, name, g[name], slice(start, stop)) for name in need}
            yield _to_ours(raw, features, extra_columns, truth)


def read_fact(
    path: str | os.PathLike,
    features: Sequence[str] = FACT_FEATURES,
    extra_columns: Sequence[str] = (),
    truth: bool | None = None,
) -> dict[str, np.ndarray]:
    """A whole FACT file in our column names.

    For DL3 files pass ``features=()`` and the DL3 columns wanted as ``extra_columns``.

    Parameters
    ----------
    path : str or os.PathLike
        A FACT file.
    features : sequence of str
        FACT image features to pass through (see :func:`iter_fact_chunks`).
    extra_columns : sequence of str
        Further FACT columns passed through unchanged.
    truth : bool, optional
        Build the truth columns (``None``: when the file is simulated).

    Returns
    -------
    dict of str to numpy.ndarray
        Every column, one row per event.

    Raises
    ------
    InputError
        As :func:`iter_fact_chunks`.
    """
    chunks = list(iter_fact_chunks(path, 1 << 62, features, extra_columns, truth))
    if not chunks:
        return {}
    return chunks[0]
