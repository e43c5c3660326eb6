"""Rule `benchmark_summary`, thin: log to the rule's log, call iactdl.benchmark_summary."""

from pathlib import Path

from iactdl.benchmark_summary import summarise_benchmarks
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "benchmark_summary"):
    summarise_benchmarks(
        patterns=snakemake.params.patterns,
        # the summary sits in the benchmark folder (results/benchmarks/summary.csv)
        root=Path(snakemake.output.summary).parent,
        output=snakemake.output.summary,
    )
