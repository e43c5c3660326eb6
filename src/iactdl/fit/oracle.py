"""The target oracle: a net trained on the observed events with their hidden truth.

A reference only, never a method: the net of an entry trained on ``observed_train`` with its truth
(validated on ``observed_val`` with its truth) marks the ceiling that domain adaptation (stage 5,
rule ``train_oracle``) and ON/OFF training (stage 6, rule ``train_onoff_oracle_net``) can reach.
Both stages train it through :func:`train_oracle_net`, which lives with the engine so that neither
stage imports the other. Rules whose name says oracle alone read the truth file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from iactdl.fit.entry import STAGE_SECTIONS
from iactdl.fit.train import train_net
from iactdl.models.source_dependence import refuse_source_dependent_columns

__all__ = ["ORACLE_SELECTION", "train_oracle_net"]

ORACLE_SELECTION = "lowest observed_val loss against the hidden truth"


def train_oracle_net(
    *, entry: Mapping, truth_path: str | os.PathLike, name: str = "", **job
) -> dict:
    """The target oracle of ``entry`` (see the module doc), written like
    :func:`~iactdl.fit.train.train_net`, whose other keywords ``job`` passes on; ``model.json``
    gains ``oracle`` and ``selection``. Source-dependent inputs are refused, as in every model
    trained on observed events (:mod:`iactdl.models.source_dependence`).

    Parameters
    ----------
    entry : Mapping
        The config entry of the adapted or ON/OFF-trained net; its stage section (``adapt`` or
        ``labelnoise``) is dropped, so the oracle is the same net trained plainly.
    truth_path : str or os.PathLike
        The observed events' hidden truth file (``true_energy``, ``is_gamma`` per ``event_id``);
        only oracle rules pass it.
    name : str, optional
        The model's name, for messages and ``model.json``; default ``"oracle"``.
    **job
        The other keywords of :func:`~iactdl.fit.train.train_net` (``train_path``, ``val_path``:
        the observed train and val splits; ``seed``, ``model_dir``, ...), e.g. from
        :func:`~iactdl.fit.train.net_job`.

    Returns
    -------
    dict
        The ``model.json`` content (:func:`~iactdl.fit.train.train_net`), with ``oracle`` true
        and ``selection`` :data:`ORACLE_SELECTION`.

    Raises
    ------
    ValueError
        If the entry's features are source-dependent.
    """
    name = name or "oracle"
    # the same net as the adapted or ON/OFF-trained one, on truth: without the stage's section
    entry = {k: v for k, v in dict(entry).items() if k not in STAGE_SECTIONS}
    used = list(entry.get("features") or []) + list(entry.get("derived_features") or [])
    refuse_source_dependent_columns(used, f"config models.{name}")
    meta = {"oracle": True, "selection": ORACLE_SELECTION}
    return train_net(
        entry=entry, name=name, truth_path=truth_path, **job,
        prepare=lambda net, train, val, s, rows: (net, None, meta),
    )  # fmt: skip
