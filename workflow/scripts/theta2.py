"""Rule `theta2`, thin: log to the rule's log, choose the gammaness cut on observed_val and count
observed_test (iactdl.evaluate.theta2_analysis.analyse_theta2)."""

from iactdl.evaluate.theta2_analysis import analyse_theta2
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "theta2"):
    analyse_theta2(
        snakemake.input.val,
        snakemake.input.test,
        snakemake.output.analysis,
        theta2_cut=float(snakemake.params.theta2_cut),
        model=snakemake.wildcards.model,
    )
