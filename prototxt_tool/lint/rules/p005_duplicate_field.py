"""P005 duplicate-field: non-repeated field given twice in one message."""

from __future__ import annotations

from collections.abc import Iterable

from prototxt_tool.lint.context import LintContext
from prototxt_tool.lint.registry import Issue, rule
from prototxt_tool.lint.rules._parse import parse_issue


@rule(
    "P005", "duplicate-field", "error", stage="text", kinds=("net", "solver"),
    summary="Non-repeated field given twice in one message.",
    why="""Caffe's parser rejects it; a second kernel_size meant for kernel_w is a classic slip.""",
    bad="""
layer {
  name: "a"
  name: "b"
}
""",
    good="""
layer {
  name: "a"
}
""",
)
def check(ctx: LintContext) -> Iterable[Issue]:
    return parse_issue(ctx.parse_error, "duplicate")
