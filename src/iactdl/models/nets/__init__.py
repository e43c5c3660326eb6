"""Deep nets on IACT events, each a plain ``torch.nn.Module`` with a ``@dataclass`` of settings.

==================  ===========================  ==========  ======================================
name                module                       input kind  reads
==================  ===========================  ==========  ======================================
``mlp``             :class:`MLP`                 features    the entry's feature columns
``hexcnn``          :class:`HexCNN`              grid        ``grid_image`` (n, 2, 46, 45)
``deepsets``        :class:`DeepSets`            pixel_set   ``pixel_set`` (n, P, 4) + mask (n, P)
``settransformer``  :class:`SetTransformer`      pixel_set   ``pixel_set`` (n, P, 4) + mask (n, P)
``pixelmlp``        :class:`PixelMLP`            grid        ``grid_image``: the 1440 pixel charges
==================  ===========================  ==========  ======================================

Every net maps its inputs to one output per head: the gammaness logit and, optionally, log10 of the
energy in TeV (multi-task). Nets own their input scaling (buffers fitted on the training set). Every
net is ``head(encode(inputs))`` (:mod:`iactdl.models.nets.base`): ``encode`` gives one
representation vector per event, which the domain head of domain adaptation reads beside the
output heads.
"""

from iactdl.models.nets.base import EncoderHeadNet, PixelSetNet
from iactdl.models.nets.deepsets import DeepSets, DeepSetsSettings
from iactdl.models.nets.hexcnn import HexCNN, HexCNNSettings
from iactdl.models.nets.layers import OUTPUT_HEADS, HexConv2d, hex_kernel_mask
from iactdl.models.nets.mlp import MLP, MLPSettings
from iactdl.models.nets.pixelmlp import PixelMLP, PixelMLPSettings
from iactdl.models.nets.registry import NETS, build_net, input_columns, net_settings
from iactdl.models.nets.saved import NetPredictor, load_net, net_inputs, save_net
from iactdl.models.nets.settransformer import SetTransformer, SetTransformerSettings

__all__ = [
    "NETS",
    "EncoderHeadNet",
    "PixelSetNet",
    "OUTPUT_HEADS",
    "build_net",
    "net_settings",
    "input_columns",
    "load_net",
    "save_net",
    "net_inputs",
    "NetPredictor",
    "MLP",
    "MLPSettings",
    "PixelMLP",
    "PixelMLPSettings",
    "HexCNN",
    "HexCNNSettings",
    "HexConv2d",
    "hex_kernel_mask",
    "DeepSets",
    "DeepSetsSettings",
    "SetTransformer",
    "SetTransformerSettings",
]
