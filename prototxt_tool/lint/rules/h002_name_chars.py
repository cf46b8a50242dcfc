"""H002 layer-name-chars: layer names with characters deployment tools reject."""

from __future__ import annotations

import re
from collections.abc import Iterator

from prototxt_tool.lint.context import LintContext
from prototxt_tool.lint.registry import Issue, rule

ALLOWED = re.compile(r"[A-Za-z0-9_./\-]")


@rule(
    "H002", "layer-name-chars", "warning",
    summary="Layer name with characters other than letters, digits, '_', '-', '.', '/'.",
    why="""
        Caffe takes any string, but deployment tools do not: ncnn's .param format and many
        converters split on whitespace, TensorRT/OpenVINO tools map names to identifiers or
        file names, and shell scripts that grep logs break on quotes and spaces.""",
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
