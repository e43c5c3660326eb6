"""Rule `figure_adaptation_onoff`, thin: gammaness of ON against alpha x OFF on observed_test."""

from iactdl.evaluate.adaptation_figures import plot_onoff_gammaness
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "figure_adaptation_onoff"):  # noqa: F821
    predictions = dict(zip(snakemake.params.models, snakemake.input.predictions))  # noqa: F821
    plot_onoff_gammaness(predictions, [snakemake.output.pdf, snakemake.output.png])  # noqa: F821
