"""Model entries of ``kind: net``: the keys they take and their check before any fitting.

The check lives with the training engine, not with the nets, because most of a net entry's keys
are the engine's (:class:`~iactdl.fit.engine.FitSettings`, the optimiser and schedule tables of
:mod:`iactdl.fit.optim`): ``iactdl.fit`` imports ``iactdl.models.nets``, never the reverse.
:func:`validate_entry` checks an entry of any kind (baselines through
:func:`iactdl.models.baselines.validate_baseline_entry`).

A net entry has the keys every model has (``kind``, ``task``, ``features``; see
:mod:`iactdl.models.common_entry`), the net's own (:data:`NET_KEYS`) and the engine's
(:class:`iactdl.fit.engine.FitSettings` fields but ``seed``, which the rule derives from config's
seed). ``features`` is the list of feature columns for ``mlp``; the image and set nets read fixed
columns (``grid_image``; ``pixel_set`` + ``pixel_set_mask``), which ``features`` may list or leave
empty. An ``adapt`` section (:class:`AdaptSettings`) opts a net into domain adaptation
(:mod:`iactdl.fit.adapt`); it is checked here with the rest of the entry. A baseline entry may
carry one too, for importance weighting alone (:func:`adapted_baseline_settings`,
:mod:`iactdl.fit.importance`). A ``labelnoise`` section makes an entry of stage 6
(:mod:`iactdl.labelnoise`), which the engine does not know: :func:`iactdl.config.validate_model`
checks the section (:func:`iactdl.labelnoise.baselines.labelnoise_settings`) and hands the base
entry to :func:`validate_entry`, which refuses the section itself.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

from iactdl.features.columns import DEFAULT_FEATURES
from iactdl.fit.dann import DANNSettings
from iactdl.fit.engine import FitSettings
from iactdl.fit.optim import OPTIMIZERS, SCHEDULES
from iactdl.models import validate_baseline_entry, validate_model_entry
from iactdl.models.nets.registry import INPUT_COLUMNS, NETS, net_settings
from iactdl.models.source_dependence import (
    SOURCE_DEPENDENT_COLUMNS,
    refuse_source_dependent_columns,
)

__all__ = [
    "NET_DEFAULTS",
    "NET_KEYS",
    "COMMON_KEYS",
    "FIT_KEYS",
    "validate_net_entry",
    "validate_entry",
    "fit_settings",
    "ADAPT_METHODS",
    "SOURCE_DEPENDENT_COLUMNS",
    "AdaptSettings",
    "adapt_settings",
    "adapted_baseline_settings",
    "refuse_source_dependent",
]

# Defaults of a net entry's own optional keys; the engine's are FitSettings' (the schema repeats
# both; tests/test_defaults.py)
NET_DEFAULTS = {
    "description": "",
    "settings": {},
    "energy_head": False,
    "gpu": 0,
    "require_gpu": False,
    "max_train_events": 0,
    "adapt": None,  # not adapted; a mapping (AdaptSettings) opts into domain adaptation
    "labelnoise": None,  # trained on simulations; a mapping: ON/OFF labels (iactdl.labelnoise.nets)
}
NET_KEYS = (
    "net", "settings", "energy_head", "gpu", "require_gpu", "max_train_events", "adapt",
    "labelnoise",
)  # fmt: skip
COMMON_KEYS = ("kind", "task", "features", "description")
FIT_KEYS = tuple(f.name for f in dataclasses.fields(FitSettings) if f.name != "seed")


def validate_net_entry(name: str, entry: Mapping) -> None:
    """Check a net entry; raise ``ValueError`` naming the model, the key and what is valid."""
    where = f"config models.{name}"
    valid = set(FIT_KEYS) | set(NET_KEYS) | set(COMMON_KEYS)
    unknown = sorted(set(entry) - valid)
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {unknown}; valid keys: {sorted(valid)}")
    net = entry.get("net")
    if net not in NETS:
        raise ValueError(f"{where}.net: unknown net {net!r}; valid nets: {sorted(NETS)}")
    try:
        net_settings(net, entry.get("settings"))
    except (TypeError, ValueError) as err:
        raise ValueError(f"{where}.settings: {err}") from None
    if entry.get("optimizer", FitSettings.optimizer) not in OPTIMIZERS:
        raise ValueError(
            f"{where}.optimizer: unknown optimizer {entry['optimizer']!r}; "
            f"valid optimizers: {list(OPTIMIZERS)}"
        )
    if entry.get("schedule", FitSettings.schedule) not in SCHEDULES:
        raise ValueError(
            f"{where}.schedule: unknown schedule {entry['schedule']!r}; "
            f"valid schedules: {list(SCHEDULES)}"
        )
    task = entry.get("task", "separation")
    if task not in ("separation", "energy"):
        raise ValueError(f"{where}.task: unknown task {task!r}; valid: ['separation', 'energy']")
    kind = NETS[net].input_kind
    features = list(entry.get("features") or [])
    if kind == "features" and not features:
        raise ValueError(f"{where}.features: net {net!r} needs a list of feature columns")
    if kind != "features" and features and set(features) != set(INPUT_COLUMNS[kind]):
        raise ValueError(
            f"{where}.features: net {net!r} reads {list(INPUT_COLUMNS[kind])}; "
            f"leave features empty or list exactly those, not {features}"
        )
    for key, low in (("epochs", 1), ("batch_size", 1), ("gpu", 0), ("max_train_events", 0)):
        if key in entry and (not isinstance(entry[key], int) or entry[key] < low):
            raise ValueError(f"{where}.{key}: expected an integer >= {low}, got {entry[key]!r}")
    if "lr" in entry and not (isinstance(entry["lr"], (int, float)) and entry["lr"] > 0):
        raise ValueError(f"{where}.lr: expected a learning rate > 0, got {entry['lr']!r}")
    if entry.get("adapt") is not None:
        adapt_settings(name, entry)
        refuse_source_dependent(name, entry)


def validate_entry(name: str, entry) -> None:
    """Full check of a model entry trained by the engine: the common keys, then the kind's own
    validator. An ON/OFF entry (a ``labelnoise`` section, stage 6) is checked by
    :func:`iactdl.config.validate_model`, which hands its base entry here: the engine knows no
    stage-6 setting."""
    validate_model_entry(name, entry)
    if entry.get("labelnoise") is not None:
        raise ValueError(
            f"config models.{name}.labelnoise: an ON/OFF entry; check it with "
            "iactdl.config.validate_model (stage 6 checks its section, then the base entry)"
        )
    if entry["kind"] == "baseline":
        if entry.get("adapt") is not None:  # importance weighting (iactdl.fit.importance)
            adapted_baseline_settings(name, entry)
            entry = {k: v for k, v in entry.items() if k != "adapt"}
        validate_baseline_entry(name, entry)
    else:
        validate_net_entry(name, entry)


def fit_settings(entry: Mapping, seed: int, name: str = "net") -> FitSettings:
    """FitSettings from a (validated) net entry and the rule's seed."""
    validate_net_entry(name, entry)
    return FitSettings(**{k: entry[k] for k in FIT_KEYS if k in entry}, seed=int(seed))


ADAPT_METHODS = ("dann", "iwdann", "importance")
# the importance weights' domain classifier reads the image features unless the entry names some
DEFAULT_WEIGHT_FEATURES = tuple(DEFAULT_FEATURES)


@dataclass
class AdaptSettings:
    method: str = "dann"  # dann | iwdann | importance
    lambda_max: float = 0.3  # dann, iwdann: final strength of the gradient reversal, (0, 10]
    domain_hidden: int = 64  # dann, iwdann: width of the domain head's hidden layer
    target_batch_fraction: float = 0.5  # dann, iwdann: observed events per step / batch_size
    target_prior: float | None = None  # iwdann: observed gamma fraction; None: from diagnostics
    weight_clip: float = 20.0  # importance: weights capped at this multiple of their mean
    weight_features: tuple[str, ...] = DEFAULT_WEIGHT_FEATURES  # importance: domain classifier's

    def dann(self) -> DANNSettings:
        return DANNSettings(
            lambda_max=self.lambda_max, domain_hidden=self.domain_hidden,
            target_batch_fraction=self.target_batch_fraction,
            class_weights=self.method == "iwdann",
        )  # fmt: skip


def adapt_settings(name: str, entry: Mapping) -> AdaptSettings:
    """The ``adapt`` section of model ``name`` checked; ValueError naming the key and the range."""
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
DANN_ONLY_KEYS = ("lambda_max", "domain_hidden", "target_batch_fraction", "target_prior")


def adapted_baseline_settings(name: str, entry: Mapping) -> AdaptSettings:
    """The ``adapt`` section of a baseline entry, checked: importance weighting only, of a
    separation model without source-dependent features (:mod:`iactdl.fit.importance`)."""
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
    """Refuse source-dependent inputs in a model trained on observed events (see module doc)."""
    used = list(entry.get("features") or []) + list(entry.get("derived_features") or [])
    refuse_source_dependent_columns(used, f"config models.{name}")
