"""Joint boosted trees (simulated + ON/OFF labels in one model): candidate designs, measured.

Issue 21 part 4: the joint trees should beat their source-only and ON/OFF-only counterparts and
close half the gap to the oracle. This fits, on a finished run's datasets (no DAG), per seed:

- ``source``: the entry's simulated stage (``joint.source_params``) on simulated train;
- ``onoff``: the ON/OFF entry (``hist_gbt_onoff``) on observed_train's ON/OFF labels, corrected;
- ``joint``: :func:`iactdl.labelnoise.joint.fit_joint_baseline` as it is in this checkout (run with
  the run's config: its ``params`` and ``source_params``);
- ``domains``: the one-fit domains design (a domain column, weights :func:`domain_weights` with the
  entry's ``weight``) as ``fit_joint_baseline`` fitted it before ``menon_finetune``: its final fit
  alone (the out-of-fold fits write cv.csv and the correction, which change no ranking);
- ``stack_hgb_old``: the former stacked design (boosted trees on the features plus the simulated
  logit, fitted on the ON/OFF labels with the entry's ``params``);
- ``stack_hgb_mono``: the same with a monotone (increasing) constraint on the simulated logit;
- ``stack_lr``: a logistic regression on the ON/OFF labels over the simulated logit and the features
  (standardised), Menon-corrected: smooth, no tied blocks;
- ``recalibrate``: the same on the simulated logit alone (Platt scaling by the ON/OFF labels: a
  monotone map, the source's ranking by construction);
- ``weights_off``: one boosting fit of simulated train plus observed_train's OFF events as hadrons
  (label 0), the OFF events' total weight ``lam`` x the simulated hadrons', ``lam`` chosen by the
  Li & Ma significance on observed_val (no truth);
- ``weights_domain``: one boosting fit of simulated events (their labels) and observed ON/OFF events
  (their labels) with a domain column, predicted with the observed domain's, Menon-corrected; every
  event weight 1; ``weights_domain_w{w}``: weighted by
  :func:`~iactdl.labelnoise.joint.domain_weights`
  (``mean_sim + w mean_obs``); ``weights_domain_sel``: of those, the one with the largest Li & Ma
  significance on observed_val (no truth);
- ``weights_forward``: one boosting fit of P(ON | x): the observed ON/OFF events with their labels
  and every simulated event twice, as ON and as OFF, weighted by Menon's noise model
  (``P(ON | gamma) = 1``, ``P(ON | hadron) = rho_minus``), Menon-corrected.

- ``finetune``: Platt's map of the simulated logit to P(ON) (fitted on the ON/OFF labels), then
  :class:`NewtonBoost` on observed_train's ON/OFF labels from that start score (continuing the
  simulated model where the observed events disagree); ``finetune_k{k}`` after ``k`` trees (not
  selectable), ``finetune_sel_lima`` / ``finetune_sel_loss`` the ``k`` chosen on observed_val by
  the Li & Ma significance / the ON/OFF cross-entropy (no truth);
- ``menon_finetune``: the joint nets' loss for trees (one clean logit for both domains, no domain
  column: simulated cross-entropy + w x Menon's forward-linked ON/OFF cross-entropy with the
  excess fraction's log-odds shift, w = 1), boosted on from the simulated model's logit, ``k``
  chosen as above; ``menon_joint``: the same loss from scratch (400 trees);
- ``bound_onoff_truth``, ``bound_joint_truth``, ``bound_finetune_truth``: diagnoses, not
  candidates (they read the truth as labels): boosted trees on the ON/OFF events' true classes,
  the one-fit domain design with those classes, and ``finetune`` with them: what these ~5k events
  could give with perfect labels.

Scores (truth read only here, for the score, and by the ``bound_*`` diagnoses): ROC AUC on
observed_test (all events, bootstrap std) and the Li & Ma significance on observed_test at the
cut that maximises it on observed_val (no truth; its std a Poisson resampling of the ON and OFF
counts), plus ``top_tie``: the events that share the highest test score (a block of ties is a
straight segment of the ROC curve).

    python benchmarks/joint_trees.py --run /work/run-default [--seeds 0 1 2] [--only a,b]
        [--config config.yaml]   # the entries of this config instead of the run's
        [--cache /tmp/run.npz]   # the run's arrays, written once (the HDF5 reads are slow)
        [--n-boot 200]
        [--stages 0 10 25 50 100 200]   # the tree counts finetune / menon_finetune choose among

Prints one JSON object (per candidate: per-seed numbers and their mean) as its last line.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import iactdl  # noqa: F401  (first: it sets OMP_WAIT_POLICY before scikit-learn loads)

# isort: split
import numpy as np
import yaml

N_BOOT = 200


def _logit(p):
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-7, 1 - 1e-7)
    return np.log(p / (1 - p))


class Data:
    """The run's datasets: design matrices of the entry's features, labels, regions, truth."""

    def __init__(self, run: Path, entry: dict):
        from iactdl.evaluate.theta2 import NO_REGION
        from iactdl.io import data_attrs, read_columns, read_observed_truth
        from iactdl.labelnoise.correction import alpha_from_attrs, onoff_labels
        from iactdl.labelnoise.joint import source_entry
        from iactdl.models.baselines import build_baseline, training_data

        d = run / "results" / "datasets"
        self.paths = {s: d / f"{s}.h5" for s in ("train", "observed_train", "observed_val",
                                                  "observed_test")}  # fmt: skip
        self.model = build_baseline("probe", source_entry(entry))
        self.x_sim, self.y_sim, _ = training_data(self.model, self.paths["train"])
        self.alpha = alpha_from_attrs(data_attrs(self.paths["observed_train"]))
        self.n_off = int(round(1 / self.alpha))
        self.cols, self.x, self.region = {}, {}, {}
        for s in ("observed_train", "observed_val", "observed_test"):
            cols = read_columns(self.paths[s], [*self.model.required_columns, "region", "event_id"])
            self.cols[s] = cols
            self.x[s] = self.model.design_matrix(cols, str(self.paths[s]))
            self.region[s] = np.asarray(cols["region"])
        lab = self.region["observed_train"] != NO_REGION
        self.x_lab = self.x["observed_train"][lab]
        self.s = onoff_labels(self.region["observed_train"][lab], self.alpha)
        truth = run / "results" / "simulated" / "observed_truth.h5"
        hidden = read_observed_truth(
            truth, np.asarray(self.cols["observed_test"]["event_id"]), (),
            events_path=self.paths["observed_test"],
        )  # fmt: skip
        self.y_test = hidden["is_gamma"].astype(bool)  # the score's only use of the truth
        # the ON/OFF training events' truth: only the bound_* diagnoses read it (an oracle's
        # labels on the events the ON/OFF candidates see), no candidate does
        lab_truth = read_observed_truth(
            truth, np.asarray(self.cols["observed_train"]["event_id"])[lab], (),
            events_path=self.paths["observed_train"],
        )  # fmt: skip
        self.y_lab_truth = lab_truth["is_gamma"].astype(np.int64)
        leak = run / "results" / "labelnoise" / "signal_leak.json"
        self.rho_plus = json.loads(leak.read_text())["rho_plus"] if leak.exists() else 0.0

    ARRAYS = ("x_sim", "y_sim", "x_lab", "s", "y_test", "y_lab_truth")

    def save(self, path: Path) -> None:
        """Everything the candidates read, in one ``.npz`` (a rerun skips the HDF5 reads)."""
        arrays = {k: getattr(self, k) for k in self.ARRAYS}
        for s in self.x:
            arrays[f"x/{s}"], arrays[f"region/{s}"] = self.x[s], self.region[s]
            arrays |= {f"cols/{s}/{c}": np.asarray(v) for c, v in self.cols[s].items()}
        meta = {"alpha": self.alpha, "n_off": self.n_off, "rho_plus": self.rho_plus,
                "paths": {k: str(v) for k, v in self.paths.items()}}  # fmt: skip
        np.savez(path, meta=json.dumps(meta), **arrays)

    @classmethod
    def cached(cls, run: Path, entry: dict, path: Path | None) -> Data:
        """The run's data from ``path`` when it exists, else read (and saved there if given)."""
        if path is None or not path.exists():
            data = cls(run, entry)
            if path is not None:
                data.save(path)
            return data
        from iactdl.labelnoise.joint import source_entry
        from iactdl.models.baselines import build_baseline

        data = cls.__new__(cls)
        z = np.load(path)
        meta = json.loads(str(z["meta"]))
        data.alpha, data.n_off, data.rho_plus = meta["alpha"], meta["n_off"], meta["rho_plus"]
        data.paths = {k: Path(v) for k, v in meta["paths"].items()}
        data.model = build_baseline("probe", source_entry(entry))
        for k in cls.ARRAYS:
            setattr(data, k, z[k])
        data.x, data.region, data.cols = {}, {}, {}
        for key in z.files:
            kind, _, rest = key.partition("/")
            if kind in ("x", "region"):
                getattr(data, kind)[rest] = z[key]
            elif kind == "cols":
                s, _, c = rest.partition("/")
                data.cols.setdefault(s, {})[c] = z[key]
        return data


def score(data: Data, test, val, seed: int = 0) -> dict:
    """AUC (+- bootstrap std) on observed_test, Li & Ma at observed_val's best cut, top ties."""
    from iactdl.evaluate.significance import li_ma_significance
    from iactdl.evaluate.thresholds import li_ma_threshold
    from iactdl.labelnoise.measurement import at_threshold
    from iactdl.metrics.separation import roc_auc_bootstrap

    test, val = np.asarray(test, np.float64), np.asarray(val, np.float64)
    auc, auc_std = roc_auc_bootstrap(data.y_test.astype(int), test, N_BOOT, seed)
    min_on = int(max(1, min(10, np.count_nonzero(data.region["observed_val"] == 0))))
    cut = li_ma_threshold(val, data.region["observed_val"], data.n_off, min_on)["cut"]
    at = at_threshold(test, data.region["observed_test"], data.n_off, cut, data.y_test)
    rng = np.random.default_rng(seed)
    sig = li_ma_significance(rng.poisson(at["n_on"], N_BOOT), rng.poisson(at["n_off"], N_BOOT),
                             data.alpha)  # fmt: skip
    return {
        "roc_auc": auc,
        "roc_auc_std": auc_std,
        "li_ma": at["li_ma_significance"],
        "li_ma_std": float(np.std(sig, ddof=1)),
        "gamma_efficiency": at["gamma_efficiency"],
        "hadron_efficiency": at["hadron_efficiency"],
        "top_tie": int(np.count_nonzero(test == test.max())),
        "max_tie_top10": _max_tie(test, 0.1),
    }


def _max_tie(score, fraction: float) -> int:
    """The largest group of events with one score among the ``fraction`` highest-scored."""
    top = np.sort(score)[::-1][: max(1, int(fraction * score.size))]
    return int(np.unique(top, return_counts=True)[1].max())


def _hgb(params: dict, seed: int, **extra):
    from iactdl.models.estimators import make_estimator

    return make_estimator("hist_gradient_boosting", "separation", {**params, **extra}, seed=seed)


def _lr(params: dict, seed: int):
    from iactdl.models.estimators import make_estimator

    return make_estimator("logistic_regression", "separation", params, seed=seed)


def _p1(est, x):
    return est.predict_proba(x)[:, 1]


class NewtonBoost:
    """Second-order gradient boosting of regression trees on any per-event loss, from a start score.

    HistGradientBoosting takes neither a custom loss nor a start score, and its ``warm_start`` on
    new rows bins them anew while the old trees keep their old bin thresholds (sklearn 1.9:
    ``_raw_predict`` on the binned rows), so continuing the simulated model's boosting on the
    ON/OFF events cannot go through it. Here each round fits a tree to ``-g / h`` with weights
    ``h`` (a Newton step), sets its leaves to ``-sum g / (sum h + l2)`` and adds them shrunk by
    ``learning_rate``; ``grad_hess(f)`` returns the weighted per-event ``g`` and ``h``.
    """

    def __init__(self, n_iter, learning_rate=0.05, max_depth=3, min_samples_leaf=100, l2=1.0,
                 max_features=None, seed=0):  # fmt: skip
        self.n_iter, self.learning_rate, self.l2 = n_iter, learning_rate, l2
        self.tree_args = {"max_depth": max_depth, "min_samples_leaf": min_samples_leaf,
                          "max_features": max_features, "random_state": seed}  # fmt: skip
        self.trees = []

    def fit(self, x, start, grad_hess):
        from sklearn.tree import DecisionTreeRegressor

        f = np.array(start, dtype=np.float64)
        for _ in range(self.n_iter):
            g, h = grad_hess(f)
            tree = DecisionTreeRegressor(**self.tree_args).fit(x, -g / h, sample_weight=h)
            leaf = tree.apply(x)
            n = tree.tree_.node_count
            value = -np.bincount(leaf, g, n) / (np.bincount(leaf, h, n) + self.l2)
            f += self.learning_rate * value[leaf]
            self.trees.append((tree, self.learning_rate * value))
        return self

    def staged(self, x, start, stages):
        """``{k: start + the first k trees}`` for each ``k`` in ``stages``."""
        f = np.array(start, dtype=np.float64)
        out = {0: f.copy()} if 0 in stages else {}
        for k, (tree, value) in enumerate(self.trees, 1):
            f += value[tree.apply(x)]
            if k in stages:
                out[k] = f.copy()
        return out


def _expit(f):
    return 0.5 * (1 + np.tanh(0.5 * f))  # overflow-free sigmoid


def bce_grad_hess(y, w):
    """Cross-entropy of labels ``y`` on the logit ``f``, weights ``w``."""

    def gh(f):
        p = _expit(f)
        return w * (p - y), np.maximum(w * p * (1 - p), 1e-12)

    return gh


def forward_grad_hess(s, w, rho_minus, rho_plus, delta):
    """Menon's forward-linked ON/OFF cross-entropy (the joint nets' ON/OFF term, module doc of
    :mod:`iactdl.labelnoise.joint`) on the clean logit ``f``: P(ON | x) = rho_minus + (1 - rho_minus
    - rho_plus) sigmoid(f + delta); the hessian is the Fisher information (always > 0)."""
    b = 1 - rho_minus - rho_plus

    def gh(f):
        u = _expit(f + delta)
        du = b * u * (1 - u)
        eta = np.clip(rho_minus + b * u, 1e-9, 1 - 1e-9)
        var = eta * (1 - eta)
        return w * du * (eta - s) / var, np.maximum(w * du * du / var, 1e-12)

    return gh


def forward_loss(f, s, rho_minus, rho_plus, delta):
    """Mean of the forward-linked ON/OFF cross-entropy (the truth-free selection criterion)."""
    eta = np.clip(rho_minus + (1 - rho_minus - rho_plus) * _expit(f + delta), 1e-9, 1 - 1e-9)
    return float(-np.mean(s * np.log(eta) + (1 - s) * np.log(1 - eta)))


def fit_candidates(
    data: Data,
    entries: dict,
    seed: int,
    only: set | None,
    lams,
    domain_ws=(1.0, 3.0),
    stages=(0, 10, 25, 50, 100, 200),
) -> dict:
    """Every candidate's (observed_test, observed_val) scores for one seed (rankings: p_on or
    gammaness; Menon's correction is increasing, it changes neither)."""
    from iactdl.labelnoise.baselines import fit_onoff_baseline
    from iactdl.labelnoise.correction import MenonCorrection
    from iactdl.labelnoise.joint import fit_joint_baseline

    joint_entry, onoff_entry = entries["joint"], entries["onoff"]
    src_params = joint_entry["joint"].get("source_params") or joint_entry["params"]
    stage_params = joint_entry["params"]
    rho_minus = MenonCorrection.from_alpha(data.alpha).rho_minus
    want = lambda k: only is None or k in only  # noqa: E731
    out, timing = {}, {}
    splits = ("observed_test", "observed_val")

    t = time.perf_counter()
    source = _hgb(src_params, seed).fit(data.x_sim, data.y_sim)
    sim_logit = {s: _logit(_p1(source, data.x[s])) for s in splits}
    lab_logit = _logit(_p1(source, data.x_lab))
    out["source"] = tuple(sim_logit[s] for s in splits)
    timing["source"] = time.perf_counter() - t

    def run(name, fn):
        if want(name):
            t0 = time.perf_counter()
            result = fn()
            if result is not None:  # staged candidates store their entries themselves
                out[name] = result
            timing[name] = time.perf_counter() - t0

    with tempfile.TemporaryDirectory() as tmp:

        def onoff():
            m = fit_onoff_baseline(data.paths["observed_train"], Path(tmp) / "onoff",
                                   "hist_gbt_onoff", onoff_entry, seed=seed)  # fmt: skip
            return tuple(m.predict(data.cols[s])["p_on"] for s in splits)

        def joint():
            m = fit_joint_baseline(data.paths["train"], data.paths["observed_train"],
                                   Path(tmp) / "joint", "hist_gbt_joint", joint_entry,
                                   seed=seed)  # fmt: skip
            return tuple(m.predict(data.cols[s])["p_on"]
                         for s in splits)  # fmt: skip

        run("onoff", onoff)
        run("joint", joint)

    def domains():
        """The one-fit domains design as :func:`fit_joint_baseline` fitted it before
        ``menon_finetune`` (its final fit: the same estimator, rows and weights, without the
        out-of-fold fits that write cv.csv and the correction, which change no ranking)."""
        from iactdl.labelnoise.joint import domain_weights, source_entry, with_domain
        from iactdl.models.baselines import build_baseline, fit_estimator

        base = build_baseline("hist_gbt_joint", source_entry(joint_entry), seed=seed)
        w_sim, w_obs = domain_weights(
            len(data.y_sim), len(data.s), joint_entry["joint"].get("weight", 1.0)
        )
        x_all = np.vstack([with_domain(data.x_sim, 0), with_domain(data.x_lab, 1)])
        fit_estimator(base.estimator, x_all, np.r_[data.y_sim, data.s], np.r_[w_sim, w_obs])
        return tuple(_p1(base.estimator, with_domain(data.x[s], 1)) for s in splits)

    run("domains", domains)

    def stacked(est):
        est.fit(np.column_stack([data.x_lab, lab_logit]), data.s)
        return tuple(_p1(est, np.column_stack([data.x[s], sim_logit[s]])) for s in splits)

    n_feat = data.x_lab.shape[1]
    run("stack_hgb_old", lambda: stacked(_hgb(stage_params, seed)))
    mono = [0] * n_feat + [1]
    run("stack_hgb_mono", lambda: stacked(_hgb(stage_params, seed, monotonic_cst=mono)))
    run("stack_lr", lambda: stacked(_lr({"C": 1.0, "max_iter": 2000}, seed)))

    def recalibrate():
        est = _lr({"C": 1.0, "max_iter": 2000}, seed).fit(lab_logit[:, None], data.s)
        return tuple(_p1(est, sim_logit[s][:, None]) for s in splits)

    run("recalibrate", recalibrate)

    off = data.s == 0
    n_sim_h = int((data.y_sim == 0).sum())

    def weights_off():
        """lam chosen on observed_val's Li & Ma (no truth): the per-lam fits are all made."""
        from iactdl.evaluate.thresholds import li_ma_threshold

        x = np.vstack([data.x_sim, data.x_lab[off]])
        y = np.r_[data.y_sim, np.zeros(int(off.sum()), np.int64)]
        best = None
        for lam in lams:
            w = np.r_[np.ones(len(data.y_sim)), np.full(int(off.sum()), lam * n_sim_h / off.sum())]
            est = _hgb(src_params, seed).fit(x, y, sample_weight=w)
            val = _p1(est, data.x["observed_val"])
            region = data.region["observed_val"]
            sig = li_ma_threshold(val, region, data.n_off)["li_ma_significance"]
            if best is None or sig > best[0]:
                best = (sig, lam, _p1(est, data.x["observed_test"]), val)
        out["weights_off_lam"] = best[1]
        return best[2], best[3]

    run("weights_off", weights_off)

    def weights_domain(w=None):
        """``w`` None: every event weight 1; else :func:`domain_weights` (mean_sim + w mean_obs)."""
        from iactdl.labelnoise.joint import domain_weights

        x = np.column_stack([np.vstack([data.x_sim, data.x_lab]),
                             np.r_[np.zeros(len(data.y_sim)), np.ones(len(data.s))]])  # fmt: skip
        y = np.r_[data.y_sim, data.s]
        weight = (
            None if w is None else np.concatenate(domain_weights(len(data.y_sim), len(data.s), w))
        )
        cat = [False] * n_feat + [True]
        est = _hgb(src_params, seed, categorical_features=cat).fit(x, y, sample_weight=weight)
        return tuple(_p1(est, np.column_stack([data.x[s], np.ones(len(data.x[s]))]))
                     for s in splits)  # fmt: skip

    run("weights_domain", weights_domain)
    for w in domain_ws:
        run(f"weights_domain_w{w:g}", lambda w=w: weights_domain(w))
    if want("weights_domain_sel"):
        from iactdl.evaluate.thresholds import li_ma_threshold

        grid = {"unit": out.get("weights_domain")} | {
            f"{w:g}": out.get(f"weights_domain_w{w:g}") for w in domain_ws
        }
        region = data.region["observed_val"]
        sig = {k: li_ma_threshold(v[1], region, data.n_off)["li_ma_significance"]
               for k, v in grid.items() if v is not None}  # fmt: skip
        best = max(sig, key=sig.get)
        out["weights_domain_sel"], out["weights_domain_sel_lam"] = grid[best], best

    def weights_forward():
        n = len(data.y_sim)
        g = data.y_sim == 1
        x = np.vstack([data.x_sim, data.x_sim, data.x_lab])
        y = np.r_[np.ones(n, np.int64), np.zeros(n, np.int64), data.s]
        w_on = np.where(g, 1.0, rho_minus)
        w = np.r_[w_on, 1.0 - w_on, np.full(len(data.s), n / len(data.s))]
        est = _hgb(src_params, seed).fit(x, y, sample_weight=w)
        return tuple(_p1(est, data.x[s]) for s in splits)

    run("weights_forward", weights_forward)

    # ---- continue the simulated model on the observed ON/OFF events (NewtonBoost) ----
    region_val = data.region["observed_val"]
    val_lab = (region_val >= 0) & (region_val <= data.n_off)
    s_val = (region_val[val_lab] == 0).astype(np.float64)
    n_on, n_off = int(data.s.sum()), int((data.s == 0).sum())
    q = (n_on - data.alpha * n_off) / (n_on + n_off)  # the ON/OFF events' excess fraction
    delta = float(_logit(q) - _logit(data.y_sim.mean()))  # observed vs simulated log-odds
    rho_plus = data.rho_plus

    def selected(name, staged, link):
        """Every stage's scores (``{name}_k{k}``: for the table, not selectable) and the stage
        chosen without truth on observed_val: the largest Li & Ma (``_sel_lima``) or the lowest
        ON/OFF cross-entropy through ``link`` (``_sel_loss``; ``(rho_minus, rho_plus, delta)``)."""
        lima, loss = {}, {}
        for k, (test, val) in staged.items():
            out[f"{name}_k{k}"] = (test, val)
            lima[k] = li_ma_threshold(val, region_val, data.n_off)["li_ma_significance"]
            loss[k] = forward_loss(val[val_lab], s_val, *link)
        for how, k in (("lima", max(lima, key=lima.get)), ("loss", min(loss, key=loss.get))):
            out[f"{name}_sel_{how}"], out[f"{name}_sel_{how}_lam"] = staged[k], k
        out[f"_selection_{name}"] = {"val_li_ma": lima, "val_onoff_loss": loss}

    from iactdl.evaluate.thresholds import li_ma_threshold

    stages = tuple(sorted(set(stages) | {0}))
    platt = _lr({"C": 1e6, "max_iter": 2000}, seed).fit(lab_logit[:, None], data.s)
    start = {s: platt.decision_function(sim_logit[s][:, None]) for s in splits}

    def finetune(labels, name):
        """Platt's map of the simulated logit to P(ON), then boosting on the ON/OFF labels from
        there: trees that move the simulated ranking where the observed ON/OFF events disagree."""
        booster = NewtonBoost(max(stages), 0.05, 3, 100, 1.0, None, seed)
        gh = bce_grad_hess(labels, np.ones(len(labels)))
        booster.fit(data.x_lab, platt.decision_function(lab_logit[:, None]), gh)
        test = booster.staged(data.x["observed_test"], start["observed_test"], stages)
        val = booster.staged(data.x["observed_val"], start["observed_val"], stages)
        selected(name, {k: (test[k], val[k]) for k in stages}, (0.0, 0.0, 0.0))

    run("finetune", lambda: finetune(data.s.astype(np.float64), "finetune"))

    def menon_finetune(w, name, start_sim=True):
        """The joint nets' loss for trees: one clean logit f on both domains (no domain column),
        simulated cross-entropy + w x the forward-linked ON/OFF one (delta: the excess fraction's
        log-odds shift), boosted from the simulated model's logit (or from 0: ``start_sim``
        False, the joint fit from scratch)."""
        from iactdl.labelnoise.joint import domain_weights

        w_s, w_o = domain_weights(len(data.y_sim), len(data.s), w)
        sim_start = _logit(_p1(source, data.x_sim)) if start_sim else np.zeros(len(data.y_sim))
        obs_start = lab_logit if start_sim else np.zeros(len(data.s))
        gh_s = bce_grad_hess(data.y_sim, w_s.astype(np.float64))
        gh_o = forward_grad_hess(data.s, w_o.astype(np.float64), rho_minus, rho_plus, delta)
        n_s = len(data.y_sim)

        def gh(f):
            (g1, h1), (g2, h2) = gh_s(f[:n_s]), gh_o(f[n_s:])
            return np.r_[g1, g2], np.r_[h1, h2]

        n_iter = max(stages) if start_sim else 400
        booster = NewtonBoost(n_iter, 0.05 if start_sim else 0.1, 3 if start_sim else 4,
                              100 if start_sim else 20, 1.0, None, seed)  # fmt: skip
        booster.fit(np.vstack([data.x_sim, data.x_lab]), np.r_[sim_start, obs_start], gh)
        st = stages if start_sim else (50, 100, 200, 300, 400)
        f0 = {s: sim_logit[s] if start_sim else np.zeros(len(data.x[s])) for s in splits}
        test = booster.staged(data.x["observed_test"], f0["observed_test"], st)
        val = booster.staged(data.x["observed_val"], f0["observed_val"], st)
        selected(name, {k: (test[k], val[k]) for k in st}, (rho_minus, rho_plus, delta))

    run("menon_finetune", lambda: menon_finetune(1.0, "menon_finetune"))
    run("menon_joint", lambda: menon_finetune(1.0, "menon_joint", start_sim=False))

    # ---- bounds (diagnosis, truth as labels: not candidates, never selectable) ----
    y_true_lab = data.y_lab_truth.astype(np.float64)
    run("bound_onoff_truth", lambda: tuple(
        _p1(_hgb(src_params, seed).fit(data.x_lab, data.y_lab_truth), data.x[s]) for s in splits
    ))  # fmt: skip

    def bound_joint_truth():
        """The one-fit design (domain column, every event weighted alike) with the ON/OFF events'
        true classes instead of their regions: what the joint trees reach with perfect labels."""
        x = np.column_stack([np.vstack([data.x_sim, data.x_lab]),
                             np.r_[np.zeros(len(data.y_sim)), np.ones(len(data.s))]])  # fmt: skip
        cat = [False] * n_feat + [True]
        est = _hgb(src_params, seed, categorical_features=cat)
        est.fit(x, np.r_[data.y_sim, data.y_lab_truth])
        return tuple(_p1(est, np.column_stack([data.x[s], np.ones(len(data.x[s]))]))
                     for s in splits)  # fmt: skip

    run("bound_joint_truth", bound_joint_truth)
    run("bound_finetune_truth", lambda: finetune(y_true_lab, "bound_finetune_truth"))
    out["_seconds"] = timing
    return out


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--run", type=Path, default=Path("."), help="a finished run's folder")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--only", default=None, help="comma-separated candidates (source always)")
    p.add_argument("--lams", type=float, nargs="+", default=[0.25, 0.5, 1.0, 2.0])
    p.add_argument("--domain-weights", type=float, nargs="+", default=[1.0, 3.0])
    p.add_argument(
        "--stages",
        type=int,
        nargs="+",
        default=[0, 10, 25, 50, 100, 200],
        help="finetune / menon_finetune: the tree counts observed_val chooses among",
    )
    p.add_argument("--config", type=Path, default=None, help="entries (default: run's)")
    p.add_argument("--joint-model", default="hist_gbt_joint")
    p.add_argument("--onoff-model", default="hist_gbt_onoff")
    p.add_argument(
        "--cache",
        type=Path,
        default=None,
        help="an .npz of the run's arrays: read if it exists, else written",
    )
    p.add_argument("--n-boot", type=int, default=N_BOOT, help="bootstrap resamplings per score")
    args = p.parse_args(argv)
    globals()["N_BOOT"] = args.n_boot
    cfg = yaml.safe_load((args.config or args.run / "config.yaml").read_text())["models"]
    entries = {"joint": cfg[args.joint_model], "onoff": cfg[args.onoff_model]}
    data = Data.cached(args.run, entries["joint"], args.cache)
    only = set(args.only.split(",")) if args.only else None
    per_seed, selection = {}, {}
    for seed in args.seeds:
        fits = fit_candidates(
            data, entries, seed, only, args.lams, args.domain_weights, args.stages
        )
        for name in fits:
            if name.startswith("_selection_"):
                selection.setdefault(name.removeprefix("_selection_"), {})[seed] = fits[name]
                print(name, seed, json.dumps(fits[name]), file=sys.stderr, flush=True)
        for name, val in fits.items():
            if name.startswith("_") or name.endswith("_lam"):
                continue
            rec = score(data, *val)
            rec["seconds"] = round(fits["_seconds"].get(name, float("nan")), 2)
            if f"{name}_lam" in fits:
                rec["lam"] = fits[f"{name}_lam"]
            per_seed.setdefault(name, []).append(rec)
            print(name, seed, json.dumps(rec), file=sys.stderr, flush=True)
    table = {}
    for name, recs in per_seed.items():
        mean = {k: float(np.mean([r[k] for r in recs])) for k in recs[0] if k != "lam"}
        mean["roc_auc_seed_std"] = float(np.std([r["roc_auc"] for r in recs], ddof=1)) if len(
            recs) > 1 else float("nan")  # fmt: skip
        table[name] = {"mean": mean, "seeds": recs}
    out = {
        "run": str(args.run),
        "seeds": args.seeds,
        "n_test": int(len(data.y_test)),
        "n_test_gamma": int(data.y_test.sum()),
        "n_onoff_train": int(len(data.s)),
        "candidates": table,
        "selection": selection,  # per staged candidate and seed: observed_val's criteria per k
    }
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
