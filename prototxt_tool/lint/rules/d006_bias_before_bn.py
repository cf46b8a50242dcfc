"""D006 bias-before-batchnorm: a conv with a bias directly followed by BatchNorm."""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_tool.lint.context import PhaseView
from prototxt_tool.lint.registry import Issue, rule
from prototxt_tool.lint.rules._conv import CONV_TYPES
from prototxt_tool.lint.rules._flow import next_layers

NORMS = frozenset({"BatchNorm", "BN"})


@rule(
    "D006", "bias-before-batchnorm", "warning", stage="phase",
    summary="Convolution with bias_term true (the default) directly followed by BatchNorm.",
    why="""
        BatchNorm subtracts the per-channel mean, which removes any constant the conv adds:
        the bias is wasted parameters and an extra pass over the feature map. Set
        `bias_term: false` (the following Scale layer provides the bias).""",
    bad="""
        layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
                convolution_param { num_output: 32 kernel_size: 3 } }
        layer { name: "conv1/bn" type: "BatchNorm" bottom: "conv1" top: "conv1" }""",
    good="""
        layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
                convolution_param { num_output: 32 kernel_size: 3 bias_term: false } }
        layer { name: "conv1/bn" type: "BatchNorm" bottom: "conv1" top: "conv1" }
        layer { name: "conv1/scale" type: "Scale" bottom: "conv1" top: "conv1"
                scale_param { bias_term: true } }""",
)
def check(view: PhaseView) -> Iterator[Issue]:
    for i, layer in enumerate(view.layers):
        if layer.type not in (*CONV_TYPES, "Deconvolution"):
            continue
        if not layer.param.convolution_param.bias_term:
            continue
        nexts = next_layers(view, i)
        if nexts and all(view.layers[j].type in NORMS for j in nexts):
            norm = view.layers[nexts[0]]
            yield Issue(layer.where("convolution_param.bias_term", "convolution_param"),
                        f"layer '{layer.name}' has a bias but is followed by {norm.type} "
                        f"'{norm.name}', which cancels it; set bias_term: false", layer.name)
