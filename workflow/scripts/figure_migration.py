"""Rule `figure_migration`, thin: log to the rule's log, call one figures function."""

from iactdl.evaluate.performance_figures import plot_migration
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "figure_migration"):
    plot_migration(
        dict(zip(snakemake.params.models, snakemake.input.metrics, strict=True)),
        [snakemake.output.pdf, snakemake.output.png],
        labels=snakemake.params.labels,
    )
