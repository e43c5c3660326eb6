# Stage 1b: extract. Raw events (the simulator's, or a user's FACT DL2 files) -> quality-selected
# events in our column names (iactdl.extract). Which input a sample reads depends on config `source`.


def get_extract_input(wildcards):
    """The raw file of a sample: data/simulated/{sample}.h5, or config fact.files[sample]."""
    if config["source"] == "simulate":
        return f"data/simulated/{wildcards.sample}.h5"
    return fact_file(wildcards.sample)


def get_fact_section():
    """Config `fact` when reading FACT files (so only then does editing it rerun extract)."""
    return config["fact"] if config["source"] == "fact" else {}


rule extract:
    input:
        events=get_extract_input,
    output:
        events="results/events/{sample}.h5",
    log:
        "logs/extract/{sample}.log",
    benchmark:
        "results/benchmarks/extract/{sample}.tsv"
    conda:
        "../../envs/cpu.yaml"
    params:
        source=config["source"],
        extract=config["extract"],
        fact=get_fact_section(),
        src=src("extract", "io"),
    script:
        "../scripts/extract.py"
