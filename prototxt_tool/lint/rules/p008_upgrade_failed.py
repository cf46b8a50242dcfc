"""P008 cannot-upgrade: a legacy net that Caffe's upgrade cannot turn into V2."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prototxt_tool.errors import NetError
from prototxt_tool.lint.context import LintContext, name_span
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
    err = ctx.upgrade_error
    if err is None:
        return
    message = err.message if isinstance(err, NetError) else str(err)
    layer = err.layer if isinstance(err, NetError) else None
    where = _layer_span(ctx, layer) or _Point(getattr(err, "line", 0), getattr(err, "column", 0))
    yield Issue(where, f"cannot upgrade the legacy net: {message}", layer)


def _layer_span(ctx: LintContext, name: str | None) -> Any:
    """The `name` of the legacy layer the upgrade complained about (errors carry no position)."""
    if name is None:
        return None
    for _, _, tree in ctx.raw_layer_trees():
        span = name_span(tree) if tree is not None else None
        if span is not None and ctx.lines[span.line - 1].find(f'"{name}"') >= 0:
            return span
    return None
