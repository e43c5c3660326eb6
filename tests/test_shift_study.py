"""The shift study (issue 21 part 3): its names and entries, each observation's simulation
section, the table's numbers (the gap closed, the significance at the observed_val cut, per square
root of an hour), and the DAG of target shift_study on the tiny config: every observation streamed,
every trainer planned, no truth read outside the oracles and evaluation (a dry run, ~40 s)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from iactdl.adapt.shift_study import (
    SHIFT_STUDY_DEFAULTS,
    check_shift_study,
    parse_shift_study_name,
    shift_study_entry,
    shift_study_models,
    shifted_simulation,
    trainer_of,
)
from iactdl.adapt.shift_table import best_methods, shift_study_table, write_shift_study_table
from iactdl.config import _check_shift_study
from iactdl.evaluate.numbers import RunNumbers
from iactdl.io import write_events
from iactdl.simulate.settings import SHIFTS, detector_config

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "config" / "tiny.yaml"
TINY_GRID = ROOT / "tests" / "config" / "tiny_shift_study.yaml"  # every trainer of the study
FEATURES = ["size", "width"]
MODELS = {
    "hist_gbt": {"kind": "baseline", "task": "separation", "estimator": "hist_gradient_boosting",
                 "features": FEATURES},
    "hist_gbt_onoff": {"kind": "baseline", "task": "separation",
                       "estimator": "hist_gradient_boosting", "features": FEATURES,
                       "labelnoise": {}},
    "mlp": {"kind": "net", "task": "separation", "net": "mlp", "features": FEATURES},
}  # fmt: skip


def _study(**kw):
    return {**SHIFT_STUDY_DEFAULTS, "models": ["hist_gbt", "mlp"], "seeds": 2, **kw}


# --- names, entries, the observations ---


def test_names_leave_out_what_does_not_apply_and_entries_are_valid():
    names = shift_study_models(MODELS, _study())
    # source once; dann/iwdann nets only; onoff where a companion exists; joint: none here
    assert "hist_gbt~source~s1" in names and "hist_gbt~source~s2" not in names
    assert "hist_gbt~dann~s1" not in names and "mlp~iwdann~s2" in names
    assert "hist_gbt~onoff~s2" in names and "mlp~onoff~s1" not in names
    assert not [n for n in names if "~joint~" in n]
    assert len(names) == (1 + 3 * 2) + (1 + 4 * 2)
    assert trainer_of("hist_gbt~oracle~s1", MODELS) == "train_onoff_oracle"
    assert trainer_of("mlp~oracle~s1", MODELS) == "train_oracle"
    assert trainer_of("mlp~source~s1", MODELS) is None
    assert shift_study_entry("hist_gbt~importance~s1", MODELS, _study())["adapt"] == {
        "method": "importance"
    }
    assert shift_study_entry("mlp~dann~s1", MODELS, _study(lambda_max=0.5))["adapt"] == {
        "method": "dann",
        "lambda_max": 0.5,
    }
    assert shift_study_entry("hist_gbt~onoff~s1", MODELS, _study())["labelnoise"] == {}
    assert _check_shift_study({"models": MODELS, "shift_study": _study()}) == []
    with pytest.raises(ValueError, match="not a shift-study model name"):
        parse_shift_study_name("mlp~relative~s1")


def test_bad_sections_are_refused_naming_the_key():
    errors = check_shift_study(_study(shifts=["night_sky", "moon"], methods=["dann"]), MODELS)
    assert any("shift_study.shifts: unknown shift(s) ['moon']" in e for e in errors)
    assert any("shift_study.methods" in e and "lacks source or oracle" in e for e in errors)
    errors = check_shift_study(_study(models=["hist_gbt_onoff", "nope"]), MODELS)
    assert any("models[0]: 'hist_gbt_onoff' must be a plain separation entry" in e for e in errors)
    assert any("models[1]: 'nope' is not a model" in e for e in errors)


def test_each_observation_switches_on_its_shift_alone_or_all():
    sim = {
        "detector": {"nsb_pe": 0.8, "gain": 1.0},
        "observed": {"hours": 17.7, "shifts": dict.fromkeys(SHIFTS, True),
                     "detector": {"nsb_pe": 3.0, "gain": 0.82}},
    }  # fmt: skip
    one = shifted_simulation(sim, "night_sky", hours=2)
    assert one["observed"]["hours"] == 2.0 and sim["observed"]["hours"] == 17.7
    assert [s for s, on in one["observed"]["shifts"].items() if on] == ["night_sky"]
    assert all(shifted_simulation(sim, "all")["observed"]["shifts"].values())
    with pytest.raises(ValueError, match="shift 'moon'"):
        shifted_simulation(sim, "moon")
    # the detector the stream builds from it: the night sky shifted, the gain as simulated
    from iactdl.simulate.settings import check_config

    det = detector_config(check_config(one), observed=True)
    assert det["gain"] == check_config(one)["detector"]["gain"]
    assert det["nsb_pe"] == 3.0


# --- the table ---


def _files(tmp_path, shift, name, auc, sim_auc, separation, hours=4.0, constant=False):
    """A model's metrics and predictions on one observation: ``separation`` shifts the ON
    events' gammaness up (more excess above a cut), the same on observed_val and observed_test;
    ``constant``: one gammaness for every event (a model that ranks nothing)."""
    rng = np.random.default_rng(abs(hash((shift, name))) % 2**32)
    d = tmp_path / shift / name
    d.mkdir(parents=True)
    (d / "metrics.json").write_text(
        json.dumps({"observed": {"roc_auc": auc}, "test": {"roc_auc": sim_auc}})
    )
    paths = []
    for split in ("val", "test"):
        region = rng.integers(0, 4, 4000)  # 0 ON, 1..3 OFF
        g = rng.uniform(size=region.size) + separation * (region == 0) * rng.uniform(size=4000)
        g = np.full_like(g, 0.068) if constant else g
        path = d / f"{split}.h5"
        write_events(
            path,
            {"event_id": np.arange(region.size), "gammaness": g.astype(np.float32),
             "region": region},
            attrs={"n_off_regions": 3},
        )  # fmt: skip
        paths.append(path)
    ds = tmp_path / shift / "observed_test.h5"
    if not ds.exists():
        counts = {"train": {"observed": 600}, "val": {"observed": 200}, "test": {"observed": 200}}
        write_events(
            ds, {"event_id": np.arange(3)},
            attrs={"ontime_s": hours * 3600 * 5, "split_counts": json.dumps(counts)},
        )  # fmt: skip
    return d / "metrics.json", *paths, ds


def test_table_gap_closed_and_significance_per_sqrt_hour(tmp_path):
    spec = {  # (shift, model) -> AUC; hist_gbt on gain_drift: the oracle below source-only
        ("night_sky", "hist_gbt~source~s1"): 0.80,
        ("night_sky", "hist_gbt~importance~s1"): 0.82,
        ("night_sky", "hist_gbt~importance~s2"): 0.84,
        ("night_sky", "hist_gbt~oracle~s1"): 0.90,
        ("night_sky", "hist_gbt~oracle~s2"): 0.90,
        ("gain_drift", "hist_gbt~source~s1"): 0.85,
        ("gain_drift", "hist_gbt~importance~s1"): 0.86,
        ("gain_drift", "hist_gbt~oracle~s1"): 0.84,
    }
    entries, files = [], []
    for (shift, name), auc in spec.items():
        entries.append((shift, name))
        files.append(_files(tmp_path, shift, name, auc, 0.9, separation=2 * auc))
    out = tmp_path / "out"
    table = write_shift_study_table(
        entries, *zip(*files, strict=True),
        csv_path=out / "t.csv", tex_path=out / "t.tex", numbers_path=out / "n.json",
        figure_paths=[out / "h.pdf", out / "h.png"], numbers_tex_path=out / "n.tex",
        labels={"hist_gbt": "boosted trees"},
    )  # fmt: skip
    row = table.set_index(["shift", "model", "method"])
    imp = row.loc[("night_sky", "hist_gbt", "importance")]
    assert imp["n_seeds"] == 2 and imp["observed_auc"] == pytest.approx(0.83)
    assert imp["gap_closed_auc"] == pytest.approx((0.83 - 0.80) / (0.90 - 0.80))
    assert row.loc[("night_sky", "hist_gbt", "oracle"), "gap_closed_auc"] == pytest.approx(1)
    # no gap where the oracle does not beat source-only: NaN, and "no gap" in the LaTeX
    nogap = row.loc[("gain_drift", "hist_gbt", "importance")]
    assert np.isnan(nogap["gap_closed_auc"]) and nogap["oracle_gap_auc"] < 0
    assert "no gap" in (out / "t.tex").read_text()
    # sigma per sqrt(h): observed_test holds 20 % of 5 x 4 h
    assert imp["observed_test_hours"] == pytest.approx(4.0)
    assert imp["sigma_per_sqrt_hour"] == pytest.approx(imp["li_ma_significance"] / 2.0)
    assert imp["li_ma_significance"] > 3  # the planted ON excess is found at the val cut
    assert list(pd.read_csv(out / "t.csv")["shift"].unique()) == ["night_sky", "gain_drift"]
    # the caption's numbers: LaTeX text for the article's macros, plain text in the report
    numbers = json.loads((out / "n.json").read_text())
    assert "night sky: importance weighting (30 \\%)" in numbers["Best"]
    assert "night sky: importance weighting (30 %)" in RunNumbers(out / "n.json")["Best"]
    assert numbers["Models"] == "boosted trees" and numbers["Shifts"] == "night sky, gain drift"
    assert "\\newcommand{\\iactBest}{night sky: importance" in (out / "n.tex").read_text()
    assert best_methods(table) == {"night_sky": ("importance", pytest.approx(0.3))}
    assert (out / "h.png").stat().st_size > 0 and (out / "h.pdf").stat().st_size > 0


def test_table_names_models_and_methods_as_the_figures_do(tmp_path):
    spec = {("night_sky", "hist_gbt~source~s1"): 0.80, ("night_sky", "hist_gbt~iwdann~s1"): 0.85,
            ("night_sky", "hist_gbt~oracle~s1"): 0.90}  # fmt: skip
    files = [
        _files(tmp_path, sh, name, auc, 0.9, separation=1.0) for (sh, name), auc in spec.items()
    ]
    out = tmp_path / "out"
    write_shift_study_table(
        list(spec), *zip(*files, strict=True),
        csv_path=out / "t.csv", tex_path=out / "t.tex", numbers_path=out / "n.json",
        labels={"hist_gbt": "boosted trees"},
    )  # fmt: skip
    tex = (out / "t.tex").read_text()
    assert "boosted trees" in tex and "IW-DANN" in tex and "oracle (observed truth)" in tex
    assert "night sky" in tex
    assert "hist\\_gbt" not in tex and "iwdann" not in tex and "night\\_sky" not in tex
    csv = pd.read_csv(out / "t.csv")
    # the keys stay for a program, the readable names beside them for a reader
    assert csv["model"].tolist() == ["hist_gbt"] * 3
    assert csv["model_label"].tolist() == ["boosted trees"] * 3
    assert csv["method_label"].tolist() == ["source-only", "IW-DANN", "oracle (observed truth)"]


def test_a_constant_model_is_marked_not_scored(tmp_path, caplog, monkeypatch):
    """ON/OFF trees that predict one gammaness (config.yaml's 4 h `all` observation: every tree
    a single leaf) have an observed AUC of 0.5 and a Li & Ma of "every event" by construction:
    the table, its LaTeX and the heat map say "constant model" instead, the log says why, and
    the best method is chosen among the others. Found on observed_val's predictions alone."""
    import matplotlib.figure

    from iactdl.adapt.shift_table import plot_gap_heatmap

    spec = {("all", "hist_gbt~source~s1"): 0.83, ("all", "hist_gbt~importance~s1"): 0.84,
            ("all", "hist_gbt~onoff~s1"): 0.5, ("all", "hist_gbt~oracle~s1"): 0.87}  # fmt: skip
    files = [
        _files(tmp_path, sh, name, auc, 0.9, separation=1.0, constant="onoff" in name)
        for (sh, name), auc in spec.items()
    ]
    out = tmp_path / "out"
    with caplog.at_level("WARNING"):
        table = write_shift_study_table(
            list(spec), *zip(*files, strict=True),
            csv_path=out / "t.csv", tex_path=out / "t.tex", numbers_path=out / "n.json",
        )  # fmt: skip
    row = table.set_index("method")
    onoff = row.loc["onoff"]
    assert onoff["n_seeds"] == 1 and onoff["n_constant"] == 1
    for col in ("observed_auc", "simulated_auc", "li_ma_significance", "gap_closed_auc"):
        assert np.isnan(onoff[col]), col
    assert (row.drop("onoff")["n_constant"] == 0).all()
    assert np.isfinite(row.loc["importance", "li_ma_significance"])
    assert best_methods(table) == {"all": ("importance", pytest.approx(0.25))}
    assert "shift all, model hist_gbt~onoff~s1: not scored" in caplog.text
    assert "one value (0.068) for all 4000 events: a constant model" in caplog.text
    onoff_line = next(ln for ln in (out / "t.tex").read_text().splitlines() if "ON/OFF" in ln)
    assert "constant model" in onoff_line and "0.500" not in onoff_line
    assert pd.read_csv(out / "t.csv").set_index("method").loc["onoff", "n_constant"] == 1
    figures, save = [], matplotlib.figure.Figure.savefig
    monkeypatch.setattr(matplotlib.figure.Figure, "savefig",
                        lambda fig, *a, **k: figures.append(fig) or save(fig, *a, **k))  # fmt: skip
    plot_gap_heatmap(table, [out / "h.png"])
    texts = [t.get_text() for ax in figures[0].axes for t in ax.texts]
    assert "constant\nmodel" in texts and "+0.25" in texts and "nan" not in " ".join(texts)


def test_a_row_listed_twice_is_refused():
    rows = pd.DataFrame(
        [{"shift": "all", "model": "m", "method": "source", "seed": 1, "observed_auc": 0.8}] * 2
    )
    with pytest.raises(ValueError, match="listed twice"):
        shift_study_table(rows)


# --- the DAG on the tiny config ---


def _jobs(out: str) -> list[tuple[str, list[str], list[str]]]:
    """(rule, inputs, outputs) of every planned job of a dry run's output."""
    jobs = []
    for block in re.split(r"\n(?=\[[^\]]+\]\nrule )|\n(?=rule \w+:\n)", out):
        m = re.search(r"^rule (\w+):$", block, flags=re.M)
        if not m:
            continue
        field = {k: re.search(rf"^    {k}: (.*)$", block, flags=re.M) for k in ("input", "output")}
        ins, outs = ([] if f is None else f.group(1).split(", ") for f in field.values())
        jobs.append((m.group(1), ins, outs))
    return jobs


def _dry_run(tmp_path, *targets, configs=(TINY,)):
    """The planned jobs of ``targets`` on the tiny config (and overlays), in a fresh folder."""
    if shutil.which("snakemake") is None:
        pytest.skip("snakemake is not installed")
    proc = subprocess.run(
        ["snakemake", "-n", *targets, "--configfile", *map(str, configs),
         "--directory", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    return _jobs(out)


def test_tiny_dag_streams_every_observation_and_no_truth_outside_oracles(tmp_path):
    """The whole grid (every trainer, two observations): the overlay tiny_shift_study.yaml."""
    study = yaml.safe_load(TINY_GRID.read_text())["shift_study"]
    jobs = _dry_run(tmp_path, "shift_study", configs=(TINY, TINY_GRID))
    rules = [r for r, _, _ in jobs]
    streamed = sorted(o.split("/")[3] for r, _, outs in jobs if r == "shift_study_stream"
                      for o in outs if o.endswith("observed_truth.h5"))  # fmt: skip
    assert streamed == sorted(study["shifts"])
    # every trainer of the grid is planned once per observation (seeds 1)
    n = len(study["shifts"])
    for rule, count in {
        "shift_study_train_adapted_baseline": 1, "shift_study_train_adapted": 3,
        "shift_study_train_onoff": 1, "shift_study_train_onoff_net": 1,
        "shift_study_train_joint": 1, "shift_study_train_joint_net": 1,
        "shift_study_train_onoff_oracle": 1, "shift_study_train_oracle": 1,
        "shift_study_diagnostics": 1,
    }.items():  # fmt: skip
        assert rules.count(rule) == count * n, (rule, rules.count(rule))
    # source-only is the config model, never retrained: no study model folder for it
    assert not [o for _, _, outs in jobs for o in outs if "~source~" in o and "/models/" in o]
    # the one rule above all: the truth reaches only evaluation and the rules named oracle
    readers = {r for r, ins, _ in jobs if any(i.endswith("observed_truth.h5") for i in ins)}
    assert readers and all("oracle" in r or "evaluate" in r for r in readers), readers
    # ... and a study model's training reads no observation but its own
    for rule, ins, outs in jobs:
        if rule.startswith("shift_study_train"):
            shift = outs[0].split("/")[3]
            observed = [i for i in ins if "/shift_study/" in i]
            assert observed and all(f"/shift_study/{shift}/" in i for i in observed), ins


def test_paper_plans_the_shift_study_and_all_does_not(tmp_path):
    """Issue 22: `paper` builds the study of the config's section, its table (and the report's
    page of it), heat map and the numbers its captions quote, into the article; `all` (the
    default DAG, sized for its half hour) none of it. Both on the tiny config, whose section
    is one observation."""
    paper = _dry_run(tmp_path / "paper", "paper")
    outputs = {o for _, _, outs in paper for o in outs}
    study = {f"results/tiny/{f}" for f in ("paper/shift_study.csv", "paper/shift_study.tex",
             "paper/shift_study.html", "figures/shift_study.pdf", "figures/shift_study.png",
             "shift_study/numbers.json", "shift_study/numbers.tex")}  # fmt: skip
    assert study <= outputs, study - outputs
    rules = [r for r, _, _ in paper]
    assert rules.count("shift_study_stream") == 1 and "shift_study_train_onoff" in rules
    (article,) = [ins for r, ins, _ in paper if r == "article"]
    assert {"results/tiny/figures/shift_study.pdf", "results/tiny/paper/shift_study.tex",
            "results/tiny/shift_study/numbers.json",
            "results/tiny/shift_study/numbers.tex"} <= set(article)  # fmt: skip
    everything = _dry_run(tmp_path / "all", "all")
    assert "paper_numbers" in [r for r, _, _ in everything]  # the plan was read
    planned = [(r, o) for r, _, outs in everything for o in outs]
    assert not [x for x in planned if "shift_study" in x[0] or "shift_study" in x[1]]


def test_caption_line_in_figures_md_quotes_no_study_number():
    """figures.md (in `all`) lists every figure of the paper by its caption's first sentence,
    filled in from paper_numbers' numbers only: the shift study's own numbers (Shifts, Models,
    ...) must stay out of that sentence, or `all` fails at figures_index."""
    from iactdl.config import load_config
    from iactdl.evaluate.report import first_sentence, render_caption

    config = load_config(TINY)
    caption = render_caption(ROOT / "workflow" / "report" / "shift_study.rst", config)
    assert "[[Shifts]]" in caption  # the markers are rendered (the test can see them)
    assert "[[" not in first_sentence(caption), first_sentence(caption)
