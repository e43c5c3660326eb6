# Stage 4: deep nets. One PyTorch net per entry of config `models` with kind `net`
# (iactdl.models.nets, trained by iactdl.fit): the whole training set resident on the device,
# bf16 on CUDA, a checkpoint every epoch. The entry is the rule's params: editing one net reruns
# that net alone and what reads it. `resources: gpu` comes from the entry (0 = CPU; a profile's
# set-resources replaces it) and the script passes the job's resource to train_net: the GPUs the
# job was given decide the device (any rule that trains a net must do the same). A job given a GPU
# that CUDA cannot use trains on the CPU (a warning), or fails if the entry says
# `require_gpu: true`. A killed job resumes from {results_dir}/checkpoints/{model}.pt (outside the
# outputs, which Snakemake deletes before rerunning a job). The other net-training rules
# (train_adapted, train_oracle in adapt.smk; train_onoff_net, train_onoff_oracle_net in
# labelnoise.smk) are this rule with what differs: `use rule train_net as ... with:` their inputs,
# seed, script, log and benchmark; the same outputs, resources and resume. Snakemake merges the
# params they set into these by name, but replaces a `resources:` they set as a whole (gpu too).


include: "inputs/deepnets.smk"


rule train_net:
    input:
        unpack(get_training_sets),
    output:
        model=results("models/{model}/model.pt"),
        info=results("models/{model}/model.json"),
        history=results("models/{model}/history.csv"),
        checkpoint=results("models/{model}/checkpoint.pt"),
    log:
        results("logs/train_net/{model}.log"),
    benchmark:
        results("benchmarks/train_net/{model}.tsv")
    wildcard_constraints:
        model=one_of(plain_nets(), "NO_NETS"),
    conda:
        "../../envs/gpu.yaml"
    threads: JOB_THREADS
    resources:
        gpu=get_net_gpus,
        mem_mb=6000,
    params:
        entry=get_net_entry,
        seed=get_net_seed,
        resume=results("checkpoints/{model}.pt"),
        script="train_net.py",
        src=model_src("train_net.py"),
    script:
        # each rule that reuses this one (`use rule train_net as ... with:`) names its own script
        "../scripts/{params.script}"
