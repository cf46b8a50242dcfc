"""Required proto2 fields: refused after a complete parse, at the incomplete message."""

from __future__ import annotations

import pytest
from google.protobuf import text_format

from prototxt_tool import caffe_pb2
from prototxt_tool.errors import ParseError
from prototxt_tool.lint.config import LintConfig
from prototxt_tool.lint.engine import lint_source
from prototxt_tool.pipeline import Source, parse_net

HEAD = 'layer { name: "d" type: "Input" top: "x" input_param { shape { dim: 1 } } }\n'


def clip(param: str) -> str:
    return f'layer {{\n  name: "c"\n  type: "Clip"\n  bottom: "x"\n  top: "y"\n  {param}\n}}\n'


@pytest.mark.parametrize(("param", "missing"), [
    ("clip_param { min: 0 }", "layer[1].clip_param.max"),
    ("clip_param { max: 6 }", "layer[1].clip_param.min"),
    ("clip_param { }", "layer[1].clip_param.min, layer[1].clip_param.max"),
])
def test_missing_required_field_is_a_positioned_parse_error(param: str, missing: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_net(Source("n.prototxt", HEAD + clip(param)))
    assert str(caught.value) == (f"n.prototxt:7:3: message missing required field(s): {missing} "
                                 "(Caffe's parser refuses it)")
    # protobuf's own check (what C++ TextFormat runs after parsing) agrees on what is missing.
    net = text_format.Parse(HEAD + clip(param), caffe_pb2.NetParameter())
    assert not net.IsInitialized() and ", ".join(net.FindInitializationErrors()) == missing


def test_complete_clip_and_no_clip_param_are_fine() -> None:
    parse_net(Source("n.prototxt", HEAD + clip("clip_param { min: 0 max: 6 }")))
    parse_net(Source("n.prototxt", HEAD + clip("")))  # optional message not given: fine


def test_syntax_error_later_in_the_file_is_reported_first() -> None:
    # C++ checks required fields only after the whole text parsed.
    with pytest.raises(ParseError, match=r"^n\.prototxt:10:1: field \"name\""):
        parse_net(Source("n.prototxt", HEAD + clip("clip_param { min: 0 }") + "layer { name:\n"))


def test_lint_reports_p009_only() -> None:
    text = HEAD + clip("clip_param { min: 0 }")
    found = lint_source(Source("n.prototxt", text), LintConfig())
    assert [(f.code, f.line, f.column) for f in found] == [("P009", 7, 3)]
    assert "layer[1].clip_param.max" in found[0].message


def test_big_nets_are_checked_too() -> None:
    """Past 64 KB the walk is skipped when no field holding required ones is written: a big
    net with an incomplete clip_param is still refused, one without any still loads."""
    relus = "".join(f'layer {{ name: "r{i}" type: "ReLU" bottom: "x" top: "x" }}\n'
                    for i in range(2000))
    assert len(HEAD + relus) > 1 << 16
    parse_net(Source("big.prototxt", HEAD + relus))
    with pytest.raises(ParseError, match=r"layer\[2001\]\.clip_param\.max"):
        parse_net(Source("big.prototxt", HEAD + relus + clip("clip_param { min: 0 }")))
