"""Rule `figure_features`, thin: log to the rule's log, draw the feature distributions."""

from iactdl.evaluate.overview import plot_features
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "figure_features"):
    plot_features(snakemake.input.dataset, [snakemake.output.pdf, snakemake.output.png])
