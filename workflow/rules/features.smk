# Stage 2: features. Quality-selected events -> features (cleaning, Hillas & friends, grid images,
# pixel sets; iactdl.features.build_features), then the labelled simulations -> train/val/test
# (stratified, seeded) and the observed events -> observed_train/_val/_test (a hash of event_id,
# iactdl.features.observed_split; observed_train_images: the train events with images, capped).
# For FACT DL2 input (no images) the features are passed through and the feature files have no
# grid_image/pixel_set: see features_have_images().


include: "inputs/features.smk"


rule build_features:
    input:
        events=results("events/{sample}.h5"),
    output:
        features=results("features/{sample}.h5"),
    log:
        results("logs/build_features/{sample}.log"),
    benchmark:
        results("benchmarks/build_features/{sample}.tsv")
    wildcard_constraints:
        sample=one_of(whole_samples(), "NO_SAMPLES"),
    conda:
        "../../envs/cpu.yaml"
    threads: 1
    params:
        features=config["features"],
        src=src("build_features.py"),
    script:
        "../scripts/build_features.py"


# A FACT sample of several files (extract_part): features per file, then gathered into the
# sample's one features file, which the splits read as any other.
rule build_features_part:
    input:
        events=results("events/parts/{sample}/{part}.h5"),
    output:
        features=results("features/parts/{sample}/{part}.h5"),
    log:
        results("logs/build_features/{sample}/{part}.log"),
    benchmark:
        results("benchmarks/build_features/{sample}/{part}.tsv")
    wildcard_constraints:
        sample=one_of(per_file_samples(), "NO_SAMPLES"),
    conda:
        "../../envs/cpu.yaml"
    threads: 1
    params:
        features=config["features"],
        src=src("build_features.py"),
    script:
        "../scripts/build_features.py"


rule gather_features:
    input:
        parts=get_feature_parts,
    output:
        features=results("features/{sample}.h5"),
    log:
        results("logs/gather_features/{sample}.log"),
    benchmark:
        results("benchmarks/gather_features/{sample}.tsv")
    wildcard_constraints:
        sample=one_of(per_file_samples(), "NO_SAMPLES"),
    conda:
        "../../envs/cpu.yaml"
    threads: 1
    params:
        parts=get_part_names,
        features=config["features"],
        src=src("gather_features.py"),
    script:
        "../scripts/gather_features.py"


rule split_dataset:
    input:
        unpack(get_labelled_features),
    output:
        train=results("datasets/train.h5"),
        val=results("datasets/val.h5"),
        test=results("datasets/test.h5"),
    log:
        results("logs/split_dataset.log"),
    benchmark:
        results("benchmarks/split_dataset.tsv")
    conda:
        "../../envs/cpu.yaml"
    threads: 1
    params:
        datasets=config["datasets"],
        seed=seed_for("split_dataset"),
        src=src("split_dataset.py"),
    script:
        "../scripts/split_dataset.py"


# The observed events of FACT DL2 files (source fact) are split here; the simulated observation is
# streamed straight into the same files by rule stream_observed (simulate.smk). The observation
# time is the sum of every observed file's runs/ontime (one file or several, see FACT_FILES).
if config["source"] == "fact" and "observed" in FACT_FILES:

    rule split_observed:
        input:
            features=results("features/observed.h5"),
            fact_observed=list(FACT_FILES["observed"].values()),
            disp=results("directions/disp/model.json"),
            disp_model=results("directions/disp/model.skops"),
        output:
            train=results("datasets/observed_train.h5"),
            train_images=results("datasets/observed_train_images.h5"),
            val=results("datasets/observed_val.h5"),
            test=results("datasets/observed_test.h5"),
        log:
            results("logs/split_observed.log"),
        benchmark:
            results("benchmarks/split_observed.tsv")
        conda:
            "../../envs/cpu.yaml"
        threads: 1
        params:
            datasets=get_observed_datasets(),
            seed=seed_for("split_observed"),
            directions=get_region_directions(),
            src=src("split_observed.py"),
        script:
            "../scripts/split_observed.py"
