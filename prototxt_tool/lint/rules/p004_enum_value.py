"""P004 unknown-enum-value: enum value that does not exist (e.g. pool: AVERAGE instead of AVE)."""

from __future__ import annotations

from collections.abc import Iterable

from prototxt_tool.lint.context import LintContext
from prototxt_tool.lint.registry import Issue, rule
from prototxt_tool.lint.rules._parse import parse_issue


@rule(
    "P004", "unknown-enum-value", "error", stage="text", kinds=("net", "solver"),
    summary="Enum value that does not exist (e.g. pool: AVERAGE instead of AVE).",
    why="""Caffe aborts while reading the net; enum names are case-sensitive and exact.""",
    bad="""
pooling_param { pool: AVERAGE }
""",
    good="""
pooling_param { pool: AVE }
""",
)
def check(ctx: LintContext) -> Iterable[Issue]:
    return parse_issue(ctx.parse_error, "enum")
