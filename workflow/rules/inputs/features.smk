# The input functions of features.smk's rules (included at its top). Snakemake's linter wants a
# snakefile to hold rules or functions, not both; the shared ones are in common.smk.


def get_feature_parts(wildcards):
    """The per-file features of a sample read per file, in the order of its part names."""
    return [results(f"features/parts/{wildcards.sample}/{p}.h5") for p in get_part_names(wildcards)]


def get_part_names(wildcards):
    """The part names of a sample read per file (sorted by file path)."""
    return list(FACT_FILES[wildcards.sample])


def get_labelled_features(wildcards):
    """Named inputs of split_dataset: the features file of each labelled sample this config has."""
    return {
        sample: results(f"features/{sample}.h5")
        for sample in available_samples()
        if sample != "observed"
    }


OBSERVED_FILES = ["observed_train", "observed_train_images", "observed_val", "observed_test"]


def get_dataset_output():
    """The dataset files this config produces: train/val/test, and the observed splits
    (observed_train, observed_train_images, observed_val, observed_test) if observed is present."""
    out = expand(results("datasets/{split}.h5"), split=SPLITS)
    if "observed" in available_samples():
        out += expand(results("datasets/{name}.h5"), name=OBSERVED_FILES)
    return out
