"""P006 include-and-exclude: a layer with both `include` and `exclude` rules."""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_tool.lint.context import LintContext
from prototxt_tool.lint.registry import Issue, rule


@rule(
    "P006", "include-and-exclude", "error", stage="text",
    summary="Layer has both include and exclude rules.",
    why="""
        Caffe's Net::FilterNet aborts with "Specify either include rules or exclude rules;
        not both." The net cannot be built in any phase.""",
    bad="""
        layer { name: "acc" type: "Accuracy" bottom: "fc8" bottom: "label" top: "acc"
                include { phase: TEST } exclude { stage: "deploy" } }""",
    good="""
        layer { name: "acc" type: "Accuracy" bottom: "fc8" bottom: "label" top: "acc"
                include { phase: TEST not_stage: "deploy" } }""",
)
def check(ctx: LintContext) -> Iterator[Issue]:
    # Runs even when the other net rules cannot: this is exactly what stops Caffe's FilterNet.
    if ctx.parse_error is not None or ctx.upgrade_error is not None:
        return
    for layer in ctx.layers:
        if len(layer.param.include) and len(layer.param.exclude):
            yield Issue(layer.where("exclude", "layer.exclude"),
                        f"layer '{layer.name}' has both include and exclude rules; Caffe "
                        "accepts only one kind", layer.name)
