"""P001 syntax-error: text-format syntax error (unbalanced braces, missing colon, bad token)."""

from __future__ import annotations

from collections.abc import Iterable

from prototxt_tool.lint.context import LintContext
from prototxt_tool.lint.registry import Issue, rule
from prototxt_tool.lint.rules._parse import parse_issue


@rule(
    "P001", "syntax-error", "error", stage="text", kinds=("net", "solver"),
    summary="Text-format syntax error (unbalanced braces, missing colon, bad token).",
    why="""Caffe refuses the whole file; nothing after the error is even read.""",
    bad="""
layer {
  name: "conv1"
  type "Convolution"
}
""",
    good="""
layer {
  name: "conv1"
  type: "Convolution"
}
""",
)
def check(ctx: LintContext) -> Iterable[Issue]:
    return parse_issue(ctx.parse_error, "syntax")
