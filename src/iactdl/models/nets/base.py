"""What every net shares: the encoder / head split, and the pixel-set input scaling.

Every net is ``head(encode(inputs))``. ``encode`` maps the raw inputs (scaled by the net's own
buffers) to a representation, one vector of ``representation_size`` per event; ``head`` maps that
vector to one output per head (gammaness logit, log10 energy, the direction head's two outputs:
:mod:`iactdl.models.nets.direction`). Domain-adversarial training (Ganin et
al. 2016) attaches a second head, the domain classifier, to the same representation, and the
figures project it (PCA) to show what the adaptation did. Where the representation is taken:

==================  ============================================================================
net                 representation (the input of ``head``)
==================  ============================================================================
MLP                 the last hidden layer (after activation and dropout); head: one linear layer
HexCNN              masked mean and max over the camera cells of the last stage; head: an MLP
DeepSets            the pooled set vector (+ log pixel count), Zaheer et al.'s input of rho
SetTransformer      the PMA output (k seeds, flattened); head: an MLP
PixelMLP            the last hidden layer over the 1440 pixel charges; head: one linear layer
==================  ============================================================================
"""

from __future__ import annotations

import torch
from torch import nn

from iactdl.models.nets.layers import pixel_row_stats, standardise_pixel_rows

__all__ = [
    "EncoderHeadNet",
    "PixelSetNet",
    "TIME_INPUTS",
    "COORDINATE_INPUTS",
    "check_time_setting",
    "check_coordinate_setting",
]

TIME_INPUTS = ("absolute", "relative", "none")
COORDINATE_INPUTS = ("absolute", "relative")


class EncoderHeadNet(nn.Module):
    """A net split into ``encode`` (inputs -> representation) and ``head`` (-> outputs).

    Subclasses define ``encode``, set ``representation_size`` and build ``self.head`` after the
    encoder's modules (creation order fixes the initialisation for a given seed).

    Parameters
    ----------
    *args, **kwargs
        Passed on to ``torch.nn.Module`` (the subclasses take their own: ``n_features``,
        ``n_outputs``, ``settings``).
    """

    representation_size: int
    head: nn.Module

    def encode(self, *inputs: torch.Tensor) -> torch.Tensor:
        """The representation of each event (each subclass defines it).

        Parameters
        ----------
        *inputs : torch.Tensor
            The net's raw input tensors in the order of its ``input_names`` (unscaled: the net
            applies its own fitted scaling).

        Returns
        -------
        torch.Tensor
            Shape (n_events, representation_size), float32.
        """
        raise NotImplementedError

    def forward(self, *inputs: torch.Tensor, **named: torch.Tensor) -> torch.Tensor:
        """The outputs ``head(encode(inputs))``.

        Parameters
        ----------
        *inputs : torch.Tensor
            The raw inputs, as for :meth:`encode`.
        **named : torch.Tensor
            The same inputs by name, passed on to :meth:`encode`.

        Returns
        -------
        torch.Tensor
            Shape (n_events, n_outputs): one column per head of
            :data:`iactdl.models.nets.layers.OUTPUT_HEADS` (gammaness logit, log10(E / TeV)).
        """
        return self.head(self.encode(*inputs, **named))


class PixelSetNet(EncoderHeadNet):
    """A net on the pixel set ``(x_deg, y_deg, charge p.e., peak_time ns)`` (n, P, 4) + mask (n, P).

    Owns the input scaling the set nets share: log1p of the charge, the time absolute or relative
    to the event (``settings.time``), the pixel position absolute or relative to the event's
    charge-weighted centre (``settings.coordinates``, absolute where a net's settings lack it),
    then every column standardised with the mean and std over the valid rows of the training set
    (buffers ``row_mean``, ``row_std``); padded rows are zeroed.
    """

    settings: object

    input_kind = "pixel_set"
    input_names = ("pixel_set", "pixel_set_mask")

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("row_mean", torch.zeros(4))
        self.register_buffer("row_std", torch.ones(4))

    @torch.no_grad()
    def fit_scaling(self, pixel_set: torch.Tensor, pixel_set_mask: torch.Tensor) -> None:
        """Fit the buffers ``row_mean`` and ``row_std`` on the training set (in place).

        Parameters
        ----------
        pixel_set : torch.Tensor
            Pixel rows ``(x_deg, y_deg, charge p.e., peak_time ns)``, shape (n_events, P, 4).
        pixel_set_mask : torch.Tensor
            Shape (n_events, P), nonzero for the valid (not padded) rows.

        See Also
        --------
        iactdl.models.nets.layers.pixel_row_stats : the statistics.
        """
        mean, std = pixel_row_stats(
            pixel_set, pixel_set_mask.bool(), self.time_input, self.coordinate_input
        )
        self.row_mean.copy_(mean)
        self.row_std.copy_(std)

    def scaled_rows(self, pixel_set: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Standardised pixel rows; ``mask`` (bool) marks the valid ones.

        Parameters
        ----------
        pixel_set : torch.Tensor
            Pixel rows ``(x_deg, y_deg, charge p.e., peak_time ns)``, shape (n_events, P, 4).
        mask : torch.Tensor
            Bool, shape (n_events, P): True for the valid rows.

        Returns
        -------
        torch.Tensor
            Shape (n_events, P, 4): ``(x, y, log1p(charge), time)`` minus ``row_mean`` over
            ``row_std``, padded rows 0 (:func:`iactdl.models.nets.layers.standardise_pixel_rows`).
        """
        return standardise_pixel_rows(
            pixel_set, mask, self.row_mean, self.row_std, self.time_input, self.coordinate_input
        )

    @property
    def time_input(self) -> str:
        """The net's time input, ``absolute``, ``relative`` or ``none`` (checked by
        :func:`check_time_setting`)."""
        return check_time_setting(self.settings)

    @property
    def coordinate_input(self) -> str:
        """The net's pixel-position input, ``absolute`` or ``relative`` (checked by
        :func:`check_coordinate_setting`)."""
        return check_coordinate_setting(self.settings)


def check_time_setting(settings) -> str:
    """The ``time`` setting of a pixel-level net: ``relative`` (minus the event's charge-weighted
    mean time: removes where the trigger placed the shower in the readout window; what every pixel
    net of config.yaml takes), ``absolute`` (as recorded: the ablation, and the default of an
    entry without ``time``) or ``none`` (times set to 0: what the net achieves without timing).

    Parameters
    ----------
    settings : object
        A net's settings dataclass; one without a ``time`` attribute counts as ``absolute``.

    Returns
    -------
    str
        One of :data:`TIME_INPUTS`.

    Raises
    ------
    ValueError
        Where ``time`` is none of :data:`TIME_INPUTS`.
    """
    time = getattr(settings, "time", "absolute")
    if time not in TIME_INPUTS:
        raise ValueError(f"time: {time!r}; valid: {list(TIME_INPUTS)}")
    return time


def check_coordinate_setting(settings) -> str:
    """The ``coordinates`` setting of a pixel-set net: ``absolute`` (the pixel's camera position;
    the default of a net without the setting) or ``relative`` (minus the event's charge-weighted
    centre, :func:`iactdl.models.nets.layers.event_centre`).

    Parameters
    ----------
    settings : object
        A net's settings dataclass; one without a ``coordinates`` attribute counts as
        ``absolute``.

    Returns
    -------
    str
        One of :data:`COORDINATE_INPUTS`.

    Raises
    ------
    ValueError
        Where ``coordinates`` is none of :data:`COORDINATE_INPUTS`.
    """
    coordinates = getattr(settings, "coordinates", "absolute")
    if coordinates not in COORDINATE_INPUTS:
        raise ValueError(f"coordinates: {coordinates!r}; valid: {list(COORDINATE_INPUTS)}")
    return coordinates
