"""The training engine: mini-batches on the device, optimisers, schedules, losses, checkpoints.

It knows no method: stage 5 (:mod:`iactdl.adapt`) hands :func:`iactdl.fit.train.train_net` a
``prepare`` hook, stage 6 (:mod:`iactdl.labelnoise`) a ``labels`` function; the oracle that both
stages put beside their models (:mod:`iactdl.fit.oracle`) is a plain net on the observed truth.
"""

from iactdl._lazy import lazy_exports

# Lazy (iactdl._lazy): importing a submodule runs this file; it must not import torch for that
# (planning the workflow imports none). iactdl.provenance reads this table.
_LAZY = {
    "load_checkpoint": "iactdl.fit.checkpoint",
    "save_checkpoint": "iactdl.fit.checkpoint",
    "FitResult": "iactdl.fit.engine",
    "FitSettings": "iactdl.fit.engine",
    "TrainingDiverged": "iactdl.fit.engine",
    "evaluate": "iactdl.fit.engine",
    "fit": "iactdl.fit.engine",
    "NET_DEFAULTS": "iactdl.fit.entry",
    "fit_settings": "iactdl.fit.entry",
    "validate_entry": "iactdl.fit.entry",
    "validate_net_entry": "iactdl.fit.entry",
    "LOSSES": "iactdl.fit.losses",
    "bce_loss": "iactdl.fit.losses",
    "mse_loss": "iactdl.fit.losses",
    "multitask_loss": "iactdl.fit.losses",
    "OPTIMIZERS": "iactdl.fit.optim",
    "SCHEDULES": "iactdl.fit.optim",
    "make_optimizer": "iactdl.fit.optim",
    "make_schedule": "iactdl.fit.optim",
    "train_oracle_net": "iactdl.fit.oracle",
}
__all__ = list(_LAZY)
__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
