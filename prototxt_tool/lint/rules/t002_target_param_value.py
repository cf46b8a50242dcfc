"""T002 target-unsupported-value: a parameter value the --target's converter cannot map."""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_tool.lint.context import LintContext
from prototxt_tool.lint.registry import Issue, rule
from prototxt_tool.lint.rules._target import target_issues


@rule(
    "T002", "target-unsupported-value", "error",
    summary="Parameter value the deployment target cannot map (the message lists the allowed).",
    why="""
        Converters support a layer type only within limits: rknn2's depthwise kernel is 1 to
        8, ncnn reads only the first of repeated kernel_size values and cannot permute N,
        Arm NN concatenates along channels only. Such a value is refused, or silently
        converted into a different computation.""",
    bad="""
        # dwsep lint --target ncnn
        layer { name: "perm" type: "Permute" bottom: "x" top: "perm"
                permute_param { order: 1 order: 0 order: 2 order: 3 } }""",
    good="""
        layer { name: "perm" type: "Permute" bottom: "x" top: "perm"
                permute_param { order: 0 order: 2 order: 3 order: 1 } }""",
)
def check(ctx: LintContext) -> Iterator[Issue]:
    return target_issues(ctx, "T002")
