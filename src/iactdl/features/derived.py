"""Features physicists derive from the Hillas parameters (FACT's aict-tools feature generation).

The open Crab sample analysis of FACT (fact-project/open_crab_sample_analysis, ``aict.yaml``)
generates these from the DL2 columns; ``log`` is the natural logarithm there (pandas ``eval``),
and so it is here, so the values match what FACT's models were trained on.

=====================  =========  =========================================================
column                 unit       definition
=====================  =========  =========================================================
log_size               -          ln(size / p.e.)
area                   mm^2       pi * width * length
size_area              p.e./mm^2  size / area
area_size_cut_var      mm^2       area / ln(size)^2 (FACT's size-dependent area cut variable)
width_length           -          width / length (ellipse aspect ratio, 0..1)
cog_r                  mm         sqrt(cog_x^2 + cog_y^2), distance of the cog from the centre
=====================  =========  =========================================================
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

__all__ = ["derived_features", "DERIVED_COLUMNS"]

DERIVED_COLUMNS = ("log_size", "area", "size_area", "area_size_cut_var", "width_length", "cog_r")


def derived_features(columns: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Derived features from ``size``, ``width``, ``length``, ``cog_x``, ``cog_y`` (any shape)."""
    size = np.asarray(columns["size"], dtype=np.float64)
    width = np.asarray(columns["width"], dtype=np.float64)
    length = np.asarray(columns["length"], dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        log_size = np.log(size)
        area = np.pi * width * length
        return {
            "log_size": log_size,
            "area": area,
            "size_area": size / area,
            "area_size_cut_var": area / log_size**2,
            "width_length": width / length,
            "cog_r": np.hypot(columns["cog_x"], columns["cog_y"]),
        }
