"""Rule `figure_capacity`, thin: log to the rule's log, draw the double-descent figure."""

from iactdl.experiments.figures import plot_capacity
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "figure_capacity"):
    plot_capacity(
        snakemake.input.points,
        [snakemake.output.pdf, snakemake.output.png],
        epochwise_widths=snakemake.params.epochwise_widths,
    )
