"""The adaptation study: which models it trains (nets x methods x seeds) and each one's entry.

A study model is named ``{net}~{method}~s{seed}`` after a plain net entry of ``config.yaml:
models`` (``deepsets~iwdann~s2``); its entry is that net's entry with the method's changes, so the
methods of one net differ in nothing but the method. Methods:

- ``source``: the net as it is (trained on the simulations alone; rule ``train_net``);
- ``relative``: source-only with time relative to the event (pixel-level nets; the input-fix
  ablation);
- ``augment``: the net trained on the simulations re-simulated through the detector estimated
  from the observation without truth (rule ``train_net`` on ``results/augmented/datasets/``,
  :mod:`iactdl.adapt.augment`);
- ``importance``, ``dann``, ``iwdann``: adapted (rule ``train_adapted``, :mod:`iactdl.adapt.nets`);
- ``oracle``: trained on observed_train with its hidden truth (rule ``train_oracle``; the ceiling).

With ``lambda_grid`` (config ``adaptation.lambda_grid``, default empty: every dann/iwdann model
takes ``lambda_max``), each dann/iwdann model exists once per grid value, a *candidate* named
``{net}~{method}@{lambda}~s{seed}`` (``deepsets~iwdann@0.3~s2``; the lambda as Python's ``repr``
of the float, so the name gives the value back exactly). The candidates of one
``{net}~{method}~s{seed}`` (its *selection*) share the training seed, so they differ by
``lambda_max`` alone; rule ``select_lambda`` (:mod:`iactdl.adapt.lambda_selection`) picks one of
them without observed truth, and the adaptation table reports the one picked.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from typing import NamedTuple

from iactdl.evaluate.labels import method_label, net_label
from iactdl.models.nets import NETS

__all__ = [
    "STUDY_DEFAULTS",
    "STUDY_METHODS",
    "SEPARATOR",
    "LAMBDA_SEPARATOR",
    "StudyName",
    "study_models",
    "study_entry",
    "parse",
    "lambda_grid",
    "lambda_selections",
    "selection_of",
    "study_label",
]

SEPARATOR = "~"
LAMBDA_SEPARATOR = "@"  # a candidate's method part: {method}@{lambda_max}
STUDY_METHODS = ("source", "relative", "augment", "importance", "dann", "iwdann", "oracle")
ADAPTED = ("importance", "dann", "iwdann")
LAMBDA_METHODS = ("dann", "iwdann")  # the methods with a gradient reversal, hence a lambda_max
LAMBDA_RANGE = (0.0, 10.0)  # (exclusive, inclusive), as an entry's adapt.lambda_max
STUDY_DEFAULTS = {
    "nets": ["mlp", "hexcnn", "deepsets", "settransformer"],
    "methods": list(STUDY_METHODS),
    "seeds": 3,
    "lambda_max": 0.3,
    "lambda_grid": [],
}


class StudyName(NamedTuple):
    """A study model's name taken apart; ``lambda_max`` is None unless it is a grid candidate.

    Parameters
    ----------
    net : str
        The plain net entry the model is made of.
    method : str
        The study's method (``source``, ``relative``, ``importance``, ``dann``, ``iwdann``,
        ``oracle``).
    seed : int
        The seed.
    lambda_max : float, optional
        A grid candidate's ``lambda_max``.
    """

    net: str
    method: str
    seed: int
    lambda_max: float | None = None

    @property
    def selection(self) -> str:
        """``{net}~{method}~s{seed}``: the name the candidates of one lambda grid stand in for."""
        return SEPARATOR.join([self.net, self.method, f"s{self.seed}"])


def lambda_grid(study: Mapping) -> list[float]:
    """The study's ``lambda_grid`` as floats, checked.

    Parameters
    ----------
    study : Mapping
        The config's ``adaptation`` section.

    Returns
    -------
    list of float
        Each value in (0, 10] like an entry's ``adapt.lambda_max``, none twice (empty: no grid).

    Raises
    ------
    ValueError
        Naming the key, for a value that is not a number, out of range or repeated.
    """
    grid = study.get("lambda_grid") or []
    where = "config adaptation.lambda_grid"
    if not isinstance(grid, (list, tuple)):
        raise ValueError(
            f"{where}: expected a list of numbers such as [0.1, 0.3, 1.0], got {grid!r}"
        )
    values = []
    for v in grid:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise ValueError(f"{where}: {v!r} is not a number")
        if not LAMBDA_RANGE[0] < v <= LAMBDA_RANGE[1]:
            raise ValueError(
                f"{where}: {v!r} is out of range; every lambda_max must be in "
                f"({LAMBDA_RANGE[0]:g}, {LAMBDA_RANGE[1]:g}]"
            )
        values.append(float(v))
    if len(set(values)) != len(values):
        raise ValueError(f"{where}: a value appears twice in {list(grid)}")
    return values


def _method_parts(method: str, study: Mapping) -> list[str]:
    """The method part(s) of the names of one method: one per grid value for dann/iwdann."""
    grid = lambda_grid(study)
    if method in LAMBDA_METHODS and grid:
        return [f"{method}{LAMBDA_SEPARATOR}{lam!r}" for lam in grid]
    return [method]


def study_models(models: Mapping, study: Mapping, methods=None) -> list[str]:
    """Names of the study's models; ``relative`` only for the pixel-level nets.

    Nets that are not plain net entries of ``models`` (a config without image nets) are left out.

    Parameters
    ----------
    models : Mapping
        The config's ``models``.
    study : Mapping
        The config's ``adaptation`` section.
    methods : iterable of str, optional
        The methods to list; default: the study's.

    Returns
    -------
    list of str
        Model names ``{net}~{method}~s{seed}`` (and the grid's candidates).
    """
    names = []
    for net in study["nets"]:
        if models.get(net, {}).get("kind") != "net" or models[net].get("adapt") is not None:
            continue
        pixel_level = NETS[models[net]["net"]].input_kind != "features"
        for method in methods or study["methods"]:
            if method == "relative" and not pixel_level:
                continue
            for seed in range(1, int(study["seeds"]) + 1):
                for part in _method_parts(method, study):
                    names.append(SEPARATOR.join([net, part, f"s{seed}"]))
    return names


def parse(name: str) -> StudyName | None:
    """A study model's name taken apart.

    Parameters
    ----------
    name : str
        ``{net}~{method}~s{seed}`` or a candidate ``{net}~{method}@{lambda}~s{seed}``.

    Returns
    -------
    StudyName or None
        None for any other name (a config model's, a malformed one).
    """
    parts = name.split(SEPARATOR)
    if len(parts) != 3 or not parts[2].startswith("s") or not parts[2][1:].isdigit():
        return None
    method, sep, lam = parts[1].partition(LAMBDA_SEPARATOR)
    if method not in STUDY_METHODS:
        return None
    if not sep:
        return StudyName(parts[0], method, int(parts[2][1:]))
    try:
        value = float(lam)
    except ValueError:
        return None
    # one spelling per value (repr), so that a value has one name, one file, one job
    if method not in LAMBDA_METHODS or not math.isfinite(value) or repr(value) != lam:
        return None
    return StudyName(parts[0], method, int(parts[2][1:]), value)


def selection_of(name: str) -> str:
    """The selection a candidate belongs to (its name without ``@lambda``).

    The candidates of one selection share their training seed through it.

    Parameters
    ----------
    name : str
        A model name.

    Returns
    -------
    str
        The selection's name; any other name as is.
    """
    parsed = parse(name)
    return parsed.selection if parsed is not None and parsed.lambda_max is not None else name


def study_label(name: str) -> str:
    """A study model's readable name: its net, method and seed.

    Parameters
    ----------
    name : str
        A model name.

    Returns
    -------
    str
        E.g. "MLP, IW-DANN, seed 1" (a candidate with its lambda_max); any other name as it is.
    """
    parsed = parse(name)
    if parsed is None:
        return name
    label = f"{net_label(parsed.net)}, {method_label(parsed.method)}"
    if parsed.lambda_max is not None:
        label += f" (lambda_max {parsed.lambda_max:g})"
    return f"{label}, seed {parsed.seed}"


def lambda_selections(models: Mapping, study: Mapping) -> dict[str, list[str]]:
    """The study's selections and their candidates.

    Parameters
    ----------
    models : Mapping
        The config's ``models``.
    study : Mapping
        The config's ``adaptation`` section.

    Returns
    -------
    dict of str to list of str
        Selection ``{net}~{method}~s{seed}`` -> its candidates, in grid order (empty without a
        grid).
    """
    methods = [m for m in LAMBDA_METHODS if m in study["methods"]]
    out: dict[str, list[str]] = {}
    for name in study_models(models, study, methods) if methods else []:
        parsed = parse(name)
        if parsed.lambda_max is not None:
            out.setdefault(parsed.selection, []).append(name)
    return out


def study_entry(name: str, models: Mapping, study: Mapping) -> dict:
    """The model entry of study model ``name`` (see the module doc).

    Parameters
    ----------
    name : str
        A study model's name.
    models : Mapping
        The config's ``models``.
    study : Mapping
        The config's ``adaptation`` section.

    Returns
    -------
    dict
        Its net entry with the method's changes.

    Raises
    ------
    ValueError
        Not a study model of a net entry of ``models``, or a method without its candidate's lambda
        where the study has a grid.
    """
    parsed = parse(name)
    if parsed is None or parsed.net not in models:
        raise ValueError(
            f"{name!r} is not a study model ({{net}}{SEPARATOR}{{method}}{SEPARATOR}s{{seed}}, or "
            f"{{net}}{SEPARATOR}{{method}}{LAMBDA_SEPARATOR}{{lambda}}{SEPARATOR}s{{seed}} with "
            "adaptation.lambda_grid)"
        )
    net, method, _, lam = parsed
    grid = lambda_grid(study)
    if method in LAMBDA_METHODS and grid and lam is None:
        raise ValueError(
            f"{name!r}: with adaptation.lambda_grid {grid} the study's {method} models are its "
            f"candidates, e.g. {net}{SEPARATOR}{method}{LAMBDA_SEPARATOR}{grid[0]!r}{SEPARATOR}s1"
        )
    if lam is not None and lam not in grid:
        raise ValueError(f"{name!r}: lambda_max {lam!r} is not in adaptation.lambda_grid {grid}")
    entry = copy.deepcopy(dict(models[net]))
    entry.pop("adapt", None)
    # the study compares separation under the shift; a direction head trains on the simulations'
    # true source, which the oracle's observed truth does not have: the study's nets go without
    entry.pop("direction_head", None)
    if method == "relative":
        entry["settings"] = {**entry.get("settings", {}), "time": "relative"}
    elif method in LAMBDA_METHODS:
        entry["adapt"] = {
            "method": method,
            "lambda_max": study["lambda_max"] if lam is None else lam,
        }
    elif method in ("importance", "augment"):
        entry["adapt"] = {"method": method}
    entry["description"] = f"adaptation study: {net}, {method}" + (
        "" if lam is None else f", lambda_max {lam!r} (a candidate of the lambda grid)"
    )
    return entry
