"""Inputs that make a model source-dependent, refused where a model is trained on observed events.

``cog_r``, ``distance`` and ``alpha`` (:mod:`iactdl.features.derived`, where every derived feature
is defined) and the assumed source position itself tell a point-source separator where the image
lies relative to the source (Hillas 1985): valid for point-like gammas and a known source position.
A model trained on observed events (ON/OFF training, domain adaptation) must not read the assumed
source position or any derived feature computed from it.
"""

from __future__ import annotations

from collections.abc import Sequence

from iactdl.features.derived import DERIVED_FEATURES

__all__ = ["SOURCE_DEPENDENT_COLUMNS", "refuse_source_dependent_columns"]

# The assumed source position (the pointing model's): a model trained on observed events that reads
# it, or a derived feature computed from it (distance, alpha), learns the ON or OFF region an event
# was recorded in, not its shower. Refused by ON/OFF training and by domain adaptation alike.
SOURCE_DEPENDENT_COLUMNS = ("source_x", "source_y")


def refuse_source_dependent_columns(columns: Sequence[str], where: str) -> None:
    """Raise ``ValueError`` naming ``where`` and the reason if any of ``columns`` (dataset columns
    or derived features) is or reads the assumed source position.

    Parameters
    ----------
    columns : sequence of str
        The model's inputs: dataset columns and names of :mod:`iactdl.features.derived`
        features.
    where : str
        What is checked (e.g. ``config models.{name}``), named in the error.

    Raises
    ------
    ValueError
        Where a column is in :data:`SOURCE_DEPENDENT_COLUMNS` or a derived feature reads one
        (``distance``, ``alpha``, ...).
    """
    bad = sorted(
        {
            col
            for col in columns
            if col in SOURCE_DEPENDENT_COLUMNS
            or set(DERIVED_FEATURES.get(col, ((),))[0]) & set(SOURCE_DEPENDENT_COLUMNS)
        }
    )
    if bad:
        raise ValueError(
            f"{where}: {bad} depend on the assumed source position, refused in a model trained on "
            f"observed events: the ON and OFF positions differ in the camera, so these inputs tell "
            f"the model the region an event came from, not what its shower was. Drop them from "
            f"features/derived_features."
        )
