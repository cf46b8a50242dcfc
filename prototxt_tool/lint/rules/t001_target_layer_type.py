"""T001 target-unsupported-layer: a layer type the --target's converter does not take."""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_tool.lint.context import LintContext
from prototxt_tool.lint.registry import Issue, rule
from prototxt_tool.lint.rules._target import target_issues


@rule(
    "T001", "target-unsupported-layer", "error",
    summary="Layer type the deployment target (--target) cannot convert.",
    why="""
        Inference toolchains convert a fixed list of Caffe layer types, each documented by
        its vendor (see `dwsep targets NAME`); a type outside it stops the conversion, or,
        with ncnn, produces a model that fails when it is loaded. Runs only with --target
        or `target = [...]` in the configuration.""",
    bad="""
        # dwsep lint --target mnn
        layer { name: "conv2/dw" type: "ConvolutionDepthwise" bottom: "conv1" top: "conv2/dw"
                convolution_param { num_output: 32 kernel_size: 3 pad: 1 } }""",
    good="""
        layer { name: "conv2/dw" type: "Convolution" bottom: "conv1" top: "conv2/dw"
                convolution_param { num_output: 32 group: 32 kernel_size: 3 pad: 1 } }""",
)
def check(ctx: LintContext) -> Iterator[Issue]:
    return target_issues(ctx, "T001")
