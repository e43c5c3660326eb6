"""Rule `figure_roc`, thin: call one iactdl.evaluate.performance_figures function."""

from iactdl.evaluate.performance_figures import plot_roc_curves
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "figure_roc"):
    plot_roc_curves(
        dict(zip(snakemake.params.models, snakemake.input.predictions, strict=True)),
        [snakemake.output.pdf, snakemake.output.png],
        families=snakemake.params.families,
        labels=snakemake.params.labels,
    )
