"""Convolution facts shared by the depthwise-separable rules, read as Caffe reads them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from prototxt_tool.lint.context import PhaseView

CONV_TYPES = frozenset({"Convolution", "ConvolutionDepthwise", "DepthwiseConvolution"})
DEPTHWISE_TYPES = frozenset({"ConvolutionDepthwise", "DepthwiseConvolution"})


@dataclass(frozen=True, slots=True)
class Axis:
    kernel: int
    stride: int
    pad: int
    dilation: int


def axes(param: Any) -> list[Axis]:
    """(kernel, stride, pad, dilation) for H and W, from kernel_h/_w or the repeated fields."""
    cp = param.convolution_param
    out = []
    for i, suffix in enumerate(("h", "w")):
        out.append(Axis(
            _pick(cp, "kernel", suffix, cp.kernel_size, i, 0),
            _pick(cp, "stride", suffix, cp.stride, i, 1),
            _pick(cp, "pad", suffix, cp.pad, i, 0),
            _value(cp.dilation, i, 1),
        ))
    return out


def _pick(cp: Any, name: str, suffix: str, repeated: Any, i: int, default: int) -> int:
    field = f"{name}_{suffix}"
    if cp.HasField(field):
        return int(getattr(cp, field))
    return _value(repeated, i, default)


def _value(repeated: Any, i: int, default: int) -> int:
    if not len(repeated):
        return default
    return int(repeated[i] if len(repeated) > 1 else repeated[0])


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
    return param.type == "Convolution" and all(a.kernel == 1 for a in axes(param))
