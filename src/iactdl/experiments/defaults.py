"""Defaults of the config section ``experiments`` (the schema repeats them; tests/test_defaults.py
holds the two together).

A sweep without points (no widths, no nets, no models) is not run: the embedded default config.yaml
sets them, a config for real FACT DL2 files (no images) leaves them out.
"""

from __future__ import annotations

__all__ = ["CAPACITY_DEFAULTS", "OPTIMISERS_DEFAULTS", "INDUCTIVE_BIAS_DEFAULTS", "DEFAULTS"]

CAPACITY_DEFAULTS = {
    "features": [],
    "n_train": 1000,
    "label_noise": 0.2,
    "widths": [],
    "depths": [1],
    "seeds": 1,
    "epochs": 2000,
    "batch_size": 0,
    "optimizer": "adam",
    "lr": 0.001,
    "loss": "squared",
    "activation": "relu",
    "n_test": 0,
    "n_records": 25,
    "epochwise_widths": [],
    "gpu": 0,
}

OPTIMISERS_DEFAULTS = {
    "n_train": 3000,
    "n_val": 1000,
    "seeds": 3,
    "schedules": ["constant", "step", "warmup"],
    "learning_rates": {
        "sgd": [0.01, 0.03, 0.1, 0.3],
        "nesterov": [0.01, 0.03, 0.1, 0.3, 1.0],
        "adam": [0.0003, 0.001, 0.003],
        "adamw": [0.0003, 0.001, 0.003],
    },
    "nets": {},
}

INDUCTIVE_BIAS_DEFAULTS = {
    "train_sizes": [500, 1500, 4500, 0],
    "seeds": 3,
    "n_val": 1000,
    "n_test": 0,
    "min_steps": 300,
    "max_epochs": 60,
    "reference": "feature_mlp",
    "models": {},
}

DEFAULTS = {
    "capacity": CAPACITY_DEFAULTS,
    "optimisers": OPTIMISERS_DEFAULTS,
    "inductive_bias": INDUCTIVE_BIAS_DEFAULTS,
}
