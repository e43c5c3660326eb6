"""Random ON/OFF labels with known noise rates, for unit tests of stage 6 (not a theta^2 cut:
the pipeline's regions come from iactdl.observed_regions)."""

import numpy as np


def assign_regions(rng: np.random.Generator, is_gamma: np.ndarray, n_off: int) -> np.ndarray:
    """Region per event: 0 for gammas, uniform in ``0..n_off`` for hadrons, so ``alpha = 1 /
    n_off`` holds exactly in expectation (class-conditional noise with known rates)."""
    region = rng.integers(0, n_off + 1, is_gamma.size)
    return np.where(is_gamma, 0, region).astype(np.int64)
