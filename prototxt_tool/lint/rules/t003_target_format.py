"""T003 target-unsupported-format: net format or input declaration the --target refuses."""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_tool.lint.context import LintContext
from prototxt_tool.lint.registry import Issue, rule
from prototxt_tool.lint.rules._target import target_issues


@rule(
    "T003", "target-unsupported-format", "error",
    summary="Net format (V0/V1 `layers`) or input declaration the deployment target refuses.",
    why="""
        Caffe upgrades legacy nets when it loads them; converters mostly do not: ncnn, MNN,
        MACE and Ascend ATC read only the V2 `layer` field, and the Movidius NCSDK takes the
        input only as top-level input/input_shape fields, not as an Input layer.""",
    bad="""
        # dwsep lint --target atc
        layers { name: "conv1" type: CONVOLUTION bottom: "data" top: "conv1"
                 convolution_param { num_output: 96 kernel_size: 11 } }""",
    good="""
        layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
                convolution_param { num_output: 96 kernel_size: 11 } }""",
)
def check(ctx: LintContext) -> Iterator[Issue]:
    return target_issues(ctx, "T003")
