"""Rule `adaptation_table`, thin: the study's metrics -> table (csv, tex) and the AUC bars."""

from iactdl.adapt.table import write_adaptation_table
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "adaptation_table"):
    write_adaptation_table(
        models=snakemake.params.models,
        metrics_paths=snakemake.input.metrics,
        csv_path=snakemake.output.csv,
        tex_path=snakemake.output.tex,
        figure_paths=[snakemake.output.pdf, snakemake.output.png],
        selection_paths=snakemake.input.get("selections", []),  # with a lambda grid only
        info_paths=snakemake.input.info,  # DANN's domain AUC before and after training
    )
