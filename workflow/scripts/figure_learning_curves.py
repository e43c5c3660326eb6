"""Rule `figure_learning_curves`, thin: call one iactdl.evaluate.performance_figures function."""

from pathlib import Path

from iactdl.evaluate.performance_figures import plot_learning_curves
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "figure_learning_curves"):
    dirs = [Path(p).parent for p in snakemake.input.info]
    plot_learning_curves(
        dict(zip(snakemake.params.models, dirs, strict=True)),
        [snakemake.output.pdf, snakemake.output.png],
        labels=snakemake.params.labels,
    )
