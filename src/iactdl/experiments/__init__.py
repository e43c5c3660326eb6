"""The lecture's experiments, one sweep point per call (the Snakemake rules of experiments.smk).

- :mod:`~iactdl.experiments.capacity`: capacity and double descent (MLP width on a small,
  label-noisy training set);
- :mod:`~iactdl.experiments.optimisers`: optimisers x learning-rate schedules x seeds, the rate
  chosen on the validation split;
- :mod:`~iactdl.experiments.inductive_bias`: test AUC against training events for nets with
  different assumptions;
- :mod:`~iactdl.experiments.figures`: their figures and tables.

They sit on top of the package (features <- models <- fit <- experiments) and read the simulated
train/val/test splits only.
"""

from iactdl.experiments.capacity import CapacitySettings, capacity_point
from iactdl.experiments.defaults import DEFAULTS as EXPERIMENTS_DEFAULTS
from iactdl.experiments.inductive_bias import epochs_for, inductive_bias_point
from iactdl.experiments.optimisers import choose_lr, optimiser_point, read_lr
from iactdl.experiments.training import subset_rows, train_entry

__all__ = [
    "EXPERIMENTS_DEFAULTS",
    "CapacitySettings",
    "capacity_point",
    "optimiser_point",
    "choose_lr",
    "read_lr",
    "inductive_bias_point",
    "epochs_for",
    "subset_rows",
    "train_entry",
]
