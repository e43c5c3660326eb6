"""Random ON/OFF labels with known noise rates, for unit tests of stage 6 (not a theta^2 cut:
the pipeline's regions come from iactdl.observed_regions)."""

import numpy as np


def assign_regions(rng: np.random.Generator, is_gamma: np.ndarray, n_off: int) -> np.ndarray:
    """Region per event: 0 for gammas, uniform in ``0..n_off`` for hadrons, so ``alpha = 1 /
    n_off`` holds exactly in expectation (class-conditional noise with known rates)."""
    region = rng.integers(0, n_off + 1, is_gamma.size)
    return np.where(is_gamma, 0, region).astype(np.int64)


def theta2_observation(
    rng: np.random.Generator,
    n: int,
    *,
    n_off: int = 5,
    gamma_fraction: float = 0.02,
    hadron_per_region: float = 0.01,
    gamma_on: float = 0.6,
    gamma_per_off: float = 0.01,
) -> dict[str, np.ndarray | float]:
    """An observation labelled like the theta^2 rule, with every posterior known exactly.

    Hadrons fall into each of the ``n_off + 1`` regions with probability ``hadron_per_region``
    (equal acceptance), gammas into ON with ``gamma_on`` and into each OFF region with
    ``gamma_per_off`` (a leak); the rest lie in no region (-1), most events as in an
    observation. One feature ``x ~ N(2, 1)`` for gammas, ``N(0, 1)`` for hadrons, independent of
    the region given the class (Menon's class-conditional noise). Returns ``is_gamma``,
    ``region``, ``x``, the clean posteriors at the prior of all events (``eta_all``, prior
    ``pi_all``) and of the labelled events (``eta_labelled``, prior ``pi_labelled``), the exact
    ``p_on = P(ON | x, labelled)`` and the true ``rho_minus``, ``rho_plus``.
    """
    gamma = rng.random(n) < gamma_fraction
    u = rng.random(n)
    p_h, p_on, p_off = hadron_per_region, gamma_on, gamma_per_off
    # a uniform draw cut into the regions' probabilities: ON, OFF 1..n_off, then no region
    h_region = np.where(u < (n_off + 1) * p_h, np.floor(u / p_h), -1)
    g_region = np.where(u < p_on, 0, np.where(u < p_on + n_off * p_off,
                                              1 + np.floor((u - p_on) / p_off), -1))  # fmt: skip
    region = np.where(gamma, g_region, h_region).astype(np.int64)
    x = rng.normal(np.where(gamma, 2.0, 0.0), 1.0)
    lr = np.exp(2 * x - 2)
    pi_l = gamma_fraction * (p_on + n_off * p_off)
    pi_l = pi_l / (pi_l + (1 - gamma_fraction) * (n_off + 1) * p_h)
    eta_l = pi_l * lr / (pi_l * lr + 1 - pi_l)
    rho_minus, rho_plus = 1 / (n_off + 1), n_off * p_off / (p_on + n_off * p_off)
    return {
        "is_gamma": gamma,
        "region": region,
        "x": x,
        "pi_all": gamma_fraction,
        "eta_all": gamma_fraction * lr / (gamma_fraction * lr + 1 - gamma_fraction),
        "pi_labelled": pi_l,
        "eta_labelled": eta_l,
        "p_on": (1 - rho_plus) * eta_l + rho_minus * (1 - eta_l),
        "rho_minus": rho_minus,
        "rho_plus": rho_plus,
    }
