"""iactdl.provenance: canonical params (key order never matters, list order does)."""

from __future__ import annotations

import yaml

from iactdl.provenance import canonical


def test_canonical_is_independent_of_key_order_at_every_depth():
    a = {"b": {"y": 1, "x": [3, {"q": 1, "p": 2}]}, "a": 0.5}
    b = {"a": 0.5, "b": {"x": [3, {"p": 2, "q": 1}], "y": 1}}
    assert a == b and repr(a) != repr(b)  # equal values, different repr: Snakemake would rerun
    assert repr(canonical(a)) == repr(canonical(b))
    assert canonical(a) == a  # values untouched


def test_canonical_keeps_list_order_and_a_value_change_shows():
    assert repr(canonical({"f": ["size", "width"]})) != repr(canonical({"f": ["width", "size"]}))
    assert repr(canonical({"C": 1.0})) != repr(canonical({"C": 2.0}))


def test_canonical_copies_yaml_anchors_and_does_not_modify_its_input():
    text = "a: &l [x, y]\nm: {b: 1, a: *l}\n"
    config = yaml.safe_load(text)
    before = repr(config)
    out = canonical(config)
    assert repr(config) == before
    assert out["m"]["a"] == ["x", "y"] and out["m"]["a"] is not config["a"]
    assert list(out["m"]) == ["a", "b"]
