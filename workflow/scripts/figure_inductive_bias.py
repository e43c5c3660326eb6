"""Rule `figure_inductive_bias`, thin: log to the rule's log, draw AUC against training events."""

from iactdl.experiments.figures import plot_inductive_bias
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "figure_inductive_bias"):
    plot_inductive_bias(
        snakemake.input.points,
        [snakemake.output.pdf, snakemake.output.png],
        table_csv=snakemake.output.csv,
        reference=snakemake.params.reference,
        labels=snakemake.params.labels,
    )
