"""Readable names for figures: a model, net, estimator or adaptation method as a reader of the paper
names it ("MLP, IW-DANN, seed 1"), not as the config or a file name spells it (``mlp~iwdann~s1``),
and the family a model belongs to (baselines, nets, adapted, ON/OFF), by which figures group it;
a feature column as the field names it ("Hillas width", not ``width``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

__all__ = [
    "NET_LABELS",
    "ESTIMATOR_LABELS",
    "METHOD_LABELS",
    "FEATURE_LABELS",
    "FAMILIES",
    "net_label",
    "method_label",
    "feature_label",
    "model_family",
    "model_label",
    "model_labels",
    "model_families",
]

NET_LABELS = {
    "mlp": "MLP",
    "hexcnn": "hexagonal CNN",
    "deepsets": "Deep Sets",
    "settransformer": "Set Transformer",
    "pixelmlp": "pixel MLP",  # the catalogue's name (iactdl.models.nets.catalog.NETS)
}
ESTIMATOR_LABELS = {
    "logistic_regression": "logistic regression",
    "random_forest": "random forest",
    "hist_gradient_boosting": "boosted trees",
    "gradient_boosting": "boosted trees",
}
METHOD_LABELS = {
    "source": "source-only",
    "relative": "source-only, relative time",
    "importance": "importance weighting",
    "dann": "DANN",
    "iwdann": "IW-DANN",
    "augment": "augmentation",
    "oracle": "oracle (observed truth)",
    "onoff": "ON/OFF labels",  # stage 6's Menon-corrected ON/OFF model (the shift study)
    "joint": "joint (simulated + ON/OFF)",
}
# A feature column (iactdl.features.columns.FEATURE_UNITS) as a reader of the field names it in a
# figure: the keys are FACT's DL2 column names, written for programs. "long."/"trans.": along and
# across the Hillas ellipse's major axis. Here, not beside the units: the feature rules do not
# import this module, so a new name reruns figures only.
FEATURE_LABELS = {
    "clean_ok": "image kept by cleaning",
    "num_pixel_in_shower": "shower pixels",
    "num_islands": "islands",
    "size": "size",
    "cog_x": "centre of gravity x",
    "cog_y": "centre of gravity y",
    "length": "Hillas length",
    "width": "Hillas width",
    "delta": "orientation",
    "m3_long": "third moment, long.",
    "m3_trans": "third moment, trans.",
    "m4_long": "fourth moment, long.",
    "m4_trans": "fourth moment, trans.",
    "skewness_long": "skewness, long.",
    "skewness_trans": "skewness, trans.",
    "kurtosis_long": "kurtosis, long.",
    "kurtosis_trans": "kurtosis, trans.",
    "leakage1": "leakage, outer ring",
    "leakage2": "leakage, two outer rings",
    "leakage1_pixel": "leakage pixels, outer ring",
    "leakage2_pixel": "leakage pixels, two outer rings",
    "concentration_cog": "concentration at the c.o.g.",
    "concentration_core": "concentration in the ellipse",
    "concentration_one_pixel": "concentration, brightest pixel",
    "concentration_two_pixel": "concentration, two brightest pixels",
    "photoncharge_shower_mean": "mean pixel charge",
    "photoncharge_shower_variance": "pixel charge variance",
    "photoncharge_shower_max": "largest pixel charge",
    "time_gradient_slope_long": "time gradient, long.",
    "time_gradient_intercept_long": "time intercept, long.",
    "time_gradient_slope_trans": "time gradient, trans.",
    "time_gradient_intercept_trans": "time intercept, trans.",
    "time_gradient_sse_long": "time gradient residual, long.",
    "timespread": "time spread",
    "timespread_weighted": "time spread, charge-weighted",
    "pedestal_pixels": "pedestal pixels",
    "pedestal_mean": "pedestal mean",
    "pedestal_variance": "pedestal variance",
    "pedestal_m3": "pedestal third moment",
    "log_size": "ln size",
    "area": "ellipse area",
    "size_area": "size / area",
    "log_size_area": "ln(size / area)",
    "area_size_cut_var": "area / ln(size)^2",
    "width_length": "width / length",
    "cog_r": "c.o.g. distance from centre",
}
# the order in which figures show the families
FAMILIES = ("baselines", "nets", "adapted", "ON/OFF")


def net_label(net: str) -> str:
    """``deepsets`` -> "Deep Sets"; an unknown net as it is spelled.

    Parameters
    ----------
    net : str
        A net's config name (``mlp``, ``hexcnn``, ``deepsets``, ...).

    Returns
    -------
    str
        Its name in :data:`NET_LABELS`, else ``net``.
    """
    return NET_LABELS.get(net, net)


def method_label(method: str) -> str:
    """``iwdann`` -> "IW-DANN"; an unknown method as it is spelled.

    Parameters
    ----------
    method : str
        An adaptation method's config name (``source``, ``importance``, ``dann``, ...).

    Returns
    -------
    str
        Its name in :data:`METHOD_LABELS`, else ``method``.
    """
    return METHOD_LABELS.get(method, method)


def feature_label(name: str) -> str:
    """``time_gradient_slope_long`` -> "time gradient, long."; a column without a name here (a FACT
    DL2 column we do not compute) with spaces for underscores.

    Parameters
    ----------
    name : str
        A feature column's key (:data:`iactdl.features.columns.FEATURE_UNITS`).

    Returns
    -------
    str
        Its name in :data:`FEATURE_LABELS`, else ``name`` with spaces for underscores.
    """
    return FEATURE_LABELS.get(name, name.replace("_", " "))


def model_family(entry: Mapping | None) -> str:
    """The family of a config entry: "ON/OFF" (trained on ON/OFF labels: a ``labelnoise``
    section), "adapted" (an ``adapt`` section), else "baselines" or "nets" by its kind.

    Parameters
    ----------
    entry : mapping or None
        A model's entry of the config's ``models`` (None: a baseline).

    Returns
    -------
    str
        One of :data:`FAMILIES`.
    """
    entry = entry or {}
    if entry.get("labelnoise") is not None:
        return "ON/OFF"
    if entry.get("adapt") is not None:
        return "adapted"
    return "nets" if entry.get("kind") == "net" else "baselines"


def model_label(name: str, entry: Mapping | None = None) -> str:
    """A config model's readable name: its entry's description, else its estimator or net with its
    adaptation method or ON/OFF training ("boosted trees, importance weighting"); else the name
    itself. The adaptation study's models are named by :func:`iactdl.adapt.study.study_label`.

    Parameters
    ----------
    name : str
        The model's config name.
    entry : mapping, optional
        Its entry of the config's ``models`` (``description``, ``kind``, ``net`` or
        ``estimator``, ``adapt``, ``labelnoise``).

    Returns
    -------
    str
        The readable name.
    """
    if not entry:
        return name
    if entry.get("description"):
        return str(entry["description"])
    what = entry.get("net") or entry.get("estimator")
    if what is None:
        return name
    label = net_label(what) if entry.get("kind") == "net" else ESTIMATOR_LABELS.get(what, what)
    if entry.get("adapt") is not None:
        label += ", " + method_label(entry["adapt"].get("method", "adapted"))
    if entry.get("labelnoise") is not None:
        label += ", ON/OFF labels"
    if entry.get("joint") is not None:
        label += ", simulated + ON/OFF labels"
    return label


def model_labels(names: Iterable[str], entries: Mapping[str, Mapping] | None = None) -> dict:
    """Name -> :func:`model_label`, with the config name added where two models would read the
    same ("MLP (mlp_wide)").

    Parameters
    ----------
    names : iterable of str
        The models' config names.
    entries : mapping of str to mapping, optional
        The config's ``models`` by name; a name without an entry is its own label.

    Returns
    -------
    dict of str to str
        Config name -> label, in the order of ``names``; every label unique.
    """
    entries = entries or {}
    names = list(names)
    labels = {n: model_label(n, entries.get(n)) for n in names}
    seen: dict[str, int] = {}
    for label in labels.values():
        seen[label] = seen.get(label, 0) + 1
    return {n: (f"{lab} ({n})" if seen[lab] > 1 else lab) for n, lab in labels.items()}


def model_families(entries: Mapping[str, Mapping]) -> dict:
    """Name -> :func:`model_family` of each config entry.

    Parameters
    ----------
    entries : mapping of str to mapping
        The config's ``models`` by name.

    Returns
    -------
    dict of str to str
        Config name -> one of :data:`FAMILIES`.
    """
    return {name: model_family(entry) for name, entry in entries.items()}
