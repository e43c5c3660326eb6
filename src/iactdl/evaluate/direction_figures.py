"""The direction figure: angular resolution per bin of true energy, and theta^2 of the gammas.

Left: the 68 % containment of theta (deg) per bin of true energy (TeV, log) of every direction
model (the disp baseline and every net with a direction head; one colour each) on the simulated
test gammas, point-like (solid) and diffuse (dashed), with FACT's own (aict-tools' disp on FACT's
simulated diffuse gammas, :func:`iactdl.evaluate.directions.fact_reference`) below. Right: the
theta^2 distribution of each model and sample (fraction of events per bin). Loads matplotlib:
import it directly, not through :mod:`iactdl.evaluate`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from iactdl.evaluate import style

__all__ = ["plot_angular_resolution"]

SAMPLE_LABELS = {"gamma": "point-like gammas", "gamma_diffuse": "diffuse gammas"}
# the disp baseline is no config model: its readable name here (a net's comes with ``labels``)
DISP_LABEL = "disp (random forests)"
SAMPLE_LINES = {"gamma": "-", "gamma_diffuse": "--"}


def plot_angular_resolution(
    metrics: Mapping,
    reference: pd.DataFrame,
    outputs: Sequence[str],
    model: str = "disp",
    labels: Mapping[str, str] | None = None,
) -> None:
    """Draw the figure from :func:`iactdl.evaluate.directions.evaluate_directions`' result.

    Parameters
    ----------
    metrics : mapping
        The result of :func:`~iactdl.evaluate.directions.evaluate_directions` (or its JSON):
        ``models``, per model its ``samples``: per sample the 68 % containment radius
        ``angular_resolution_deg`` (deg) at ``energy_center_tev`` (TeV), the theta^2 histogram
        ``theta2_counts`` on ``theta2_edges_deg2`` (deg^2) and ``n_events``. A result without
        ``models`` (from before nets had direction heads) is the ``model`` baseline's alone.
    reference : pandas.DataFrame
        FACT's angular resolution, columns ``energy_center_tev`` (TeV) and
        ``angular_resolution_deg`` (deg), as :func:`~iactdl.evaluate.directions.fact_reference`
        reads it.
    outputs : sequence of str
        Files to write (one per format, see :func:`~iactdl.evaluate.style.save_figure`).
    model : str
        The name of the top-level ``samples`` where ``models`` is absent.
    labels : mapping of str to str, optional
        Model name -> its readable name (:func:`iactdl.evaluate.labels.model_labels`); ``disp``
        is :data:`DISP_LABEL`, any other model it lacks is shown by its name.
    """
    labels = {"disp": DISP_LABEL, **(labels or {})}
    fig, (ax_res, ax_t2) = style.subplots(1, 2, columns=2, aspect=0.38)
    models = metrics.get("models") or {model: {"samples": metrics["samples"]}}
    # one legend: a colour per model, a line style per sample (proxies in grey)
    for i, (name, entry) in enumerate(models.items()):
        label = labels.get(name, name)
        for j, (sample, s) in enumerate(sorted(entry["samples"].items())):
            line = SAMPLE_LINES.get(sample, ":")
            ax_res.plot(
                s["energy_center_tev"], np.asarray(s["angular_resolution_deg"], dtype=float),
                "o" + line, color=style.colour(i), label=None if j else label, markersize=3,
            )  # fmt: skip
            edges = np.asarray(s["theta2_edges_deg2"])
            counts = np.asarray(s["theta2_counts"], dtype=float) / max(s["n_events"], 1)
            ax_t2.stairs(counts, edges, color=style.colour(i), linestyle=line)
    for sample, line in SAMPLE_LINES.items():
        ax_res.plot([], [], line, color="0.5", label=SAMPLE_LABELS[sample])
    ax_res.plot(
        reference["energy_center_tev"], reference["angular_resolution_deg"], "s--", color="0.4",
        label="FACT (aict-tools disp, FACT simulations)",
    )  # fmt: skip
    ax_res.set_xscale("log")
    ax_res.set_xlabel("true energy / TeV")
    ax_res.set_ylabel(r"angular resolution (68 % containment) / deg")
    ax_res.set_ylim(bottom=0)
    # under both panels: inside the left one it covered the lowest energy bin's worst points
    handles, names = ax_res.get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", fontsize="x-small", ncols=4)
    ax_t2.set_xlabel(r"$\theta^2$ / deg$^2$")
    ax_t2.set_ylabel("fraction of events")
    style.save_figure(fig, outputs)
