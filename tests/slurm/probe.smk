# A test-only workflow for tests/test_slurm.py: one rule that fails on purpose, run through
# profiles/slurm, to show that a failing job fails the workflow with the rule named (after retries).


rule all:
    input:
        "probe/never.txt",


rule probe_fail:
    output:
        "probe/never.txt",
    log:
        "probe/probe_fail.log",
    resources:
        runtime=5,
        mem_mb=200,
    shell:
        "echo 'probe_fail fails on purpose' > {log}; exit 3"
