"""Rule `adaptation_lambda_table`, thin: every lambda-grid candidate's scores -> one csv."""

from iactdl.adapt.table import write_lambda_grid_table
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "adaptation_lambda_table"):
    write_lambda_grid_table(
        models=snakemake.params.models,
        metrics_paths=snakemake.input.metrics,
        selection_paths=snakemake.input.selections,
        csv_path=snakemake.output.csv,
    )
