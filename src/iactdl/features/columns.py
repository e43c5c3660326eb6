"""The feature columns of ``results/features/{sample}.h5``: names (FACT DL2 where FACT has one),
units, the default feature list of the baselines, and the check that a file has what a model needs.

Units: lengths and positions in mm in the camera frame (pyfact's: ``x = -pos_Y * 9.5 mm``,
``y = pos_X * 9.5 mm``), angles in rad, charges in p.e., times in ns. The pixel sets are in deg.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from iactdl.features.derived import DERIVED_COLUMNS
from iactdl.io import InputError, column_names

__all__ = [
    "FEATURE_UNITS",
    "DEFAULT_FEATURES",
    "IMAGE_PRODUCTS",
    "check_feature_columns",
    "model_input_columns",
]

FEATURE_UNITS = {
    "clean_ok": "",  # bool: cleaning kept >= min_pixels pixels of a finite image
    "num_pixel_in_shower": "",
    "num_islands": "",
    "size": "p.e.",
    "cog_x": "mm",
    "cog_y": "mm",
    "length": "mm",
    "width": "mm",
    "delta": "rad",
    "m3_long": "mm^3",
    "m3_trans": "mm^3",
    "m4_long": "mm^4",
    "m4_trans": "mm^4",
    "skewness_long": "",
    "skewness_trans": "",
    "kurtosis_long": "",
    "kurtosis_trans": "",
    "leakage1": "",
    "leakage2": "",
    "leakage1_pixel": "",
    "leakage2_pixel": "",
    "concentration_cog": "",
    "concentration_core": "",
    "concentration_one_pixel": "",
    "concentration_two_pixel": "",
    "photoncharge_shower_mean": "p.e.",
    "photoncharge_shower_variance": "p.e.^2",
    "photoncharge_shower_max": "p.e.",
    "time_gradient_slope_long": "ns/mm",
    "time_gradient_intercept_long": "ns",
    "time_gradient_slope_trans": "ns/mm",
    "time_gradient_intercept_trans": "ns",
    "time_gradient_sse_long": "ns^2",
    "timespread": "ns",
    "timespread_weighted": "ns",
    # the pixels without shower light (iactdl.features.pedestal): the night-sky pedestal
    "pedestal_pixels": "",
    "pedestal_mean": "p.e.",
    "pedestal_variance": "p.e.^2",
    "pedestal_m3": "p.e.^3",
    "log_size": "",
    "area": "mm^2",
    "size_area": "p.e./mm^2",
    "area_size_cut_var": "mm^2",
    "width_length": "",
    "cog_r": "mm",
    "grid_image": "p.e. | ns",
    "pixel_set": "deg, deg, p.e., ns",
    "pixel_set_mask": "",
}

# The baselines' default inputs, in this order config.yaml's ``&image_parameters`` (the test in
# tests/test_defaults.py holds the YAML copies to it): FACT's DL2 image features (io.fact) but the
# three that depend on where the shower sits in the camera (its orientation ``delta`` and centroid
# ``cog_x``/``cog_y``), so a baseline runs on our feature files and on real FACT DL2 alike. Derived
# columns (area, log_size, ...) are in our files only; add them explicitly.
DEFAULT_FEATURES = [
    "size",
    "width",
    "length",
    "skewness_long",
    "skewness_trans",
    "kurtosis_long",
    "kurtosis_trans",
    "concentration_cog",
    "concentration_core",
    "concentration_one_pixel",
    "concentration_two_pixel",
    "leakage1",
    "leakage2",
    "num_islands",
    "num_pixel_in_shower",
    "photoncharge_shower_mean",
    "photoncharge_shower_variance",
    "photoncharge_shower_max",
    "time_gradient_slope_long",
    "time_gradient_slope_trans",
    "timespread",
]

# columns only image-based inputs produce (absent when features are passed through from FACT DL2)
IMAGE_PRODUCTS = ("grid_image", "pixel_set", "pixel_set_mask")


def check_feature_columns(path: str | os.PathLike, needed: Sequence[str], who: str = "model"):
    """Raise :class:`iactdl.io.InputError` naming the file and every column of ``needed`` it lacks.

    ``who`` names the reader in the message (e.g. the model entry), so a user knows what to fix.

    Parameters
    ----------
    path : str or os.PathLike
        The event file (HDF5, ``events`` group) whose columns are checked; only names are read.
    needed : sequence of str
        The columns the reader needs.
    who : str
        The reader, named in the error (default ``"model"``).

    Raises
    ------
    iactdl.io.InputError
        If the file lacks any of ``needed``; the message names the missing columns, the file's
        columns, and, for grid images and pixel sets, that only image input makes them.
    """
    have = set(column_names(path))
    missing = [c for c in needed if c not in have]
    if missing:
        hint = ""
        if any(c in IMAGE_PRODUCTS for c in missing):
            hint = (
                " (grid images and pixel sets exist only for image input, i.e. source: "
                "simulate; FACT DL2 files carry features only)"
            )
        raise InputError(
            f"{path}: {who} needs column(s) {missing}, which the file lacks{hint}; "
            f"it has {sorted(have)}"
        )


# per-event columns of every dataset file, labelled or observed, besides the features
_EVENT_COLUMNS = ("event_id", "source_x", "source_y")
# what the pass-through of FACT DL2 features derives (iactdl.features.pipeline._pass_through)
_DERIVED_FROM = ("size", "width", "length", "cog_x", "cog_y")


def model_input_columns(
    source: str, fact_features: Sequence[str] = (), extra_columns: Sequence[str] = ()
) -> set[str]:
    """Columns a model may read: those that every dataset file of a config carries, the labelled
    splits and the observed events alike (truth and labels are in the labelled splits only).

    ``source`` ``simulate``: the feature columns of :data:`FEATURE_UNITS` (grid images and pixel
    sets included). ``fact``: the FACT features passed through (config ``fact.features`` and
    ``fact.extra_columns``), ``clean_ok``, and the derived features when their inputs are there.
    Known before any job runs, so the workflow refuses a model feature no dataset has at once.

    Parameters
    ----------
    source : {"simulate", "fact"}
        Where the config's events come from (config ``source``).
    fact_features : sequence of str
        Config ``fact.features``: the FACT DL2 features passed through (``fact`` only).
    extra_columns : sequence of str
        Config ``fact.extra_columns``: further columns passed through (``fact`` only).

    Returns
    -------
    set of str
        The column names; always ``event_id``, ``source_x`` and ``source_y``.
    """
    cols = set(_EVENT_COLUMNS)
    if source == "simulate":
        return cols | set(FEATURE_UNITS)
    cols |= set(fact_features) | set(extra_columns) | {"clean_ok"}
    if set(_DERIVED_FROM) <= cols:
        cols |= set(DERIVED_COLUMNS)
    return cols
