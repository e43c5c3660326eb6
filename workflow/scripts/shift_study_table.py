"""Rule `shift_study_table`, thin: the study's metrics and predictions -> table (csv, tex), the
caption's numbers and the heat map (iactdl.adapt.shift_table)."""

from iactdl.adapt.shift_table import write_shift_study_table
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "shift_study_table"):
    write_shift_study_table(
        entries=[tuple(e) for e in snakemake.params.entries],
        metrics_paths=snakemake.input.metrics,
        val_paths=snakemake.input.val,
        test_paths=snakemake.input.test,
        dataset_paths=snakemake.input.datasets,
        csv_path=snakemake.output.csv,
        tex_path=snakemake.output.tex,
        numbers_path=snakemake.output.numbers,
        numbers_tex_path=snakemake.output.numbers_tex,
        figure_paths=[snakemake.output.pdf, snakemake.output.png],
        labels=dict(snakemake.params.labels),
    )
