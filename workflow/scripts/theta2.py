"""Rule `theta2`, thin: log to the rule's log, choose the theta^2 and gammaness cuts on
observed_val and count observed_test (iactdl.evaluate.theta2_analysis.analyse_theta2)."""

from iactdl.evaluate.theta2_analysis import analyse_theta2
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "theta2"):
    analyse_theta2(
        snakemake.input.val,
        snakemake.input.test,
        snakemake.output.analysis,
        theta2_cuts=list(snakemake.params.theta2_cuts),
        model=snakemake.wildcards.model,
        wobble_offset_deg=snakemake.params.wobble_offset_deg,
    )
