"""Features physicists derive from the Hillas parameters (FACT's aict-tools feature generation).

The one definition: :func:`derived_features` writes the six of :data:`DERIVED_COLUMNS` into our
feature files, and a model entry's ``derived_features`` (:func:`compute_derived`, read by
:mod:`iactdl.models`) are computed by the same functions, so a baseline trained on FACT DL2 files,
where only the FACT features are passed through, sees the values our feature files hold.

The open Crab sample analysis of FACT (fact-project/open_crab_sample_analysis, ``aict.yaml``)
generates these from the DL2 columns; ``log`` is the natural logarithm there (pandas ``eval``),
and so it is here, so the values match what FACT's models were trained on.

=====================  =========  =========================================================
column                 unit       definition
=====================  =========  =========================================================
log_size               -          ln(size / p.e.)
area                   mm^2       pi * width * length
size_area              p.e./mm^2  size / area
log_size_area          -          ln(size_area / (p.e./mm^2))
area_size_cut_var      mm^2       area / ln(size)^2 (FACT's size-dependent area cut variable)
width_length           -          width / length (ellipse aspect ratio, 0..1)
cog_r                  mm         sqrt(cog_x^2 + cog_y^2), distance of the cog from the centre
distance               mm         distance of the cog from the assumed source position
alpha                  rad        angle of the major axis to the line cog -> source, 0..pi/2
=====================  =========  =========================================================

``distance`` and ``alpha`` are the classic point-source parameters (Hillas 1985); with ``cog_r``
they use the camera position of the image or of the assumed source, so a separator reading them is
source-dependent (valid for point-like gammas and a known source position).

Degenerate images. Where a definition divides by zero or takes the log of zero, the value is NaN
(missing), never a stand-in number and never an infinity:

- ``size`` <= 0 (no light after cleaning; Hillas gives NaN for an empty image): ``log_size`` NaN;
- ``size`` = 1 p.e. (ln(size) = 0): ``area_size_cut_var`` NaN;
- a line-shaped image (width <= :data:`~iactdl.features.hillas.LINE_WIDTH_RATIO` length, e.g. a
  row of pixels): ``area`` ~ 0, ``width_length`` ~ 0 (its limit, a perfect line), but
  ``size_area`` and ``log_size_area`` NaN;
- ``length`` 0 (a point): ``width_length`` NaN.

Why NaN: a width of 0 says the image is narrower than a pixel, not that the shower has no width,
so a light density per area is not measured, it is unknown. Clipping the denominator (1e-9 mm^2
gave ~1e11 p.e./mm^2, a density no shower has) puts an arbitrary number into the training data
that a standardisation or a net takes at face value; an infinity is refused by scikit-learn.
NaN is what both consumers already treat as missing: the trees route it, the linear models'
imputer and the MLP fill it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from iactdl.features.hillas import LINE_WIDTH_RATIO

__all__ = [
    "DERIVED_COLUMNS",
    "DERIVED_FEATURES",
    "compute_derived",
    "derived_features",
    "derived_inputs",
]

# written into every feature file (results/features) by derived_features
DERIVED_COLUMNS = ("log_size", "area", "size_area", "area_size_cut_var", "width_length", "cog_r")


def _ratio(num: np.ndarray, den: np.ndarray, undefined: np.ndarray | bool = False) -> np.ndarray:
    """``num / den``; NaN where ``den`` is 0 or ``undefined`` (see the module doc)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((den == 0) | undefined, np.nan, num / den)


def _log(x: np.ndarray) -> np.ndarray:
    """Natural log; NaN where ``x <= 0`` (no light: undefined, not -inf)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x > 0, np.log(x), np.nan)


def _line(c) -> np.ndarray:
    # width 0 up to rounding: the image is narrower than a pixel, its area is not measured
    return c["width"] <= LINE_WIDTH_RATIO * c["length"]


def _log_size(c):
    return _log(c["size"])


def _area(c):
    return np.pi * c["width"] * c["length"]


def _width_length(c):
    return _ratio(c["width"], c["length"])


def _size_area(c):
    return _ratio(c["size"], _area(c), _line(c))


def _log_size_area(c):
    return _log(_size_area(c))


def _area_size_cut_var(c):
    # FACT's size-dependent area cut variable: area / ln(size)^2
    return _ratio(_area(c), _log_size(c) ** 2)


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
    """Dataset columns that the derived features ``names`` read.

    Parameters
    ----------
    names : sequence of str
        Derived features (keys of :data:`DERIVED_FEATURES`).

    Returns
    -------
    list of str
        Sorted, unique.

    Raises
    ------
    ValueError
        An unknown derived feature.
    """
    _check(names)
    return sorted({col for n in names for col in DERIVED_FEATURES[n][0]})


def compute_derived(columns: Mapping[str, np.ndarray], names: Sequence[str]) -> dict:
    """The derived features ``names`` from a chunk of columns (FACT DL2 names and units).

    Parameters
    ----------
    columns : Mapping of str to numpy.ndarray
        The inputs (:func:`derived_inputs`); lengths in mm, angles in rad.
    names : sequence of str
        Derived features (keys of :data:`DERIVED_FEATURES`).

    Returns
    -------
    dict of str to numpy.ndarray
        Float64 arrays, NaN where undefined.

    Raises
    ------
    ValueError
        An unknown derived feature.
    """
    _check(names)
    cols = {k: np.asarray(columns[k], dtype=np.float64) for k in derived_inputs(names)}
    return {n: DERIVED_FEATURES[n][1](cols) for n in names}


def derived_features(columns: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The six :data:`DERIVED_COLUMNS`, as written into the feature files.

    Parameters
    ----------
    columns : Mapping of str to numpy.ndarray
        ``size``, ``width``, ``length``, ``cog_x``, ``cog_y`` (any shape).

    Returns
    -------
    dict of str to numpy.ndarray
        The columns of :data:`DERIVED_COLUMNS`.
    """
    out = compute_derived(columns, DERIVED_COLUMNS)
    # cog_r keeps the precision of cog_x/cog_y (float32 in FACT DL2 files), as the files always had
    dtype = np.result_type(columns["cog_x"], columns["cog_y"], np.float32)
    out["cog_r"] = out["cog_r"].astype(dtype, copy=False)
    return out
