"""D007 batchnorm-without-scale: Caffe's BatchNorm not followed by a Scale layer."""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_tool.lint.context import PhaseView
from prototxt_tool.lint.registry import Issue, rule
from prototxt_tool.lint.rules._flow import next_layers


@rule(
    "D007", "batchnorm-without-scale", "warning", stage="phase",
    summary="BatchNorm not followed by Scale (Caffe's BatchNorm has no learned scale/shift).",
    why="""
        Unlike other frameworks, Caffe's BatchNorm only normalizes; the learned gamma/beta
        live in a separate `Scale { bias_term: true }` layer. Without it the network loses
        its affine part and weights converted from PyTorch/TF cannot be loaded.""",
    bad="""
        layer { name: "bn1" type: "BatchNorm" bottom: "conv1" top: "conv1" }
        layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }""",
    good="""
        layer { name: "bn1" type: "BatchNorm" bottom: "conv1" top: "conv1" }
        layer { name: "scale1" type: "Scale" bottom: "conv1" top: "conv1"
                scale_param { bias_term: true } }
        layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }""",
)
def check(view: PhaseView) -> Iterator[Issue]:
    for i, layer in enumerate(view.layers):
        if layer.type != "BatchNorm":
            continue
        nexts = next_layers(view, i)
        if nexts and view.layers[nexts[0]].type == "Scale":
            continue
        what = (f"by {view.layers[nexts[0]].type} '{view.layers[nexts[0]].name}'" if nexts
                else "by nothing")
        yield Issue(layer.anchor(), f"BatchNorm '{layer.name}' is followed {what}, not by a "
                                    "Scale layer; Caffe's BatchNorm has no affine part",
                    layer.name)
