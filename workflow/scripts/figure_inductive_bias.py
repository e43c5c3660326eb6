"""Rule `figure_inductive_bias`, thin: log to the rule's log, draw AUC against training events."""

from iactdl.experiments.figures import plot_inductive_bias
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "figure_inductive_bias"):  # noqa: F821
    plot_inductive_bias(
        snakemake.input.points,  # noqa: F821
        [snakemake.output.pdf, snakemake.output.png],  # noqa: F821
        table_csv=snakemake.output.csv,  # noqa: F821
        reference=snakemake.params.reference,  # noqa: F821
        labels=snakemake.params.labels,  # noqa: F821
    )
