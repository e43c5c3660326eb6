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
energy in TeV and the source position in the camera (multi-task; the direction head's two
parametrisations are :mod:`iactdl.models.nets.direction`'s). Nets own their input scaling (buffers
fitted on the training set). Every
net is ``head(encode(inputs))`` (:mod:`iactdl.models.nets.base`): ``encode`` gives one
representation vector per event, which the domain head of domain adaptation reads beside the
output heads.
"""

from iactdl._lazy import lazy_exports

# Lazy (iactdl._lazy): planning the workflow reads NETS and input_columns without importing
# torch; every other name imports its module (and torch) on first use.
_LAZY = {
    "NETS": "iactdl.models.nets.catalog",
    "NetSpec": "iactdl.models.nets.catalog",
    "input_columns": "iactdl.models.nets.catalog",
    "EncoderHeadNet": "iactdl.models.nets.base",
    "PixelSetNet": "iactdl.models.nets.base",
    "OUTPUT_HEADS": "iactdl.models.nets.layers",
    "DIRECTION_HEADS": "iactdl.models.nets.direction",
    "HexConv2d": "iactdl.models.nets.layers",
    "hex_kernel_mask": "iactdl.models.nets.layers",
    "build_net": "iactdl.models.nets.registry",
    "net_class": "iactdl.models.nets.registry",
    "net_settings": "iactdl.models.nets.registry",
    "load_net": "iactdl.models.nets.saved",
    "save_net": "iactdl.models.nets.saved",
    "net_inputs": "iactdl.models.nets.saved",
    "NetPredictor": "iactdl.models.nets.saved",
    "MLP": "iactdl.models.nets.mlp",
    "MLPSettings": "iactdl.models.nets.mlp",
    "PixelMLP": "iactdl.models.nets.pixelmlp",
    "PixelMLPSettings": "iactdl.models.nets.pixelmlp",
    "HexCNN": "iactdl.models.nets.hexcnn",
    "HexCNNSettings": "iactdl.models.nets.hexcnn",
    "DeepSets": "iactdl.models.nets.deepsets",
    "DeepSetsSettings": "iactdl.models.nets.deepsets",
    "SetTransformer": "iactdl.models.nets.settransformer",
    "SetTransformerSettings": "iactdl.models.nets.settransformer",
}
__all__ = list(_LAZY)
__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
