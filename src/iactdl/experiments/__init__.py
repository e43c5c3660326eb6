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

from iactdl._lazy import lazy_exports

# Lazy (iactdl._lazy): importing one submodule must not import torch through this file.
_LAZY = {
    "CapacitySettings": "iactdl.experiments.capacity",
    "capacity_point": "iactdl.experiments.capacity",
    "EXPERIMENTS_DEFAULTS": "iactdl.experiments.defaults:DEFAULTS",
    "epochs_for": "iactdl.experiments.inductive_bias",
    "inductive_bias_point": "iactdl.experiments.inductive_bias",
    "choose_lr": "iactdl.experiments.learning_rate",
    "optimiser_point": "iactdl.experiments.optimisers",
    "read_lr": "iactdl.experiments.learning_rate",
    "subset_rows": "iactdl.experiments.training",
    "train_entry": "iactdl.experiments.training",
}
__all__ = [*_LAZY]
__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
