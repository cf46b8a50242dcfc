"""P002 on a tolerant read: each unknown field once, a near miss an error with its hint, a
known fork's field a warning naming the fork; the other rules still run on the net."""

from __future__ import annotations

from prototxt_tool.lint import lint_source
from prototxt_tool.pipeline import Source

NET = """layer { name: "data" type: "Input" top: "data"
  input_param { shape { dim: 1 dim: 3 dim: 8 dim: 8 } } }
layer { name: "c" type: "Convolution" bottom: "data" top: "c"
  convolution_param { num_output: 2 kernel_size: 3 kernal_size: 3 } }
layer { name: "d" type: "Dropout" bottom: "c" top: "c" dropout_param { sample_weights_test: 1 } }
layer { name: "x" type: "ReLU" bottom: "c" top: "c" fancy_param { a: [1, 2] } }
engine: "MKL2017"
"""


def findings(text: str) -> list[tuple[str, str, int, int, str]]:
    from prototxt_tool.lint.config import LintConfig

    found = lint_source(Source("n.prototxt", text), LintConfig())
    return [(f.code, f.severity, f.line, f.column, f.message) for f in found
            if f.code == "P002"]


def test_each_unknown_field_is_reported_once() -> None:
    got = findings(NET)
    assert [(c, s, line, col) for c, s, line, col, _ in got] == [
        ("P002", "error", 4, 52), ("P002", "error", 5, 72), ("P002", "error", 6, 53),
        ("P002", "warning", 7, 1)]
    assert got[0][4] == ('message type "caffe.ConvolutionParameter" has no field named '
                         '"kernal_size" (did you mean "kernel_size"?)')
    assert got[2][4] == 'message type "caffe.LayerParameter" has no field named "fancy_param"'
    assert got[3][4].startswith('field "engine" of caffe.NetParameter is defined by '
                                "intel/caffe, not BVLC Caffe")


def test_other_rules_still_run() -> None:
    from prototxt_tool.lint.config import LintConfig

    text = NET + 'layer { name: "c" type: "ReLU" bottom: "c" top: "c" }\n'
    codes = {f.code for f in lint_source(Source("n.prototxt", text), LintConfig())}
    assert {"P002", "G001"} <= codes  # G001: the duplicate layer name


def test_a_clean_net_has_no_p002() -> None:
    assert findings(NET.split("layer { name: \"c\"")[0]) == []
