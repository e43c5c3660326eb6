"""Rule `figure_gammaness`, thin: log to the rule's log, call one figures function."""

from iactdl.evaluate.performance_figures import plot_gammaness
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "figure_gammaness"):
    plot_gammaness(
        dict(zip(snakemake.params.models, snakemake.input.predictions, strict=True)),
        [snakemake.output.pdf, snakemake.output.png],
        labels=snakemake.params.labels,
    )
