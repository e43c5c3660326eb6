# The lecture's three experiments (iactdl.experiments), each a sweep whose every point is its own
# job, so a cluster runs the points in parallel and editing one point's setting reruns that point
# and the figure alone. Targets: `capacity`, `optimisers`, `inductive_bias` (and `experiments`,
# all three); `paper` includes every sweep that has points, the default target `all` none (a
# half-hour of its own on 2 cores). Config section `experiments` (config.yaml documents every key).
# Points read the simulated train/val/test splits only.


include: "inputs/experiments.smk"


# a sweep without points (no widths, nets or models: e.g. a config for FACT DL2 files) is left out
if config["experiments"]["capacity"]["widths"]:
    EXPERIMENT_FIGURES.append("experiments/capacity")
if config["experiments"]["optimisers"]["nets"]:
    EXPERIMENT_FIGURES.append("experiments/optimisers")
    EXPERIMENT_TABLES.extend([results("paper/optimisers.csv"), results("paper/optimisers.tex")])
    REPORT_TABLES[results("paper/optimisers.csv")] = {
        "category": "experiments",
        "subcategory": "optimisers and schedules",
    }
if config["experiments"]["inductive_bias"]["models"]:
    EXPERIMENT_FIGURES.append("experiments/inductive_bias")
    EXPERIMENT_TABLES.append(results("paper/inductive_bias.csv"))
    REPORT_TABLES[results("paper/inductive_bias.csv")] = {
        "category": "experiments",
        "subcategory": "inductive bias",
    }
PAPER_FIGURES.extend(EXPERIMENT_FIGURES)
PAPER_TABLES.extend(EXPERIMENT_TABLES)


# --- 1. capacity and double descent: one job per (depth, width, repetition) ---


rule capacity_point:
    input:
        train=results("datasets/train.h5"),
        test=results("datasets/test.h5"),
    output:
        point=results("experiments/capacity/depth{depth}/width{width}_seed{rep}.json"),
    log:
        results("logs/experiments/capacity/depth{depth}/width{width}_seed{rep}.log"),
    benchmark:
        results("benchmarks/capacity_point/depth{depth}_width{width}_seed{rep}.tsv")
    wildcard_constraints:
        depth=r"\d+",
        width=r"\d+",
        rep=r"\d+",
    conda:
        "../../envs/gpu.yaml"
    threads: 1
    resources:
        gpu=get_capacity_gpus,
    params:
        settings=get_capacity_settings,
        src=src("capacity_point.py"),
    script:
        "../scripts/capacity_point.py"


rule figure_capacity:
    input:
        points=get_capacity_points,
    output:
        pdf=results("figures/experiments/capacity.pdf"),
        png=report(
            results("figures/experiments/capacity.png"),
            caption="../report/experiments_capacity.rst",
            category="experiments",
            subcategory="capacity and double descent",
        ),
    log:
        results("logs/figures/experiments/capacity.log"),
    conda:
        "../../envs/cpu.yaml"
    threads: 1
    params:
        epochwise_widths=config["experiments"]["capacity"]["epochwise_widths"],
        src=src("figure_capacity.py"),
    script:
        "../scripts/figure_capacity.py"


rule capacity:
    input:
        rules.figure_capacity.output,


# --- 2. optimisers x schedules x seeds; the learning rate chosen on validation per optimiser ---


rule optimiser_point:
    input:
        train=results("datasets/train.h5"),
        val=results("datasets/val.h5"),
    output:
        summary=results(
            "experiments/optimisers/{opt_net}/{optimizer}/{schedule}/lr{lr}_seed{rep}.json"
        ),
        history=results(
            "experiments/optimisers/{opt_net}/{optimizer}/{schedule}/lr{lr}_seed{rep}.csv"
        ),
    log:
        results("logs/experiments/optimisers/{opt_net}/{optimizer}/{schedule}/lr{lr}_seed{rep}.log"),
    benchmark:
        results("benchmarks/optimiser_point/{opt_net}_{optimizer}_{schedule}_lr{lr}_seed{rep}.tsv")
    wildcard_constraints:
        opt_net=one_of(config["experiments"]["optimisers"]["nets"], "NO_NETS"),
        optimizer=one_of(config["experiments"]["optimisers"]["learning_rates"], "NO_OPT"),
        schedule=one_of(
            sorted({"constant", *config["experiments"]["optimisers"]["schedules"]}), "NO_SCHEDULES"
        ),
        lr=r"[0-9.e+-]+",
        rep=r"\d+",
    conda:
        "../../envs/gpu.yaml"
    threads: 1
    resources:
        gpu=get_optimiser_gpus,
    params:
        entry=get_optimiser_entry,
        sizes=get_optimiser_sizes,
        seed=get_optimiser_seed,
        src=src("optimiser_point.py"),
    script:
        "../scripts/optimiser_point.py"


checkpoint optimiser_lr:
    input:
        unpack(get_lr_grid_points),
    output:
        lr=results("experiments/optimisers/{opt_net}/{optimizer}/lr.json"),
    log:
        results("logs/experiments/optimisers/{opt_net}/{optimizer}/lr.log"),
    wildcard_constraints:
        opt_net=one_of(config["experiments"]["optimisers"]["nets"], "NO_NETS"),
        optimizer=one_of(config["experiments"]["optimisers"]["learning_rates"], "NO_OPT"),
    conda:
        "../../envs/cpu.yaml"
    threads: 1
    params:
        src=src("optimiser_lr.py"),
    script:
        "../scripts/optimiser_lr.py"


rule figure_optimisers:
    input:
        runs=get_optimiser_runs,
        lrs=get_optimiser_lr_files,
    output:
        pdf=results("figures/experiments/optimisers.pdf"),
        png=report(
            results("figures/experiments/optimisers.png"),
            caption="../report/experiments_optimisers.rst",
            category="experiments",
            subcategory="optimisers and schedules",
        ),
        csv=results("paper/optimisers.csv"),
        tex=results("paper/optimisers.tex"),
    log:
        results("logs/figures/experiments/optimisers.log"),
    conda:
        "../../envs/cpu.yaml"
    threads: 1
    params:
        src=src("figure_optimisers.py"),
    script:
        "../scripts/figure_optimisers.py"


rule optimisers:
    input:
        rules.figure_optimisers.output,


# --- 3. inductive bias: one job per (model, training events, repetition) ---


rule inductive_bias_point:
    input:
        train=results("datasets/train.h5"),
        val=results("datasets/val.h5"),
        test=results("datasets/test.h5"),
    output:
        point=results("experiments/inductive_bias/{ib_model}/n{n_train}_seed{rep}.json"),
    log:
        results("logs/experiments/inductive_bias/{ib_model}/n{n_train}_seed{rep}.log"),
    benchmark:
        results("benchmarks/inductive_bias_point/{ib_model}_n{n_train}_seed{rep}.tsv")
    wildcard_constraints:
        ib_model=one_of(config["experiments"]["inductive_bias"]["models"], "NO_MODELS"),
        n_train=r"\d+|all",
        rep=r"\d+",
    conda:
        "../../envs/gpu.yaml"
    threads: 1
    resources:
        gpu=get_inductive_bias_gpus,
    params:
        entry=get_inductive_bias_entry,
        sizes=get_inductive_bias_sizes,
        seed=get_inductive_bias_seed,
        src=src("inductive_bias_point.py"),
    script:
        "../scripts/inductive_bias_point.py"


rule figure_inductive_bias:
    input:
        points=get_inductive_bias_points,
    output:
        pdf=results("figures/experiments/inductive_bias.pdf"),
        png=report(
            results("figures/experiments/inductive_bias.png"),
            caption="../report/experiments_inductive_bias.rst",
            category="experiments",
            subcategory="inductive bias",
        ),
        csv=results("paper/inductive_bias.csv"),
    log:
        results("logs/figures/experiments/inductive_bias.log"),
    conda:
        "../../envs/cpu.yaml"
    threads: 1
    params:
        reference=config["experiments"]["inductive_bias"]["reference"],
        labels=get_inductive_bias_labels(),
        src=src("figure_inductive_bias.py"),
    script:
        "../scripts/figure_inductive_bias.py"


rule inductive_bias:
    input:
        rules.figure_inductive_bias.output,


rule experiments:
    input:
        rules.capacity.input,
        rules.optimisers.input,
        rules.inductive_bias.input,
