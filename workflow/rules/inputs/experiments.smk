# The input functions of experiments.smk's rules (included at its top). Snakemake's linter wants a
# snakefile to hold rules or functions, not both; the shared ones are in common.smk.


def _experiment(name):
    return config["experiments"][name]


def _reps(name):
    """Repetition indices 0..seeds-1 of an experiment (each its own seed)."""
    return list(range(int(_experiment(name)["seeds"])))


def get_capacity_settings(wildcards):
    """One capacity point's settings: the sweep's shared keys, its depth, width and seed."""
    shared = {
        k: v
        for k, v in _experiment("capacity").items()
        if k not in ("widths", "depths", "seeds", "epochwise_widths", "gpu")
    }
    return {
        **shared,
        "depth": int(wildcards.depth),
        "width": int(wildcards.width),
        "seed": seed_for("capacity", wildcards.rep),
    }


def get_capacity_gpus(wildcards):
    """GPUs of every capacity point (experiments.capacity.gpu; 0 = CPU)."""
    return int(_experiment("capacity").get("gpu", 0))


def get_capacity_points(wildcards):
    """Every point of the capacity sweep."""
    c = _experiment("capacity")
    return expand(
        results("experiments/capacity/depth{depth}/width{width}_seed{rep}.json"),
        depth=c["depths"],
        width=c["widths"],
        rep=_reps("capacity"),
    )


def _lr_name(lr):
    return f"{float(lr):g}"


def get_optimiser_entry(wildcards):
    """The net entry of an optimiser point (optimiser, schedule and lr come from the wildcards)."""
    return _experiment("optimisers")["nets"][wildcards.opt_net]


def get_optimiser_sizes(wildcards):
    """Training and validation events of every optimiser point (0 = the whole split)."""
    o = _experiment("optimisers")
    return {"n_train": o["n_train"], "n_val": o["n_val"]}


def get_optimiser_seed(wildcards):
    """Seed of repetition `rep`: the same for every optimiser, schedule and lr (paired runs)."""
    return seed_for("optimisers", wildcards.rep)


def get_optimiser_gpus(wildcards):
    return int(get_optimiser_entry(wildcards).get("gpu", 0))


def get_lr_grid_points(wildcards):
    """lr -> summary of the constant-schedule, first-seed run at each rate of the grid."""
    net, opt = wildcards.opt_net, wildcards.optimizer
    grid = _experiment("optimisers")["learning_rates"][opt]
    return {
        _lr_name(lr): results(
            f"experiments/optimisers/{net}/{opt}/constant/lr{_lr_name(lr)}_seed0.json"
        )
        for lr in grid
    }


def get_optimiser_lr_files(wildcards):
    o = _experiment("optimisers")
    return expand(
        results("experiments/optimisers/{net}/{optimizer}/lr.json"),
        net=list(o["nets"]),
        optimizer=list(o["learning_rates"]),
    )


def get_optimiser_runs(wildcards):
    """History of every (net, optimiser, schedule, seed) run at the chosen learning rate.

    The rate is chosen by checkpoint optimiser_lr, so the DAG below it is known once it has run.
    """
    from iactdl.experiments.learning_rate import read_lr

    o = _experiment("optimisers")
    runs = []
    for net in o["nets"]:
        for opt in o["learning_rates"]:
            lr_file = checkpoints.optimiser_lr.get(opt_net=net, optimizer=opt).output.lr
            runs += expand(
                results("experiments/optimisers/{net}/{opt}/{schedule}/lr{lr}_seed{rep}.csv"),
                net=net,
                opt=opt,
                schedule=o["schedules"],
                lr=_lr_name(read_lr(lr_file)),
                rep=_reps("optimisers"),
            )
    return runs


def get_inductive_bias_entry(wildcards):
    return _experiment("inductive_bias")["models"][wildcards.ib_model]


def get_inductive_bias_sizes(wildcards):
    """Sizes of one point: training events (wildcard; 0 = all), and the shared settings."""
    ib = _experiment("inductive_bias")
    return {
        "n_train": 0 if wildcards.n_train == "all" else int(wildcards.n_train),
        "n_val": ib["n_val"],
        "n_test": ib["n_test"],
        "min_steps": ib["min_steps"],
        "max_epochs": ib["max_epochs"],
    }


def get_inductive_bias_seed(wildcards):
    """Seed of repetition `rep`: the same subsets for every model (paired comparison)."""
    return seed_for("inductive_bias", wildcards.rep)


def get_inductive_bias_gpus(wildcards):
    return int(get_inductive_bias_entry(wildcards).get("gpu", 0))


def get_inductive_bias_labels():
    """Model -> legend label (iactdl.evaluate.labels.model_labels: its entry's description,
    else its net's name), in the configured order (the order of the curves)."""
    models = _experiment("inductive_bias")["models"]
    return model_labels(models, models)


def get_inductive_bias_points(wildcards):
    ib = _experiment("inductive_bias")
    return expand(
        results("experiments/inductive_bias/{model}/n{n}_seed{rep}.json"),
        model=list(ib["models"]),
        n=[n if n else "all" for n in ib["train_sizes"]],
        rep=_reps("inductive_bias"),
    )
