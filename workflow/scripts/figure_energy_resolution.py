"""Rule `figure_energy_resolution`, thin: log to the rule's log, call one figures function."""

from iactdl.evaluate.figures import plot_energy_resolution
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "figure_energy_resolution"):  # noqa: F821
    plot_energy_resolution(
        dict(zip(snakemake.params.models, snakemake.input.metrics, strict=True)),  # noqa: F821
        [snakemake.output.pdf, snakemake.output.png],  # noqa: F821
    )
