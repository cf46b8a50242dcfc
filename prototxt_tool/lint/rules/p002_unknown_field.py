"""P002 unknown-field: field that does not exist in caffe.proto (a typo, or a fork-only field)."""

from __future__ import annotations

from collections.abc import Iterable

from prototxt_tool.lint.context import LintContext
from prototxt_tool.lint.registry import Issue, rule
from prototxt_tool.lint.rules._parse import parse_issue


@rule(
    "P002", "unknown-field", "error", stage="text", kinds=("net", "solver"),
    summary="Field that does not exist in caffe.proto (a typo, or a fork-only field).",
    why="""Caffe aborts while reading the net; a misspelt field is never silently ignored.""",
    bad="""
layer {
  name: "conv1"
  type: "Convolution"
  convolution_param { num_ouput: 64 }
}
""",
    good="""
layer {
  name: "conv1"
  type: "Convolution"
  convolution_param { num_output: 64 }
}
""",
)
def check(ctx: LintContext) -> Iterable[Issue]:
    return parse_issue(ctx.parse_error, "unknown-field")
