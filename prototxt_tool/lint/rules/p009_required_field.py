"""P009 missing-required-field: a message without one of its required (proto2) fields."""

from __future__ import annotations

from collections.abc import Iterable

from prototxt_tool.lint.context import LintContext
from prototxt_tool.lint.registry import Issue, rule
from prototxt_tool.lint.rules._parse import parse_issue


@rule(
    "P009", "missing-required-field", "error", stage="text", kinds=("net", "solver"),
    summary="A message lacks a required field (e.g. clip_param without max).",
    why="""
        Caffe's text parser checks required fields once the whole file has parsed and then
        refuses the file ("Message missing required fields"); the net never loads. In BVLC
        Caffe, ClipParameter's min and max are required.""",
    bad="""
layer {
  name: "clip"
  type: "Clip"
  bottom: "x"
  top: "x"
  clip_param { min: 0 }
}
""",
    good="""
layer {
  name: "clip"
  type: "Clip"
  bottom: "x"
  top: "x"
  clip_param { min: 0 max: 6 }
}
""",
)
def check(ctx: LintContext) -> Iterable[Issue]:
    return parse_issue(ctx.parse_error, "required")
