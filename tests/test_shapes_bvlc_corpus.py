"""The BVLC rules alone against what real Caffe computed for the public corpus nets.

For every layer of a BVLC type in every expected/*.json file, the layer message is taken from
the (upgraded, phase-filtered) prototxt, its rule is run on the bottom shapes Caffe reported,
and tops and parameter shapes must match Caffe's exactly. Data layers get the shapes the
oracle was told (`input_shapes`, None = the layer's own batch_size) as overrides, as a user
would pass them with --input-shape.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import text_format

from prototxt_tool import caffe_pb2
from prototxt_tool.netstate import filter_net
from prototxt_tool.shapes import _RULES, LayerContext, known_types, rule_for
from prototxt_tool.upgrade import upgrade_net

CORPUS = Path(os.environ.get("DWSEP_CORPUS",
                             Path(__file__).resolve().parents[1].parent / "shared" / "corpus"))
EXPECTED = sorted((CORPUS / "expected").glob("*.json")) if CORPUS.is_dir() else []
OURS = {"conv", "pooling", "inner_product", "activation", "norm", "structure", "loss", "data",
        "recurrent"}

pytestmark = pytest.mark.skipif(not EXPECTED, reason=f"corpus not found at {CORPUS} "
                                                     "(set DWSEP_CORPUS)")


def _our_types() -> set[str]:
    return {t for t in known_types() if _RULES[t].__module__.rsplit(".", 1)[1] in OURS}


def _net(expected: dict[str, Any]) -> list[Any]:
    net = caffe_pb2.NetParameter()
    text_format.Parse((CORPUS / expected["source"]).read_text(encoding="utf-8"), net)
    net = upgrade_net(net).net
    return [net.layer[i] for i in filter_net(net, expected["phase"])]


def _find(layers: list[Any], entry: dict[str, Any]) -> Any:
    tops = [t["name"] for t in entry["tops"]]
    for layer in layers:
        if layer.name == entry["name"] and list(layer.bottom) == entry["bottoms"] \
                and list(layer.top) == tops:
            return layer
    raise AssertionError(f"layer {entry['name']} not found in the prototxt")


@pytest.mark.parametrize("path", EXPECTED, ids=[p.stem for p in EXPECTED])
def test_bvlc_rules_match_caffe(path: Path) -> None:
    expected = json.loads(path.read_text(encoding="utf-8"))
    layers = _net(expected)
    overrides = {name: tuple(-1 if d is None else d for d in shape)
                 for name, shape in expected.get("input_shapes", {}).items()}
    ours = _our_types()
    blobs: dict[str, tuple[int, ...] | None] = {}
    checked, wrong = 0, []
    for entry in expected["layers"]:
        layer = _find(layers, entry)
        if layer.type in ours:
            bottoms = [blobs[b] for b in entry["bottoms"]]
            cost = rule_for(layer.type)(LayerContext(layer, bottoms, overrides))  # type: ignore[misc]
            got = ([None if t is None else list(t) for t in cost.tops],
                   [list(p) for p in cost.params])
            want = ([t["shape"] for t in entry["tops"]], entry["params"])
            if got != want:
                wrong.append(f"{entry['name']} ({layer.type}): got {got}, Caffe {want}")
            checked += 1
        for top in entry["tops"]:
            blobs[top["name"]] = None if top["shape"] is None else tuple(top["shape"])
    assert checked > 0
    assert not wrong, "\n".join(wrong)
