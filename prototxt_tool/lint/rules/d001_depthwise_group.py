"""D001 depthwise-group-mismatch: a would-be depthwise conv whose group is not the channels."""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_tool.lint.context import PhaseView
from prototxt_tool.lint.registry import Issue, rule


@rule(
    "D001", "depthwise-group-mismatch", "warning", stage="phase",
    summary="Convolution meant as depthwise (group == num_output or group == input channels) "
            "whose group, input channels and num_output are not all equal.",
    why="""
        A depthwise convolution needs group == input channels == num_output. With group equal
        to only one of them the layer is an ordinary grouped convolution that mixes several
        channels per group: more MACs and parameters than the separable design assumes, and
        pretrained depthwise weights will not load.""",
    bad="""
        # bottom has 64 channels
        layer { name: "conv2/dw" type: "Convolution" bottom: "conv1" top: "conv2/dw"
                convolution_param { num_output: 32 group: 32 kernel_size: 3 pad: 1 } }""",
    good="""
        layer { name: "conv2/dw" type: "Convolution" bottom: "conv1" top: "conv2/dw"
                convolution_param { num_output: 64 group: 64 kernel_size: 3 pad: 1 } }""",
)
def check(view: PhaseView) -> Iterator[Issue]:
    for i, layer in enumerate(view.layers):
        if layer.type != "Convolution":
            continue
        cp = layer.param.convolution_param
        cin = view.in_channels(i)
        if cin is None or cp.group <= 1 or cin % cp.group:
            continue  # unknown channels, or a group Caffe rejects anyway (S001)
        if cp.group not in (cp.num_output, cin) or cp.group == cp.num_output == cin:
            continue
        yield Issue(layer.where("convolution_param.group", "layer.group"),
                    f"layer '{layer.name}' looks depthwise but group {cp.group}, input "
                    f"channels {cin} and num_output {cp.num_output} differ (depthwise needs "
                    "all three equal)", layer.name)
