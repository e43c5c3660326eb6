# Stage 1a: simulate. The built-in air-shower simulator (iactdl.simulate) writes the raw events of
# each labelled sample. The observation (millions of events) never goes to disk raw: rule
# stream_observed simulates it chunk by chunk through extract's cuts, the features and the
# observed split in one process (iactdl.observed_stream), and writes the splits plus the truth,
# in its own file that only evaluation rules read.


include: "inputs/simulate.smk"


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
        src=src("simulate.py"),
    script:
        "../scripts/simulate.py"


# source simulate only (FACT observations are split by rule split_observed, features.smk)
if config["source"] == "simulate":

    rule stream_observed:
        input:
            disp=results("directions/disp/model.json"),
            disp_model=results("directions/disp/model.skops"),
        output:
            train=results("datasets/observed_train.h5"),
            train_images=results("datasets/observed_train_images.h5"),
            val=results("datasets/observed_val.h5"),
            test=results("datasets/observed_test.h5"),
            truth=results("simulated/observed_truth.h5"),
        log:
            results("logs/stream_observed.log"),
        benchmark:
            results("benchmarks/stream_observed.tsv")
        # the DAG's critical path: every observed-side job waits for the stream (~5 CPU-minutes
        # at 1M events), so it starts before the simulation-side trainings that can run beside it
        priority: CRITICAL_PATH
        conda:
            "../../envs/cpu.yaml"
        threads: 1
        resources:
            mem_mb=2000,
        params:
            simulation=get_observed_simulation(),
            extract=config["extract"],
            features=config["features"],
            datasets=get_observed_datasets(),
            seed=seed_for("simulate", "observed"),
            salt=seed_for("split_observed"),
            directions=get_region_directions(),
            src=src("stream_observed.py"),
        script:
            "../scripts/stream_observed.py"
