"""H002 layer-name-chars: layer names with characters deployment tools reject."""

from __future__ import annotations

import re
from collections.abc import Iterator

from prototxt_tool.lint.context import LintContext
from prototxt_tool.lint.registry import Edit, Issue, fixer, rule
from prototxt_tool.lint.rules._fixutil import layer_at, span_text, text_lines

ALLOWED = re.compile(r"[A-Za-z0-9_./\-]")


@rule(
    "H002", "layer-name-chars", "warning",
    summary="Layer name with characters other than letters, digits, '_', '-', '.', '/'.",
    why="""
        Caffe takes any string, but deployment tools do not: ncnn's .param format and many
        converters split on whitespace, TensorRT/OpenVINO tools map names to identifiers or
        file names, and shell scripts that grep logs break on quotes and spaces.
        --fix replaces each such character with '_' when the new name is not already taken
        (a trained .caffemodel is matched by layer name: rename its layers too).""",
    bad="""layer { name: "conv 1 (3x3)" type: "Convolution" ... }""",
    good="""layer { name: "conv1_3x3" type: "Convolution" ... }""",
)
def check(ctx: LintContext) -> Iterator[Issue]:
    for layer in ctx.layers:
        bad = sorted({ch for ch in layer.name if not ALLOWED.fullmatch(ch)})
        if bad:
            shown = " ".join(repr(ch) for ch in bad)
            yield Issue(layer.anchor(), f"layer name '{layer.name}' contains {shown}; deployment "
                                        "tools expect letters, digits, '_', '-', '.', '/'",
                        layer.name)


@fixer("H002")
def fix(ctx: LintContext, findings: list) -> list[Edit]:
    """Rename to the allowed characters ('_' for each other one) where that is unambiguous:
    the name is written plainly (no escapes) and the new name is not in use."""
    lines = text_lines(ctx)
    taken = {layer.name for layer in ctx.layers}
    edits = []
    for f in findings:
        at = layer_at(ctx, f.line)
        if at is None or ctx.layers[at].name != f.layer:
            continue
        layer = ctx.layers[at]
        span = layer.anchor()
        written = span_text(lines, span) if span is not None and span.line == span.end_line else ""
        new = "".join(ch if ALLOWED.fullmatch(ch) else "_" for ch in layer.name)
        if not written.startswith("name") or not written.endswith(f'"{layer.name}"'):
            continue
        if "\\" in written or new in taken:
            continue
        taken.add(new)
        edits.append(Edit(span.line, span.column, span.end_line, span.end_column,
                          written[:len(written) - len(layer.name) - 2] + f'"{new}"', (at, "name")))
    return edits
