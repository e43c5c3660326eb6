"""A fitted disp model on constructed gamma images, for tests that need one cheaply (~0.2 s):
sources on a 0.6 deg circle (51 mm), each image's main axis through its source, the cog 20-120 mm
from it along the axis, ``length`` growing with that distance (so |disp| is learnable)."""

from __future__ import annotations

import numpy as np

from iactdl.models.disp import DISP_FEATURES, build_disp_model


def constructed_gammas(n: int = 400, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    phi = rng.uniform(0, 2 * np.pi, n)
    sx, sy = 51.3 * np.cos(phi), 51.3 * np.sin(phi)
    delta = rng.uniform(-np.pi / 2, np.pi / 2, n)
    dist = rng.uniform(20, 120, n)
    side = rng.choice([-1.0, 1.0], n)
    cols = {f: rng.normal(size=n) for f in DISP_FEATURES}
    cols.update(
        {
            "cog_x": sx + side * dist * np.cos(delta),
            "cog_y": sy + side * dist * np.sin(delta),
            "delta": delta,
            "length": dist / 10 + rng.normal(0, 0.2, n),
            "skewness_long": -side + rng.normal(0, 0.3, n),
            "true_source_x": sx,
            "true_source_y": sy,
        }
    )
    return cols


def toy_disp_model(seed: int = 0):
    return build_disp_model(n_estimators=5, max_depth=6, seed=seed).fit(constructed_gammas())
