"""Rule `figure_data`, thin: log to the rule's log, draw the data overview figure."""

from iactdl.evaluate.overview import plot_data
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "figure_data"):
    plot_data(snakemake.input.dataset, [snakemake.output.pdf, snakemake.output.png])
