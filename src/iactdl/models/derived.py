"""Derived features by name: functions of the image parameters that a model entry may ask for.

aict-tools generates features with ``DataFrame.eval`` of strings from YAML; we name them instead.
Each derived feature is a vectorised function of dataset columns (FACT DL2 names; lengths in mm,
angles in rad). A model lists them under ``derived_features``; its ``required_columns`` then include
their inputs. Ratios are taken with the denominator clipped away from zero so that degenerate images
(width 0) give finite values, which the trees split away.

The names and definitions match :mod:`iactdl.features.derived` (which writes them into our feature
files); computing them in the model lets a baseline use them on real FACT DL2 files too, where the
features are passed through. Source-independent features (``log_size`` = ln(size / p.e.), ``area`` =
pi width length in mm^2, ``width_length``, ``size_area`` in p.e./mm^2, ``log_size_area``,
``area_size_cut_var`` = area / ln(size)^2) describe the image alone. ``cog_r``, ``distance`` and
``alpha`` use the camera position of the image or of the assumed source: they are the classic point-
source (Hillas 1985) parameters and make a separator source-dependent (valid only for point-like
gammas and a known source position, as in the ON/OFF analysis).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

__all__ = [
    "DERIVED_FEATURES",
    "SOURCE_DEPENDENT_COLUMNS",
    "derived_inputs",
    "compute_derived",
    "refuse_source_dependent_columns",
]

_TINY = 1e-9


def _log_size(c):
    # natural log, as FACT's aict-tools configs and iactdl.features.derived (same values)
    return np.log(np.clip(c["size"], _TINY, None))


def _area(c):
    return np.pi * c["width"] * c["length"]


def _width_length(c):
    return c["width"] / np.clip(c["length"], _TINY, None)


def _size_area(c):
    return c["size"] / np.clip(_area(c), _TINY, None)


def _log_size_area(c):
    return np.log(np.clip(_size_area(c), _TINY, None))


def _area_size_cut_var(c):
    # FACT's size-dependent area cut variable: area / ln(size)^2
    return _area(c) / np.clip(_log_size(c) ** 2, _TINY, None)


def _cog_r(c):
    return np.hypot(c["cog_x"], c["cog_y"])


def _distance(c):
    return np.hypot(c["source_x"] - c["cog_x"], c["source_y"] - c["cog_y"])


def _alpha(c):
    # angle between the image's major axis and the line from its centre of gravity to the source,
    # folded into [0, pi/2] rad (the axis has no direction)
    phi = np.arctan2(c["source_y"] - c["cog_y"], c["source_x"] - c["cog_x"])
    return np.arcsin(np.abs(np.sin(phi - c["delta"])))


# name -> (input columns, function of a column mapping -> float array)
DERIVED_FEATURES: dict[str, tuple[tuple[str, ...], Callable]] = {
    "log_size": (("size",), _log_size),
    "area": (("width", "length"), _area),
    "width_length": (("width", "length"), _width_length),
    "size_area": (("size", "width", "length"), _size_area),
    "log_size_area": (("size", "width", "length"), _log_size_area),
    "area_size_cut_var": (("size", "width", "length"), _area_size_cut_var),
    "cog_r": (("cog_x", "cog_y"), _cog_r),
    "distance": (("cog_x", "cog_y", "source_x", "source_y"), _distance),
    "alpha": (("cog_x", "cog_y", "delta", "source_x", "source_y"), _alpha),
}


def _check(names: Sequence[str]) -> None:
    unknown = [n for n in names if n not in DERIVED_FEATURES]
    if unknown:
        raise ValueError(f"unknown derived feature(s) {unknown}; known: {sorted(DERIVED_FEATURES)}")


def derived_inputs(names: Sequence[str]) -> list[str]:
    """Dataset columns that the derived features ``names`` read (sorted, unique)."""
    _check(names)
    return sorted({col for n in names for col in DERIVED_FEATURES[n][0]})


def compute_derived(columns: Mapping[str, np.ndarray], names: Sequence[str]) -> dict:
    """The derived features ``names`` (float64 arrays) from a chunk of columns."""
    _check(names)
    cols = {k: np.asarray(columns[k], dtype=np.float64) for k in derived_inputs(names)}
    return {n: DERIVED_FEATURES[n][1](cols) for n in names}


# The assumed source position (the pointing model's): a model trained on observed events that reads
# it, or a derived feature computed from it (distance, alpha), learns the ON or OFF region an event
# was recorded in, not its shower. Refused by ON/OFF training and by domain adaptation alike.
SOURCE_DEPENDENT_COLUMNS = ("source_x", "source_y")


def refuse_source_dependent_columns(columns: Sequence[str], where: str) -> None:
    """Raise ``ValueError`` naming ``where`` and the reason if any of ``columns`` (dataset columns
    or derived features) is or reads the assumed source position."""
    bad = sorted(
        {
            col
            for col in columns
            if col in SOURCE_DEPENDENT_COLUMNS
            or set(DERIVED_FEATURES.get(col, ((),))[0]) & set(SOURCE_DEPENDENT_COLUMNS)
        }
    )
    if bad:
        raise ValueError(
            f"{where}: {bad} depend on the assumed source position, refused in a model trained on "
            f"observed events: the ON and OFF positions differ in the camera, so these inputs tell "
            f"the model the region an event came from, not what its shower was. Drop them from "
            f"features/derived_features."
        )
