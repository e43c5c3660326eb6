"""The training engine: mini-batches on the device, optimisers, schedules, losses, checkpoints."""

from iactdl.fit.checkpoint import load_checkpoint, save_checkpoint
from iactdl.fit.engine import FitResult, FitSettings, TrainingDiverged, evaluate, fit
from iactdl.fit.entry import NET_DEFAULTS, fit_settings, validate_entry, validate_net_entry
from iactdl.fit.losses import LOSSES, bce_loss, mse_loss, multitask_loss
from iactdl.fit.optim import OPTIMIZERS, SCHEDULES, make_optimizer, make_schedule

__all__ = [
    "FitSettings",
    "NET_DEFAULTS",
    "fit_settings",
    "validate_entry",
    "validate_net_entry",
    "FitResult",
    "TrainingDiverged",
    "fit",
    "evaluate",
    "LOSSES",
    "bce_loss",
    "mse_loss",
    "multitask_loss",
    "OPTIMIZERS",
    "SCHEDULES",
    "make_optimizer",
    "make_schedule",
    "save_checkpoint",
    "load_checkpoint",
]
