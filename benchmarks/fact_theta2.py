"""The theta^2 plot and Li & Ma of FACT's real DL3, through our theta^2 rule, beside references.

Data: ``shared/fact-data/crab_dl3_small.hdf5`` (10,000 observed Crab events of Nov 2013 in
aict-tools' DL3 layout, and the runs table of all 218 runs, 17.7 h), read with
``iactdl.io.dl3.read_dl3``; never copied into the project.

Cuts: FACT's open analysis (fact-project/open_crab_sample_analysis, ``Makefile``): gammaness >
0.85, theta^2 < 0.025 deg^2, 5 OFF positions (alpha = 0.2); ``--gammaness-cut`` and
``--theta2-cut`` change them.

Side by side in one run: ours (``iactdl.evaluate.theta2.dl3_theta2``), a plain numpy count on the
raw h5py columns, gammapy's ``WStatCountsStatistic(n_on, n_off, alpha).sqrt_ts`` for the
significance, and pyfact's own rule (``read_h5py``, ``split_on_off_source_independent``,
``li_ma_significance``; its ``>=``/``<=`` cuts) run in aict-tools' environment where one is found
(``--pyfact-python``, default ``../venv-aict/bin/python``).

FACT's published result on the full sample is 26.6 sigma in 17.7 h (6.3 sigma per sqrt(hour)).
The small file is a random subset of the events (its ``index`` column reaches about 747,000 rows
of the original DL3) with the runs table of all 17.7 h, so its counts, and the significance
expected from them, shrink: ``expected_significance_from_subsample`` = 26.6 * sqrt(n_events /
(max index + 1)) for a subset that keeps every event with the same probability (S ~ sqrt(counts)
at a fixed alpha), while the hours do not, so its sigma per sqrt(hour) is no estimate of FACT's.

Writes ``fact_theta2.pdf`` and ``.png`` to ``--out`` (default ``results/benchmarks/``) and prints
one JSON object as its last line.

    python benchmarks/fact_theta2.py [--out DIR] [--gammaness-cut 0.85] [--theta2-cut 0.025]
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "fact-data" / "crab_dl3_small.hdf5"
AICT_PYTHON = ROOT.parent / "venv-aict" / "bin" / "python"

# pyfact's own theta^2 rule (fact.analysis.split_on_off_source_independent: gamma_prediction >=
# cut, theta <= sqrt(theta2_cut); li_ma_significance) on a DL3 file read with its read_h5py, run in
# aict-tools' environment (pyfact 0.26.2); prints one JSON line
PYFACT_RULE = """
import json, sys, types, warnings
warnings.simplefilter("ignore")
import astropy.coordinates as coords
# pyfact 0.26.2 imports astropy.coordinates.angle_utilities, which astropy 6 folded into
# astropy.coordinates; the function it takes from there is the same
sys.modules.setdefault("astropy.coordinates.angle_utilities",
                       types.SimpleNamespace(angular_separation=coords.angular_separation))
import fact
from fact.io import read_h5py
from fact.analysis import li_ma_significance, split_on_off_source_independent
path, g_cut, t2_cut = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
ev = read_h5py(path, key="events")
runs = read_h5py(path, key="runs")
off_keys = sorted(c for c in ev.columns if c.startswith("theta_deg_off_"))
on, off = split_on_off_source_independent(
    ev.query(f"gamma_prediction >= {g_cut}"), t2_cut, "theta_deg", off_keys
)
alpha = 1 / len(off_keys)
print(json.dumps({"n_on": len(on), "n_off": len(off), "n_off_regions": len(off_keys),
                  "li_ma": float(li_ma_significance(len(on), len(off), alpha)),
                  "hours": float(runs.ontime.sum() / 3600), "n_events": len(ev),
                  "columns": sorted(ev.columns), "runs": sorted(runs.columns),
                  "version": fact.__version__}))
"""


def find_pyfact(python: str | None) -> Path | None:
    """The Python of an environment with pyfact (default: aict-tools' ``../venv-aict``)."""
    path = Path(python) if python else AICT_PYTHON
    if not path.exists():
        return None
    probe = subprocess.run([str(path), "-c", "import fact"], capture_output=True, timeout=120)
    return path if probe.returncode == 0 else None


def pyfact_rule(path, gammaness_cut: float, theta2_cut: float, python: str | None = None) -> dict:
    """pyfact's counts and Li & Ma on ``path`` (:data:`PYFACT_RULE`), as a dict."""
    exe = find_pyfact(python)
    if exe is None:
        raise FileNotFoundError(f"no Python with pyfact at {python or AICT_PYTHON}")
    proc = subprocess.run(
        [str(exe), "-c", PYFACT_RULE, str(path), str(gammaness_cut), str(theta2_cut)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"pyfact's rule failed on {path}:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def numpy_reference(path: Path, gammaness_cut: float, theta2_cut: float) -> dict:
    """Counts from the raw columns with h5py and numpy only (FACT's rule, written out again)."""
    with h5py.File(path, "r") as f:
        e = f["events"]
        sel = e["gamma_prediction"][:] > gammaness_cut
        n_on = int(np.sum(e["theta_deg"][:][sel] ** 2 < theta2_cut))
        offs = sorted(k for k in e if k.startswith("theta_deg_off_"))
        n_off = int(sum(np.sum(e[k][:][sel] ** 2 < theta2_cut) for k in offs))
        hours = float(f["runs/ontime"][:].sum()) / 3600.0
        max_index = int(e["index"][:].max()) if "index" in e else None
    return {
        "n_on": n_on,
        "n_off": n_off,
        "alpha": 1.0 / len(offs),
        "hours": hours,
        "max_index": max_index,
    }


def main(argv=None) -> dict:
    from iactdl.evaluate.theta2 import FACT_PUBLISHED, OPEN_CRAB_CUTS

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA, help="a DL3 file in FACT's layout")
    ap.add_argument("--out", type=Path, default=ROOT / "results" / "benchmarks")
    ap.add_argument("--gammaness-cut", type=float, default=OPEN_CRAB_CUTS["gammaness_cut"])
    ap.add_argument("--theta2-cut", type=float, default=OPEN_CRAB_CUTS["theta2_cut"])
    ap.add_argument("--pyfact-python", help="Python with pyfact (default: ../venv-aict/bin/python)")
    args = ap.parse_args(argv)
    if not args.data.exists():
        print(json.dumps({"benchmark": "fact_theta2", "skipped": f"{args.data} not found"}))
        return {}
    from iactdl.evaluate.theta2 import dl3_theta2, theta2_histograms
    from iactdl.evaluate.theta2_figures import plot_theta2
    from iactdl.io.dl3 import read_dl3

    t0 = time.perf_counter()
    ours = dl3_theta2(args.data, gammaness_cut=args.gammaness_cut, theta2_cut=args.theta2_cut)
    seconds = time.perf_counter() - t0
    dl3 = read_dl3(args.data, columns=[])
    hist = theta2_histograms(
        dl3.events["gamma_prediction"],
        dl3.events["theta_deg"],
        dl3.theta_off,
        gammaness_cut=args.gammaness_cut,
    )
    args.out.mkdir(parents=True, exist_ok=True)
    figures = [str(args.out / "fact_theta2.pdf"), str(args.out / "fact_theta2.png")]
    plot_theta2(hist, ours, figures, title=f"FACT Crab DL3 ({args.data.name})")

    ref = numpy_reference(args.data, args.gammaness_cut, args.theta2_cut)
    try:
        import gammapy
        from gammapy.stats import WStatCountsStatistic

        gammapy_s = float(WStatCountsStatistic(ref["n_on"], ref["n_off"], ref["alpha"]).sqrt_ts)
        reference = f"numpy count + gammapy {gammapy.__version__} WStatCountsStatistic.sqrt_ts"
    except ImportError:
        gammapy_s = None
        reference = "numpy count (gammapy not installed)"
    pyfact = None
    if find_pyfact(args.pyfact_python) is not None:
        got = pyfact_rule(args.data, args.gammaness_cut, args.theta2_cut, args.pyfact_python)
        pyfact = {k: got[k] for k in ("n_on", "n_off", "li_ma", "hours", "version")}
    else:
        print("pyfact not found: its row is left out", file=sys.stderr)
    fraction = ours["n_events"] / (ref["max_index"] + 1) if ref["max_index"] else None
    out = {
        "benchmark": "fact_theta2",
        "data": args.data.name,
        **{k: v for k, v in ours.items() if k != "path"},
        "seconds": round(seconds, 3),
        "reference": reference,
        "reference_n_on": ref["n_on"],
        "reference_n_off": ref["n_off"],
        "reference_li_ma_significance": gammapy_s,
        "reference_hours": ref["hours"],
        "agree": bool(
            ref["n_on"] == ours["n_on"]
            and ref["n_off"] == ours["n_off"]
            and (
                gammapy_s is None
                or math.isclose(gammapy_s, ours["li_ma_significance"], rel_tol=1e-9, abs_tol=1e-12)
            )
            and (
                pyfact is None or (pyfact["n_on"], pyfact["n_off"]) == (ours["n_on"], ours["n_off"])
            )
        ),
        "pyfact": pyfact,
        "fact_published": FACT_PUBLISHED,
        "subsample_fraction": fraction,
        "expected_significance_from_subsample": (
            FACT_PUBLISHED["li_ma_significance"] * math.sqrt(fraction) if fraction else None
        ),
        "figures": figures,
    }
    print(
        f"N_on {ours['n_on']}, N_off {ours['n_off']}, excess {ours['excess']:.1f}, "
        f"Li & Ma {ours['li_ma_significance']:.2f} sigma in {ours['hours']:.2f} h "
        f"({ours['sigma_per_sqrt_hour']:.2f} sigma/sqrt(h)); gammapy {gammapy_s}",
        file=sys.stderr,
    )
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
