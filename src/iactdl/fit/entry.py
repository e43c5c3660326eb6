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
empty. An ``adapt`` section makes an entry of stage 5 (:mod:`iactdl.adapt`), a ``labelnoise``
section one of stage 6 (:mod:`iactdl.labelnoise`); the engine knows neither:
:func:`iactdl.config.validate_model` checks the section with its stage
(:func:`iactdl.adapt.settings.adapt_section`,
:func:`iactdl.labelnoise.baselines.labelnoise_settings`) and hands the base entry to
:func:`validate_entry`, which refuses either section itself.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from iactdl.fit.engine import FitSettings
from iactdl.fit.optim import OPTIMIZERS, SCHEDULES
from iactdl.models import validate_baseline_entry, validate_model_entry
from iactdl.models.nets.direction import check_direction_head
from iactdl.models.nets.registry import INPUT_COLUMNS, NETS, net_settings

__all__ = [
    "NET_DEFAULTS",
    "NET_KEYS",
    "COMMON_KEYS",
    "FIT_KEYS",
    "validate_net_entry",
    "validate_entry",
    "fit_settings",
    "STAGE_SECTIONS",
]

# Defaults of a net entry's own optional keys; the engine's are FitSettings' (the schema repeats
# both; tests/test_defaults.py)
NET_DEFAULTS = {
    "description": "",
    "settings": {},
    "energy_head": False,
    "direction_head": None,  # none; source | disp: a direction head (iactdl.models.nets.direction)
    "gpu": 0,
    "require_gpu": False,
    "max_train_events": 0,
    "stream": False,  # resident tensors; true: read from disk in shuffled pools (fit.streaming)
    "adapt": None,  # not adapted; a mapping: domain adaptation (iactdl.adapt.settings)
    "labelnoise": None,  # trained on simulations; a mapping: ON/OFF labels (iactdl.labelnoise.nets)
}
NET_KEYS = (
    "net", "settings", "energy_head", "direction_head", "gpu", "require_gpu", "max_train_events",
    "stream", "adapt", "labelnoise",
)  # fmt: skip
COMMON_KEYS = ("kind", "task", "features", "description")
FIT_KEYS = tuple(f.name for f in dataclasses.fields(FitSettings) if f.name != "seed")
# the sections that make an entry a stage's (stage 5's adapt: domain adaptation, stage 6's
# labelnoise: ON/OFF labels): each stage checks its own and hands the base entry to the engine,
# which refuses them. Names only: a string naming a module would join the engine's source hash
# (iactdl.provenance), and the engine imports no stage.
STAGE_SECTIONS = ("adapt", "labelnoise")


def _refuse_stage_sections(name: str, entry: Mapping) -> None:
    for key in STAGE_SECTIONS:
        if entry.get(key) is not None:
            raise ValueError(
                f"config models.{name}.{key}: an entry of a stage (adapt: 5, labelnoise: 6); "
                "check it with iactdl.config.validate_model (the stage checks its section, then "
                "the base entry)"
            )


def validate_net_entry(name: str, entry: Mapping) -> None:
    """Check a net entry; raise ``ValueError`` naming the model, the key and what is valid.

    Checks: no unknown key (valid: :data:`FIT_KEYS`, :data:`NET_KEYS`, :data:`COMMON_KEYS`); a
    known ``net`` and its ``settings``; a known ``optimizer`` and ``schedule``; ``task``
    ``separation`` or ``energy``; ``features`` as the net's input kind needs; integer
    ``epochs``, ``batch_size`` (>= 1), ``gpu``, ``max_train_events`` (>= 0); ``lr`` > 0;
    boolean ``stream``; no stage section (``adapt``, ``labelnoise``).

    Parameters
    ----------
    name : str
        The model's name in config ``models`` (for the messages).
    entry : Mapping
        The model's config entry, ``kind: net``.

    Raises
    ------
    ValueError
        At the first invalid key, as ``config models.{name}.{key}: ...``.
    """
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
    if task not in ("separation", "energy", "direction"):
        raise ValueError(
            f"{where}.task: unknown task {task!r}; valid: ['separation', 'energy', 'direction']"
        )
    try:
        direction = check_direction_head(entry.get("direction_head"))
    except ValueError as err:
        raise ValueError(f"{where}.{err}") from None
    if task == "direction" and direction is None:
        raise ValueError(f"{where}.direction_head: task direction needs one (source or disp)")
    if task == "direction" and entry.get("stream"):
        raise ValueError(f"{where}.stream: the direction task trains resident (stream: false)")
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
    if not isinstance(entry.get("stream", False), bool):
        raise ValueError(f"{where}.stream: expected true or false, got {entry['stream']!r}")
    _refuse_stage_sections(name, entry)


def validate_entry(name: str, entry) -> None:
    """Full check of a model entry trained by the engine: the common keys, then the kind's own
    validator. An entry of stage 5 or 6 (an ``adapt`` or ``labelnoise`` section) is checked by
    :func:`iactdl.config.validate_model`, which hands its base entry here: the engine knows no
    stage's setting.

    Parameters
    ----------
    name : str
        The model's name in config ``models`` (for the messages).
    entry : Mapping
        The model's config entry: ``kind`` ``baseline`` or ``net``.

    Raises
    ------
    ValueError
        If a common key, the kind's own keys (:func:`validate_net_entry`,
        :func:`iactdl.models.baselines.validate_baseline_entry`) are invalid or the entry has a
        stage section.
    """
    validate_model_entry(name, entry)
    _refuse_stage_sections(name, entry)
    if entry["kind"] == "baseline":
        validate_baseline_entry(name, entry)
    else:
        validate_net_entry(name, entry)


def fit_settings(entry: Mapping, seed: int, name: str = "net") -> FitSettings:
    """FitSettings from a (validated) net entry and the rule's seed.

    Parameters
    ----------
    entry : Mapping
        A net entry; checked first (:func:`validate_net_entry`). Its keys of
        :data:`FIT_KEYS` override the defaults of :class:`~iactdl.fit.engine.FitSettings`.
    seed : int
        The rule's seed (derived from config's ``seed``), the fit's ``seed``.
    name : str, optional
        The model's name, for the messages; default ``"net"``.

    Returns
    -------
    iactdl.fit.engine.FitSettings
        The engine's settings of the entry.

    Raises
    ------
    ValueError
        If the entry is invalid.
    """
    validate_net_entry(name, entry)
    return FitSettings(**{k: entry[k] for k in FIT_KEYS if k in entry}, seed=int(seed))
