"""D003 depthwise-pad: a stride-1 KxK depthwise conv whose padding changes the spatial size."""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_tool.lint.context import PhaseView
from prototxt_tool.lint.registry import Issue, rule
from prototxt_tool.lint.rules._conv import geometry, is_depthwise


@rule(
    "D003", "depthwise-pad", "warning", stage="phase",
    summary="Stride-1 KxK depthwise conv with pad != dilation*(K-1)/2 (spatial size changes).",
    why="""
        In a depthwise-separable block the stride-1 depthwise conv keeps the feature map size;
        a wrong pad shrinks (or grows) the map by a pixel or two per block, which silently
        breaks residual additions and detection-head anchor grids further on.""",
    bad="""
        layer { name: "conv3/dw" type: "Convolution" bottom: "conv2" top: "conv3/dw"
                convolution_param { num_output: 64 group: 64 kernel_size: 3 pad: 0 } }""",
    good="""
        layer { name: "conv3/dw" type: "Convolution" bottom: "conv2" top: "conv3/dw"
                convolution_param { num_output: 64 group: 64 kernel_size: 3 pad: 1 } }""",
)
def check(view: PhaseView) -> Iterator[Issue]:
    for i, layer in enumerate(view.layers):
        if not is_depthwise(view, i):
            continue
        geo = geometry(layer.param)
        if geo is None:
            continue
        for axis, name in enumerate("HW"):
            kernel, pad, dilation = geo.kernel[axis], geo.pad[axis], geo.dilation[axis]
            want = dilation * (kernel - 1)
            if geo.stride[axis] != 1 or kernel <= 1 or pad * 2 == want:
                continue
            fix = f"pad {want // 2}" if want % 2 == 0 else "an odd kernel"
            yield Issue(layer.where("convolution_param.pad", "convolution_param.pad_h",
                                    "convolution_param.pad_w", "convolution_param.kernel_size"),
                        f"layer '{layer.name}': stride-1 depthwise {kernel}-tap kernel "
                        f"(dilation {dilation}) with pad {pad} changes the {name} size "
                        f"by {2 * pad - want}; use {fix}", layer.name)
            break
