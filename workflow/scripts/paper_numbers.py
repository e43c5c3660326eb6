"""Rule `paper_numbers`, thin: the run's numbers from the paper's tables -> numbers.json/.tex."""

from iactdl.evaluate.numbers import collect_numbers, write_numbers
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "paper_numbers"):
    numbers = collect_numbers(snakemake.input.summary, snakemake.input.get("comparison"))
    write_numbers(numbers, snakemake.output.json, snakemake.output.tex)
