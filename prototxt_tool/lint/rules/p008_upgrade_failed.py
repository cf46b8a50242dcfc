"""P008 cannot-upgrade: a legacy net that Caffe's upgrade cannot turn into V2."""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_tool.errors import NetError
from prototxt_tool.lint.context import LintContext
from prototxt_tool.lint.registry import Issue, rule
from prototxt_tool.lint.rules._parse import _Point


@rule(
    "P008", "cannot-upgrade", "error", stage="text",
    summary="Legacy V0/V1 net that cannot be upgraded (e.g. a V0 padding layer with no conv).",
    why="""
        Caffe upgrades old nets before building them and aborts when that fails, so the
        file cannot be loaded at all; nothing else in it can be checked.""",
    bad="""
        layers { layer { name: "pad1" type: "padding" pad: 2 } bottom: "data" top: "pad1" }
        layers { layer { name: "relu" type: "relu" } bottom: "pad1" top: "pad1" }""",
    good="""
        layers { layer { name: "pad1" type: "padding" pad: 2 } bottom: "data" top: "pad1" }
        layers { layer { name: "conv1" type: "conv" num_output: 8 kernelsize: 3 }
                 bottom: "pad1" top: "conv1" }""",
)
def check(ctx: LintContext) -> Iterator[Issue]:
    err = ctx.load_error
    if err is None or ctx.parse_error is not None:
        return
    line = getattr(err, "line", 0) or 1
    column = getattr(err, "column", 0) or 1
    message = err.message if isinstance(err, NetError) else str(err)
    layer = err.layer if isinstance(err, NetError) else None
    yield Issue(_Point(line, column), f"cannot upgrade the legacy net: {message}", layer)
