"""D002 depthwise-type-mismatch: `ConvolutionDepthwise` whose group or num_output disagree."""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_tool.lint.context import PhaseView
from prototxt_tool.lint.registry import Issue, rule
from prototxt_tool.lint.rules._conv import DEPTHWISE_TYPES


@rule(
    "D002", "depthwise-type-mismatch", "warning", stage="phase",
    summary="A ConvolutionDepthwise layer whose group or num_output says it is not depthwise.",
    why="""
        The fork's ConvolutionDepthwise ignores `group` and always runs one filter per input
        channel, so num_output must equal the input channels; a group that says otherwise
        means the author and the framework disagree on what the layer computes, and BVLC
        Caffe (which would honour group) computes something else.""",
    bad="""
        layer { name: "conv2/dw" type: "ConvolutionDepthwise" bottom: "conv1" top: "conv2/dw"
                convolution_param { num_output: 32 group: 1 kernel_size: 3 pad: 1 } }""",
    good="""
        layer { name: "conv2/dw" type: "ConvolutionDepthwise" bottom: "conv1" top: "conv2/dw"
                convolution_param { num_output: 32 group: 32 kernel_size: 3 pad: 1 } }""",
)
def check(view: PhaseView) -> Iterator[Issue]:
    for i, layer in enumerate(view.layers):
        if layer.type not in DEPTHWISE_TYPES:
            continue
        cp = layer.param.convolution_param
        cin = view.in_channels(i)
        problem = None
        if cp.HasField("group") and cp.group != cp.num_output:
            problem = f"group {cp.group} differs from num_output {cp.num_output}"
            where = layer.where("convolution_param.group")
        elif cin is not None and cp.num_output != cin:
            problem = f"num_output {cp.num_output} differs from the {cin} input channels"
            where = layer.where("convolution_param.num_output")
        if problem:
            yield Issue(where, f"layer '{layer.name}' is {layer.type} but {problem}",
                        layer.name)
