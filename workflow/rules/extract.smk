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
    conda:
        "../../envs/cpu.yaml"
    params:
        source=config["source"],
        extract=config["extract"],
        fact=get_fact_section(),
        src=src("extract.py"),
    script:
        "../scripts/extract.py"
