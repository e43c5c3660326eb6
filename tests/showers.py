"""Image features of simulated showers, for tests that need realistic events without files.

Importable from any test module (pytest puts tests/ on sys.path: the tests are not a package).
"""

from __future__ import annotations

import numpy as np

from iactdl.features.pipeline import image_features
from iactdl.simulate import simulate_chunks


def shower_features(sample: str, n: int, seed: int, features: list[str]) -> dict[str, np.ndarray]:
    """``features`` of ``n`` simulated ``sample`` events that pass FACT's ``num_pixel_in_shower
    >= 10`` quality cut (fewer than ``n`` remain)."""
    cols = next(simulate_chunks(sample, n, {"chunk_size": n}, seed))
    f, _, _ = image_features(cols["image"], cols["peak_time"])
    keep = f["num_pixel_in_shower"] >= 10
    return {c: np.asarray(f[c])[keep] for c in features}
