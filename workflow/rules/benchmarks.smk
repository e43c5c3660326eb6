# Runtime and memory of every job: `snakemake benchmark_summary` gathers the benchmark files that the
# heavy rules write (`benchmark:` results/benchmarks/{rule}/{wildcards}.tsv) into one table,
# results/benchmarks/summary.csv (rule, wildcards, seconds, max_rss_mb). Not part of `all`: a rerun of
# any job would otherwise rerun the summary, and the rerun tests count exactly which jobs rerun.
# Include this file LAST in the Snakefile: `patterns` reads the rules defined before it.


rule benchmark_summary:
    input:
        done=get_final_output(),
    output:
        summary=results("benchmarks/summary.csv"),
    log:
        results("logs/benchmark_summary.log"),
    localrule: True
    conda:
        "../../envs/cpu.yaml"
    params:
        # rule name -> benchmark path pattern, for every rule above that has one
        patterns={r.name: str(r.benchmark) for r in workflow.rules if r.benchmark},
        src=src("summarise_benchmarks.py"),
    script:
        "../scripts/summarise_benchmarks.py"
