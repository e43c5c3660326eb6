"""The shift study: each physical shift of the observation alone, and all together, against the
methods that learn across the simulation-to-observation gap.

For every *observation* of config ``shift_study.shifts`` (a switch of
``simulation.observed.shifts``, :data:`iactdl.simulate.settings.SHIFTS`, switched on alone; or
``all``: every switch on) rule ``shift_study_stream`` simulates its own observation (the default
observation's seeds, so every observation draws the same showers up to what its shift changes;
``shift_study.hours`` or the observation's hours) into ``results/shift_study/{shift}/``. On each,
every model of ``shift_study.models`` (plain separation entries of ``models``) is scored by every
method of ``shift_study.methods`` with ``seeds`` seeds. A study model is named
``{model}~{method}~s{seed}`` (``hist_gbt~onoff~s2``) inside its observation's folder; its entry:

- ``source``: the config model itself, trained on the simulations by the default DAG (rules
  ``train_baseline``/``train_net``); it only predicts the shifted observation, so it has seed 1
  alone (its training does not depend on the observation);
- ``importance``: the model's entry with ``adapt: {method: importance}`` (baselines:
  ``train_adapted_baseline``; nets: ``train_adapted``);
- ``dann``, ``iwdann``: nets only (a gradient reversal needs a representation), the adaptation
  study's entry (:func:`iactdl.adapt.study.study_entry`) with ``shift_study.lambda_max``;
- ``onoff``, ``joint``: stage 6's companion entry of the model, ``{model}_onoff`` (a
  ``labelnoise`` section) and ``{model}_joint`` (a ``joint`` section), trained on the shifted
  observation's ON/OFF labels (and for ``joint`` the simulations too); a model without one is
  left out of that method;
- ``oracle``: the model's estimator or net on the shifted observed_train with its hidden truth
  (reference only; rules named oracle).

No study model's training or selection reads an observation's truth but the oracles'; the table
(:mod:`iactdl.adapt.shift_table`) chooses each model's gammaness cut on its observation's
observed_val without truth.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import NamedTuple

from iactdl.adapt.study import SEPARATOR, study_entry
from iactdl.simulate.settings import SHIFTS

__all__ = [
    "ALL_SHIFTS",
    "SHIFT_STUDY_METHODS",
    "SHIFT_STUDY_DEFAULTS",
    "TRAINERS",
    "ShiftStudyName",
    "parse_shift_study_name",
    "companion",
    "shift_study_models",
    "shift_study_entry",
    "trainer_of",
    "shifted_simulation",
    "check_shift_study",
]

ALL_SHIFTS = "all"  # the observation with every switch of simulation.observed.shifts on
SHIFT_STUDY_METHODS = ("source", "importance", "dann", "iwdann", "onoff", "joint", "oracle")
NET_ONLY = ("dann", "iwdann")  # a gradient reversal needs a learned representation
COMPANION = {"onoff": "labelnoise", "joint": "joint"}  # method -> the section its entry carries
SHIFT_STUDY_DEFAULTS = {
    "shifts": [*SHIFTS, ALL_SHIFTS],
    "hours": None,
    "models": ["hist_gbt", "mlp", "deepsets"],
    "methods": list(SHIFT_STUDY_METHODS),
    "seeds": 3,
    "lambda_max": 0.3,
}
# (method, kind) -> the rule that trains it; source is the config model itself (no training)
TRAINERS = {
    ("source", "baseline"): None,
    ("source", "net"): None,
    ("importance", "baseline"): "train_adapted_baseline",
    ("importance", "net"): "train_adapted",
    ("dann", "net"): "train_adapted",
    ("iwdann", "net"): "train_adapted",
    ("onoff", "baseline"): "train_onoff",
    ("onoff", "net"): "train_onoff_net",
    ("joint", "baseline"): "train_joint",
    ("joint", "net"): "train_joint_net",
    ("oracle", "baseline"): "train_onoff_oracle",
    ("oracle", "net"): "train_oracle",
}


class ShiftStudyName(NamedTuple):
    """A shift-study model's name taken apart: ``{model}~{method}~s{seed}``.

    Parameters
    ----------
    model : str
        The plain separation entry of ``models`` it is made of.
    method : str
        One of :data:`SHIFT_STUDY_METHODS`.
    seed : int
        The seed (1 for ``source``).
    """

    model: str
    method: str
    seed: int

    @property
    def name(self) -> str:
        """The model's name, ``{model}~{method}~s{seed}``."""
        return SEPARATOR.join([self.model, self.method, f"s{self.seed}"])


def parse_shift_study_name(name: str) -> ShiftStudyName:
    """A shift-study model's name taken apart.

    Parameters
    ----------
    name : str
        ``{model}~{method}~s{seed}``.

    Returns
    -------
    ShiftStudyName
        Its parts.

    Raises
    ------
    ValueError
        Naming the expected form, for any other name.
    """
    parts = str(name).split(SEPARATOR)
    ok = len(parts) == 3 and parts[1] in SHIFT_STUDY_METHODS
    if not ok or not parts[2].startswith("s") or not parts[2][1:].isdigit():
        raise ValueError(
            f"{name!r} is not a shift-study model name; expected {{model}}{SEPARATOR}{{method}}"
            f"{SEPARATOR}s{{seed}} with a method of {list(SHIFT_STUDY_METHODS)}"
        )
    return ShiftStudyName(parts[0], parts[1], int(parts[2][1:]))


def companion(model: str, method: str, models: Mapping) -> str | None:
    """Stage 6's entry that stands for ``model`` under ``method`` (``onoff``, ``joint``).

    Parameters
    ----------
    model : str
        A plain entry of ``models``.
    method : str
        ``onoff`` or ``joint``.
    models : Mapping
        The config's ``models``.

    Returns
    -------
    str or None
        ``{model}_{method}`` when ``models`` has it with the method's section (``labelnoise``,
        ``joint``) and the same kind; None otherwise (the model is left out of that method).
    """
    name = f"{model}_{method}"
    entry = models.get(name)
    if not isinstance(entry, Mapping) or entry.get(COMPANION[method]) is None:
        return None
    return name if entry.get("kind") == models[model].get("kind") else None


def _applies(model: str, method: str, models: Mapping) -> bool:
    kind = models[model]["kind"]
    if method in NET_ONLY and kind != "net":
        return False
    if method in COMPANION:
        return companion(model, method, models) is not None
    return True


def shift_study_models(models: Mapping, study: Mapping, methods=None) -> list[str]:
    """Names of the study's models on one observation (every observation has the same ones).

    Parameters
    ----------
    models : Mapping
        The config's ``models``.
    study : Mapping
        The config's ``shift_study`` section.
    methods : iterable of str, optional
        The methods to list; default: the study's.

    Returns
    -------
    list of str
        ``{model}~{method}~s{seed}`` per model, method and seed, in that order; ``source`` with
        seed 1 alone; a method that does not apply to a model (module doc) left out.
    """
    names = []
    for model in study["models"]:
        if model not in models:
            continue  # refused by check_shift_study
        for method in methods or study["methods"]:
            if not _applies(model, method, models):
                continue
            seeds = 1 if method == "source" else int(study["seeds"])
            names += [ShiftStudyName(model, method, s).name for s in range(1, seeds + 1)]
    return names


def shift_study_entry(name: str, models: Mapping, study: Mapping) -> dict:
    """The model entry of study model ``name`` (module doc).

    Parameters
    ----------
    name : str
        ``{model}~{method}~s{seed}``.
    models : Mapping
        The config's ``models``.
    study : Mapping
        The config's ``shift_study`` section.

    Returns
    -------
    dict
        The entry its rule trains (``source``: the config model's own).

    Raises
    ------
    ValueError
        Not a study name, or its model is no entry of ``models``, or the method does not apply.
    """
    parsed = parse_shift_study_name(name)
    model, method = parsed.model, parsed.method
    if model not in models:
        raise ValueError(f"{name!r}: {model!r} is not a model of `models`")
    if not _applies(model, method, models):
        raise ValueError(
            f"{name!r}: method {method!r} does not apply to {model!r} (dann/iwdann: nets only; "
            f"onoff/joint: an entry {model}_{method} with a {COMPANION.get(method)} section)"
        )
    if method == "source":
        return copy.deepcopy(dict(models[model]))
    if method in COMPANION:
        entry = copy.deepcopy(dict(models[companion(model, method, models)]))
    elif models[model]["kind"] == "net":
        # the adaptation study's entry of the same net and method (lambda_max: this study's)
        adaptation = {"lambda_max": study["lambda_max"], "lambda_grid": []}
        entry = study_entry(f"{model}~{method}~s{parsed.seed}", models, adaptation)
    else:
        entry = copy.deepcopy(dict(models[model]))
        entry.pop("adapt", None)
        if method == "importance":
            entry["adapt"] = {"method": "importance"}
        elif method == "oracle":  # stage 6's truth-trained fit of an estimator reads the entry
            # through its (here empty) labelnoise section, which it checks and otherwise ignores
            entry["labelnoise"] = {}
        else:  # a method added to SHIFT_STUDY_METHODS must say here what its baseline entry is
            raise ValueError(f"{name!r}: no baseline entry for method {method!r}")
    if entry["kind"] == "net":  # a net's entry may describe itself; a baseline's has no key
        entry["description"] = f"shift study: {model}, {method}"
    return entry


def trainer_of(name: str, models: Mapping) -> str | None:
    """The rule that trains study model ``name``, or None for ``source`` (not retrained).

    Parameters
    ----------
    name : str
        ``{model}~{method}~s{seed}``.
    models : Mapping
        The config's ``models``.

    Returns
    -------
    str or None
        A key of :data:`TRAINERS`' values (the rule's name without ``shift_study_``).
    """
    parsed = parse_shift_study_name(name)
    return TRAINERS[(parsed.method, models[parsed.model]["kind"])]


def shifted_simulation(simulation: Mapping, shift: str, hours: float | None = None) -> dict:
    """The ``simulation`` section of one observation of the study.

    Parameters
    ----------
    simulation : Mapping
        The config's ``simulation`` (or the observation's part of it).
    shift : str
        A switch of :data:`~iactdl.simulate.settings.SHIFTS` (on alone) or ``all`` (every one on).
    hours : float, optional
        The observation time; None: the section's ``observed.hours``.

    Returns
    -------
    dict
        A copy with ``observed.shifts`` (and ``observed.hours``) replaced.

    Raises
    ------
    ValueError
        An unknown shift.
    """
    if shift != ALL_SHIFTS and shift not in SHIFTS:
        raise ValueError(
            f"shift {shift!r}: expected a switch of simulation.observed.shifts, one of "
            f"{list(SHIFTS)}, or {ALL_SHIFTS!r}"
        )
    out = copy.deepcopy(dict(simulation))
    observed = dict(out.get("observed") or {})
    observed["shifts"] = {s: shift in (ALL_SHIFTS, s) for s in SHIFTS}
    if hours is not None:
        observed["hours"] = float(hours)
    out["observed"] = observed
    return out


def check_shift_study(study: Mapping, models: Mapping) -> list[str]:
    """What is wrong with the config's ``shift_study`` section, each naming its key.

    Parameters
    ----------
    study : Mapping
        The section, over :data:`SHIFT_STUDY_DEFAULTS`.
    models : Mapping
        The config's ``models``.

    Returns
    -------
    list of str
        Error messages; empty when the section is valid.
    """
    where = "config shift_study"
    errors = []
    shifts = list(study.get("shifts") or [])
    unknown = [s for s in shifts if s != ALL_SHIFTS and s not in SHIFTS]
    if unknown:
        errors.append(
            f"{where}.shifts: unknown shift(s) {unknown}; expected switches of "
            f"simulation.observed.shifts, {list(SHIFTS)}, or {ALL_SHIFTS!r}"
        )
    if len(set(shifts)) != len(shifts):
        errors.append(f"{where}.shifts: a shift appears twice in {shifts}")
    hours = study.get("hours")
    if hours is not None and (isinstance(hours, bool) or not float(hours) > 0):
        errors.append(f"{where}.hours: {hours!r}; expected hours > 0, or null (the observation's)")
    default = study.get("models") == SHIFT_STUDY_DEFAULTS["models"]
    for i, name in enumerate(study.get("models") or []):
        entry = models.get(name)
        if entry is None:
            # the default list names the embedded config's models; a config without them
            # (no image nets) runs the study on what it has
            if not default:
                errors.append(f"{where}.models[{i}]: {name!r} is not a model of `models`")
            continue
        if entry.get("task") != "separation" or any(
            entry.get(k) is not None for k in ("adapt", "labelnoise", "joint")
        ):
            errors.append(
                f"{where}.models[{i}]: {name!r} must be a plain separation entry (trained on the "
                "simulations, no adapt/labelnoise/joint section): the methods are built from it"
            )
    methods = list(study.get("methods") or [])
    bad = [m for m in methods if m not in SHIFT_STUDY_METHODS]
    if bad:
        errors.append(f"{where}.methods: {bad}; expected methods of {list(SHIFT_STUDY_METHODS)}")
    elif "source" not in methods or "oracle" not in methods:
        errors.append(
            f"{where}.methods: {methods} lacks source or oracle; the gap each method closes is "
            "measured between the two"
        )
    return errors
