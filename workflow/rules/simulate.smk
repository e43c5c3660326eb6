# Stage 1a: simulate. The built-in air-shower simulator (iactdl.simulate) writes the raw events of
# each sample. The observed sample has a second output, its truth, in its own file that only
# evaluation rules read; so it has its own rule.


rule simulate:
    output:
        events=results("simulated/{sample}.h5"),
    log:
        results("logs/simulate/{sample}.log"),
    benchmark:
        results("benchmarks/simulate/{sample}.tsv")
    wildcard_constraints:
        sample="gamma|gamma_diffuse|proton",
    conda:
        "../../envs/cpu.yaml"
    params:
        sample="{sample}",
        simulation=config["simulation"],
        seed=get_simulate_seed,
        src=src("simulate", "camera", "io"),
    script:
        "../scripts/simulate.py"


rule simulate_observed:
    output:
        events=results("simulated/observed.h5"),
        truth=results("simulated/observed_truth.h5"),
    log:
        results("logs/simulate/observed.log"),
    benchmark:
        results("benchmarks/simulate/observed.tsv")
    conda:
        "../../envs/cpu.yaml"
    params:
        sample="observed",
        simulation=config["simulation"],
        seed=seed_for("simulate", "observed"),
        src=src("simulate", "camera", "io"),
    script:
        "../scripts/simulate.py"
