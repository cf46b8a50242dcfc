"""T005 target-conversion-note: the --target's converter rewrites this layer (info)."""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_tool.lint.context import LintContext
from prototxt_tool.lint.registry import Issue, rule
from prototxt_tool.lint.rules._target import target_issues


@rule(
    "T005", "target-conversion-note", "info",
    summary="The deployment target's converter rewrites this layer (what will actually run).",
    why="""
        Converters map some layers onto others: ncnn writes a group convolution as
        ConvolutionDepthWise and ReLU6 as Clip, rknn2 maps ReLU6 to ONNX Clip, OpenVINO turns
        ShuffleChannel into Reshape + Permute + Concat. Nothing is wrong; the note says what
        runs on the device, which is what to compare when outputs differ.""",
    bad="""
        # dwsep lint --target ncnn
        layer { name: "relu1" type: "ReLU6" bottom: "conv1" top: "conv1" }""",
    good="""
        layer { name: "relu1" type: "ReLU6" bottom: "conv1" top: "conv1" }
        # the same layer: a note, not a problem (ignore T005 to silence notes)""",
)
def check(ctx: LintContext) -> Iterator[Issue]:
    return target_issues(ctx, "T005")
