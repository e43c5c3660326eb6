# The input functions of features.smk's rules (included at its top). Snakemake's linter wants a
# snakefile to hold rules or functions, not both; the shared ones are in common.smk.


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
