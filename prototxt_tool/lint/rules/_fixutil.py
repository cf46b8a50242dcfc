"""What the fixers share: reading the text under a finding, and line-aware deletion."""

from __future__ import annotations

from typing import Any

from prototxt_tool.lint.context import LintContext
from prototxt_tool.lint.registry import Edit


def text_lines(ctx: LintContext) -> list[str]:
    """Lines split the way the parser counts them (on newline only)."""
    return ctx.source.text.split("\n")


def span_text(lines: list[str], span: Any) -> str:
    if span.line == span.end_line:
        return lines[span.line - 1][span.column - 1:span.end_column]
    first = lines[span.line - 1][span.column - 1:]
    middle = lines[span.line:span.end_line - 1]
    return "\n".join([first, *middle, lines[span.end_line - 1][:span.end_column]])


def layer_at(ctx: LintContext, line: int) -> int | None:
    """Index (in the upgraded net) of the innermost layer block written around `line`."""
    best = None
    for i, layer in enumerate(ctx.layers):
        tree = layer.tree
        if tree is None or layer.origin[0] == "input":
            continue
        s = tree.span
        if s.line <= line <= s.end_line and (best is None or s.line >= best[1]):
            best = (i, s.line)
    return best[0] if best else None


def delete(lines: list[str], span: Any, touched: tuple[int, str] | None = None) -> Edit:
    """Delete a field; when nothing else is on its lines, the lines go too."""
    before = lines[span.line - 1][:span.column - 1]
    after = lines[span.end_line - 1][span.end_column:]
    if not before.strip() and not after.strip() and span.end_line < len(lines):
        # whole lines, newline included: end at column 0 of the next line
        return Edit(span.line, 1, span.end_line + 1, 0, "", touched)
    end_column = span.end_column + (1 if after.startswith(" ") else 0)
    return Edit(span.line, span.column, span.end_line, end_column, "", touched)
