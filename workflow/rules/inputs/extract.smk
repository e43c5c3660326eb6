# The input functions of extract.smk's rules (included at its top). Snakemake's linter wants a
# snakefile to hold rules or functions, not both; the shared ones are in common.smk.


def get_extract_input(wildcards):
    """The raw file of a sample: results("simulated/{sample}.h5"), or config fact.files[sample]."""
    if config["source"] == "simulate":
        return results(f"simulated/{wildcards.sample}.h5")
    return fact_file(wildcards.sample)


def get_extract_part_input(wildcards):
    """The FACT file of one part of a sample read per file (config fact.files[sample], a list)."""
    return fact_file(wildcards.sample, wildcards.part)


def get_fact_section():
    """Config `fact` when reading FACT files (so only then does editing it rerun extract), without
    `files`: a job's own file is its input, and adding a run to a list must not rerun the others."""
    if config["source"] != "fact":
        return {}
    return canonical({k: v for k, v in config["fact"].items() if k != "files"})
