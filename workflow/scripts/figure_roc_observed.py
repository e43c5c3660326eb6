"""Rule `figure_roc_observed`, thin: log to the rule's log, draw the ROC curves on observed_test
against the hidden truth (iactdl.evaluate.performance_figures.plot_observed_roc)."""

from iactdl.evaluate.performance_figures import plot_observed_roc
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "figure_roc_observed"):
    plot_observed_roc(
        dict(zip(snakemake.params.models, snakemake.input.predictions, strict=True)),
        snakemake.input.truth,
        [snakemake.output.pdf, snakemake.output.png],
        families=snakemake.params.families,
        labels=snakemake.params.labels,
    )
