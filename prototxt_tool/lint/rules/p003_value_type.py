"""P003 wrong-value-type: a value of the wrong type for its field."""

from __future__ import annotations

from collections.abc import Iterable

from prototxt_tool.lint.context import LintContext
from prototxt_tool.lint.registry import Issue, rule
from prototxt_tool.lint.rules._parse import parse_issue


@rule(
    "P003", "wrong-value-type", "error", stage="text", kinds=("net", "solver"),
    summary="Value of the wrong type for its field (text for a number, 1.5 for an int).",
    why="""Caffe aborts while reading the net.""",
    bad="""
convolution_param { num_output: 64.5 }
""",
    good="""
convolution_param { num_output: 64 }
""",
)
def check(ctx: LintContext) -> Iterable[Issue]:
    return parse_issue(ctx.parse_error, "type")
