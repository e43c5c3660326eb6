"""Rule `figure_adaptation_onoff`, thin: gammaness of ON against alpha x OFF on observed_test."""

from iactdl.adapt.figures import plot_onoff_gammaness
from iactdl.rule_log import rule_logging

sm = snakemake
with rule_logging(sm.log[0], "figure_adaptation_onoff"):
    predictions = dict(zip(sm.params.models, sm.input.predictions, strict=True))
    plot_onoff_gammaness(predictions, [sm.output.pdf, sm.output.png])
