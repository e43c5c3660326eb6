"""Rule `dl3`, thin: log to the rule's log, write one observed split's DL3 in FACT's layout
(iactdl.evaluate.theta2_analysis.write_split_dl3)."""

from iactdl.evaluate.theta2_analysis import write_split_dl3
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "dl3"):
    write_split_dl3(
        snakemake.input.predictions,
        snakemake.input.dataset,
        snakemake.output.dl3,
        split=snakemake.wildcards.split.removeprefix("observed_"),
        energy=snakemake.input.get("energy"),
    )
