# Stage 1b: extract. Raw events (the simulator's, or a user's FACT DL2 files) -> quality-selected
# events in our column names (iactdl.extract). Which input a sample reads depends on config `source`.


include: "inputs/extract.smk"


rule extract:
    input:
        events=get_extract_input,
    output:
        events=results("events/{sample}.h5"),
    log:
        results("logs/extract/{sample}.log"),
    benchmark:
        results("benchmarks/extract/{sample}.tsv")
    wildcard_constraints:
        sample=one_of(whole_samples(), "NO_SAMPLES"),
    conda:
        "../../envs/cpu.yaml"
    params:
        source=config["source"],
        extract=config["extract"],
        fact=get_fact_section(),
        src=src("extract.py"),
    script:
        "../scripts/extract.py"


# A FACT sample of several files (config fact.files: a list or a glob), one job per file: a
# cluster extracts the runs in parallel, and a damaged file fails its own job, named in its log
# (events/parts/{sample}/{part}.h5; with --keep-going the other files' jobs go on and are kept).
rule extract_part:
    input:
        events=get_extract_part_input,
    output:
        events=results("events/parts/{sample}/{part}.h5"),
    log:
        results("logs/extract/{sample}/{part}.log"),
    benchmark:
        results("benchmarks/extract/{sample}/{part}.tsv")
    wildcard_constraints:
        sample=one_of(per_file_samples(), "NO_SAMPLES"),
    conda:
        "../../envs/cpu.yaml"
    params:
        source=config["source"],
        extract=config["extract"],
        fact=get_fact_section(),
        src=src("extract.py"),
    script:
        "../scripts/extract.py"
