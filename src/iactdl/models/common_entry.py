"""Model entries of ``config.yaml: models``: the checks every kind shares.

An entry is a mapping with at least ``kind`` (``baseline`` | ``net``), ``task`` (``separation``:
gamma/hadron, output ``gammaness`` in [0, 1]; ``energy``: regression of log10 true energy on gammas,
output ``energy_pred`` in TeV) and ``features`` (dataset columns the model reads). Kind-specific
keys are checked by the kind's own validator
(:func:`iactdl.models.baselines.validate_baseline_entry`;
:func:`iactdl.fit.entry.validate_net_entry`, which lives with the engine whose settings most net
keys are). The schema
(``workflow/schemas/config.schema.yaml``) checks the same before any job runs; these checks repeat
it for users of the library outside Snakemake.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["KINDS", "TASKS", "TARGETS", "OUTPUTS", "validate_model_entry"]

KINDS = ("baseline", "net")
TASKS = ("separation", "energy")
# the dataset columns a task needs to be trained (its truth)
TARGETS = {"separation": ("is_gamma",), "energy": ("true_energy",)}
# what predict() returns per task
OUTPUTS = {"separation": "gammaness", "energy": "energy_pred"}


def validate_model_entry(name: str, entry: Mapping) -> None:
    """Check the keys every model entry has; raise ``ValueError`` naming the model and the key.

    Parameters
    ----------
    name : str
        The model's name (its key in ``config.yaml: models``).
    entry : mapping
        The model's config entry.
    """
    where = f"config models.{name}"
    if not isinstance(entry, Mapping):
        raise ValueError(f"{where}: expected a mapping, got {type(entry).__name__}")
    kind = entry.get("kind")
    if kind not in KINDS:
        raise ValueError(
            f"{where}.kind: unknown model kind {kind!r}; expected one of {list(KINDS)}"
        )
    task = entry.get("task")
    if task not in TASKS:
        raise ValueError(f"{where}.task: unknown task {task!r}; expected one of {list(TASKS)}")
    features = entry.get("features")
    if features is None:
        raise ValueError(f"{where}.features: missing (the list of dataset columns the model reads)")
    if isinstance(features, str) or not all(isinstance(f, str) for f in features):
        raise ValueError(f"{where}.features: expected a list of column names, got {features!r}")
    if kind == "baseline" and len(features) == 0 and not entry.get("derived_features"):
        raise ValueError(f"{where}.features: empty; a baseline needs at least one feature")
