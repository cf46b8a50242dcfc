"""Convolution facts shared by the depthwise-separable rules, read as Caffe reads them."""

from __future__ import annotations

from typing import Any

from prototxt_tool.errors import ShapeError
from prototxt_tool.lint.context import PhaseView
from prototxt_tool.shapes.conv import ConvGeometry, conv_geometry

CONV_TYPES = frozenset({"Convolution", "ConvolutionDepthwise", "DepthwiseConvolution"})
DEPTHWISE_TYPES = frozenset({"ConvolutionDepthwise", "DepthwiseConvolution"})


def geometry(param: Any) -> ConvGeometry | None:
    """Per-axis (H, W) kernel/stride/pad/dilation exactly as the analyzer reads them.

    None when Caffe would reject the fields (zero kernel, _h/_w mixed with kernel_size, ...):
    S001 reports that, and convention rules have nothing sound to say about such a layer.
    """
    try:
        return conv_geometry(param.convolution_param, 2)
    except ShapeError:
        return None


def is_depthwise(view: PhaseView, i: int) -> bool:
    """A fork depthwise type, or a Convolution with group == num_output (== channels, if known)
    and group > 1: the form MobileNet ports use."""
    param = view.layers[i].param
    if param.type in DEPTHWISE_TYPES:
        return True
    if param.type != "Convolution":
        return False
    group, out = param.convolution_param.group, param.convolution_param.num_output
    cin = view.in_channels(i)
    return group > 1 and group == out and (cin is None or cin == group)


def is_pointwise(param: Any) -> bool:
    """A 1x1 convolution (grouped 1x1, ShuffleNet's pointwise group conv, counts too)."""
    geo = geometry(param)
    return param.type == "Convolution" and geo is not None and all(k == 1 for k in geo.kernel)
