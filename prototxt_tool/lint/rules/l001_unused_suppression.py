"""L001 unused-suppression: a `# dwsep: disable=` that silences nothing."""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_tool.lint.config import LintConfig
from prototxt_tool.lint.context import LintContext
from prototxt_tool.lint.registry import Issue, all_rules, rule
from prototxt_tool.lint.rules._parse import _Point
from prototxt_tool.lint.suppress import Suppression


@rule(
    "L001", "unused-suppression", "warning", stage="suppress", kinds=("net", "solver"),
    summary="Suppression comment that silences no finding, or names an unknown code.",
    why="""
        Suppressions outlive the problem they hid; once the net is fixed a stale one would
        hide the next, real finding on that layer. A misspelt code suppresses nothing at all.""",
    bad="""
        layer { name: "relu1" type: "ReLU" bottom: "c" top: "c" }  # dwsep: disable=D006""",
    good="""
        layer { name: "relu1" type: "ReLU" bottom: "c" top: "c" }""",
)
def check(ctx: LintContext, suppressions: list[Suppression],
          config: LintConfig) -> Iterator[Issue]:
    known = {r.code for r in all_rules()}
    for s in suppressions:
        if s.used:
            continue
        if s.code not in known:
            yield Issue(_Point(s.line, s.column), f"suppression names unknown rule '{s.code}'")
        elif config.enabled(s.code) and not (ctx.parse_error and s.code[0] != "P"):
            yield Issue(_Point(s.line, s.column), f"unused suppression for {s.code}")
