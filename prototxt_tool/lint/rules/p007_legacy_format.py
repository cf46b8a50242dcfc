"""P007 legacy-format: a V0 or V1 (`layers { type: CONVOLUTION }`) net."""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_tool.lint.context import LintContext
from prototxt_tool.lint.registry import Edit, Issue, fixer, rule


@rule(
    "P007", "legacy-format", "warning",
    summary="Net is written in the legacy V0/V1 format; run `dwsep upgrade`.",
    why="""
        Caffe upgrades V0/V1 nets on every load and prints a warning; fork tools and
        converters (ncnn, OpenVINO, netscope) often handle only the V2 `layer` syntax, and
        V1 enum types cannot name layers added after 2015. --fix rewrites the file as
        `dwsep upgrade` prints it (protobuf's text format: comments are not kept).""",
    bad="""
        layers { name: "conv1" type: CONVOLUTION bottom: "data" top: "conv1"
                 convolution_param { num_output: 96 kernel_size: 11 } }""",
    good="""
        layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
                convolution_param { num_output: 96 kernel_size: 11 } }""",
)
def check(ctx: LintContext) -> Iterator[Issue]:
    if ctx.format in ("V0", "V1"):
        where = ctx.tree.location("layers", 0) or ctx.tree.location("layer", 0)
        yield Issue(where, f"legacy {ctx.format} net format; rewrite it with "
                           f"`dwsep upgrade {ctx.path}`")


@fixer("P007")
def fix(ctx: LintContext, findings: list) -> list[Edit]:
    """The whole file, upgraded (the one fix that cannot keep the file's own text)."""
    from google.protobuf import text_format

    if ctx.upgrade_error is not None:
        return []
    lines = ctx.source.text.split("\n")
    return [Edit(1, 1, len(lines), len(lines[-1]), text_format.MessageToString(ctx.upgraded.net))]
