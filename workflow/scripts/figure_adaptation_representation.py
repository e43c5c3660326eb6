"""Rule `figure_adaptation_representation`: encode a sample with each model, plot the PCA."""

from pathlib import Path

from iactdl.evaluate.adaptation_figures import plot_representation
from iactdl.fit.adapt import encoder_samples
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "figure_adaptation_representation"):  # noqa: F821
    dirs = {m: Path(p).parent for m, p in zip(snakemake.params.models, snakemake.input.info)}  # noqa: F821
    samples = encoder_samples(
        dirs, snakemake.input.source, snakemake.input.target, seed=snakemake.params.seed  # noqa: F821
    )
    plot_representation(samples, [snakemake.output.pdf, snakemake.output.png])  # noqa: F821
