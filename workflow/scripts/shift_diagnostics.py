"""Rule `shift_diagnostics`, thin: log to its log, call iactdl.adapt.shift.shift_diagnostics."""

from pathlib import Path

from iactdl.adapt.shift import shift_diagnostics
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "shift_diagnostics"):
    shift_diagnostics(
        source=snakemake.input.source,
        observed=snakemake.input.observed,
        observed_images=snakemake.input.get("observed_images"),
        quantifier_dir=Path(snakemake.input.quantifier).parent,
        outputs=dict(snakemake.output.items()),
        config=snakemake.params.shift,
        seed=snakemake.params.seed,
        threads=snakemake.threads,
    )
