"""ON/OFF regions of observed events from their reconstructed directions: the theta^2 rule.

An analyst knows where the source is (``source_x/y``: the ON position of the event's wobble
pointing, mm in the camera) but not which events came from it. Each event's source position is
reconstructed from its image parameters by the disp model trained on simulated gammas
(:mod:`iactdl.models.disp_store`); its angular distance ``theta_deg`` to the ON position and
``theta_deg_off_k`` to the ``n_off`` OFF positions (the ON position rotated about the camera
centre, :func:`iactdl.evaluate.theta2.off_positions`) decide its region (FACT's open analysis,
pyfact ``split_on_off_source_independent``): 0 ON (``theta^2 < theta2_cut``), k OFF k, -1 in no
region (most events). Regions labelled this way are what stage 6 learns from, as a FACT analyst
does: a gamma can miss the ON region, a hadron can fall in it.

Source-dependent features (``distance``, ``alpha``: :mod:`iactdl.features.derived`) of an event
in OFF region k are taken relative to that OFF position (FACT's convention for OFF events), so
``source_x/y`` of such an event becomes OFF position k; every other event keeps the ON position.

Both routes of the observed events call :class:`RegionLabeller` on each chunk before the split
(rule ``stream_observed``: :func:`iactdl.observed_stream.stream_observed`; rule
``split_observed``: :func:`iactdl.features.split_observed`), so they stay identical.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np

from iactdl.camera import MM_TO_DEG
from iactdl.evaluate.theta2 import (  # check_theta2_cut: re-exported, its old home
    check_theta2_cut,
    off_positions,
    theta2_regions,
    theta_on_off,
)
from iactdl.io import InputError
from iactdl.io.dl3 import theta_off_columns
from iactdl.models.disp import DispModel
from iactdl.models.disp_store import DISP_DEFAULTS, load_disp

__all__ = ["DIRECTIONS_DEFAULTS", "RegionLabeller", "check_theta2_cut", "region_labeller"]

# config `directions` (the schema repeats them): FACT's open Crab analysis, aict-tools' disp
# theta2_cuts: the significance analysis's candidates (iactdl.evaluate.theta2_analysis); None:
# the fixed theta2_cut. The regions (and stage 6's ON/OFF labels) always use theta2_cut.
DIRECTIONS_DEFAULTS = {"theta2_cut": 0.025, "theta2_cuts": None, "n_off": 5, "disp": DISP_DEFAULTS}


class RegionLabeller:
    """Adds ``theta_deg``, ``theta_deg_off_1..n``, ``source_x_pred/_y_pred`` and ``region`` to a
    chunk of observed events (a dict of columns; returned as a new dict, the input untouched).

    Calling it on a chunk (``source_x``, ``source_y`` in mm and the disp model's features)
    predicts each event's source position, its angular distances to the ON and OFF positions
    (deg), and its region: 0 ON where ``theta^2 < theta2_cut``, k for OFF k, -1 in none; an OFF
    event's ``source_x``/``source_y`` become its OFF position.

    Parameters
    ----------
    model : iactdl.models.disp.DispModel
        The disp model trained on simulated gammas (:func:`iactdl.models.disp_store.load_disp`).
    n_off : int
        Number of OFF positions (FACT: 5).
    theta2_cut : float
        The region radius squared, deg^2 (FACT: 0.025); overlap with the ON position nearest the
        camera centre of a chunk is refused when the chunk is labelled.
    source : str
        Name of the input, named in errors (default ``"observed"``).

    Raises
    ------
    ValueError
        ``theta2_cut`` not finite and > 0.
    """

    def __init__(self, model: DispModel, n_off: int, theta2_cut: float, source: str = "observed"):
        self.model = model
        self.n_off = int(n_off)
        self.theta2_cut = check_theta2_cut(theta2_cut, where="config directions.theta2_cut")
        self.source = source

    def __call__(self, chunk: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        missing = [c for c in ("source_x", "source_y") if c not in chunk]
        if missing:
            raise InputError(
                f"{self.source}: column(s) {missing} missing: the ON position (mm) of each "
                "observed event's pointing is needed for its theta^2 regions"
            )
        on_x = np.asarray(chunk["source_x"], dtype=np.float64)
        on_y = np.asarray(chunk["source_y"], dtype=np.float64)
        offset = np.hypot(on_x, on_y) * MM_TO_DEG
        if len(offset) and np.any(np.isfinite(offset)):
            # regions that overlap for the source nearest the centre are refused up front
            check_theta2_cut(
                self.theta2_cut,
                float(np.nanmin(offset)),
                self.n_off,
                f"{self.source}: config directions.theta2_cut",
            )
        pred = self.model.predict(chunk)
        t_on, t_off = theta_on_off(
            pred["source_x_pred"], pred["source_y_pred"], on_x, on_y, self.n_off
        )
        region = theta2_regions(t_on, t_off, self.theta2_cut).astype(np.int64)
        # source-dependent features of an OFF event are relative to its OFF position
        off_x, off_y = off_positions(on_x, on_y, self.n_off)
        k = np.clip(region, 1, self.n_off) - 1
        cols = np.arange(len(region))
        is_off = region >= 1
        out = dict(chunk)
        out["source_x"] = np.where(is_off, off_x[k, cols], on_x).astype(
            np.asarray(chunk["source_x"]).dtype
        )
        out["source_y"] = np.where(is_off, off_y[k, cols], on_y).astype(
            np.asarray(chunk["source_y"]).dtype
        )
        out["source_x_pred"] = pred["source_x_pred"]
        out["source_y_pred"] = pred["source_y_pred"]
        out["theta_deg"] = t_on
        for name, row in zip(theta_off_columns(self.n_off), t_off, strict=True):
            out[name] = row
        out["region"] = region
        return out


def region_labeller(
    model_dir: str | os.PathLike, section: Mapping | None, source: str = "observed"
) -> RegionLabeller:
    """The :class:`RegionLabeller` of config ``directions`` with the trained disp model.

    Parameters
    ----------
    model_dir : str or os.PathLike
        Folder of the disp model (rule ``train_disp``'s ``model.json`` and its files).
    section : mapping or None
        The config's ``directions`` section; missing keys: :data:`DIRECTIONS_DEFAULTS` (its
        ``disp`` part is the model's and is not read here).
    source : str
        Name of the input, named in errors (default ``"observed"``).

    Returns
    -------
    RegionLabeller
        With the section's ``n_off`` and ``theta2_cut``.

    Raises
    ------
    iactdl.io.InputError
        The disp model is missing or damaged.
    """
    cfg = {**DIRECTIONS_DEFAULTS, **{k: v for k, v in dict(section or {}).items() if k != "disp"}}
    return RegionLabeller(load_disp(model_dir), cfg["n_off"], cfg["theta2_cut"], source)
