"""D008 cudnn-depthwise: `engine: CUDNN` on a depthwise convolution."""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_tool.lint.context import LintContext, PhaseView
from prototxt_tool.lint.registry import Edit, Issue, fixer, rule
from prototxt_tool.lint.rules._conv import is_depthwise
from prototxt_tool.lint.rules._fixutil import layer_at, text_lines


@rule(
    "D008", "cudnn-depthwise", "warning", stage="phase",
    summary="Depthwise convolution forced onto the cuDNN engine.",
    why="""
        Caffe's cuDNN convolution runs a grouped conv as one cuDNN call per group: a 512-channel
        depthwise conv becomes 512 tiny kernel launches, often slower than the CAFFE engine.
        MobileNet ports set `engine: CAFFE` on depthwise layers for this reason.""",
    bad="""
        convolution_param { num_output: 64 group: 64 kernel_size: 3 pad: 1 engine: CUDNN }""",
    good="""
        convolution_param { num_output: 64 group: 64 kernel_size: 3 pad: 1 engine: CAFFE }""",
)
def check(view: PhaseView) -> Iterator[Issue]:
    for i, layer in enumerate(view.layers):
        cp = layer.param.convolution_param
        if cp.engine == cp.CUDNN and is_depthwise(view, i):
            yield Issue(layer.where("convolution_param.engine"),
                        f"depthwise conv '{layer.name}' uses engine CUDNN, which runs one "
                        "cuDNN call per group; use engine: CAFFE", layer.name)


@fixer("D008")
def fix(ctx: LintContext, findings: list) -> list[Edit]:
    """`engine: CUDNN` -> `engine: CAFFE`, where the finding points at that field."""
    lines = text_lines(ctx)
    edits = []
    for f in findings:
        written = lines[f.line - 1][f.column - 1:f.end_column] if f.end_line == f.line else ""
        if written.startswith("engine") and written.rstrip().endswith("CUDNN"):
            at = layer_at(ctx, f.line)
            edits.append(Edit(f.line, f.column, f.line, f.end_column, "engine: CAFFE",
                              None if at is None else (at, "convolution_param.engine")))
    return edits
