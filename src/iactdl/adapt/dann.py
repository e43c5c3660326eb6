"""Domain-adversarial training (DANN; Ganin et al. 2016, JMLR 17, "Domain-Adversarial Training of
Neural Networks") and its label-shift-aware variant (IWDAN; Tachet des Combes et al. 2020, NeurIPS,
"Domain Adaptation with Conditional Distribution Matching and Generalized Label Shift").

A net of :mod:`iactdl.models.nets` is ``head(encode(x))``. DANN puts a domain classifier (the
domain head) on the representation ``z = encode(x)`` behind a gradient-reversal layer: the domain
head learns to tell simulated (source, label 0) from observed (target, label 1) events, while the
encoder receives the *reversed* gradient of that loss and so learns a representation in which the
domains cannot be told apart, and the class head still separates gammas from hadrons on the source.
Each step takes a labelled source batch and an unlabelled ``observed_train`` batch; the strength of
the reversal grows with training progress ``p`` in [0, 1] as Ganin's schedule
``lambda(p) = lambda_max * (2 / (1 + exp(-10 p)) - 1)``, so the domain head is accurate before its
gradient shapes the encoder.

DANN matches the marginals ``p_s(z)`` and ``p_t(z)``; when the class priors differ (about 58% gammas
in the simulated training set, a few percent in the observation) a perfect match forces the encoder
to mis-map classes (Zhao et al. 2019). IWDAN matches ``sum_y w_y p_s(z|y) p_s(y)`` to ``p_t(z)``
instead, with ``w_y = q_y / p_y`` the ratio of the target to the source class prior. The weights
follow IWDAN's weighted domain-adversarial loss (Tachet des Combes et al. 2020, sec. 4, ``L_DA^w``:
the discriminator's source term ``-E_S[w_Y log d(g(X))]`` beside the unweighted target term): the
source rows of the domain loss carry the weight of their class (``domain_weight`` in the batch).
The class loss is the plain source cross-entropy by default. The paper also weights it (their
``L_C^w``, which makes the classifier's training prior the target's); that is optional here
(``weight_class_loss``), because at this project's priors it breaks the classifier: with
``q`` = 0.5-3 % gammas against ``p`` = 58 %, the gammas' weight is 1-5 % of the hadrons', so the
net learns the posterior at the target prior (every observed event's gammaness below ~0.1, the
collapsed scale of the default run's gammaness figure) from gamma gradients 20-100 times weaker
than the hadrons' (the default run's Set Transformer IW-DANN: simulated validation AUC 0.42 to
0.56, barely above chance). The paper's label shifts are milder (class priors a few times apart).
The target prior ``q`` is an input (the quantifier of the shift diagnostics estimates it from a
source-only classifier, EM of Saerens et al. 2002, or the ON - alpha OFF excess, without any
observed truth).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from iactdl.fit.engine import Objective, _fingerprint, _streamed, autocast
from iactdl.models.nets.layers import mlp
from iactdl.provenance import rule_seed

__all__ = [
    "GradientReversal",
    "grad_reverse",
    "ganin_lambda",
    "DANNSettings",
    "DomainAdversarialNet",
    "DANNObjective",
    "class_prior_weights",
]


class GradientReversal(torch.autograd.Function):
    """Identity forward; the gradient times ``-lambda`` backward (Ganin et al. 2016, eq. 13).

    Used through :func:`grad_reverse`, as torch's autograd functions are (``apply``).

    Parameters
    ----------
    *args, **kwargs
        As for :class:`torch.autograd.Function` (not called directly).
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor, lambd: float) -> torch.Tensor:
        ctx.lambd = float(lambd)
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        return -ctx.lambd * grad, None


def grad_reverse(x: torch.Tensor, lambd: float) -> torch.Tensor:
    """The gradient reversal layer: ``x`` forward, ``-lambd`` times the gradient backward.

    Parameters
    ----------
    x : torch.Tensor
        The representation fed to the domain head.
    lambd : float
        The reversal's strength at this step (:func:`ganin_lambda`).

    Returns
    -------
    torch.Tensor
        ``x``, as a view, in the graph of :class:`GradientReversal`.
    """
    return GradientReversal.apply(x, lambd)


def ganin_lambda(p: float | np.ndarray, lambda_max: float) -> float | np.ndarray:
    """Ganin's schedule ``lambda_max * (2 / (1 + exp(-10 p)) - 1)``.

    0 at p = 0, about ``lambda_max`` at p = 1 (Ganin et al. 2016, sec. 5.2.2).

    Parameters
    ----------
    p : float or numpy.ndarray
        Training progress, step / total steps, in [0, 1].
    lambda_max : float
        The final strength.

    Returns
    -------
    float or numpy.ndarray
        The reversal's strength at ``p``.
    """
    return lambda_max * (2.0 / (1.0 + np.exp(-10.0 * np.asarray(p, dtype=np.float64))) - 1.0)


@dataclass
class DANNSettings:
    """The DANN objective's settings (the DANN keys of an entry's ``adapt`` section).

    Parameters
    ----------
    lambda_max : float
        The final strength of the gradient reversal, in (0, 10].
    domain_hidden : int
        Width of the domain head's hidden layer.
    target_batch_fraction : float
        Observed events per step, as a fraction of ``batch_size``, in (0, 4].
    class_weights : bool
        IW-DANN (IWDAN, Tachet des Combes et al. 2020): re-weight the source classes to the target
        prior in the domain loss (the batch's ``domain_weight``; the class loss reads
        ``sample_weight``, set only where the entry asks for ``weight_class_loss``).
    """

    lambda_max: float = 0.3  # final strength of the gradient reversal, in (0, 10]
    domain_hidden: int = 64  # width of the domain head's hidden layer
    target_batch_fraction: float = 0.5  # observed events per step, as a fraction of batch_size
    class_weights: bool = False  # IWDAN: the domain loss's source classes weighted to prior q

    def check(self, where: str = "adapt") -> None:
        """Check the ranges of the settings.

        Parameters
        ----------
        where : str
            The config key of the settings, named in errors.

        Raises
        ------
        ValueError
            Naming ``where.key`` and the range it takes.
        """
        if not (isinstance(self.lambda_max, (int, float)) and 0 < self.lambda_max <= 10):
            raise ValueError(
                f"{where}.lambda_max: expected a number in (0, 10] (the final strength of the "
                f"gradient reversal; Ganin et al. use 1, 0.1-1 is typical), got {self.lambda_max!r}"
            )
        if not 0 < self.target_batch_fraction <= 4:
            raise ValueError(
                f"{where}.target_batch_fraction: expected a number in (0, 4], "
                f"got {self.target_batch_fraction!r}"
            )
        if not (isinstance(self.domain_hidden, int) and self.domain_hidden >= 1):
            raise ValueError(f"{where}.domain_hidden: expected an integer >= 1")


class DomainAdversarialNet(nn.Module):
    """A net and its domain head, trained together; ``forward`` is the net's (the class outputs).

    The engine trains, checkpoints and validates this wrapper like any net (the domain head's
    weights are in its state dict and optimiser); the saved model is ``self.net`` alone.

    Parameters
    ----------
    net : torch.nn.Module
        A net of :mod:`iactdl.models.nets` (with ``representation_size`` and ``representation``).
    domain_hidden : int
        Width of the domain head's hidden layer.
    """

    def __init__(self, net: nn.Module, domain_hidden: int = 64):
        super().__init__()
        self.net = net
        self.domain_head = mlp([net.representation_size, domain_hidden, 1])
        self.input_names = net.input_names
        self.heads = tuple(net.heads)
        self.settings = net.settings
        self.net_name = getattr(net, "net_name", type(net).__name__)

    def forward(self, *inputs: torch.Tensor, **named: torch.Tensor) -> torch.Tensor:
        """The net's class outputs (the domain head is applied by :class:`DANNObjective`).

        Parameters
        ----------
        *inputs : torch.Tensor
            The net's inputs, positionally.
        **named : torch.Tensor
            The net's inputs, by name.

        Returns
        -------
        torch.Tensor
            The net's outputs.
        """
        return self.net(*inputs, **named)


def class_prior_weights(is_gamma: np.ndarray, target_prior: float) -> np.ndarray:
    """``w_y = q_y / p_y`` per event: the source class prior ``p`` re-weighted to the target ``q``.

    The weighted source sample has gamma fraction ``q`` and mean weight 1.

    Parameters
    ----------
    is_gamma : numpy.ndarray
        The source events' classes (bool or 0/1).
    target_prior : float
        ``q``, the target's gamma fraction, in (0, 1).

    Returns
    -------
    numpy.ndarray
        The weight per event (float32).

    Raises
    ------
    ValueError
        A prior outside (0, 1), or a source sample without one of the classes.
    """
    y = np.asarray(is_gamma).astype(bool)
    p = float(y.mean())
    if not 0 < p < 1:
        raise ValueError("class weights need both classes in the source training set")
    if not 0 < target_prior < 1:
        raise ValueError(f"target gamma fraction must be in (0, 1), got {target_prior!r}")
    return np.where(y, target_prior / p, (1 - target_prior) / (1 - p)).astype(np.float32)


def _concat_padded(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``a`` and ``b`` stacked along the events; a narrower pixel axis (dim 1 of a pixel set and
    its mask) is padded with zero rows, which the set nets mask out."""
    if a.ndim > 1 and a.shape[1] != b.shape[1]:
        width = max(a.shape[1], b.shape[1])
        a, b = (F.pad(x, (0, 0) * (x.ndim - 2) + (0, width - x.shape[1])) for x in (a, b))
    return torch.cat([a, b])


class DANNObjective(Objective):
    """Class loss on the source batch + domain loss on source and target batches (Ganin et al.).

    A source batch may carry ``sample_weight`` (class loss) and ``domain_weight`` (its rows of the
    domain loss; IWDAN). The domain loss is the mean of the source and the target halves, so the
    two domains count alike whatever the batch sizes. The engine's hooks
    (:class:`~iactdl.fit.engine.Objective`) drive it; it trains every configured epoch and keeps
    the last (``keep_last_epoch``).

    Parameters
    ----------
    target : Mapping of str to torch.Tensor, or StreamedSplit
        The net's input tensors of ``observed_train`` (no labels), or the same streamed from disk
        (:class:`iactdl.fit.streaming.StreamedSplit` with ``labelled=False``, for a streamed
        training): its target batches are then drawn in the stream's shuffled pools, passes over
        observed_train one after another as the epoch's steps need, each pass's order a function of
        (epoch seed, pass) alone, so a resumed run sees the same target batches.
    settings : DANNSettings
        Strength, domain head and target batch size.
    batch_size : int
        The source batch size; the target batch is ``target_batch_fraction`` of it.
    loss_fn : callable
        The class loss, ``loss_fn(outputs, batch, heads)``
        (:func:`~iactdl.fit.losses.multitask_loss`).

    Raises
    ------
    ValueError
        ``observed_train`` holds fewer events than one target batch.
    """

    # every epoch, the last one kept: Ganin's schedule reaches lambda_max only at the run's end,
    # and the lowest source loss would pick the epochs before the adversary acts
    keep_last_epoch = True

    def __init__(
        self,
        target: Mapping[str, torch.Tensor],
        settings: DANNSettings,
        batch_size: int,
        loss_fn: Callable,
    ):
        self.settings = settings
        self.streamed = _streamed(target)
        self.target = target if self.streamed else dict(target)
        self.n_target = target.n if self.streamed else next(iter(self.target.values())).shape[0]
        self._target_batches = None
        self.target_batch = max(1, round(batch_size * settings.target_batch_fraction))
        if self.n_target < self.target_batch:
            raise ValueError(
                f"observed_train has {self.n_target} events, fewer than one target batch "
                f"({self.target_batch}); lower batch_size or target_batch_fraction"
            )
        self.loss_fn = loss_fn

    def identity(self) -> dict:
        """What a checkpoint must match to be resumed with this objective.

        Returns
        -------
        dict
            The settings and a fingerprint of the target events.
        """
        target = self.target.fingerprint() if self.streamed else _fingerprint(self.target)
        return {"dann": repr(self.settings), "target": target}

    def start(self, device, bf16, steps_per_epoch, epochs) -> None:
        """Move the target events to the device, before the first epoch.

        Parameters
        ----------
        device : torch.device
            The training device.
        bf16 : bool
            Whether the forward passes run in bfloat16 autocast.
        steps_per_epoch : int
            Optimiser steps per epoch.
        epochs : int
            Number of epochs (with ``steps_per_epoch``: the schedule's total steps).
        """
        self.device, self.bf16 = device, bf16
        self.steps_per_epoch, self.total_steps = steps_per_epoch, steps_per_epoch * epochs
        if not self.streamed:
            self.target = {k: v.to(device) for k, v in self.target.items()}
        self._terms: dict = {}

    def start_epoch(self, epoch: int, epoch_seed: int) -> None:
        # the target events of this epoch: whole permutations, as many as the steps need
        """Draw the epoch's target events: whole permutations, as many as its steps need.

        Parameters
        ----------
        epoch : int
            The epoch (from 0).
        epoch_seed : int
            The epoch's seed (:mod:`iactdl.provenance`), so a resumed run draws the same events.
        """
        self.sums = torch.zeros(4, device=self.device)  # class, domain, domain accuracy, steps
        self.lambd = 0.0
        if self.streamed:
            self.close()  # the last epoch's passes, if early stopping left one open
            self._target_batches = self._stream_passes(epoch_seed)
            return
        gen = torch.Generator().manual_seed(epoch_seed + 1)
        need = self.steps_per_epoch * self.target_batch
        reps = -(-need // self.n_target)
        perm = torch.cat([torch.randperm(self.n_target, generator=gen) for _ in range(reps)])
        self.target_index = perm[:need].to(self.device)

    def _stream_passes(self, epoch_seed: int):
        """Target batches of a streamed observed_train: pass after pass over it (each ``n_target
        // target_batch`` batches), as many as the epoch's steps take."""
        n_pass = 0
        while True:
            seed = rule_seed(epoch_seed, "target", str(n_pass))
            yield from self.target.batches(seed, self.target_batch, self.device)
            n_pass += 1

    def close(self) -> None:
        """Stop the reader of a streamed target (the engine's run ended or failed)."""
        if self._target_batches is not None:
            self._target_batches.close()
            self._target_batches = None

    def _domain_terms(self, n_s: int, n_t: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Domain labels and the per-row weights that make one summed BCE over the concatenated
        batch equal to the mean of the source and the target halves' mean losses (cached per
        batch shape: the last batch of an epoch may be shorter)."""
        key = (n_s, n_t)
        if key not in self._terms:
            labels = torch.cat([torch.zeros(n_s), torch.ones(n_t)]).to(self.device)
            weights = torch.cat([torch.full((n_s,), 0.5 / n_s), torch.full((n_t,), 0.5 / n_t)])
            self._terms[key] = (labels, weights.to(self.device))
        return self._terms[key]

    def loss(self, model, batch, step: int) -> torch.Tensor:
        """The step's loss: the class loss plus the reversed domain loss of source and target.

        Parameters
        ----------
        model : DomainAdversarialNet
            The wrapper being trained (or its compiled module).
        batch : Mapping of str to torch.Tensor
            The source batch (inputs, targets, optional weights).
        step : int
            The global step, for the target batch and :func:`ganin_lambda`.

        Returns
        -------
        torch.Tensor
            The scalar loss to minimise.
        """
        wrapper = getattr(model, "_orig_mod", model)  # torch.compile keeps the module there
        net, names = wrapper.net, wrapper.input_names
        if self.streamed:
            target = next(self._target_batches)
        else:
            b = step % self.steps_per_epoch
            idx = self.target_index[b * self.target_batch : (b + 1) * self.target_batch]
            target = {k: self.target[k][idx] for k in names}
        self.lambd = float(ganin_lambda(step / max(1, self.total_steps), self.settings.lambda_max))
        n_s, n_t = batch[names[0]].shape[0], target[names[0]].shape[0]
        # one pass over source and target events (fewer, larger ops: the step's cost is mostly
        # per-op overhead for the small nets), one domain-head pass, one fused domain loss
        both = {k: _concat_padded(batch[k], target[k]) for k in names}
        labels, balance = self._domain_terms(n_s, n_t)
        weights = balance
        if "domain_weight" in batch:  # IWDAN: the source rows carry their class weight
            weights = balance * torch.cat([batch["domain_weight"], balance.new_ones(n_t)])
        with autocast(self.device, self.bf16):
            z = net.encode(**both)
            out = net.head(z[:n_s])
            d = wrapper.domain_head(grad_reverse(z, self.lambd)).float()[:, 0]
        class_loss = self.loss_fn(out.float(), batch, wrapper.heads)
        domain_loss = F.binary_cross_entropy_with_logits(d, labels, weight=weights, reduction="sum")
        with torch.no_grad():  # balanced accuracy of the domain head: mean of the two halves'
            acc = (((d > 0).float() == labels).float() * balance).sum()
            self.sums += torch.stack(
                [class_loss.detach(), domain_loss.detach(), acc, torch.ones_like(acc)]
            )
        return class_loss + domain_loss

    def epoch_metrics(self) -> dict:
        """The epoch's means, for the training history.

        Returns
        -------
        dict
            ``class_loss``, ``domain_loss``, ``domain_accuracy`` and the last ``lambda``.
        """
        class_loss, domain_loss, acc, steps = (float(v) for v in self.sums.cpu())
        steps = max(steps, 1.0)
        return {
            "class_loss": class_loss / steps,
            "domain_loss": domain_loss / steps,
            "domain_accuracy": acc / steps,
            "lambda": self.lambd if math.isfinite(self.lambd) else math.nan,
        }
