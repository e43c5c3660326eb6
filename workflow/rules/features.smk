# Stage 2: features. Quality-selected events -> features (cleaning, Hillas & friends, grid images,
# pixel sets; iactdl.features.build_features), then the labelled simulations -> train/val/test
# (stratified, seeded) and the observed events kept whole. For FACT DL2 input (no images) the
# features are passed through and the feature files have no grid_image/pixel_set: see
# features_have_images().


rule build_features:
    input:
        events="results/events/{sample}.h5",
    output:
        features="results/features/{sample}.h5",
    log:
        "logs/build_features/{sample}.log",
    benchmark:
        "results/benchmarks/build_features/{sample}.tsv"
    conda:
        "../../envs/cpu.yaml"
    threads: 1
    params:
        features=config["features"],
        src=src("features", "io", "camera", "data"),
    script:
        "../scripts/build_features.py"


rule split_dataset:
    input:
        unpack(get_labelled_features),
    output:
        train="results/datasets/train.h5",
        val="results/datasets/val.h5",
        test="results/datasets/test.h5",
    log:
        "logs/split_dataset.log",
    benchmark:
        "results/benchmarks/split_dataset.tsv"
    conda:
        "../../envs/cpu.yaml"
    threads: 1
    params:
        datasets=config["datasets"],
        seed=seed_for("split_dataset"),
        src=src("features", "io"),
    script:
        "../scripts/split_dataset.py"


rule observed_dataset:
    input:
        features="results/features/observed.h5",
    output:
        observed="results/datasets/observed.h5",
    log:
        "logs/observed_dataset.log",
    conda:
        "../../envs/cpu.yaml"
    threads: 1
    params:
        datasets=config["datasets"],
        src=src("features", "io"),
    script:
        "../scripts/observed_dataset.py"
