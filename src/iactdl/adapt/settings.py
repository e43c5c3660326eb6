"""The ``adapt`` section of a model entry: the settings of domain adaptation and their check.

A net entry opts into domain adaptation (:mod:`iactdl.adapt.nets`: DANN, IW-DANN or importance
weighting) with an ``adapt`` section, a baseline entry into importance weighting alone
(:mod:`iactdl.adapt.importance`). The engine (:mod:`iactdl.fit`) knows no such section:
:func:`iactdl.config.validate_model` checks it here (:func:`adapt_section`) and hands the entry
without it to :func:`iactdl.fit.entry.validate_entry`.

Source-dependent features (``source_x``, ``source_y`` and what derives from them) are refused in
every model trained on observed events (:func:`refuse_source_dependent`): the ON and OFF positions
sit at different places in the camera, so such a feature tells the model where an event was
recorded, not what the shower was.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from iactdl.features.columns import DEFAULT_FEATURES
from iactdl.models.source_dependence import refuse_source_dependent_columns

if TYPE_CHECKING:  # iactdl.adapt.dann imports torch; an importance-weighted baseline needs none
    from iactdl.adapt.dann import DANNSettings

__all__ = [
    "ADAPT_METHODS",
    "AdaptSettings",
    "adapt_settings",
    "adapted_baseline_settings",
    "adapt_section",
    "augment_settings",
    "is_augmented",
    "base_entry",
    "refuse_source_dependent",
]

ADAPT_METHODS = ("dann", "iwdann", "importance", "augment")
# the importance weights' domain classifier reads the image features unless the entry names some
DEFAULT_WEIGHT_FEATURES = tuple(DEFAULT_FEATURES)


@dataclass
class AdaptSettings:
    """The ``adapt`` section of a model entry, with its defaults (``config.yaml: models``).

    Parameters
    ----------
    method : {"dann", "iwdann", "importance", "augment"}
        DANN (Ganin et al. 2016), importance-weighted DANN, covariate-shift importance
        weighting (:mod:`iactdl.adapt.importance`), or augmentation: the plain model trained on
        the simulations re-simulated through the detector estimated from the observation
        (:mod:`iactdl.adapt.augment`).
    lambda_max : float
        DANN, IW-DANN: the final strength of the gradient reversal, in (0, 10]
        (:func:`~iactdl.adapt.dann.ganin_lambda`).
    domain_hidden : int
        DANN, IW-DANN: width of the domain head's hidden layer.
    target_batch_fraction : float
        DANN, IW-DANN: observed events per step, as a fraction of ``batch_size``.
    target_prior : float, optional
        IW-DANN: the observed gamma fraction; ``None``: from the shift diagnostics
        (:func:`~iactdl.adapt.nets.target_prior_from_diagnostics`).
    weight_class_loss : bool
        IW-DANN: weight the class loss by ``w_y = q_y / p_y`` too (off by default: the domain
        loss alone carries the weights; see :mod:`iactdl.adapt.dann`).
    weight_clip : float
        Importance: weights capped at this multiple of their mean.
    weight_features : tuple of str
        Importance: the domain classifier's inputs (default: the image features).
    """

    method: str = "dann"  # dann | iwdann | importance | augment
    lambda_max: float = 0.3  # dann, iwdann: final strength of the gradient reversal, (0, 10]
    domain_hidden: int = 64  # dann, iwdann: width of the domain head's hidden layer
    target_batch_fraction: float = 0.5  # dann, iwdann: observed events per step / batch_size
    target_prior: float | None = None  # iwdann: observed gamma fraction; None: from diagnostics
    # iwdann: also weight the class loss by q/p; off: at q of a few % it collapses the posterior
    weight_class_loss: bool = False
    weight_clip: float = 20.0  # importance: weights capped at this multiple of their mean
    weight_features: tuple[str, ...] = DEFAULT_WEIGHT_FEATURES  # importance: domain classifier's

    def dann(self) -> DANNSettings:
        """The settings of the DANN objective (IW-DANN: with class weights).

        Returns
        -------
        iactdl.adapt.dann.DANNSettings
            ``lambda_max``, ``domain_hidden``, ``target_batch_fraction`` and ``class_weights``.
        """
        from iactdl.adapt.dann import DANNSettings

        return DANNSettings(
            lambda_max=self.lambda_max, domain_hidden=self.domain_hidden,
            target_batch_fraction=self.target_batch_fraction,
            class_weights=self.method == "iwdann",
        )  # fmt: skip


def adapt_settings(name: str, entry: Mapping) -> AdaptSettings:
    """The ``adapt`` section of model ``name``, checked.

    Parameters
    ----------
    name : str
        The model, named in errors.
    entry : Mapping
        Its entry of ``config.yaml: models``.

    Returns
    -------
    AdaptSettings
        The section over the defaults.

    Raises
    ------
    ValueError
        Naming the key and the range of values it takes.
    """
    where = f"config models.{name}.adapt"
    section = entry.get("adapt")
    if not isinstance(section, Mapping):
        raise ValueError(f"{where}: expected a mapping such as {{method: dann, lambda_max: 0.3}}")
    fields = {f.name for f in dataclasses.fields(AdaptSettings)}
    unknown = sorted(set(section) - fields)
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {unknown}; valid keys: {sorted(fields)}")
    s = dict(section)
    if "weight_features" in s:
        s["weight_features"] = tuple(s["weight_features"])
    settings = AdaptSettings(**s)
    if settings.method not in ADAPT_METHODS:
        raise ValueError(f"{where}.method: {settings.method!r}; valid: {list(ADAPT_METHODS)}")
    settings.dann().check(where)
    if not isinstance(settings.weight_class_loss, bool):
        raise ValueError(f"{where}.weight_class_loss: expected true or false")
    q = settings.target_prior
    if q is not None and not (isinstance(q, (int, float)) and 0 < q < 1):
        raise ValueError(f"{where}.target_prior: expected a gamma fraction in (0, 1), got {q!r}")
    if not (isinstance(settings.weight_clip, (int, float)) and settings.weight_clip > 1):
        raise ValueError(f"{where}.weight_clip: expected > 1, got {settings.weight_clip!r}")
    if not settings.weight_features:
        raise ValueError(f"{where}.weight_features: empty; list the domain classifier's columns")
    refuse_source_dependent(name, {"features": settings.weight_features})
    return settings


# keys of the adapt section that only DANN reads: refused on a baseline, where they would do nothing
DANN_ONLY_KEYS = (
    "lambda_max", "domain_hidden", "target_batch_fraction", "target_prior", "weight_class_loss",
)  # fmt: skip


def adapted_baseline_settings(name: str, entry: Mapping) -> AdaptSettings:
    """The ``adapt`` section of a baseline entry, checked.

    Importance weighting only, of a separation model without source-dependent features
    (:mod:`iactdl.adapt.importance`).

    Parameters
    ----------
    name : str
        The model, named in errors.
    entry : Mapping
        Its entry of ``config.yaml: models``.

    Returns
    -------
    AdaptSettings
        The section over the defaults.

    Raises
    ------
    ValueError
        Another method, another task, a source-dependent feature, or a bad value.
    """
    where = f"config models.{name}"
    settings = adapt_settings(name, entry)
    if settings.method != "importance":
        raise ValueError(
            f"{where}.adapt.method: {settings.method!r} needs a net (kind: net): DANN trains a "
            "domain head on the net's encoder through a gradient-reversal layer, which a "
            "scikit-learn estimator does not have; a baseline takes method importance "
            "(sample_weight from the domain classifier's odds)"
        )
    dann_only = sorted(set(entry["adapt"]) & set(DANN_ONLY_KEYS))
    if dann_only:
        raise ValueError(
            f"{where}.adapt: {dann_only} are DANN settings, which importance weighting does not "
            "read; remove them"
        )
    if entry.get("task") != "separation":
        raise ValueError(
            f"{where}.task: {entry.get('task')!r}; importance weighting of a baseline takes task "
            "separation: the weights estimate p_obs(x) / p_sim(x) over all events, and the "
            "observed events are nearly all hadrons, so they cannot reweight the simulated gammas "
            "an energy regressor trains on to the observed gammas (that needs p_obs(x | gamma))"
        )
    refuse_source_dependent(name, entry)
    return settings


def refuse_source_dependent(name: str, entry: Mapping) -> None:
    """Refuse source-dependent inputs in a model trained on observed events (see module doc).

    Parameters
    ----------
    name : str
        The model, named in errors.
    entry : Mapping
        Its entry; its ``features`` and ``derived_features`` are checked.

    Raises
    ------
    ValueError
        Naming the source-dependent columns.
    """
    used = list(entry.get("features") or []) + list(entry.get("derived_features") or [])
    refuse_source_dependent_columns(used, f"config models.{name}")


def adapt_section(name: str, entry: Mapping) -> AdaptSettings:
    """The ``adapt`` section of an entry of any kind, checked.

    A baseline's by :func:`adapted_baseline_settings` (importance weighting only), a net's by
    :func:`adapt_settings`, its inputs by :func:`refuse_source_dependent`.

    Parameters
    ----------
    name : str
        The model, named in errors.
    entry : Mapping
        Its entry of ``config.yaml: models``.

    Returns
    -------
    AdaptSettings
        The section over the defaults.

    Raises
    ------
    ValueError
        Naming the key and what was expected.
    """
    if is_augmented(entry):
        return augment_settings(name, entry)
    if entry.get("kind") == "baseline":
        return adapted_baseline_settings(name, entry)
    settings = adapt_settings(name, entry)
    refuse_source_dependent(name, entry)
    return settings


def base_entry(entry: Mapping) -> dict:
    """The entry without its ``adapt`` section: what the engine trains (and the oracle).

    Parameters
    ----------
    entry : Mapping
        A model entry of ``config.yaml: models``.

    Returns
    -------
    dict
        A copy of ``entry`` without the key ``adapt``.
    """
    return {k: v for k, v in entry.items() if k != "adapt"}


def is_augmented(entry: Mapping) -> bool:
    """Whether an entry trains by augmentation (``adapt: {method: augment}``).

    Parameters
    ----------
    entry : Mapping
        A model entry of ``config.yaml: models``.

    Returns
    -------
    bool
        True for an ``adapt`` mapping whose ``method`` is ``augment``.
    """
    section = entry.get("adapt")
    return isinstance(section, Mapping) and section.get("method") == "augment"


def augment_settings(name: str, entry: Mapping) -> AdaptSettings:
    """The ``adapt`` section of an augmented entry (a baseline or a net), checked.

    Augmentation changes the training set, not the training (:mod:`iactdl.adapt.augment`): the
    entry trains as the plain model does, on ``results/augmented/datasets/``, of any task and
    with any feature (the events are simulations, whose source positions are the true ones), so
    the section holds ``method`` alone.

    Parameters
    ----------
    name : str
        The model, named in errors.
    entry : Mapping
        Its entry of ``config.yaml: models``.

    Returns
    -------
    AdaptSettings
        ``method`` ``augment`` and the defaults, which it does not read.

    Raises
    ------
    ValueError
        Another key in the section.
    """
    extra = sorted(set(entry["adapt"]) - {"method"})
    if extra:
        raise ValueError(
            f"config models.{name}.adapt: {extra} are settings of the other methods; "
            "augmentation trains the plain model on the re-simulated simulations and reads "
            "only `method: augment`"
        )
    return AdaptSettings(method="augment")
