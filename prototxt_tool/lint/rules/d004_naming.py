"""D004 dw-sep-naming: a `/dw` layer that is not depthwise or a `/sep` layer that is not 1x1."""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_tool.lint.context import PhaseView
from prototxt_tool.lint.registry import Issue, rule
from prototxt_tool.lint.rules._conv import CONV_TYPES, geometry, is_depthwise, is_pointwise


@rule(
    "D004", "dw-sep-naming", "warning", stage="phase",
    summary="A conv named .../dw that is not depthwise, or .../sep that is not a 1x1 conv.",
    why="""
        MobileNet-style nets name the depthwise half of a block `convX/dw` and the pointwise
        half `convX/sep`; tools and people rely on it (weight converters, FLOP breakdowns).
        A mismatch usually means a copy-pasted layer kept the wrong group or kernel.""",
    bad="""
        layer { name: "conv2/sep" type: "Convolution" bottom: "conv2/dw" top: "conv2/sep"
                convolution_param { num_output: 64 kernel_size: 3 pad: 1 } }""",
    good="""
        layer { name: "conv2/sep" type: "Convolution" bottom: "conv2/dw" top: "conv2/sep"
                convolution_param { num_output: 64 kernel_size: 1 } }""",
)
def check(view: PhaseView) -> Iterator[Issue]:
    for i, layer in enumerate(view.layers):
        if layer.type not in CONV_TYPES:
            continue
        suffix = layer.name.rsplit("/", 1)[-1].lower() if "/" in layer.name else ""
        if suffix == "dw" and not is_depthwise(view, i):
            group = layer.param.convolution_param.group
            yield Issue(layer.where("convolution_param.group", "type"),
                        f"layer '{layer.name}' is named as depthwise but is not (group "
                        f"{group}, num_output {layer.param.convolution_param.num_output})",
                        layer.name)
        elif suffix == "sep" and not is_pointwise(layer.param):
            geo = geometry(layer.param)
            k = "x".join(map(str, geo.kernel)) if geo else "non-1x1"
            yield Issue(layer.where("convolution_param.kernel_size", "convolution_param.kernel_h"),
                        f"layer '{layer.name}' is named as pointwise but is a {k} "
                        f"{layer.type}", layer.name)

