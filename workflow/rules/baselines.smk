# Stage 3: baselines. One scikit-learn model per entry of config `models` with kind `baseline`
# (iactdl.models.baselines): 5-fold cross-validated out-of-fold predictions, then the final fit on
# the training split. The entry is the rule's params: editing one model reruns that model alone and
# what reads it. Training rules never see the observed truth. A baseline entry with an `adapt`
# section (importance weights) is trained by train_adapted_baseline (adapt.smk), one with a
# `labelnoise` section by train_onoff (labelnoise.smk).


include: "inputs/baselines.smk"


rule train_baseline:
    input:
        unpack(get_training_sets),
    output:
        model=results("models/{model}/model.skops"),
        info=results("models/{model}/model.json"),
        cv=results("models/{model}/cv.csv"),
    log:
        results("logs/train_baseline/{model}.log"),
    benchmark:
        results("benchmarks/train_baseline/{model}.tsv")
    wildcard_constraints:
        model=one_of(plain_baselines(), "NO_BASELINES"),
    priority: quantifier_priority
    conda:
        "../../envs/cpu.yaml"
    threads: JOB_THREADS
    resources:
        mem_mb=4000,
    params:
        entry=get_model_entry,
        seed=get_train_seed,
        src=model_src("train_baseline.py"),
    script:
        "../scripts/train_baseline.py"
