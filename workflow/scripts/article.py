"""Rule `article`, thin: write (and where TeX is installed, compile) the paper's article."""

from iactdl.evaluate.article import build_article
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "article"):
    build_article(
        snakemake.input.numbers_json,
        snakemake.input.numbers_tex,
        list(zip(snakemake.input.figures, snakemake.params.figures, strict=True)),
        list(zip(snakemake.input.tables, snakemake.params.tables, strict=True)),
        snakemake.output.tex,
        snakemake.output.get("pdf"),
        more_numbers=list(
            zip(
                snakemake.input.get("study_numbers_json", []),
                snakemake.input.get("study_numbers_tex", []),
                strict=True,
            )
        ),
    )
