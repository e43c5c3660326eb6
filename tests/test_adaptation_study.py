"""The adaptation study: its model names and entries, and the table's arithmetic."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from iactdl.adapt.study import STUDY_DEFAULTS, study_entry, study_models
from iactdl.adapt.table import adaptation_table, study_rows, write_adaptation_table
from iactdl.config import validate_model

MODELS = {
    "mlp": {"kind": "net", "task": "separation", "net": "mlp", "features": ["size", "width"]},
    "deepsets": {
        "kind": "net",
        "task": "separation",
        "net": "deepsets",
        "features": [],
        "settings": {"rho": [8]},
    },
    "deepsets_dann": {"kind": "net", "task": "separation", "net": "deepsets", "adapt": {}},
    "hist_gbt": {"kind": "baseline", "task": "separation"},
}


def test_study_names_cover_nets_methods_seeds_and_entries_are_valid():
    study = {**STUDY_DEFAULTS, "nets": ["mlp", "deepsets", "deepsets_dann", "absent"]}
    names = study_models(MODELS, study)
    # adapted entries and absent names are left out; relative only for the pixel-level net
    assert {n.split("~")[0] for n in names} == {"mlp", "deepsets"}
    assert len(names) == 3 * (6 + 7)
    assert "mlp~relative~s1" not in names and "deepsets~relative~s3" in names
    for name in names:
        entry = study_entry(name, MODELS, study)
        validate_model(name, entry)
    assert study_entry("deepsets~relative~s2", MODELS, study)["settings"] == {
        "rho": [8], "time": "relative"
    }  # fmt: skip
    assert study_entry("mlp~iwdann~s1", MODELS, study)["adapt"] == {
        "method": "iwdann", "lambda_max": STUDY_DEFAULTS["lambda_max"]
    }  # fmt: skip
    assert "adapt" not in study_entry("deepsets~oracle~s1", MODELS, study)
    assert study_entry("mlp~augment~s2", MODELS, study)["adapt"] == {"method": "augment"}
    with pytest.raises(ValueError, match="not a study model"):
        study_entry("deepsets~coral~s1", MODELS, study)


def _metrics(tmp_path, name, auc, sim_auc=0.9, eff=0.5, sig=4.0):
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps({
        "test": {"roc_auc": sim_auc},
        "observed": {"roc_auc": auc, "roc_auc_unc": 0.01, "gamma_efficiency_at_cut": eff,
                     "onoff": {"li_ma_significance": sig}},
    }))  # fmt: skip
    return path


def test_table_means_stds_and_the_fraction_of_the_gap_closed(tmp_path):
    aucs = {"source": [0.70, 0.72], "dann": [0.74, 0.76], "oracle": [0.80, 0.80]}
    names, paths = [], []
    for method, values in aucs.items():
        for seed, auc in enumerate(values, start=1):
            name = f"deepsets~{method}~s{seed}"
            names.append(name)
            paths.append(_metrics(tmp_path, name, auc))
    t = adaptation_table(study_rows(names, paths)).set_index("method")
    assert list(t.index) == ["source", "dann", "oracle"]
    assert t.loc["dann", "observed_auc"] == pytest.approx(0.75)
    assert t.loc["dann", "observed_auc_std"] == pytest.approx(np.std([0.74, 0.76], ddof=1))
    assert t.loc["dann", "gap_closed"] == pytest.approx((0.75 - 0.71) / (0.80 - 0.71))
    assert t.loc["source", "gap_closed"] == 0 and t.loc["oracle", "gap_closed"] == 1
    assert t.loc["oracle", "reference"].startswith("oracle") and t.loc["dann", "reference"] == ""
    table = write_adaptation_table(
        names, paths, tmp_path / "t.csv", tmp_path / "t.tex", [tmp_path / "bars.png"]
    )
    assert pd.read_csv(tmp_path / "t.csv").shape[0] == len(table) == 3
    assert "oracle: observed truth" in (tmp_path / "t.tex").read_text()
    assert (tmp_path / "bars.png").stat().st_size > 1000


def test_a_gap_inside_its_uncertainty_is_no_gap(tmp_path):
    """The default run's Deep Sets: oracle 0.918, source-only 0.917 (bootstrap +-0.007-0.009);
    divided by that 0.0004 AUC gap, augmentation read "-3821 % closed". Inside the uncertainty
    the fraction is NaN, the table says "no gap" and the figure prints no fraction."""
    aucs = {"source": 0.9173, "augment": 0.9024, "importance": 0.8028, "oracle": 0.9177}
    names = [f"deepsets~{m}~s1" for m in aucs]
    paths = [_metrics(tmp_path, n, a) for n, a in zip(names, aucs.values(), strict=True)]
    t = adaptation_table(study_rows(names, paths))
    assert t["oracle_gap"].iloc[0] == pytest.approx(0.0004)
    assert t["gap_closed"].isna().all()
    write_adaptation_table(names, paths, tmp_path / "t.csv", tmp_path / "t.tex",
                           [tmp_path / "bars.png"])  # fmt: skip
    tex = (tmp_path / "t.tex").read_text()
    assert "no gap" in tex and "-38" not in tex and "nan" not in tex
    # a gap larger than its uncertainty (0.01 each, 0.014 together) is divided as before
    aucs["oracle"] = 0.95
    paths = [_metrics(tmp_path, n, a) for n, a in zip(names, aucs.values(), strict=True)]
    t = adaptation_table(study_rows(names, paths)).set_index("method")
    assert t.loc["augment", "gap_closed"] == pytest.approx((0.9024 - 0.9173) / (0.95 - 0.9173))


def test_no_oracle_means_no_fraction(tmp_path):
    names = ["mlp~source~s1", "mlp~dann~s1"]
    paths = [_metrics(tmp_path, n, a) for n, a in zip(names, (0.7, 0.75), strict=True)]
    t = adaptation_table(study_rows(names, paths))
    assert t["gap_closed"].isna().all()
