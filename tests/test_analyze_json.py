"""The JSON of every layer, written as text by analysis.layer_json, is exactly json.dumps of
analysis.layer_dict (the definition), and report.to_json exactly json.dumps(view_dict(...)):
for the corpus, the fixtures and hostile names, in every view."""

from __future__ import annotations

import json

import pytest
from conftest import CORPUS, FIXTURES

from prototxt_tool import analysis, pipeline, report
from prototxt_tool.errors import DwsepError

HOSTILE = ('layer { name: "in\\"put\\\\ \\x1b[31m </script> =cmd \\u00e9\\u4e2d" type: "Input" '
           'top: "d\\n\\t\\u2028" input_param { shape { dim: 1 dim: 3 dim: 8 dim: 8 } } }\n'
           'layer { name: "c" type: "Convolution" bottom: "d\\n\\t\\u2028" top: "c" '
           'convolution_param { num_output: 4 kernel_size: 3 } }\n'
           'layer { name: "p" type: "Python" bottom: "c" top: "p" '
           'python_param { module: "m" layer: "L" } }\n'
           'layer { name: "f" type: "InnerProduct" bottom: "p" top: "f" '
           'inner_product_param { num_output: 2 } }\n'
           'layer { name: "bad" type: "Concat" bottom: "c" bottom: "d\\n\\t\\u2028" top: "x" }\n')


def nets() -> list[tuple[str, str]]:
    texts = [("hostile", HOSTILE)]
    files = sorted(CORPUS.glob("*/*.prototxt")) + sorted(FIXTURES.rglob("*.prototxt"))[:200]
    texts += [(str(f), f.read_text(encoding="utf-8", errors="surrogateescape")) for f in files]
    return texts


def analyses() -> list[analysis.Analysis]:
    out = []
    for name, text in nets():
        try:
            loaded = pipeline.load_net(pipeline.Source(name, text), strict=False)
            out.append(analysis.analyze(loaded, errors="collect"))
        except (DwsepError, UnicodeError):
            continue
    return out


ANALYSES = analyses()


def test_there_is_something_to_compare() -> None:
    """Unknown figures, errors (lint's collect mode) and hostile names are among them."""
    layers = [r for a in ANALYSES for r in a.layers]
    assert any(r.error for r in layers) and any(r.macs is None for r in layers)
    assert any(r.separable for r in layers) and any("\x1b" in r.name for r in layers)
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not found at {CORPUS}: only the fixtures were compared")


@pytest.mark.parametrize("flops", [False, True])
def test_layer_json_is_json_dumps_of_layer_dict(flops: bool) -> None:
    compared = 0
    for a in ANALYSES:
        for r in a.layers:
            assert analysis.layer_json(r, flops) == json.dumps(analysis.layer_dict(r, flops)), \
                (a.filename, r.name)
            compared += 1
    assert compared > 100


def test_to_json_is_json_dumps_of_the_view() -> None:
    views = [report.View(), report.View(flops=True), report.View(top=3, sort="macs"),
             report.View(summary=True), report.View(group_by="kind")]
    for a in ANALYSES:
        for v in views:
            assert report.to_json(a, v) == json.dumps(report.view_dict(a, v)) + "\n"
