"""Set Transformer on the pixel set of an event (Lee et al. 2019, "Set Transformer", ICML).

Blocks of Lee et al. (section 3): the multihead attention block ``MAB(X, Y) = LN(H + rFF(H))``, ``H
= LN(X + Multihead(X, Y, Y))``; the set attention block ``SAB(X) = MAB(X, X)``; the induced set
attention block ``ISAB_m(X) = MAB(X, MAB(I, X))`` with ``m`` learned inducing points (cost O(P m)
instead of O(P^2)); pooling by multihead attention ``PMA_k(Z) = MAB(S, rFF(Z))`` with ``k`` learned
seeds. Padded pixels are masked out as keys in every attention (a key padding mask), and padded rows
are zeroed on input, so the output is invariant to the order of the pixels and to the padding. An
event with no valid pixel keeps its first (zero) row as the only key, so attention never sees an
all-masked row (which would give NaN).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from iactdl.models.nets.base import PixelSetNet, check_time_setting
from iactdl.models.nets.layers import mlp

__all__ = ["SetTransformerSettings", "SetTransformer", "MAB", "ISAB", "SAB", "PMA"]


@dataclass
class SetTransformerSettings:
    """Settings of :class:`SetTransformer` (net ``settransformer``).

    Parameters
    ----------
    dim : int, optional
        Model width d (default 64), divisible by ``heads``.
    heads : int, optional
        Attention heads (default 4).
    blocks : int, optional
        Number of (I)SAB blocks in the encoder (default 2).
    inducing_points : int, optional
        m of ISAB (default 16); 0: plain SAB, cost O(P^2).
    seeds : int, optional
        k of PMA, pooled vectors per event (default 1).
    head_hidden : int, optional
        Width of the hidden layer of the MLP head (default 64).
    dropout : float, optional
        Dropout probability in the head (default 0).
    time : str, optional
        Peak-time input: ``absolute`` (default, as recorded), ``relative`` (minus the event's
        charge-weighted mean time) or ``none`` (0); see
        :func:`iactdl.models.nets.base.check_time_setting`.
    """

    dim: int = 64  # model width d; heads split it
    heads: int = 4  # attention heads (dim must be divisible by heads)
    blocks: int = 2  # number of (I)SAB blocks in the encoder
    inducing_points: int = 16  # m of ISAB; 0 = plain SAB (O(P^2), fine for P <= ~128)
    seeds: int = 1  # k of PMA: one pooled vector per event for classification
    head_hidden: int = 64  # width of the MLP after pooling
    dropout: float = 0.0  # in the head only
    time: str = "absolute"  # absolute | relative (minus the event's charge-weighted mean) | none


class MAB(nn.Module):
    """Multihead attention block with a key padding mask (post-LN, as in Lee et al.).

    ``MAB(X, Y) = LN(H + rFF(H))``, ``H = LN(X + Multihead(X, Y, Y))`` (Lee et al. 2019,
    eq. 6-7), the attention scaled dot-product (Vaswani et al. 2017).

    Parameters
    ----------
    dim : int
        Model width d.
    heads : int
        Attention heads; ``dim`` must be divisible by it.

    Raises
    ------
    ValueError
        Where ``dim`` is not divisible by ``heads``.
    """

    def __init__(self, dim: int, heads: int):
        super().__init__()
        if dim % heads:
            raise ValueError(f"SetTransformer: dim {dim} must be divisible by heads {heads}")
        self.heads = heads
        self.q, self.k, self.v, self.o = (nn.Linear(dim, dim) for _ in range(4))
        self.ln1, self.ln2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.rff = mlp([dim, dim, dim])

    def _split(self, x: torch.Tensor) -> torch.Tensor:
        n, s, d = x.shape
        return x.view(n, s, self.heads, d // self.heads).transpose(1, 2)

    def forward(self, x: torch.Tensor, y: torch.Tensor, key_mask: torch.Tensor | None = None):
        """``MAB(x, y)``: the rows of ``x`` attend to the rows of ``y``.

        Parameters
        ----------
        x : torch.Tensor
            Queries, shape (n_events, n_queries, dim).
        y : torch.Tensor
            Keys and values, shape (n_events, n_keys, dim).
        key_mask : torch.Tensor, optional
            Bool, shape (n_events, n_keys): True for the keys that may be attended to (default:
            all).

        Returns
        -------
        torch.Tensor
            Shape (n_events, n_queries, dim).
        """
        q, k, v = self._split(self.q(x)), self._split(self.k(y)), self._split(self.v(y))
        attn_mask = None if key_mask is None else key_mask[:, None, None, :]
        a = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask)
        a = a.transpose(1, 2).reshape(x.shape)
        h = self.ln1(x + self.o(a))
        return self.ln2(h + self.rff(h))


class SAB(nn.Module):
    """Set attention block ``SAB(X) = MAB(X, X)`` (Lee et al. 2019): self-attention over the set.

    Parameters
    ----------
    dim : int
        Model width d.
    heads : int
        Attention heads; ``dim`` must be divisible by it.
    """

    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.mab = MAB(dim, heads)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Every row attends to every valid row.

        Parameters
        ----------
        x : torch.Tensor
            Shape (n_events, P, dim).
        mask : torch.Tensor
            Bool, shape (n_events, P): True for the valid rows.

        Returns
        -------
        torch.Tensor
            Shape (n_events, P, dim).
        """
        return self.mab(x, x, mask)


class ISAB(nn.Module):
    """Induced set attention block ``ISAB_m(X) = MAB(X, MAB(I, X))`` (Lee et al. 2019).

    ``m`` learned inducing points ``I`` attend to the set, and the set attends to their ``m``
    summaries: cost O(P m) instead of the O(P^2) of :class:`SAB`.

    Parameters
    ----------
    dim : int
        Model width d.
    heads : int
        Attention heads; ``dim`` must be divisible by it.
    m : int
        Number of inducing points.
    """

    def __init__(self, dim: int, heads: int, m: int):
        super().__init__()
        self.inducing = nn.Parameter(torch.randn(1, m, dim) / dim**0.5)
        self.mab1, self.mab2 = MAB(dim, heads), MAB(dim, heads)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``MAB(x, MAB(I, x))`` with the padded rows masked as keys of the first.

        Parameters
        ----------
        x : torch.Tensor
            Shape (n_events, P, dim).
        mask : torch.Tensor
            Bool, shape (n_events, P): True for the valid rows.

        Returns
        -------
        torch.Tensor
            Shape (n_events, P, dim).
        """
        h = self.mab1(self.inducing.expand(x.shape[0], -1, -1), x, mask)
        return self.mab2(x, h)  # every pixel attends to the m summaries: no padding among keys


class PMA(nn.Module):
    """Pooling by multihead attention ``PMA_k(Z) = MAB(S, rFF(Z))`` (Lee et al. 2019).

    ``k`` learned seed vectors ``S`` attend to the row-wise feed-forward of the set: ``k``
    pooled vectors per event.

    Parameters
    ----------
    dim : int
        Model width d.
    heads : int
        Attention heads; ``dim`` must be divisible by it.
    k : int
        Number of seeds.
    """

    def __init__(self, dim: int, heads: int, k: int):
        super().__init__()
        self.seeds = nn.Parameter(torch.randn(1, k, dim) / dim**0.5)
        self.rff = mlp([dim, dim, dim])
        self.mab = MAB(dim, heads)

    def forward(self, z: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Pool the set ``z`` to ``k`` vectors, attending to its valid rows only.

        Parameters
        ----------
        z : torch.Tensor
            Shape (n_events, P, dim).
        mask : torch.Tensor
            Bool, shape (n_events, P): True for the valid rows.

        Returns
        -------
        torch.Tensor
            Shape (n_events, k, dim).
        """
        return self.mab(self.seeds.expand(z.shape[0], -1, -1), self.rff(z), mask)


class SetTransformer(PixelSetNet):
    """Embed pixels -> (I)SAB x blocks -> PMA_k -> MLP head; the encoder ends at PMA.

    Parameters
    ----------
    settings : SetTransformerSettings
        The net's settings.
    n_outputs : int, optional
        Number of output heads (default 1: the gammaness logit).
    n_features : int, optional
        Ignored (the input is the pixel set); taken so that every net is built alike.

    Raises
    ------
    ValueError
        Where ``dim`` is not divisible by ``heads`` or ``time`` is unknown.
    """

    def __init__(
        self, settings: SetTransformerSettings, n_outputs: int = 1, n_features: int | None = None
    ):
        super().__init__()
        self.settings = settings
        check_time_setting(settings)
        s = settings
        self.embed = nn.Linear(4, s.dim)
        if s.inducing_points > 0:
            blocks = [ISAB(s.dim, s.heads, s.inducing_points) for _ in range(s.blocks)]
        else:
            blocks = [SAB(s.dim, s.heads) for _ in range(s.blocks)]
        self.encoder = nn.ModuleList(blocks)
        self.pool = PMA(s.dim, s.heads, s.seeds)
        self.representation_size = s.dim * s.seeds
        self.head = mlp([s.dim * s.seeds, s.head_hidden, n_outputs], dropout=s.dropout)

    def encode(self, pixel_set: torch.Tensor, pixel_set_mask: torch.Tensor) -> torch.Tensor:
        """Embed the scaled rows, the (I)SAB blocks, then PMA, flattened.

        Parameters
        ----------
        pixel_set : torch.Tensor
            Pixel rows ``(x_deg, y_deg, charge p.e., peak_time ns)``, shape (n_events, P, 4),
            unscaled.
        pixel_set_mask : torch.Tensor
            Shape (n_events, P), nonzero for the valid (not padded) rows.

        Returns
        -------
        torch.Tensor
            Shape (n_events, seeds * dim).
        """
        mask = pixel_set_mask.bool()
        empty = ~mask.any(dim=1)
        mask = torch.cat([mask[:, :1] | empty[:, None], mask[:, 1:]], dim=1)
        x = self.embed(self.scaled_rows(pixel_set, mask))
        for block in self.encoder:
            x = block(x, mask)
        return self.pool(x, mask).flatten(1)
