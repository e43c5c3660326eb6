"""Plausibility of the simulator against FACT's own simulations (issue 3).

The cleaned Hillas features of simulated gammas and protons are compared with the real FACT-Tools
DL2 files ``gamma.hdf5`` and ``proton.hdf5`` (``../shared/fact-data``), after the same
preselection as those files (at least 10 shower pixels): medians within a factor 2, a default
random forest neither trivial nor hopeless (ROC AUC 0.80-0.92; 0.84 on the real files), and the
observed detector's shift visible to a domain classifier (observed hadrons vs simulated protons).

``python tests/test_plausibility.py`` prints the full table (medians, 10% and 90% quantiles).
"""

from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "fact-data"
COMPARED = ["width", "length", "size", "num_islands", "concentration_cog", "leakage1"]
# source-independent DL2 image features in both our feature files and FACT's
RF_FEATURES = [
    "size", "width", "length", "skewness_long", "kurtosis_long", "concentration_cog",
    "concentration_core", "concentration_one_pixel", "leakage1", "leakage2", "num_islands",
    "num_pixel_in_shower", "photoncharge_shower_mean", "photoncharge_shower_max", "timespread",
]  # fmt: skip
N = {"gamma": 4000, "proton": 6000}
OBSERVED_HOURS = 0.1  # ~6000 triggered events (~16.5 Hz with the default shifts)


def simulated_features(sample: str, n: int | None, seed: int) -> dict[str, np.ndarray]:
    """Features of ``n`` simulated events, preselected like FACT's DL2 (>= 10 shower pixels)."""
    from iactdl.features import image_features
    from iactdl.simulate import simulate_chunks

    parts = []
    cfg = {"chunk_size": 2000, "observed": {"hours": OBSERVED_HOURS}}
    for chunk in simulate_chunks(sample, n, cfg, seed):
        cols, _, _ = image_features(chunk["image"], chunk["peak_time"])
        cols.update({k: v for k, v in chunk.items() if v.ndim == 1})
        parts.append(cols)
    out = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    keep = out["clean_ok"] & (out["num_pixel_in_shower"] >= 10)
    return {k: v[keep] for k, v in out.items()}


def real_features(sample: str) -> dict[str, np.ndarray]:
    import h5py

    pytest.importorskip("hdf5plugin")
    with h5py.File(DATA / f"{sample}.hdf5") as f:
        return {c: f["events"][c][:] for c in set(COMPARED + RF_FEATURES)}


def rf_auc(a: dict, b: dict, features=RF_FEATURES, seed: int = 0) -> float:
    """Mean 5-fold ROC AUC of a default random forest telling ``a`` (1) from ``b`` (0)."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    x = np.nan_to_num(np.vstack([np.column_stack([d[c] for c in features]) for d in (a, b)]))
    y = np.r_[np.ones(len(a["size"])), np.zeros(len(b["size"]))]
    cv = StratifiedKFold(5, shuffle=True, random_state=seed)
    rf = RandomForestClassifier(random_state=seed, n_jobs=2)
    return float(cross_val_score(rf, x, y, cv=cv, scoring="roc_auc").mean())


def load_features() -> dict[str, dict[str, np.ndarray]]:
    if not (DATA / "gamma.hdf5").exists():
        pytest.skip(f"real FACT files not found in {DATA} (see ../shared/fact-data/README.md)")
    pytest.importorskip("iactdl.features", reason="the feature stage (iactdl.features) is needed")
    return {
        "sim_gamma": simulated_features("gamma", N["gamma"], 101),
        "sim_proton": simulated_features("proton", N["proton"], 102),
        "observed": simulated_features("observed", None, 103),
        "real_gamma": real_features("gamma"),
        "real_proton": real_features("proton"),
    }


@pytest.fixture(scope="module")
def features():
    return load_features()


@pytest.mark.parametrize("particle", ["gamma", "proton"])
@pytest.mark.parametrize("column", ["width", "length", "size"])
def test_medians_within_factor_two_of_fact(features, particle, column):
    sim = np.median(features[f"sim_{particle}"][column])
    real = np.median(features[f"real_{particle}"][column])
    assert 0.5 < sim / real < 2.0, f"{particle} {column}: simulated {sim:.3g}, FACT {real:.3g}"


def test_gammas_more_compact_than_protons_as_in_fact(features):
    for column, sign in [("width", -1), ("length", -1), ("concentration_cog", +1)]:
        med = {k: np.median(v[column]) for k, v in features.items()}
        sim = med["sim_gamma"] - med["sim_proton"]
        real = med["real_gamma"] - med["real_proton"]
        assert np.sign(sim) == np.sign(real) == sign, column
    for sample in ("sim", "real"):  # protons have more islands and leak out of the camera more
        g, p = features[f"{sample}_gamma"], features[f"{sample}_proton"]
        assert np.mean(p["num_islands"] > 1) > 2 * np.mean(g["num_islands"] > 1), sample
        assert np.mean(p["leakage1"] > 0) > 2 * np.mean(g["leakage1"] > 0), sample


def test_separation_neither_trivial_nor_hopeless(features):
    auc = rf_auc(features["sim_gamma"], features["sim_proton"])
    assert 0.80 <= auc <= 0.92, f"random forest AUC on simulated gammas vs protons: {auc:.3f}"


def test_observed_detector_shift_is_visible(features):
    obs = features["observed"]
    # the observation's hadrons (simulator truth: this tests the simulator, no pipeline rule)
    hadrons = {k: v[obs["particle_id"] != 1] for k, v in obs.items()}
    auc = rf_auc(hadrons, features["sim_proton"])
    assert auc > 0.55, f"domain classifier AUC (observed hadrons vs simulated protons): {auc:.3f}"


def plausibility_table(features) -> str:
    """Markdown table: median [10%, 90%] of each compared feature, simulated vs FACT."""
    lines = [
        "| feature | sim gamma | FACT gamma | sim proton | FACT proton |",
        "|---|---|---|---|---|",
    ]
    for c in COMPARED:
        cells = []
        for key in ("sim_gamma", "real_gamma", "sim_proton", "real_proton"):
            lo, med, hi = np.percentile(features[key][c], [10, 50, 90])
            cells.append(f"{med:.3g} [{lo:.3g}, {hi:.3g}]")
        lines.append(f"| {c} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    f = load_features()
    print(plausibility_table(f))
    print("islands > 1:", {k: round(float(np.mean(v["num_islands"] > 1)), 3) for k, v in f.items()})
    print("leakage1 > 0:", {k: round(float(np.mean(v["leakage1"] > 0)), 3) for k, v in f.items()})
    print(f"RF AUC simulated: {rf_auc(f['sim_gamma'], f['sim_proton']):.3f}")
    print(f"RF AUC FACT:      {rf_auc(f['real_gamma'], f['real_proton']):.3f}")
    obs = f["observed"]
    hadrons = {k: v[obs["particle_id"] != 1] for k, v in obs.items()}
    auc = rf_auc(hadrons, f["sim_proton"])
    print(f"domain AUC (observed hadrons vs simulated protons): {auc:.3f}")
