"""Rule `extract`, thin: log to the rule's log, call iactdl.extract.extract_events."""

from iactdl.extract import extract_events
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "extract"):  # noqa: F821
    extract_events(
        source=snakemake.params.source,  # noqa: F821
        in_path=snakemake.input.events,  # noqa: F821
        out_path=snakemake.output.events,  # noqa: F821
        config_section=snakemake.params.extract,  # noqa: F821
        fact_section=snakemake.params.fact,  # noqa: F821
        sample=snakemake.wildcards.sample,  # noqa: F821
    )
