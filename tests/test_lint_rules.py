"""Every lint rule against its own small bad fixture: exact code, line and column.

Each tests/fixtures/lint/<CODE>.prototxt starts with `# expect: CODE LINE:COL` lines; the file
must give exactly those findings for CODE (with all rules enabled, as a user would run it).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from prototxt_tool.lint import LintOptions, all_rules, lint_paths
from prototxt_tool.lint.config import LintConfig
from prototxt_tool.lint.engine import lint_source
from prototxt_tool.pipeline import Source

FIXTURES = Path(__file__).parent / "fixtures" / "lint"
EXPECT = re.compile(r"#\s*expect:\s*([A-Z]\d{3})\s+(\d+):(\d+)")
TARGET = re.compile(r"#\s*target:\s*(\S+)")  # the T rules' fixtures name their --target


def expectations(path: Path) -> list[tuple[str, int, int]]:
    return [(m[1], int(m[2]), int(m[3])) for m in EXPECT.finditer(path.read_text())]


def lint_text(text: str, name: str = "t.prototxt", **flags: tuple[str, ...]) -> list:
    config = LintConfig().with_flags(**flags)
    return lint_source(Source(name, text), config)


def fixture_options(path: Path, tmp_path: Path) -> LintOptions | None:
    """W rules check weights: CODE.weights.txt (a text NetParameter) becomes a .caffemodel;
    T rules take their targets from the fixture's `# target: NAME` lines."""
    targets = tuple(TARGET.findall(path.read_text()))
    weights = path.with_suffix(".weights.txt")
    if not weights.is_file():
        return LintOptions(targets=targets) if targets else None
    from google.protobuf import text_format

    from prototxt_tool import caffe_pb2

    binary = tmp_path / f"{path.stem}.caffemodel"
    net = text_format.Parse(weights.read_text(), caffe_pb2.NetParameter())
    binary.write_bytes(net.SerializeToString())
    return LintOptions(weights=str(binary), targets=targets)


@pytest.mark.parametrize("code", [r.code for r in all_rules()])
def test_every_rule_has_a_fixture(code: str) -> None:
    assert (FIXTURES / f"{code}.prototxt").is_file(), f"no fixture for {code}"


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.prototxt")), ids=lambda p: p.stem)
def test_fixture_finds_its_rule_exactly(path: Path, tmp_path: Path) -> None:
    expected = expectations(path)
    assert expected, f"{path.name} has no '# expect:' line"
    code = path.stem
    result = lint_paths([str(path)], fixture_options(path, tmp_path))
    got = [(f.code, f.line, f.column) for f in result.findings if f.code == code]
    assert got == expected
    assert not result.problems


def test_finding_names_layer_and_shapes() -> None:
    result = lint_paths([str(FIXTURES / "S001.prototxt")])
    (f,) = [f for f in result.findings if f.code == "S001"]
    assert f.layer == "sum"
    assert "1x8x16x16" in f.message and "1x8x8x8" in f.message


def test_good_net_is_clean() -> None:
    text = """
name: "tiny"
layer { name: "data" type: "Input" top: "data"
        input_param { shape { dim: 1 dim: 8 dim: 16 dim: 16 } } }
layer { name: "conv1/dw" type: "Convolution" bottom: "data" top: "conv1/dw"
        convolution_param { num_output: 8 group: 8 kernel_size: 3 pad: 1 bias_term: false } }
layer { name: "conv1/dw/bn" type: "BatchNorm" bottom: "conv1/dw" top: "conv1/dw" }
layer { name: "conv1/dw/scale" type: "Scale" bottom: "conv1/dw" top: "conv1/dw"
        scale_param { bias_term: true } }
layer { name: "relu1" type: "ReLU" bottom: "conv1/dw" top: "conv1/dw" }
layer { name: "conv1/sep" type: "Convolution" bottom: "conv1/dw" top: "conv1/sep"
        convolution_param { num_output: 16 kernel_size: 1 } }
"""
    assert lint_text(text) == []


def test_depthwise_with_unknown_channels_is_not_judged() -> None:
    # Data-fed nets have unknown shapes: the channel-dependent checks must stay quiet.
    text = """
layer { name: "d" type: "Data" top: "data" data_param { source: "x" batch_size: 1 } }
layer { name: "c/dw" type: "Convolution" bottom: "data" top: "c"
        convolution_param { num_output: 8 group: 8 kernel_size: 3 pad: 1 bias_term: false } }
layer { name: "c/sep" type: "Convolution" bottom: "c" top: "s"
        convolution_param { num_output: 8 kernel_size: 1 } }
"""
    codes = {f.code for f in lint_text(text)}
    assert not codes & {"S001", "D001", "D002", "D003"}


def test_phase_specific_finding_is_reported_once_with_its_phase() -> None:
    text = """
layer { name: "data" type: "Input" top: "data"
        input_param { shape { dim: 1 dim: 4 } } }
layer { name: "acc" type: "Accuracy" bottom: "data" bottom: "label" top: "acc"
        include { phase: TEST } }
layer { name: "dup" type: "ReLU" bottom: "data" top: "a" }
layer { name: "dup" type: "ReLU" bottom: "a" top: "b" }
"""
    found = lint_text(text)
    g002 = [f for f in found if f.code == "G002"]
    g001 = [f for f in found if f.code == "G001"]
    assert len(g002) == 1 and g002[0].message.endswith("(phase TEST only)")
    assert len(g001) == 1 and "phase" not in g001[0].message


def test_pointwise_after_elementwise_layers_satisfies_d005() -> None:
    text = (FIXTURES / "D003.prototxt").read_text().replace("pad: 0", "pad: 1")
    assert not [f for f in lint_text(text) if f.code in ("D003", "D005")]


def test_pointwise_after_a_spatial_slice_satisfies_d005() -> None:
    """SSDLite's TensorFlow-padding trick: pad 2, slice off the first row and column."""
    text = (FIXTURES / "D005.prototxt").read_text().replace('top: "conv2"', 'top: "conv2/pad"')
    text = text.split('layer { name: "pool"')[0] + """
layer { name: "crop" type: "Slice" bottom: "conv2/pad" top: "m1" top: "conv2"
  slice_param { axis: AXIS slice_point: 1 } }
layer { name: "silence" type: "Silence" bottom: "m1" }
layer { name: "conv2/sep" type: "Convolution" bottom: "conv2" top: "sep"
  convolution_param { num_output: 16 kernel_size: 1 } }
"""
    assert not [f for f in lint_text(text.replace("AXIS", "2")) if f.code == "D005"]
    assert not [f for f in lint_text(text.replace("AXIS", "3")) if f.code == "D005"]
    # A channel slice does cut the channels apart: no longer one separable block.
    assert [f.code for f in lint_text(text.replace("AXIS", "1")) if f.code == "D005"] == [
        "D005"]


def test_dilated_depthwise_pad() -> None:
    text = (FIXTURES / "D003.prototxt").read_text().replace("pad: 0", "pad: 2 dilation: 2")
    assert not [f for f in lint_text(text) if f.code == "D003"]
    text = text.replace("pad: 2 dilation: 2", "pad: 1 dilation: 2")
    assert [f.code for f in lint_text(text) if f.code == "D003"] == ["D003"]


def test_syntax_error_stops_other_rules() -> None:
    found = lint_text((FIXTURES / "P001.prototxt").read_text())
    assert [f.code for f in found] == ["P001"]
    assert found[0].message.lower().startswith("expected \":\"")


def test_docs_list_every_rule() -> None:
    docs = (Path(__file__).parent.parent / "docs" / "lint.md").read_text()
    for r in all_rules():
        assert f"| {r.code} | {r.name} | {r.severity} |" in docs, f"{r.code} missing in docs"


@pytest.mark.parametrize("message, kind", [
    ('message type "caffe.LayerParameter" has no field named "nme"', "unknown-field"),
    ('Message type "caffe.LayerParameter" has no field named "nme".', "unknown-field"),
    ('field "pool" (enum caffe.PoolingParameter.PoolMethod): enum '
     'caffe.PoolingParameter.PoolMethod has no value named "AVG"', "enum"),
    ('field "num_output" (uint32): expected an integer, found "x"', "type"),
    ("Couldn't parse integer: 1.5", "type"),
    ('field "name" of caffe.LayerParameter is given twice (it is not repeated)', "duplicate"),
    ('expected "}" to close "layer", found end of file', "syntax"),
])
def test_parse_error_classification(message: str, kind: str) -> None:
    from prototxt_tool.errors import ParseError
    from prototxt_tool.lint.rules._parse import kind_of

    assert kind_of(ParseError(message, 1, 1)) == kind


@pytest.mark.parametrize("code", ["D006", "D007"])
def test_documented_good_example_is_clean_for_its_family(code: str) -> None:
    # A "good" example that another rule of the same family flags would teach the wrong fix.
    rule = next(r for r in all_rules() if r.code == code)
    head = ('layer { name: "data" type: "Input" top: "data"\n'
            '        input_param { shape { dim: 1 dim: 8 dim: 16 dim: 16 } } }\n')
    found = lint_text(head + rule.good, select=("D",))
    assert found == [], [(f.code, f.message) for f in found]
