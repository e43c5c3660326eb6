"""ON/OFF training of a net: the entry's net fitted on the observation's own labels, corrected.

A net entry with a ``labelnoise`` section (:func:`iactdl.labelnoise.baselines.labelnoise_settings`:
task separation, no energy head, no source-dependent inputs) is trained by :func:`fit_onoff_net`
with the plain nets' loop (:func:`iactdl.fit.train.train_net` with ``labels=onoff_targets``): on
``observed_train`` (feature nets) or ``observed_train_images`` (pixel nets) with label ON
(region 0) = 1, OFF = 0, validated and early-stopped on ``observed_val``'s ON/OFF labels; no
truth is read anywhere. Its gammaness head then estimates ``P(ON | x)``.

The correction (:func:`iactdl.labelnoise.baselines.correction_record`, the same as the baselines'):
known alpha from the training file's ``n_off_regions`` and the simulated signal leak ``rho_plus``
(:mod:`iactdl.labelnoise.leak`; ``a = 1 + alpha``, ``b = -alpha`` without a leak), or for
``noise_rates: anchor | range`` flip rates estimated from the trained net's predictions on
observed_val. A net gets no cross-validation (k trainings per model are too dear): its held-out
predictions are observed_val's, the events that chose its epoch, so its alpha-free estimates are
slightly optimistic where a baseline's out-of-fold ones are not. ``model.json`` records it under
``labelnoise``; :func:`load_onoff_net` (what prediction loads for such a net,
:func:`iactdl.evaluate.predictions.predict_file`) returns
:class:`OnOffNet`: ``gammaness`` = the corrected posterior clipped to [0, 1]
(:func:`iactdl.labelnoise.correction.menon_correction`, the one place that applies it), ``p_on`` =
the net's raw ``P(ON | x)``, like :class:`iactdl.labelnoise.baselines.OnOffModel` for baselines.

The oracle (reference only) is the same net on the truth of the same events:
:func:`iactdl.fit.oracle.train_oracle_net`, rule ``train_onoff_oracle_net``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

import numpy as np
import torch

from iactdl.evaluate.theta2 import NO_REGION
from iactdl.fit import engine
from iactdl.fit.engine import _parts, split_size
from iactdl.fit.train import train_net
from iactdl.io import data_attrs, read_columns
from iactdl.labelnoise.baselines import base_entry, correction_record, labelnoise_settings
from iactdl.labelnoise.correction import (
    MenonCorrection,
    alpha_from_attrs,
    menon_correction,
    onoff_labels,
)
from iactdl.progress import Progress

__all__ = ["OnOffNet", "fit_onoff_net", "load_onoff_net", "onoff_targets", "p_on"]


def onoff_targets(path: str | os.PathLike, rows: np.ndarray | None = None) -> dict:
    """The targets of ON/OFF training in dataset ``path`` (the engine's ``labels`` hook).

    ``is_gamma`` = ON (region 0) = 1, OFF = 0, with ``alpha`` from the file's ``n_off_regions``
    (:func:`iactdl.labelnoise.correction.onoff_labels`); no truth is read and there is no energy
    target (NaN). Events in no region (``region`` -1: outside the ON and every OFF theta^2
    region) are left out (``keep``).

    Parameters
    ----------
    path : str or os.PathLike
        An observed split.
    rows : numpy.ndarray, optional
        The rows to read; default: all.

    Returns
    -------
    dict of str to numpy.ndarray
        ``keep`` (the rows in a region), ``is_gamma`` (the ON/OFF labels of those rows) and
        ``true_energy`` (NaN).
    """
    alpha = alpha_from_attrs(data_attrs(path), str(path))
    region = read_columns(path, ["region"], index=rows)["region"]
    keep = region != NO_REGION  # outside every theta^2 region: no ON/OFF label, left out
    is_gamma = onoff_labels(region[keep], alpha, str(path))
    return {"keep": keep, "is_gamma": is_gamma, "true_energy": np.full(len(is_gamma), np.nan)}


log = logging.getLogger(__name__)

SELECTION = (
    "epoch with the lowest observed_val loss against the ON/OFF labels (no truth); flip-rate "
    "estimates from the net's observed_val predictions (no cross-validation for nets)"
)


@torch.no_grad()
def p_on(
    net: torch.nn.Module,
    data: Mapping[str, torch.Tensor],
    batch_size: int = 4096,
    progress: str | None = None,
):
    """The net's ``P(ON | x)`` (sigmoid of the gammaness logit) on CPU tensors ``data``, or on a
    streamed split read chunk by chunk (a streamed net's observed_val).

    Parameters
    ----------
    net : torch.nn.Module
        The trained net.
    data : Mapping of str to torch.Tensor or StreamedSplit
        The net's inputs of the events.
    batch_size : int
        Events per forward pass.
    progress : str, optional
        The prefix of progress lines with the total (:class:`iactdl.progress.Progress`, at least
        every :data:`iactdl.fit.engine.PROGRESS_EVERY_S` s and at the end); default None, none.

    Returns
    -------
    numpy.ndarray
        ``P(ON | x)`` per event.
    """
    device = next(net.parameters()).device
    was_training = net.training
    net.eval()
    j = list(net.heads).index("gammaness")
    out, done = [], 0
    lines = Progress(
        split_size(data), log, what=progress, verb="scored", every_fraction=None,
        every_s=engine.PROGRESS_EVERY_S,
    ) if progress is not None else None  # fmt: skip
    for part in _parts(data, torch.device("cpu")):
        n = next(iter(part.values())).shape[0]
        for i in range(0, n, batch_size):
            out.append(
                net(**{k: part[k][i : i + batch_size].to(device) for k in net.input_names})[:, j]
            )
            done += len(out[-1])
            if lines is not None:
                lines.update(done)
    net.train(was_training)
    logits = torch.cat(out).float().cpu().numpy().astype(np.float64)
    return 1.0 / (1.0 + np.exp(-logits))


def fit_onoff_net(
    *, entry: Mapping, name: str = "", train_path, val_path, signal_leak_path=None, **job
) -> dict:
    """Train a net entry with a ``labelnoise`` section on ON/OFF labels.

    The net is trained on the ON/OFF labels of ``train_path``, its epoch selected on those of
    ``val_path``, and the correction recorded in its ``model.json``.

    Parameters
    ----------
    entry : Mapping
        The model entry.
    name : str
        The model's name.
    train_path, val_path : str or os.PathLike
        The observed training and validation splits (no truth is read).
    signal_leak_path : str or os.PathLike, optional
        Rule ``signal_leak``'s json: ``rho_plus`` of the known-alpha correction (else 0).
    **job
        The other keywords of :func:`~iactdl.fit.train.train_net`.

    Returns
    -------
    dict
        What :func:`~iactdl.fit.train.train_net` returns (the model's ``model.json`` record).
    """
    name = name or "onoff_net"
    entry = dict(entry)
    settings = labelnoise_settings(name, entry)
    alpha = alpha_from_attrs(data_attrs(train_path), str(train_path))
    alpha_val = alpha_from_attrs(data_attrs(val_path), str(val_path))
    if alpha_val != alpha:
        raise ValueError(
            f"{val_path}: n_off_regions gives alpha = {alpha_val}, but {train_path} has "
            f"alpha = {alpha}; the ON/OFF labels of both must mean the same"
        )

    def finalise(net, val) -> dict:
        s = val["is_gamma"].numpy().astype(np.int64)  # the ON/OFF labels (onoff_targets)
        p = p_on(net, val, progress="observed_val")
        _, record = correction_record(name, settings, alpha, p, s, "observed_val", signal_leak_path)
        return {
            "labels": "on_off",
            "loader": "iactdl.labelnoise.nets:load_onoff_net",  # iactdl.models.load_model
            "labelnoise": record,
            "selection": SELECTION,
            "n_on_val": int(s.sum()),
            "n_off_val": int((s == 0).sum()),
        }

    return train_net(
        entry=base_entry(entry), name=name, train_path=train_path, val_path=val_path,
        labels=onoff_targets, finalise=finalise, **job,
    )  # fmt: skip


class OnOffNet:
    """A net trained on ON/OFF labels behind the model interface.

    ``gammaness`` corrected, ``p_on`` as the net outputs it.

    Parameters
    ----------
    predictor : object
        The loaded net (:func:`~iactdl.models.nets.load_net`): ``predict`` and
        ``required_columns``.
    correction : MenonCorrection
        The correction its ``model.json`` records.
    """

    def __init__(self, predictor, correction: MenonCorrection):
        self.predictor = predictor
        self.correction = correction
        self.task = "separation"
        self.required_columns = predictor.required_columns

    def predict(self, columns: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Corrected gammaness and ``P(ON | x)`` of a chunk of events.

        Parameters
        ----------
        columns : Mapping of str to numpy.ndarray
            The net's ``required_columns`` of a chunk of events.

        Returns
        -------
        dict of str to numpy.ndarray
            ``gammaness`` (:func:`~iactdl.labelnoise.correction.menon_correction` of ``p_on``) and
            ``p_on`` (the net's output), float32 per event.
        """
        eta_noisy = self.predictor.predict(columns)["gammaness"]
        gammaness = menon_correction(eta_noisy, self.correction)
        return {"gammaness": gammaness.astype(np.float32), "p_on": eta_noisy.astype(np.float32)}


def load_onoff_net(model_dir: str | os.PathLike) -> OnOffNet:
    """The ON/OFF net in ``model_dir`` with the correction its ``model.json`` records.

    Parameters
    ----------
    model_dir : str or os.PathLike
        The model's folder.

    Returns
    -------
    OnOffNet
        The net and its correction.

    Raises
    ------
    InputError
        A ``model.json`` whose ``labelnoise`` correction is incomplete.
    """
    from iactdl.io import InputError
    from iactdl.models.nets import load_net

    net = load_net(model_dir)
    try:
        c = net.meta["labelnoise"]["correction"]
        correction = MenonCorrection(c["rho_minus"], c["rho_plus"], c["method"])
    except (KeyError, TypeError) as err:
        raise InputError(
            f"{model_dir}/model.json: labelnoise.correction is incomplete ({err!r}); train the "
            "model again"
        ) from None
    return OnOffNet(net, correction)
