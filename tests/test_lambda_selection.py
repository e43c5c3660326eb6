"""The truth-free choice of a DANN's lambda_max: candidate names, the selection on observed_val,
and the adaptation table that reports the chosen candidate."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

import iactdl.adapt.lambda_selection as selection_module
from iactdl.adapt.lambda_selection import LAMBDA_CRITERION, select_lambda
from iactdl.adapt.study import (
    STUDY_DEFAULTS,
    lambda_grid,
    lambda_selections,
    parse,
    selection_of,
    study_entry,
    study_models,
)
from iactdl.adapt.table import (
    adaptation_table,
    select_candidates,
    study_rows,
    write_adaptation_table,
    write_lambda_grid_table,
)
from iactdl.config import _check_study, validate_model
from iactdl.io import InputError, write_events

MODELS = {
    "mlp": {"kind": "net", "task": "separation", "net": "mlp", "features": ["size", "width"]},
    "deepsets": {"kind": "net", "task": "separation", "net": "deepsets", "features": []},
}
GRID = [0.1, 0.3, 1]  # 1 as YAML reads it: an int


def _study(**kw):
    return {**STUDY_DEFAULTS, "nets": ["mlp", "deepsets"], "seeds": 2, "lambda_grid": GRID, **kw}


# --- names ---


def test_grid_names_round_trip_through_parse_and_study_entry():
    study = _study()
    names = study_models(MODELS, study)
    # dann and iwdann once per grid value, the other methods as without a grid
    # per seed: mlp 4 (source, augment, importance, oracle) + 2 x 3 candidates, deepsets also
    # relative
    assert len(names) == 2 * ((4 + 2 * 3) + (5 + 2 * 3))
    assert "mlp~dann~s1" not in names and "deepsets~iwdann@1.0~s2" in names
    assert "mlp~source~s1" in names and "deepsets~relative~s2" in names
    for name in names:
        p = parse(name)
        assert p is not None and name.startswith(p.net + "~") and name.endswith(f"~s{p.seed}")
        # valid as a path part and as a Snakemake wildcard value (one regex of all names)
        assert "/" not in name and re.fullmatch("|".join(names), name)
        entry = study_entry(name, MODELS, study)
        validate_model(name, entry)
        if p.method in ("dann", "iwdann"):
            assert p.lambda_max in [float(g) for g in GRID]
            assert entry["adapt"] == {"method": p.method, "lambda_max": p.lambda_max}
            assert selection_of(name) == f"{p.net}~{p.method}~s{p.seed}"
        else:
            assert p.lambda_max is None and selection_of(name) == name
    sel = lambda_selections(MODELS, study)
    assert sel["mlp~iwdann~s2"] == ["mlp~iwdann@0.1~s2", "mlp~iwdann@0.3~s2", "mlp~iwdann@1.0~s2"]
    assert len(sel) == 2 * 2 * 2  # nets x (dann, iwdann) x seeds
    assert lambda_selections(MODELS, _study(methods=["source", "dann"])).keys() == {
        "mlp~dann~s1", "mlp~dann~s2", "deepsets~dann~s1", "deepsets~dann~s2"
    }  # fmt: skip


def test_without_a_grid_the_names_are_as_before():
    study = {**STUDY_DEFAULTS, "nets": ["mlp"], "seeds": 1}
    assert study_models(MODELS, study) == [
        "mlp~source~s1", "mlp~augment~s1", "mlp~importance~s1", "mlp~dann~s1", "mlp~iwdann~s1",
        "mlp~oracle~s1",
    ]  # fmt: skip
    assert lambda_selections(MODELS, study) == {}
    assert study_entry("mlp~dann~s1", MODELS, study)["adapt"]["lambda_max"] == 0.3


@pytest.mark.parametrize(
    "name",
    [
        "mlp~dann@0.30~s1",
        "mlp~dann@1~s1",
        "mlp~importance@0.3~s1",
        "mlp~dann@x~s1",
        "mlp~dann@nan~s1",
        "mlp~dann@0.3~sx",
    ],
)
def test_other_spellings_are_no_study_model(name):
    # one value, one spelling (repr), so that no two names train the same candidate
    assert parse(name) is None
    with pytest.raises(ValueError, match="is not a study model"):
        study_entry(name, MODELS, _study())


def test_a_name_outside_the_grid_is_refused():
    with pytest.raises(ValueError, match=r"lambda_max 0.5 is not in adaptation.lambda_grid"):
        study_entry("mlp~dann@0.5~s1", MODELS, _study())
    with pytest.raises(ValueError, match="are its candidates, e.g. mlp~dann@0.1~s1"):
        study_entry("mlp~dann~s1", MODELS, _study())


@pytest.mark.parametrize(
    ("grid", "message"),
    [
        ([0.0, 0.3], r"0.0 is out of range; every lambda_max must be in \(0, 10\]"),
        ([-1], "-1 is out of range"),
        ([0.3, 11], "11 is out of range"),
        ([float("nan")], "is not a number"),
        (["0.3"], "is not a number"),
        ([True], "is not a number"),
        ([0.3, 0.3], "appears twice"),
        (0.3, "expected a list"),
    ],
)
def test_bad_grids_name_the_key(grid, message):
    with pytest.raises(ValueError, match="config adaptation.lambda_grid: .*" + message):
        lambda_grid({"lambda_grid": grid})
    # and the config check reports it before any job runs
    errors = _check_study({"models": MODELS, "adaptation": {"lambda_grid": grid}})
    assert len(errors) == 1 and "adaptation.lambda_grid" in errors[0]


# --- the selection on observed_val ---


def _observed_val(rng, n_hadrons=4000, n_gammas=200, n_off=3):
    """Hadrons spread evenly over the ON and the n_off OFF regions, gammas in ON only."""
    region = np.r_[rng.integers(0, n_off + 1, n_hadrons), np.zeros(n_gammas, int)]
    is_gamma = np.r_[np.zeros(n_hadrons, bool), np.ones(n_gammas, bool)]
    event_id = rng.permutation(region.size).astype(np.int64) + 1000
    return event_id, region, is_gamma


def _predictions(path, event_id, region, gammaness, n_off=3, **extra):
    cols = {"event_id": event_id, "gammaness": gammaness.astype(np.float32), "region": region}
    write_events(path, {**cols, **extra}, attrs={"n_off_regions": n_off} if n_off else {})
    return path


def test_the_candidate_with_the_planted_excess_wins_and_no_truth_is_read(tmp_path, monkeypatch):
    rng = np.random.default_rng(1)
    event_id, region, is_gamma = _observed_val(rng)
    blind = rng.uniform(size=region.size)  # lambda 0.1: no separation at all
    sharp = np.where(is_gamma, rng.uniform(0.6, 1.0, region.size), rng.uniform(0, 0.8, region.size))
    # a planted truth column that says the opposite (the blind candidate "separates" it): a
    # selection that looked at it would pick the wrong candidate
    lie = {"is_gamma": blind > 0.9}
    files = [
        _predictions(tmp_path / "a.h5", event_id, region, blind, **lie),
        _predictions(tmp_path / "b.h5", event_id, region, sharp, **lie),
    ]
    read = []
    real_read = selection_module.read_columns

    def spy(path, columns=None, *args, **kwargs):
        read.append(columns)
        return real_read(path, columns, *args, **kwargs)

    monkeypatch.setattr(selection_module, "read_columns", spy)
    out = tmp_path / "sel" / "lambda.json"
    result = select_lambda(["mlp~dann@0.1~s1", "mlp~dann@1.0~s1"], files, out)
    assert result["model"] == "mlp~dann@1.0~s1" and result["lambda_max"] == 1.0
    assert result["selection"] == "mlp~dann~s1" and result["criterion"] == LAMBDA_CRITERION
    sig = {c["lambda_max"]: c["li_ma_significance"] for c in result["candidates"]}
    assert sig[1.0] > 5 and sig[1.0] > sig[0.1] + 3
    # every column asked for is an observation's own, never truth
    assert read and all(c is not None for c in read)
    assert {c for cols in read for c in cols} <= {"event_id", "gammaness", "region"}
    assert json.loads(out.read_text()) == json.loads(json.dumps(result))


def test_bootstrap_wins_say_how_firm_the_choice_is(tmp_path):
    rng = np.random.default_rng(5)
    event_id, region, is_gamma = _observed_val(rng, 3000, 150)

    def scores(width):  # gammas above the hadrons by `width`, plus independent noise
        return np.where(is_gamma, width, 0) + rng.normal(0, 1, region.size)

    clear = [_predictions(tmp_path / f"c{w}.h5", event_id, region, scores(w)) for w in (0, 3)]
    close = [_predictions(tmp_path / f"n{i}.h5", event_id, region, scores(1.0)) for i in range(2)]
    names = ["mlp~dann@0.1~s1", "mlp~dann@1.0~s1"]
    firm = select_lambda(names, clear, n_bootstrap=50, seed=1)
    assert firm["lambda_max"] == 1.0 and firm["bootstrap_wins"] == 1.0
    assert [c["bootstrap_wins"] for c in firm["candidates"]] == [0.0, 1.0]
    coin = select_lambda(names, close, n_bootstrap=100, seed=1)
    assert 0.1 < coin["bootstrap_wins"] < 0.9  # equal separators: either may win a resample
    assert sum(c["bootstrap_wins"] for c in coin["candidates"]) == pytest.approx(1.0)
    assert select_lambda(names, close, n_bootstrap=100, seed=1) == coin  # same seed, same choice
    assert np.isnan(select_lambda(names, close, n_bootstrap=0)["bootstrap_wins"])


def test_equal_significance_goes_to_the_smallest_lambda(tmp_path):
    rng = np.random.default_rng(2)
    event_id, region, is_gamma = _observed_val(rng, 1000, 60)
    g = np.where(is_gamma, 0.9, rng.uniform(0, 1, region.size))
    files = [_predictions(tmp_path / f"{i}.h5", event_id, region, g) for i in range(3)]
    names = ["deepsets~iwdann@1.0~s2", "deepsets~iwdann@0.1~s2", "deepsets~iwdann@0.3~s2"]
    result = select_lambda(names, files, n_bootstrap=20)
    assert result["lambda_max"] == 0.1 and result["bootstrap_wins"] == 1.0


@pytest.mark.parametrize("empty", ["ON", "OFF"])
def test_empty_on_or_off_is_a_clear_error(tmp_path, empty):
    rng = np.random.default_rng(3)
    region = rng.integers(1, 4, 500) if empty == "ON" else np.zeros(500, int)
    path = _predictions(tmp_path / "p.h5", np.arange(500), region, rng.uniform(size=500))
    with pytest.raises(InputError, match=rf"p.h5: no {empty} \(region .*\) events among its 500"):
        select_lambda(["mlp~dann@0.1~s1"], [path])


def test_bad_prediction_files_are_refused(tmp_path):
    rng = np.random.default_rng(4)
    event_id, region, _ = _observed_val(rng, 500, 20)
    g = rng.uniform(size=region.size)
    good = _predictions(tmp_path / "good.h5", event_id, region, g)
    no_alpha = _predictions(tmp_path / "no_alpha.h5", event_id, region, g, n_off=0)
    with pytest.raises(InputError, match="no_alpha.h5: attribute n_off_regions is None"):
        select_lambda(["mlp~dann@0.1~s1"], [no_alpha])
    other = _predictions(tmp_path / "other.h5", event_id[:-1], region[:-1], g[:-1])
    with pytest.raises(InputError, match="other.h5: not the events of .*good.h5"):
        select_lambda(["mlp~dann@0.1~s1", "mlp~dann@0.3~s1"], [good, other])
    write_events(tmp_path / "no_g.h5", {"event_id": event_id, "region": region})
    with pytest.raises(InputError, match=r"no_g.h5: column\(s\) \['gammaness'\] missing"):
        select_lambda(["mlp~dann@0.1~s1"], [tmp_path / "no_g.h5"])
    with pytest.raises(ValueError, match="belong to"):
        select_lambda(["mlp~dann@0.1~s1", "mlp~dann@0.3~s2"], [good, good])
    with pytest.raises(ValueError, match="not lambda-grid candidates"):
        select_lambda(["mlp~dann~s1"], [good])
    with pytest.raises(ValueError, match="one file per candidate"):
        select_lambda([], [])


# --- the table ---


def _metrics(tmp_path, name, auc, sim_auc=0.9):
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps({
        "test": {"roc_auc": sim_auc},
        "observed": {"roc_auc": auc, "roc_auc_unc": 0.01, "gamma_efficiency_at_cut": 0.5,
                     "onoff": {"li_ma_significance": 4.0}},
    }))  # fmt: skip
    return path


def _selection(tmp_path, selection, chosen, sigs):
    path = tmp_path / f"{selection}.json"
    net, method, seed = selection.split("~")
    cands = [
        {"model": f"{net}~{method}@{lam!r}~{seed}", "lambda_max": lam,
         "li_ma_significance": s, "cut": 0.5, "bootstrap_wins": float(lam == chosen)}
        for lam, s in sigs.items()
    ]  # fmt: skip
    path.write_text(json.dumps({
        "selection": selection, "criterion": LAMBDA_CRITERION, "lambda_max": chosen,
        "model": f"{net}~{method}@{chosen!r}~{seed}", "candidates": cands,
    }))  # fmt: skip
    return path


def test_the_table_reports_the_chosen_candidate_and_the_grid_table_every_one(tmp_path):
    aucs = {
        "mlp~source~s1": 0.70, "mlp~source~s2": 0.72, "mlp~oracle~s1": 0.80, "mlp~oracle~s2": 0.80,
        "mlp~dann@0.1~s1": 0.74, "mlp~dann@1.0~s1": 0.60,  # seed 1 chooses 0.1
        "mlp~dann@0.1~s2": 0.50, "mlp~dann@1.0~s2": 0.78,  # seed 2 chooses 1.0
    }  # fmt: skip
    names = list(aucs)
    paths = [_metrics(tmp_path, n, a) for n, a in aucs.items()]
    sels = [
        _selection(tmp_path, "mlp~dann~s1", 0.1, {0.1: 6.0, 1.0: 2.0}),
        _selection(tmp_path, "mlp~dann~s2", 1.0, {0.1: 1.0, 1.0: 7.0}),
    ]
    t = write_adaptation_table(
        names, paths, tmp_path / "t.csv", tmp_path / "t.tex", selection_paths=sels
    ).set_index("method")
    assert t.loc["dann", "n_seeds"] == 2
    assert t.loc["dann", "observed_auc"] == pytest.approx((0.74 + 0.78) / 2)
    assert t.loc["dann", "observed_auc_std"] == pytest.approx(np.std([0.74, 0.78], ddof=1))
    assert t.loc["dann", "lambda_max"] == "0.1 1" and t.loc["source", "lambda_max"] == ""
    assert t.loc["dann", "gap_closed"] == pytest.approx((0.76 - 0.71) / (0.80 - 0.71))
    assert list(pd.read_csv(tmp_path / "t.csv").columns[:4]) == [
        "net", "method", "n_seeds", "lambda_max"
    ]  # fmt: skip
    assert r"$\lambda_\mathrm{max}$" in (tmp_path / "t.tex").read_text()
    assert "0.1, 1" in (tmp_path / "t.tex").read_text()

    grid = write_lambda_grid_table(names, paths, sels, tmp_path / "grid.csv")
    assert len(grid) == 4 and grid["selected"].sum() == 2
    chosen = grid[grid["selected"]].set_index("seed")
    assert chosen.loc[1, "lambda_max"] == 0.1 and chosen.loc[2, "observed_auc"] == 0.78
    row = grid[(grid["seed"] == 2) & (grid["lambda_max"] == 0.1)].iloc[0]
    assert row["observed_val_significance"] == 1.0 and row["observed_auc"] == 0.5
    assert (grid["bootstrap_wins"] == grid["selected"]).all()
    assert pd.read_csv(tmp_path / "grid.csv").shape == grid.shape

    # candidates without their selection, or pooled unselected: refused, never averaged
    rows = study_rows(names, paths)
    with pytest.raises(InputError, match=r"of \['mlp~dann~s2'\] but no lambda selection"):
        select_candidates(rows, [json.loads(sels[0].read_text())])
    with pytest.raises(ValueError, match="a second model of the same net, method and seed"):
        adaptation_table(rows)


def test_without_a_grid_the_table_has_no_lambda_column(tmp_path):
    names = ["mlp~source~s1", "mlp~dann~s1"]
    paths = [_metrics(tmp_path, n, a) for n, a in zip(names, (0.7, 0.75), strict=True)]
    t = write_adaptation_table(names, paths, tmp_path / "t.csv", tmp_path / "t.tex")
    assert "lambda_max" not in t and "lambda" not in (tmp_path / "t.tex").read_text()
