"""Rule `adaptation_table`, thin: the study's metrics -> table (csv, tex) and the AUC bars."""

from iactdl.evaluate.adaptation import write_adaptation_table
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "adaptation_table"):  # noqa: F821
    write_adaptation_table(
        models=snakemake.params.models,  # noqa: F821
        metrics_paths=snakemake.input.metrics,  # noqa: F821
        csv_path=snakemake.output.csv,  # noqa: F821
        tex_path=snakemake.output.tex,  # noqa: F821
        figure_paths=[snakemake.output.pdf, snakemake.output.png],  # noqa: F821
    )
