"""Rule `gather_features`, thin: log to the rule's log, call iactdl.io.gather.gather_events."""

from iactdl.io.gather import gather_events
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "gather_features"):
    gather_events(
        in_paths=snakemake.input.parts,
        out_path=snakemake.output.features,
        parts=snakemake.params.parts,
        config=snakemake.params.features,
    )
