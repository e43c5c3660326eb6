"""The run's numbers, for the captions and the article: every number a reader sees comes from the
results of the run that drew the figures (as showyourwork does for astronomy papers), never
typed in, so none can be stale.

Rule ``paper_numbers`` reads the paper's tables (``summary.csv``: every model on the simulated and
the observed test split; ``comparison.csv``: the three ways on observed_test, with bootstrap
uncertainties) and writes ``numbers.json`` (name -> the number as printed) and ``numbers.tex``
(one ``\\newcommand`` per number, ``\\iact<Name>``). Captions quote them as
``{{ snakemake.params.numbers["Name"] }}`` (Snakemake renders report captions as Jinja
templates; the rule's params carry a :class:`RunNumbers`, which reads ``numbers.json`` when the
caption is rendered, not when the job is planned); the article quotes the macros.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping
from pathlib import Path

from iactdl.io import atomic_paths

__all__ = [
    "MACRO_PREFIX", "macro_name", "collect_numbers", "write_numbers", "RunNumbers", "fill_markers",
    "plain_text",
]  # fmt: skip

MACRO_PREFIX = "iact"  # every number's macro: \iact<Name> (letters only: TeX macro names)
_APPROACH_NAMES = {
    "source-only": "Source",
    "domain-adapted": "Adapted",
    "ON/OFF corrected": "Onoff",
    "oracle": "Oracle",
    "joint": "Joint",  # simulated and ON/OFF labels in one model (iactdl.labelnoise.joint)
}
_GROUP_NAMES = {"boosted trees": "Trees", "feature MLP": "Mlp", "pixel net": "Pixel"}
_COMPARISON_METRICS = {  # column -> (name, digits)
    "roc_auc": ("Auc", 3),
    "li_ma_significance": ("LiMa", 1),
    "gamma_efficiency": ("GammaEff", 2),
    "brier_skill": ("Bss", 3),
    "log_loss": ("LogLoss", 3),
    "ece": ("Ece", 3),
}


def macro_name(name: str) -> str:
    """``Name`` -> ``\\iactName``; refuses a name a TeX macro cannot carry (digits, ``_``).

    Parameters
    ----------
    name : str
        The number's name, letters only.

    Returns
    -------
    str
        The macro: a backslash, :data:`MACRO_PREFIX` and ``name``.

    Raises
    ------
    ValueError
        ``name`` holds anything but ASCII letters.
    """
    if not re.fullmatch(r"[A-Za-z]+", name):
        raise ValueError(f"number name {name!r}: a TeX macro name takes letters only")
    return "\\" + MACRO_PREFIX + name


def _fmt(value, digits: int) -> str:
    value = float(value)
    if not math.isfinite(value):
        return "n/a"
    return f"{value:.{digits}f}"


def _count(value) -> str:
    return f"{int(value):d}"


def collect_numbers(summary: str | os.PathLike, comparison: str | os.PathLike | None) -> dict:
    """Name -> the number as printed, from the run's ``summary.csv`` and ``comparison.csv``.

    Parameters
    ----------
    summary : path
        The summary table (:func:`iactdl.evaluate.summary.write_summary`): one row per model,
        ``task``, ``model``, ``auc_test``, ``auc_test_unc`` and, with an observation,
        ``auc_observed``, ``auc_observed_unc``.
    comparison : path or None
        The comparison of the three ways on the observation (one row per group and approach,
        with bootstrap uncertainties ``<metric>_unc``); None or a missing file: its numbers are
        left out.

    Returns
    -------
    dict of str to str
        ``NModels``, ``NSeparationModels``, ``BestSimAuc``/``BestSimAucUnc``/``BestSimModel``
        (highest simulated test AUC), ``BestObs...`` likewise on the observation, and from the
        comparison the observation's counts and priors (in %) and ``<Group><Approach><Metric>``
        with its ``Unc`` (``TreesOnoffAuc``); values formatted (AUC 3 digits, Li & Ma 1,
        gamma efficiency 2; non-finite as "n/a"), underscores escaped for TeX.

    Raises
    ------
    ValueError
        A name a TeX macro cannot carry (see :func:`macro_name`).
    """
    import pandas as pd  # here: planning imports this module (RunNumbers), and not pandas

    out: dict[str, str] = {}
    s = pd.read_csv(summary)
    sep = s[s["task"] == "separation"].dropna(subset=["auc_test"])
    out["NModels"] = _count(len(s))
    out["NSeparationModels"] = _count(len(sep))
    if len(sep):
        best = sep.loc[sep["auc_test"].idxmax()]
        out["BestSimAuc"] = _fmt(best["auc_test"], 3)
        out["BestSimAucUnc"] = _fmt(best["auc_test_unc"], 3)
        out["BestSimModel"] = str(best["model"]).replace("_", "\\_")
    obs = sep.dropna(subset=["auc_observed"]) if "auc_observed" in sep else sep.iloc[:0]
    if len(obs):
        best = obs.loc[obs["auc_observed"].idxmax()]
        out["BestObsAuc"] = _fmt(best["auc_observed"], 3)
        out["BestObsAucUnc"] = _fmt(best["auc_observed_unc"], 3)
        out["BestObsModel"] = str(best["model"]).replace("_", "\\_")
    if comparison is not None and Path(comparison).exists():
        c = pd.read_csv(comparison)
        if len(c):
            out["ObsEvents"] = _count(c["n_events"].iloc[0])
            out["ObsGammas"] = _count(c["n_gamma"].iloc[0])
            if "n_labelled" in c:  # the events in ON or OFF, where calibration is judged
                out["ObsLabelled"] = _count(c["n_labelled"].iloc[0])
            out["ObsPriorEstimate"] = _fmt(100 * c["prior_estimate"].iloc[0], 2)
            out["ObsPriorTrue"] = _fmt(100 * c["true_gamma_fraction"].iloc[0], 2)
            out["TrainPrior"] = _fmt(100 * c["train_prior"].iloc[0], 1)
            out["NBootstrap"] = _count(c["n_bootstrap"].iloc[0])
            out["NComparisonRows"] = _count(len(c))
        for r in c.itertuples():
            key = _GROUP_NAMES[r.group] + _APPROACH_NAMES[r.approach]
            for col, (name, digits) in _COMPARISON_METRICS.items():
                out[f"{key}{name}"] = _fmt(getattr(r, col), digits)
                out[f"{key}{name}Unc"] = _fmt(getattr(r, f"{col}_unc"), digits)
            out[f"{key}Model"] = str(getattr(r, "label", r.model)).replace("_", "\\_")
    for name in out:
        macro_name(name)  # every name a macro can carry
    return out


def write_numbers(
    numbers: Mapping[str, str],
    json_path: str | os.PathLike,
    tex_path: str | os.PathLike,
    rule: str = "paper_numbers",
) -> None:
    """``numbers.json`` and ``numbers.tex`` (one ``\\newcommand`` each), both or neither.

    Parameters
    ----------
    numbers : mapping of str to str
        Name -> the number as printed, as LaTeX text (:func:`collect_numbers`).
    json_path : path
        Where the numbers are written as a JSON object, sorted by name.
    tex_path : path
        Where their macros are written, one ``\\newcommand{\\iactName}{value}`` per line.
    rule : str
        The rule that writes them, named in the macro file's first line (the paper's numbers:
        ``paper_numbers``; a study's own, such as ``shift_study_table``).

    Raises
    ------
    ValueError
        A name a TeX macro cannot carry (nothing is written).
    """
    lines = [f"% Written by rule {rule} from the run's results; do not edit."]
    lines += [f"\\newcommand{{{macro_name(k)}}}{{{v}}}" for k, v in sorted(numbers.items())]
    with atomic_paths(json_path, tex_path) as (j, t):
        j.write_text(json.dumps(dict(sorted(numbers.items())), indent=1) + "\n")
        t.write_text("\n".join(lines) + "\n")


class RunNumbers:
    """The run's numbers as a caption template quotes them: ``numbers["Name"]``.

    ``mode`` "value" reads ``numbers.json`` at the first lookup (a report caption, rendered after
    the run); "macro" gives the article's ``\\iactName{}``; "marker" gives ``[[Name]]`` (a
    caption rendered while the DAG is planned, before the numbers exist: the job that writes the
    text replaces the marker). Its repr is its path, so a job's params do not change with the
    numbers (Snakemake leaves objects it cannot represent out of its params check).

    Parameters
    ----------
    path : path, optional
        The run's ``numbers.json`` (mode "value"; read lazily, not needed by the other modes).
    mode : {"value", "macro", "marker"}
        What a lookup gives: the number as printed (underscores unescaped), its LaTeX macro, or
        a ``[[Name]]`` marker for :func:`fill_markers`.

    Raises
    ------
    ValueError
        An unknown ``mode``.
    """

    def __init__(self, path: str | os.PathLike | None = None, mode: str = "value"):
        if mode not in ("value", "macro", "marker"):
            raise ValueError(f"RunNumbers mode must be value, macro or marker, got {mode!r}")
        self.path = None if path is None else str(path)
        self.mode = mode
        self._values: dict | None = None

    def __repr__(self) -> str:
        return f"RunNumbers({self.path!r}, {self.mode!r})"

    def __getstate__(self):
        return {"path": self.path, "mode": self.mode, "_values": None}

    def __getitem__(self, name: str) -> str:
        if self.mode == "macro":
            return macro_name(name) + "{}"
        if self.mode == "marker":
            macro_name(name)
            return f"[[{name}]]"
        if self._values is None:
            if self.path is None or not Path(self.path).exists():
                raise KeyError(f"number {name!r}: {self.path} not written yet (rule paper_numbers)")
            self._values = json.loads(Path(self.path).read_text())
        if name not in self._values:
            raise KeyError(f"number {name!r} not in {self.path}: {sorted(self._values)}")
        return plain_text(self._values[name])


def plain_text(value: str) -> str:
    """A number as printed for LaTeX (``hist\\_gbt``, ``30 \\%``) as plain text for the report
    and ``figures.md`` (``hist_gbt``, ``30 %``).

    Parameters
    ----------
    value : str
        The value of ``numbers.json``.

    Returns
    -------
    str
        ``value`` with the escaped TeX specials ``\\_ \\% \\& \\#`` unescaped.
    """
    return re.sub(r"\\([_%&#])", r"\1", value)


MARKER = re.compile(r"\[\[([A-Za-z]+)\]\]")


def fill_markers(text: str, numbers: Mapping[str, str]) -> str:
    """``[[Name]]`` -> the number (a caption rendered at planning time, filled in by its job).

    Parameters
    ----------
    text : str
        The text with markers (from a :class:`RunNumbers` in mode "marker").
    numbers : mapping of str to str
        Name -> the number as printed (TeX-escaped underscores are unescaped).

    Returns
    -------
    str
        ``text`` with every marker replaced.

    Raises
    ------
    KeyError
        A marker names a number not in ``numbers``.
    """

    def sub(m):
        if m[1] not in numbers:
            raise KeyError(f"number {m[1]!r} not in the run's numbers: {sorted(numbers)}")
        return plain_text(numbers[m[1]])

    return MARKER.sub(sub, text)
