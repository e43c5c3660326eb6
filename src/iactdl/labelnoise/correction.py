"""Learning from ON/OFF labels: class-conditional label noise and Menon's correction.

The observation has no truth, only the region of each event by the theta^2 rule: ON (region 0,
around the source), one of ``n_off`` OFF regions, or none (-1, most events, no label: left out,
as pkccn's ``_extract_weak_labels`` does for FACT's data, Bunse et al.). Label ON as 1 and OFF as
0 (:func:`onoff_labels`) and, on the labelled events, these labels are the clean gamma/hadron
labels corrupted by *class-conditional* noise (Menon et al. 2015, "Learning from Corrupted Binary
Labels via Class-Probability Estimation", ICML, PMLR 37, 125; their notation):

- ``rho_plus  = P(label OFF | gamma)``: gammas whose direction is poorly reconstructed land in
  OFF regions, most in the two next to ON (~0.11 on the simulated observation,
  ``benchmarks/region_acceptance.py``). Measured from the simulated point-like gammas through the
  observation's region labeller (:mod:`iactdl.labelnoise.leak`, rule ``signal_leak``) and used by
  the known-alpha correction where that file is given; 0 (no gamma in OFF) where not;
- ``rho_minus = P(label ON  | hadron) = alpha / (1 + alpha)``: hadrons fall evenly into the
  ``n_off + 1`` regions of equal acceptance, one of which is ON; ``alpha = 1 / n_off`` (pkccn's
  ``p_minus = 1 / 6`` for FACT's 5 OFF regions). Measured equal to 2.6 % per region with 1M
  simulated protons (the same benchmark).

A classifier trained on the noisy labels estimates ``eta_noisy(x) = P(ON | x)``. Since the noise
does not depend on ``x`` given the class (hadron images do not know which region they fall in),

    eta_noisy = (1 - rho_plus) eta + rho_minus (1 - eta)
              = (1 - rho_plus - rho_minus) eta + rho_minus,

so the clean posterior ``eta(x) = P(gamma | x)`` is affine in it (Menon et al., eq. 4 / Lemma 7):

    eta = a eta_noisy + b,   a = 1 / (1 - rho_plus - rho_minus),   b = -rho_minus a.

For ON/OFF with ``rho_plus = 0``, ``1 - rho_minus = 1 / (1 + alpha)`` gives ``a = 1 + alpha`` and
``b = -alpha``; with the simulated leak ``rho_plus`` both grow by ``1 / (1 - (1 + alpha) rho_plus)``
(:meth:`MenonCorrection.from_alpha`). The extreme values of ``eta_noisy`` are reached where the
events are pure: ``eta_min = rho_minus`` (``eta = 0``, pure hadrons) and ``eta_max = 1 - rho_plus``
(``eta = 1``), so without ``alpha``, ``a = 1 / (eta_max - eta_min)`` and ``b = -eta_min a`` (Menon
et al., sec. 6.3): :func:`estimate_noise_rates`, from robust quantiles of *out-of-fold* predictions.

The prior: ``eta`` is the posterior under the class balance of the data the classifier was trained
on, i.e. the pooled observation (ON and OFF events together, gamma fraction ``pi`` of all events),
not the ON region alone (gamma fraction ``pi (1 + alpha) / ...``, larger) and not a simulated
balance. A finite classifier's ``eta_noisy`` can fall below ``rho_minus`` or above ``1 - rho_plus``;
the corrected value is clipped to [0, 1] and the clipped events counted and logged.

The correction is monotone (``a > 0``): it changes no ranking and no ROC AUC. What it fixes are the
probabilities (calibration, the gamma fraction) and thresholds (:meth:`MenonCorrection.threshold`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass

import numpy as np

from iactdl.io import TRUTH_COLUMNS

__all__ = [
    "NoiseEstimationError",
    "MenonCorrection",
    "alpha_from_attrs",
    "onoff_labels",
    "check_source_independent",
    "menon_correction",
    "estimate_noise_rates",
]

log = logging.getLogger(__name__)

_TRUTH = ("is_gamma", *TRUTH_COLUMNS)


class NoiseEstimationError(ValueError):
    """The noise rates cannot be estimated from these predictions (e.g. eta_max <= eta_min)."""


def alpha_from_attrs(attrs: Mapping, source: str = "input") -> float:
    """``alpha = 1 / n_off_regions`` from a dataset's attributes; a clear error if it is missing.

    Parameters
    ----------
    attrs : mapping
        The ``events`` group attributes (:func:`iactdl.io.data_attrs`).
    source : str
        The file, named in the error message.

    Returns
    -------
    float
        ``1 / n_off_regions``.

    Raises
    ------
    ValueError
        Without ``n_off_regions``, or with one that is not an integer >= 1.
    """
    if "n_off_regions" not in attrs:
        raise ValueError(
            f"{source}: attribute 'n_off_regions' is missing; the ON/OFF labels need alpha = "
            f"1 / n_off_regions (the file has attributes {sorted(attrs)})"
        )
    n_off = attrs["n_off_regions"]
    if isinstance(n_off, np.generic):
        n_off = n_off.item()
    if isinstance(n_off, bool) or not isinstance(n_off, int | float) or n_off != int(n_off):
        raise ValueError(f"{source}: attribute n_off_regions = {n_off!r}; expected an integer >= 1")
    if int(n_off) < 1:
        raise ValueError(f"{source}: attribute n_off_regions = {n_off}; expected an integer >= 1")
    return 1.0 / int(n_off)


def onoff_labels(region, alpha: float, source: str = "input") -> np.ndarray:
    """Noisy labels 1 (ON, region 0) and 0 (OFF, regions 1..n_off) after checking the regions.

    Refuses a training set without ON or without OFF events, regions outside ``0..n_off``
    (``n_off = 1 / alpha``), and, where every region should hold at least 50 events, an empty OFF
    region (``alpha`` then does not describe the exposure).

    Parameters
    ----------
    region : array_like of int
        Per event: 0 ON, 1..n_off the OFF positions.
    alpha : float
        ``1 / n_off_regions``.
    source : str
        The file, named in errors.

    Returns
    -------
    numpy.ndarray
        The labels (int64), 1 ON and 0 OFF.

    Raises
    ------
    ValueError
        For the refused training sets above, a ``region`` that is not 1-D integers, or an
        ``alpha`` that is not 1 / an integer.
    """
    region = np.asarray(region)
    if region.ndim != 1 or region.dtype.kind not in "iu":
        raise ValueError(f"{source}: column 'region' must be 1-D integers, got {region.dtype}")
    if not alpha > 0:
        raise ValueError(f"{source}: alpha = {alpha}; expected > 0 (1 / n_off_regions)")
    n_off = int(round(1.0 / alpha))
    if abs(n_off * alpha - 1.0) > 1e-9:
        raise ValueError(f"{source}: alpha = {alpha} is not 1 / an integer number of OFF regions")
    present = np.unique(region)
    outside = present[(present < 0) | (present > n_off)]
    if outside.size:
        raise ValueError(
            f"{source}: column 'region' has value(s) {outside.tolist()} outside 0..{n_off}; "
            f"alpha = 1/{n_off} says there are {n_off} OFF regions (is n_off_regions right?)"
        )
    n_on = int(np.count_nonzero(region == 0))
    if n_on == 0 or n_on == region.size:
        what = "no ON (region 0)" if n_on == 0 else "no OFF (region >= 1)"
        raise ValueError(f"{source}: {what} events among {region.size}; ON/OFF training needs both")
    missing = sorted(set(range(1, n_off + 1)) - set(present.tolist()))
    if missing and region.size >= 50 * (n_off + 1):
        raise ValueError(
            f"{source}: OFF region(s) {missing} have no events among {region.size}, but alpha = "
            f"1/{n_off} assumes {n_off} OFF regions of equal exposure (is n_off_regions right?)"
        )
    return (region == 0).astype(np.int64)


def check_source_independent(features, name: str = "model") -> None:
    """Refuse source-dependent and truth columns as inputs of an ON/OFF-trained model.

    Parameters
    ----------
    features : iterable of str
        The columns the model reads (derived features' inputs included).
    name : str
        The model, named in the error.

    Raises
    ------
    ValueError
        Naming the columns that are the label itself (``region``) or hold the truth.
    """
    from iactdl.models.source_dependence import refuse_source_dependent_columns

    features = list(features)
    refuse_source_dependent_columns(features, name)  # the same rule as domain adaptation's
    if "region" in features:
        raise ValueError(f"{name}: feature 'region' is the ON/OFF label itself, not an input")
    truth = [f for f in features if f in _TRUTH]
    if truth:
        raise ValueError(f"{name}: feature(s) {truth} are truth, which ON/OFF training never reads")


@dataclass(frozen=True)
class MenonCorrection:
    """The correction ``eta = a eta_noisy + b`` with the flip rates it comes from.

    Parameters
    ----------
    rho_minus : float
        ``P(noisy 1 | clean 0)``: a hadron labelled ON.
    rho_plus : float
        ``P(noisy 0 | clean 1)``: a gamma labelled OFF.
    method : str
        ``known_alpha`` (from ``n_off_regions``), ``range`` (Menon's quantiles of eta_noisy) or
        ``anchor`` (label frequency in the purest events).
    rho_minus_std, rho_plus_std : float
        Statistical uncertainty of an estimate (0 when known, NaN where not available).

    Raises
    ------
    NoiseEstimationError
        A rate outside [0, 1), or ``rho_minus + rho_plus >= 1`` (the noisy labels carry no
        information about the classes).
    """

    rho_minus: float
    rho_plus: float = 0.0
    method: str = "known_alpha"
    rho_minus_std: float = 0.0
    rho_plus_std: float = 0.0

    def __post_init__(self):
        if not (0 <= self.rho_minus < 1 and 0 <= self.rho_plus < 1):
            raise NoiseEstimationError(
                f"flip rates rho_minus = {self.rho_minus}, rho_plus = {self.rho_plus}: each "
                "must lie in [0, 1)"
            )
        if self.rho_minus + self.rho_plus >= 1:
            raise NoiseEstimationError(
                f"rho_minus + rho_plus = {self.rho_minus + self.rho_plus} >= 1: the noisy labels "
                "carry no information about the classes (eta_max <= eta_min); not dividing"
            )

    @classmethod
    def from_alpha(
        cls, alpha: float, rho_plus: float = 0.0, rho_plus_std: float = 0.0
    ) -> MenonCorrection:
        """ON/OFF with known ``alpha``: ``rho_minus = alpha / (1 + alpha)``, ``rho_plus`` given.

        ``rho_plus`` is 0 when no gamma of the source reaches an OFF region; measured on the
        simulated point-like gammas (:mod:`iactdl.labelnoise.leak`) it is ~0.1, and the slope
        ``a = 1 / (1 - rho_plus - rho_minus)`` (Menon et al. 2015, eq. 4) grows from ``1 + alpha``.

        Parameters
        ----------
        alpha : float
            ``1 / n_off_regions``, > 0.
        rho_plus : float
            ``P(OFF | gamma, in a region)``, in [0, 1); default 0.
        rho_plus_std : float
            Its statistical uncertainty; default 0.

        Returns
        -------
        MenonCorrection
            With ``method="known_alpha"``.

        Raises
        ------
        ValueError
            If ``alpha`` is not > 0.
        NoiseEstimationError
            A ``rho_plus`` outside [0, 1) or one that leaves no information in the labels.
        """
        if not alpha > 0:
            raise ValueError(f"alpha = {alpha}; expected > 0 (1 / n_off_regions)")
        return cls(
            rho_minus=alpha / (1.0 + alpha), rho_plus=float(rho_plus), method="known_alpha",
            rho_plus_std=float(rho_plus_std),
        )  # fmt: skip

    @property
    def eta_min(self) -> float:
        """The smallest ``P(ON | x)`` of a clean classifier: ``rho_minus`` (a pure hadron)."""
        return self.rho_minus

    @property
    def eta_max(self) -> float:
        """The largest ``P(ON | x)`` of a clean classifier: ``1 - rho_plus`` (a pure gamma)."""
        return 1.0 - self.rho_plus

    @property
    def a(self) -> float:
        """The slope ``a = 1 / (eta_max - eta_min) = 1 / (1 - rho_plus - rho_minus)``."""
        return 1.0 / (self.eta_max - self.eta_min)

    @property
    def b(self) -> float:
        """The offset ``b = -eta_min / (eta_max - eta_min) = -rho_minus a``."""
        return -self.eta_min / (self.eta_max - self.eta_min)

    @property
    def alpha(self) -> float:
        """The ON/OFF exposure ratio these rates imply, ``rho_minus / (1 - rho_minus)``."""
        return self.rho_minus / (1.0 - self.rho_minus)

    def threshold(self, p: float = 0.5) -> float:
        """The cut on ``eta_noisy`` equivalent to ``eta >= p``.

        Parameters
        ----------
        p : float
            The cut on the corrected posterior.

        Returns
        -------
        float
            ``(p - b) / a``.
        """
        return (p - self.b) / self.a

    def unclipped(self, eta_noisy) -> np.ndarray:
        """``a eta_noisy + b`` without clipping (its mean over events estimates the prior).

        Parameters
        ----------
        eta_noisy : array_like
            ``P(ON | x)`` per event.

        Returns
        -------
        numpy.ndarray
            Float64, per event; may lie outside [0, 1].
        """
        return self.a * np.asarray(eta_noisy, dtype=np.float64) + self.b

    def __call__(self, eta_noisy) -> tuple[np.ndarray, dict]:
        """Corrected posterior clipped to [0, 1] and the counts clipped below 0 and above 1."""
        eta = self.unclipped(eta_noisy)
        # a rounding tolerance: eta_noisy = 1 maps to 1 + 2e-16, which is not a clipped event
        tol = 1e-9
        counts = {
            "below_0": int(np.count_nonzero(eta < -tol)),
            "above_1": int(np.count_nonzero(eta > 1 + tol)),
        }
        return np.clip(eta, 0.0, 1.0), counts

    def to_dict(self) -> dict:
        """The fields with the derived ``a``, ``b``, ``alpha``, ``eta_min`` and ``eta_max``.

        Returns
        -------
        dict
            Plain values, for ``model.json``.
        """
        return {**asdict(self), "a": self.a, "b": self.b, "alpha": self.alpha,
                "eta_min": self.eta_min, "eta_max": self.eta_max}  # fmt: skip


def menon_correction(eta_noisy, correction: MenonCorrection) -> np.ndarray:
    """The clean posterior ``P(gamma | x)`` (prior: the pooled observation) from ``P(ON | x)``.

    ``eta = a eta_noisy + b`` with ``a = 1 / (1 - rho_plus - rho_minus)``, ``b = -rho_minus a``;
    for ON/OFF with known alpha ``a = 1 + alpha``, ``b = -alpha`` (derivation: module docstring;
    Menon et al. 2015). Values outside [0, 1] (the classifier's ``eta_noisy`` below ``rho_minus``
    or above ``1 - rho_plus``) are clipped; their number is logged.

    Parameters
    ----------
    eta_noisy : array_like
        ``P(ON | x)`` per event.
    correction : MenonCorrection
        The flip rates.

    Returns
    -------
    numpy.ndarray
        ``P(gamma | x)`` per event (float64, in [0, 1]).
    """
    eta, counts = correction(eta_noisy)
    n = max(int(np.size(eta)), 1)
    log.info(
        "menon_correction (%s, a = %.4f, b = %.4f): clipped %d below 0 and %d above 1 of %d "
        "events (%.2f %%)",
        correction.method, correction.a, correction.b, counts["below_0"], counts["above_1"],
        np.size(eta), 100.0 * (counts["below_0"] + counts["above_1"]) / n,
    )  # fmt: skip
    return eta


def estimate_noise_rates(
    eta_oof,
    noisy_labels=None,
    *,
    method: str = "range",
    quantiles: tuple[float, float] = (0.01, 0.99),
    anchor_fraction: float = 0.2,
    rho_plus: float | None = None,
) -> MenonCorrection:
    """Flip rates without ``alpha``, from out-of-fold predictions ``eta_oof`` of ``P(ON | x)``.

    Parameters
    ----------
    eta_oof : array_like
        Predictions of the noisy-label classifier for events it was not trained on (k-fold
        out-of-fold): in-sample predictions of a flexible model hug their own labels.
    noisy_labels : array_like of 0/1, optional
        The ON/OFF labels of the same events; required for ``anchor``.
    method : {"range", "anchor"}
        ``range`` (Menon et al. 2015, sec. 6.3): ``eta_min`` and ``eta_max`` are the low and high
        ``quantiles`` of ``eta_oof``; ``rho_minus = eta_min``, ``rho_plus = 1 - eta_max``. It reads
        the rates off the *model's outputs* at the extremes, and a low quantile of a noisy estimate
        sits below the true minimum (the scatter of eta_oof around rho_minus, not physics, sets
        it): biased low when the model is not exact.
        ``anchor`` (label frequency in the purest events; Mithal et al. 2017, RAPT, and Scott et
        al. 2013's anchor sets): ``rho_minus`` = fraction of ON labels among the
        ``anchor_fraction`` of events with the lowest ``eta_oof``, ``rho_plus`` = fraction of OFF
        labels among those with the highest. It reads the *labels* there, so the model only has
        to rank (the events must be pure, not their scores exact): unbiased when the anchor events
        are all hadrons, biased up by ``(1 - rho_minus)`` times their gamma fraction otherwise.
        With out-of-fold scores an event's own label did not choose it. Binomial uncertainties.
    quantiles : tuple of float
        The low and high quantiles of ``range``.
    anchor_fraction : float
        The fraction of events at each end that ``anchor`` reads.
    rho_plus : float, optional
        A rate known from physics (ON/OFF: 0, no gamma in OFF) replaces its estimate; with few
        gammas the highest-scored events are not pure and ``eta_max`` is not reached.

    Returns
    -------
    MenonCorrection
        The estimated rates, with their uncertainties.

    Raises
    ------
    ValueError
        An unknown ``method``, ``anchor`` without ``noisy_labels``, or settings out of range.
    NoiseEstimationError
        No finite predictions, or estimated rates that give no valid correction.
    """
    eta = np.asarray(eta_oof, dtype=np.float64).ravel()
    if eta.size == 0 or not np.isfinite(eta).all():
        raise NoiseEstimationError("eta_oof: expected a non-empty array of finite predictions")
    lo_q, hi_q = quantiles
    if not 0 <= lo_q < hi_q <= 1:
        raise ValueError(f"quantiles = {quantiles}: expected 0 <= low < high <= 1")
    if method == "range":
        eta_min, eta_max = np.quantile(eta, [lo_q, hi_q])
        rm_std = rp_std = float("nan")
    elif method == "anchor":
        if noisy_labels is None:
            raise ValueError("method 'anchor' needs the noisy labels of the same events")
        s = np.asarray(noisy_labels).ravel()
        if s.shape != eta.shape or not np.isin(s, (0, 1)).all():
            raise ValueError("noisy_labels: expected 0/1 labels, one per prediction")
        if not 0 < anchor_fraction <= 0.5:
            raise ValueError(f"anchor_fraction = {anchor_fraction}; expected in (0, 0.5]")
        order = np.argsort(eta, kind="stable")
        k = max(int(round(anchor_fraction * eta.size)), 1)
        low, high = s[order[:k]], s[order[-k:]]
        eta_min, eta_max = low.mean(), high.mean()
        rm_std = float(np.sqrt(eta_min * (1 - eta_min) / k))
        rp_std = float(np.sqrt(eta_max * (1 - eta_max) / k))
    else:
        raise ValueError(f"method = {method!r}; expected 'range' or 'anchor'")
    if rho_plus is not None:
        eta_max, rp_std = 1.0 - float(rho_plus), 0.0
    if not eta_max > eta_min:
        raise NoiseEstimationError(
            f"estimated eta_max = {eta_max:.4g} <= eta_min = {eta_min:.4g} ({method}): noise "
            "estimation failed (the classifier did not learn to separate ON from OFF); not dividing"
        )
    return MenonCorrection(
        rho_minus=float(eta_min),
        rho_plus=float(1.0 - eta_max),
        method=method,
        rho_minus_std=rm_std,
        rho_plus_std=rp_std,
    )
