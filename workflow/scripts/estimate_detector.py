"""Rule `estimate_detector`, thin: log to the rule's log, call iactdl.adapt.augment."""

from iactdl.adapt.augment import estimate_detector
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "estimate_detector"):
    estimate_detector(
        observed_path=snakemake.input.observed,
        simulated_path=snakemake.input.simulated,
        simulation=dict(snakemake.params.simulation),
        out_path=snakemake.output.json,
    )
