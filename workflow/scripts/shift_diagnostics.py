"""Rule `shift_diagnostics`, thin: log to its log, call iactdl.fit.shift.shift_diagnostics."""

from pathlib import Path

from iactdl.fit.shift import shift_diagnostics
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "shift_diagnostics"):  # noqa: F821
    shift_diagnostics(
        source=snakemake.input.source,  # noqa: F821
        observed=snakemake.input.observed,  # noqa: F821
        observed_images=snakemake.input.get("observed_images"),  # noqa: F821
        quantifier_dir=Path(snakemake.input.quantifier).parent,  # noqa: F821
        outputs=dict(snakemake.output.items()),  # noqa: F821
        config=snakemake.params.shift,  # noqa: F821
        seed=snakemake.params.seed,  # noqa: F821
        threads=snakemake.threads,  # noqa: F821
    )
