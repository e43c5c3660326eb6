"""Checkpoint `optimiser_lr`, thin: choose one optimiser's learning rate on the validation split."""

from iactdl.experiments.learning_rate import choose_lr
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "optimiser_lr"):
    choose_lr(dict(snakemake.input.items()), snakemake.output.lr)
