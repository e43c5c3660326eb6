"""Rule `figure_adaptation_representation`: encode a sample with each model, plot the PCA.

The events are marked by class: the simulated ones by their label, the observed ones by their
truth-free ON/OFF region. This rule reads the observed inputs (datasets/observed_test.h5), not the
hidden truth: it is no evaluation rule, and a figure is no reason to open the truth to one.
"""

from pathlib import Path

from iactdl.adapt.figures import plot_representation
from iactdl.adapt.nets import encoder_samples, sample_classes
from iactdl.rule_log import rule_logging

sm = snakemake
with rule_logging(sm.log[0], "figure_adaptation_representation"):
    dirs = {m: Path(p).parent for m, p in zip(sm.params.models, sm.input.info, strict=True)}
    samples = encoder_samples(dirs, sm.input.source, sm.input.target, seed=sm.params.seed)
    # the same draw (default n, same seed), so each class belongs to its event
    classes = sample_classes(sm.input.source, sm.input.target, seed=sm.params.seed)
    plot_representation(samples, [sm.output.pdf, sm.output.png], classes=classes)
