"""Rule `extract`, thin: log to the rule's log, call iactdl.extract.extract_events."""

from iactdl.extract import extract_events
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "extract"):
    extract_events(
        source=snakemake.params.source,
        in_path=snakemake.input.events,
        out_path=snakemake.output.events,
        config_section=snakemake.params.extract,
        fact_section=snakemake.params.fact,
        sample=snakemake.wildcards.sample,
    )
