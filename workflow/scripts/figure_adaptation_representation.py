"""Rule `figure_adaptation_representation`: encode a sample with each model, plot the PCA."""

from pathlib import Path

from iactdl.adapt.figures import plot_representation
from iactdl.adapt.nets import encoder_samples
from iactdl.rule_log import rule_logging

sm = snakemake
with rule_logging(sm.log[0], "figure_adaptation_representation"):
    dirs = {m: Path(p).parent for m, p in zip(sm.params.models, sm.input.info, strict=True)}
    samples = encoder_samples(dirs, sm.input.source, sm.input.target, seed=sm.params.seed)
    plot_representation(samples, [sm.output.pdf, sm.output.png])
