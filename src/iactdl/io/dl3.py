"""DL3 in FACT's layout (aict-tools ``fact_to_dl3``, pyfact ``write_data``): writing and reading.

A DL3 file holds what a theta^2 analysis needs, one row per event, and the observation's runs:

===========================  =====  ==========================================================
group ``events``             unit   meaning
===========================  =====  ==========================================================
``gamma_prediction``         -      gammaness in [0, 1] (1: most likely a gamma)
``gamma_energy_prediction``  GeV    estimated energy, in GeV as FACT writes it (ours elsewhere
                                    are TeV: ``energy_tev * GEV_PER_TEV``)
``theta_deg``                deg    angular distance reconstructed direction - source (ON)
``theta_deg_off_1..n``       deg    the same to the ``n`` OFF positions (FACT: n = 5)
``night``, ``run_id``        -      optional: FACT's run identification (YYYYMMDD, run of night)
``event_num``, ``event_id``  -      optional: event identification (FACT's, ours)
group ``runs``               unit   one row per run
``ontime``                   s      live observation time of the run (summed: the hours)
``night``, ``run_id``, ...   -      optional, as FACT (``source``, ``run_start``, ...)
===========================  =====  ==========================================================

The OFF positions are the source position rotated about the camera centre by ``k * 2 pi /
(n + 1)``, k = 1..n (pyfact ``fact.analysis.source.calc_off_position``), so ON and OFF regions are
equal in size and acceptance and alpha = 1 / n.

The layout is that of FACT's open Crab sample (``crab_dl3_small.hdf5``, fact-project/
open_crab_sample_analysis ``scripts/to_dl3.py``): one 1-D dataset per column, a ``unit`` attribute
per dataset, no attribute required on the groups, so pyfact's ``read_h5py(path, key='events')``
and ``key='runs'`` and the label-noise papers' code read our files, and we read FACT's.
Files we write also carry our provenance attributes (:class:`iactdl.io.hdf5.EventWriter`) and
``n_off_regions``; files from FACT carry neither, and ``n_off`` comes from the theta columns.

Bad input raises :class:`iactdl.io.hdf5.InputError` naming the file and the column: a file
without ``theta_deg`` or the OFF columns, OFF columns not numbered 1..n, an ``n_off`` that
disagrees with the file, a ``runs`` table without ``ontime``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np

from iactdl.io.fact import GEV_PER_TEV  # FACT's DL3 energy is in GeV, ours in TeV
from iactdl.io.hdf5 import GROUP, EventWriter, InputError, open_events, read_dataset

__all__ = [
    "RUNS_GROUP",
    "GAMMANESS",
    "ENERGY",
    "THETA_ON",
    "DL3_REQUIRED",
    "DL3_UNITS",
    "theta_off_columns",
    "DL3",
    "dl3_events",
    "DL3Writer",
    "write_dl3",
    "read_dl3",
]

RUNS_GROUP = "runs"
GAMMANESS = "gamma_prediction"
ENERGY = "gamma_energy_prediction"
THETA_ON = "theta_deg"
DL3_REQUIRED = (GAMMANESS, ENERGY, THETA_ON)
_OFF_RE = re.compile(r"^theta_deg_off_(\d+)$")

# the ``unit`` attribute per dataset, as FACT's to_dl3 writes it
DL3_UNITS = {
    GAMMANESS: "",
    ENERGY: "GeV",
    THETA_ON: "deg",
    "night": "",
    "run_id": "",
    "event_num": "",
    "event_id": "",
    "ontime": "s",
}


def theta_off_columns(n_off: int) -> list[str]:
    """The names of the OFF positions' theta columns.

    Parameters
    ----------
    n_off : int
        Number of OFF positions, >= 1.

    Returns
    -------
    list of str
        ``['theta_deg_off_1', ..., 'theta_deg_off_<n_off>']``.

    Raises
    ------
    ValueError
        If ``n_off`` is not an integer >= 1.
    """
    if int(n_off) != n_off or n_off < 1:
        raise ValueError(
            f"n_off (the number of OFF positions) must be an integer >= 1, got {n_off}"
        )
    return [f"theta_deg_off_{k}" for k in range(1, int(n_off) + 1)]


def _off_numbers(path, names) -> int:
    """The number of OFF columns, checked to be ``theta_deg_off_1..n`` without gaps."""
    found = sorted(int(m.group(1)) for m in map(_OFF_RE.match, names) if m)
    if not found:
        raise InputError(
            f"{path}: no OFF theta column in group '{GROUP}' (expected theta_deg_off_1.."
            "theta_deg_off_n, deg, FACT's DL3 layout); the file has "
            f"{sorted(names)}"
        )
    if found != list(range(1, len(found) + 1)):
        raise InputError(
            f"{path}: OFF theta columns are numbered {found} in group '{GROUP}'; expected "
            f"theta_deg_off_1..theta_deg_off_{len(found)} without gaps"
        )
    return len(found)


@dataclass
class DL3:
    """A DL3 file in memory: the event columns, the runs table and the number of OFF positions.

    Parameters
    ----------
    path : pathlib.Path
        The file read.
    events : dict of str to numpy.ndarray
        Columns of group ``events`` (FACT names and units: see the module's table).
    runs : dict of str to numpy.ndarray or None
        Columns of group ``runs``; ``None`` where the file has no such group.
    n_off : int
        Number of OFF positions (``theta_deg_off_1..n_off``); alpha = 1 / n_off.
    attrs : dict
        File attributes (provenance of files we wrote; empty for FACT's).
    """

    path: Path
    events: dict[str, np.ndarray]
    runs: dict[str, np.ndarray] | None
    n_off: int
    attrs: dict = field(default_factory=dict)

    @property
    def theta_off(self) -> np.ndarray:
        """OFF thetas, deg, shape ``(n_off, n_events)``."""
        return np.stack([self.events[c] for c in theta_off_columns(self.n_off)])

    @property
    def ontime_s(self) -> np.ndarray:
        """``runs/ontime`` per run, s; :class:`InputError` without a runs table or ontime."""
        if self.runs is None:
            raise InputError(
                f"{self.path}: no group '{RUNS_GROUP}'; the observation time needs the runs table "
                "with 'ontime' (s) per run (FACT's DL3 layout)"
            )
        if "ontime" not in self.runs:
            raise InputError(
                f"{self.path}: no column 'ontime' (s) in group '{RUNS_GROUP}'; it has "
                f"{sorted(self.runs)}"
            )
        return np.asarray(self.runs["ontime"], dtype=np.float64)


def dl3_events(gammaness, energy_tev, theta_deg, theta_deg_off, **extra) -> dict[str, np.ndarray]:
    """Our predictions as DL3 event columns in FACT's names and units.

    Parameters
    ----------
    gammaness : array_like, shape (n_events,)
        Gammaness in [0, 1] -> ``gamma_prediction``.
    energy_tev : array_like, shape (n_events,)
        Estimated energy, TeV (our unit) -> ``gamma_energy_prediction`` in GeV (x 1000).
    theta_deg : array_like, shape (n_events,)
        theta to the source, deg -> ``theta_deg``.
    theta_deg_off : array_like, shape (n_off, n_events)
        theta to each OFF position, deg -> ``theta_deg_off_1..n_off``.
    **extra : array_like
        Further columns as they are (``event_id``, ``night``, ``run_id``, ...).

    Returns
    -------
    dict of str to ndarray
        Ready for :func:`write_dl3` / :meth:`DL3Writer.append`.
    """
    t_off = np.atleast_2d(np.asarray(theta_deg_off, dtype=np.float64))
    out = {
        GAMMANESS: np.asarray(gammaness, dtype=np.float64),
        ENERGY: np.asarray(energy_tev, dtype=np.float64) * GEV_PER_TEV,
        THETA_ON: np.asarray(theta_deg, dtype=np.float64),
    }
    out.update(zip(theta_off_columns(len(t_off)), t_off, strict=True))
    out.update({k: np.asarray(v) for k, v in extra.items()})
    return out


def _check_events(events: Mapping[str, np.ndarray], n_off: int, path) -> int:
    missing = [c for c in (*DL3_REQUIRED, *theta_off_columns(n_off)) if c not in events]
    if missing:
        raise ValueError(f"{path}: DL3 events lack column(s) {missing}; given {sorted(events)}")
    extra_off = sorted(c for c in events if _OFF_RE.match(c) and c not in theta_off_columns(n_off))
    if extra_off:
        raise ValueError(f"{path}: n_off = {n_off} but the events also hold {extra_off}")
    lengths = {k: len(v) for k, v in events.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"{path}: DL3 event columns of unequal length: {lengths}")
    return next(iter(lengths.values()))


class DL3Writer(EventWriter):
    """:class:`~iactdl.io.hdf5.EventWriter` for DL3: chunks of events, then the runs table.

    ::

        with DL3Writer(path, n_off=5, config=section, seed=seed) as w:
            for chunk in chunks:        # gamma_prediction, gamma_energy_prediction (GeV),
                w.append(chunk)         # theta_deg, theta_deg_off_1..5 (deg), ...
            w.write_runs({"ontime": ontime_s, "night": ..., "run_id": ...})

    Written atomically (nothing at ``path`` unless the block ends without error), with FACT's
    ``unit`` attributes and the file attribute ``n_off_regions``. A DL3 file without a runs table
    is refused on closing: its significance per hour could not be computed.

    Parameters
    ----------
    path : str or os.PathLike
        The file to write.
    n_off : int
        Number of OFF positions (>= 1): columns ``theta_deg_off_1..n_off``.
    **kwargs
        Passed on to :class:`~iactdl.io.hdf5.EventWriter` (``config``, ``seed``, ``attrs``, ...).
    """

    def __init__(self, path: str | os.PathLike, n_off: int, **kwargs):
        attrs = dict(kwargs.pop("attrs", None) or {})
        attrs["n_off_regions"] = int(n_off)
        super().__init__(path, attrs=attrs, **kwargs)
        theta_off_columns(n_off)  # validates n_off
        self.n_off = int(n_off)
        self._runs_written = False

    def append(self, chunk: Mapping[str, np.ndarray]) -> None:
        """Append a chunk of DL3 events, checked first.

        Parameters
        ----------
        chunk : Mapping of str to numpy.ndarray
            The chunk's columns (FACT's DL3 names, with ``theta_deg_off_1..n_off``).

        Raises
        ------
        ValueError
            A required DL3 column is missing, an OFF column is beyond ``n_off``, or columns of
            unequal length.
        """
        _check_events(chunk, self.n_off, self.path)
        super().append(chunk)

    def write_runs(self, runs: Mapping[str, np.ndarray]) -> None:
        """Write group ``runs``: one row per run.

        Parameters
        ----------
        runs : Mapping of str to numpy.ndarray
            Columns of the runs table; ``ontime`` (s per run, finite and >= 0) is required.

        Raises
        ------
        ValueError
            Without ``ontime``, with a negative or non-finite one, or with columns of unequal
            length.
        """
        assert self._file is not None, "use DL3Writer as a context manager"
        if "ontime" not in runs:
            raise ValueError(f"{self.path}: runs need 'ontime' (s per run); given {sorted(runs)}")
        ontime = np.asarray(runs["ontime"], dtype=np.float64)
        if ontime.ndim != 1 or not np.all(np.isfinite(ontime)) or np.any(ontime < 0):
            raise ValueError(f"{self.path}: runs 'ontime' must be finite and >= 0 s per run")
        lengths = {k: len(v) for k, v in runs.items()}
        if len(set(lengths.values())) > 1:
            raise ValueError(f"{self.path}: runs columns of unequal length: {lengths}")
        g = self._file.create_group(RUNS_GROUP)
        for name, values in runs.items():
            values = np.asarray(values)
            if values.dtype.kind == "U":
                values = values.astype("S")
            g.create_dataset(name, data=values)
        self._runs_written = True

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is None and self._file is not None:
            try:
                if not self._runs_written:
                    raise ValueError(
                        f"{self.path}: DL3 without a runs table (call write_runs with 'ontime')"
                    )
                if not len(self._file[GROUP]):
                    # no chunk appended: empty columns, so the file still has the layout
                    self.append({c: np.empty(0) for c in self._columns_for_empty()})
                for group in (self._file[GROUP], self._file[RUNS_GROUP]):
                    for name, ds in group.items():
                        unit = DL3_UNITS.get(name, "deg" if _OFF_RE.match(name) else None)
                        if unit is not None:
                            ds.attrs["unit"] = unit
            except BaseException as err:
                super().__exit__(type(err), err, err.__traceback__)  # removes the temporary
                raise
        return super().__exit__(exc_type, exc, tb)

    def _columns_for_empty(self) -> list[str]:
        return [*DL3_REQUIRED, *theta_off_columns(self.n_off)]


def write_dl3(
    path: str | os.PathLike,
    events: Mapping[str, np.ndarray],
    runs: Mapping[str, np.ndarray],
    n_off: int,
    **kwargs,
) -> None:
    """Write one DL3 file at once (atomically), in FACT's layout.

    Parameters
    ----------
    path : str or PathLike
        Output file (HDF5).
    events : mapping of str to array_like
        Per event: ``gamma_prediction`` (-), ``gamma_energy_prediction`` (GeV), ``theta_deg`` and
        ``theta_deg_off_1..n_off`` (deg); optionally ``night``, ``run_id``, ``event_num``,
        ``event_id`` and any further numeric column.
    runs : mapping of str to array_like
        Per run: ``ontime`` (s); optionally ``night``, ``run_id`` and others.
    n_off : int
        Number of OFF positions (>= 1); the events must hold exactly that many OFF columns.
    **kwargs
        ``config``, ``seed``, ``attrs``, ``compression`` of :class:`DL3Writer`.
    """
    with DL3Writer(path, n_off, **kwargs) as w:
        w.append(events)
        w.write_runs(runs)


def read_dl3(
    path: str | os.PathLike, columns: Sequence[str] | None = None, n_off: int | None = None
) -> DL3:
    """Read a DL3 file in FACT's layout (ours or FACT's own, e.g. ``crab_dl3_small.hdf5``).

    Parameters
    ----------
    path : str or PathLike
        The DL3 file.
    columns : sequence of str, optional
        Further event columns to read besides ``gamma_prediction``, ``gamma_energy_prediction``,
        ``theta_deg`` and the OFF thetas (default: ``night``, ``run_id`` where present).
    n_off : int, optional
        The number of OFF positions expected; default: as many as the file has (``theta_deg_off_1
        ..n``). A mismatch with the file (its columns or its ``n_off_regions`` attribute) is an
        :class:`InputError`.

    Returns
    -------
    DL3
        Events, runs (``None`` without group ``runs``), ``n_off`` and the file's attributes.
    """
    path = Path(path)
    with open_events(path, text_ok=True) as f:
        g = f[GROUP]
        have = set(g.keys())
        for name in DL3_REQUIRED:
            if name not in have:
                raise InputError(
                    f"{path}: no column '{name}' in group '{GROUP}' (FACT's DL3 layout needs "
                    f"{list(DL3_REQUIRED)} and theta_deg_off_1..n); the file has {sorted(have)}"
                )
        found = _off_numbers(path, have)
        attr = f.attrs.get("n_off_regions")
        if attr is not None and int(attr) != found:
            raise InputError(
                f"{path}: attribute n_off_regions = {int(attr)} but the file has {found} OFF "
                f"theta columns (theta_deg_off_1..{found})"
            )
        if n_off is not None and int(n_off) != found:
            raise InputError(
                f"{path}: n_off = {n_off} asked for, but the file has {found} OFF positions "
                f"(theta_deg_off_1..{found} in group '{GROUP}')"
            )
        extra = [c for c in ("night", "run_id") if c in have] if columns is None else columns
        missing = [c for c in extra if c not in have]
        if missing:
            raise InputError(f"{path}: missing column(s) {missing} in group '{GROUP}'")
        names = list(dict.fromkeys([*DL3_REQUIRED, *theta_off_columns(found), *extra]))
        events = {}
        for name in names:
            ds = g[name]
            if name in DL3_REQUIRED or _OFF_RE.match(name):
                if ds.ndim != 1 or ds.dtype.kind not in "iuf":
                    raise InputError(
                        f"{path}: column '{name}' holds {ds.dtype} with shape {ds.shape}; "
                        "expected one number per event"
                    )
            events[name] = read_dataset(path, name, ds, slice(None))
        runs = None
        if RUNS_GROUP in f:
            rg = f[RUNS_GROUP]
            runs = {
                name: read_dataset(path, f"{RUNS_GROUP}/{name}", rg[name], slice(None))
                for name in rg
                if isinstance(rg[name], h5py.Dataset)
            }
        attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
    return DL3(path=path, events=events, runs=runs, n_off=found, attrs=attrs)
