"""Convolution, Deconvolution, Im2col and the forks' depthwise convolution types.

All follow BVLC's BaseConvolutionLayer (base_conv_layer.cpp): the kernel/stride/pad/dilation
fields are repeated (once for every spatial axis, or once for all) with kernel_h/_w, stride_h/_w
and pad_h/_w as 2-D alternatives; the channel axis is `axis` and every axis after it is spatial,
so one rule covers 1-D, 2-D and 3-D convolution. `conv_geometry` and `conv_kind` are public
because the analysis reuses them for the depthwise-separable estimate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from prototxt_tool.errors import ShapeError
from prototxt_tool.shapes import LayerContext, LayerCost, Shape, register
from prototxt_tool.shapes._util import axis_of, blob_counts, cdiv, fmt, has, same_shapes


@dataclass(frozen=True, slots=True)
class ConvGeometry:
    """Per spatial axis kernel, stride, pad and dilation, after Caffe's defaulting rules."""

    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    pad: tuple[int, ...]
    dilation: tuple[int, ...]

    def extent(self, i: int) -> int:
        """How many input positions one kernel window spans along spatial axis i."""
        return self.dilation[i] * (self.kernel[i] - 1) + 1


def _per_axis(param: Any, name: str, h: str, w: str, spatial: int,
              default: int | None) -> list[int]:
    """One value per spatial axis from `name` (repeated) or the 2-D `h`/`w` pair.

    Caffe accepts the repeated field given once (for all axes) or once per axis; the _h/_w pair
    only for 2-D and never together with the repeated field. `default` None means required.
    """
    values = list(getattr(param, name))
    if has(param, h) or has(param, w):
        if spatial != 2:
            raise ShapeError(f"{h} & {w} can only be used for 2-D convolution "
                             f"(this one has {spatial} spatial axes)")
        if values:
            raise ShapeError(f"give either {name} or {h}/{w}, not both")
        return [getattr(param, h), getattr(param, w)]
    allowed = {1, spatial} if default is None else {0, 1, spatial}
    if len(values) not in allowed:
        raise ShapeError(f"{name} must be given once or once per spatial axis "
                         f"({name} given {len(values)} times; {spatial} spatial axes)")
    if not values:
        return [default if default is not None else 0] * spatial
    return [values[0] if len(values) == 1 else values[i] for i in range(spatial)]


_GEOMETRY: dict[tuple[bytes, int], ConvGeometry] = {}


def conv_geometry(param: Any, spatial: int) -> ConvGeometry:
    """Kernel/stride/pad/dilation of a ConvolutionParameter for `spatial` spatial axes.

    Mirrors BaseConvolutionLayer::LayerSetUp, including its checks (kernel and stride must be
    positive; dilation has no _h/_w form and is not checked, as in Caffe).

    Reading a dozen fields through protobuf's Python wrappers costs far more than serializing
    the message once, and real nets repeat the same convolution parameters many times (a
    ResNet stage, a 10,000-layer chain): the result is kept per serialized parameter message.
    Only geometries that passed the checks are kept, so errors are raised every time.
    """
    key = (param.SerializeToString(), spatial)
    geo = _GEOMETRY.get(key)
    if geo is None:
        if len(_GEOMETRY) > 10_000:  # many nets in one process: stay small
            _GEOMETRY.clear()
        geo = _GEOMETRY[key] = _conv_geometry(param, spatial)
    return geo


def _conv_geometry(param: Any, spatial: int) -> ConvGeometry:
    kernel = _per_axis(param, "kernel_size", "kernel_h", "kernel_w", spatial, None)
    if any(k <= 0 for k in kernel):
        raise ShapeError(f"kernel dimensions must be positive, got {kernel}")
    stride = _per_axis(param, "stride", "stride_h", "stride_w", spatial, 1)
    if any(s <= 0 for s in stride):
        raise ShapeError(f"stride dimensions must be positive, got {stride}")
    pad = _per_axis(param, "pad", "pad_h", "pad_w", spatial, 0)
    dilation = list(param.dilation)
    if len(dilation) not in {0, 1, spatial}:
        raise ShapeError(f"dilation must be given once or once per spatial axis "
                         f"(dilation given {len(dilation)} times; {spatial} spatial axes)")
    dilation = [1] * spatial if not dilation else [dilation[0 if len(dilation) == 1 else i]
                                                   for i in range(spatial)]
    return ConvGeometry(tuple(kernel), tuple(stride), tuple(pad), tuple(dilation))


def conv_kind(group: int, channels: int, num_output: int, kernel: tuple[int, ...],
              spatial_in: tuple[int, ...]) -> str:
    """The breakdown category of a convolution (see "kinds" in ARCHITECTURE.md).

    A 1x1 convolution over a 1x1 map is a fully connected layer in disguise (MobileNet's
    classifier), so it is reported with the FC layers rather than inflating "pointwise".
    """
    if group > 1 and group == channels == num_output:
        return "depthwise conv"
    if group == 1 and all(k == 1 for k in kernel):
        return "fully connected" if all(d == 1 for d in spatial_in) else "pointwise conv"
    return "grouped conv" if group > 1 else "standard conv"


def conv_out_dim(size: int, geo: ConvGeometry, i: int) -> int:
    """ConvolutionLayer::compute_output_shape along axis i (C++ truncating division)."""
    return cdiv(size + 2 * geo.pad[i] - geo.extent(i), geo.stride[i]) + 1


def deconv_out_dim(size: int, geo: ConvGeometry, i: int) -> int:
    """DeconvolutionLayer::compute_output_shape: the inverse of conv_out_dim."""
    return geo.stride[i] * (size - 1) + geo.extent(i) - 2 * geo.pad[i]


@dataclass(frozen=True, slots=True)
class _Setup:
    shape: Shape          # bottom 0
    axis: int             # channel axis
    channels: int
    num_output: int
    group: int
    geo: ConvGeometry


def _setup(ctx: LayerContext, group: int | None = None, num_output: int | None = None) -> _Setup:
    """The checks BaseConvolutionLayer makes before it can shape anything."""
    blob_counts(ctx, (1, None), (1, None))
    if len(ctx.layer.top) != len(ctx.bottoms):
        raise ShapeError(f"needs one top per bottom ({len(ctx.bottoms)} bottoms, "
                         f"{len(ctx.layer.top)} tops)")
    param = ctx.layer.convolution_param
    shape = same_shapes(ctx, ctx.layer.type)
    axis = axis_of(shape, param.axis)
    geo = conv_geometry(param, len(shape) - axis - 1)
    channels = shape[axis]
    num_output = param.num_output if num_output is None else num_output
    group = param.group if group is None else group
    if num_output <= 0:
        raise ShapeError(f"num_output must be positive, got {num_output}")
    if group <= 0:
        raise ShapeError(f"group must be positive, got {group}")
    if channels % group:
        raise ShapeError(f"input channels {channels} not divisible by group {group} "
                         f"(bottom {fmt(shape)})")
    if num_output % group:
        raise ShapeError(f"num_output {num_output} not divisible by group {group}")
    return _Setup(shape, axis, channels, num_output, group, geo)


def _spatial_out(s: _Setup, dim_fn: Any) -> list[int]:
    out = []
    for i, size in enumerate(s.shape[s.axis + 1:]):
        dim = dim_fn(size, s.geo, i)
        if dim <= 0:
            raise ShapeError(
                f"non-positive output size {dim} along spatial axis {i}: input {size}, "
                f"kernel {s.geo.kernel[i]} (dilation {s.geo.dilation[i]}), stride "
                f"{s.geo.stride[i]}, pad {s.geo.pad[i]} (bottom {fmt(s.shape)})")
        out.append(dim)
    return out


def _conv_cost(ctx: LayerContext, s: _Setup) -> LayerCost:
    """Forward convolution given its setup: tops, [weight, bias], MACs, bias adds."""
    top = (*s.shape[:s.axis], s.num_output, *_spatial_out(s, conv_out_dim))
    kernel = math.prod(s.geo.kernel)
    params: list[Shape] = [(s.num_output, s.channels // s.group, *s.geo.kernel)]
    if ctx.layer.convolution_param.bias_term:
        params.append((s.num_output,))
    n = len(ctx.bottoms)
    out = math.prod(top)
    kind = conv_kind(s.group, s.channels, s.num_output, s.geo.kernel, s.shape[s.axis + 1:])
    return LayerCost(tops=[top] * n, params=params,
                     macs=n * out * (s.channels // s.group) * kernel,
                     ops=n * out if len(params) > 1 else 0, kind=kind)


@register("Convolution")
def convolution(ctx: LayerContext) -> LayerCost:
    """BVLC ConvolutionLayer. MACs = out elements x Cin/group x kernel area; ops = bias adds."""
    return _conv_cost(ctx, _setup(ctx))


@register("Deconvolution")
def deconvolution(ctx: LayerContext) -> LayerCost:
    """BVLC DeconvolutionLayer: weight [Cin, Cout/group, k...], output = stride*(in-1)+extent-2*pad.

    Each input element is scattered through Cout/group x kernel-area weights, hence
    MACs = in elements x Cout/group x kernel area (ARCHITECTURE.md); ops = bias adds.
    """
    s = _setup(ctx)
    top = (*s.shape[:s.axis], s.num_output, *_spatial_out(s, deconv_out_dim))
    params: list[Shape] = [(s.channels, s.num_output // s.group, *s.geo.kernel)]
    if ctx.layer.convolution_param.bias_term:
        params.append((s.num_output,))
    n = len(ctx.bottoms)
    out = math.prod(top)
    macs = n * math.prod(s.shape) * (s.num_output // s.group) * math.prod(s.geo.kernel)
    return LayerCost(tops=[top] * n, params=params, macs=macs,
                     ops=n * out if len(params) > 1 else 0, kind="deconvolution")


def _depthwise_channels(ctx: LayerContext) -> int:
    shape = ctx.bottom(0)
    return shape[axis_of(shape, ctx.layer.convolution_param.axis)]


@register("ConvolutionDepthwise")
def convolution_depthwise(ctx: LayerContext) -> LayerCost:
    """Fork type ConvolutionDepthwise (conv_dw_layer.cpp of the MobileNet depthwise PR to BVLC,
    BVLC/caffe#5665, as vendored by ShuffleNet/Xception ports such as farmingyard/ShuffleNet).

    That layer ignores `group` and `num_output`: it always makes one KxK filter per input
    channel (weight [C,1,kh,kw], bias [C]) and outputs C channels, i.e. a BVLC Convolution
    with group = num_output = C. ShuffleNet files omit `group` for this reason. A num_output
    that differs from C is rejected: the fork would silently output C channels while the
    same layer loaded as a Convolution would output num_output, so the net is ambiguous.
    """
    channels = _depthwise_channels(ctx)
    param = ctx.layer.convolution_param
    if has(param, "num_output") and param.num_output != channels:
        raise ShapeError(f"ConvolutionDepthwise needs num_output == input channels, got "
                         f"num_output {param.num_output} for bottom {fmt(ctx.bottom(0))} "
                         f"(the fork ignores num_output and would output {channels} channels)")
    return _conv_cost(ctx, _setup(ctx, group=channels, num_output=channels))


@register("DepthwiseConvolution")
def depthwise_convolution(ctx: LayerContext) -> LayerCost:
    """Fork type DepthwiseConvolution (yonghenglh6/DepthwiseConvolution): a drop-in for a
    MobileNet depthwise Convolution, so the net still writes num_output and group.

    The fork keeps BaseConvolutionLayer's parameter shapes (from the written group) but its
    kernel computes one filter per channel; it is only meaningful with group == num_output ==
    input channels, so anything else is rejected rather than counted two different ways.
    `group` may be omitted (taken as the channel count).
    """
    channels = _depthwise_channels(ctx)
    param = ctx.layer.convolution_param
    if param.num_output != channels:
        raise ShapeError(f"DepthwiseConvolution needs num_output == input channels, got "
                         f"num_output {param.num_output} for bottom {fmt(ctx.bottom(0))}")
    if has(param, "group") and param.group != channels:
        raise ShapeError(f"DepthwiseConvolution needs group == input channels, got group "
                         f"{param.group} for bottom {fmt(ctx.bottom(0))}")
    return _conv_cost(ctx, _setup(ctx, group=channels, num_output=channels))


@register("Im2col")
def im2col(ctx: LayerContext) -> LayerCost:
    """BVLC Im2colLayer: channels become C x kernel area, spatial axes the conv output size.

    Pure data movement: no MACs, no ops (ops count arithmetic only).
    """
    blob_counts(ctx, (1, 1), (1, 1))
    shape = ctx.bottom(0)
    axis = axis_of(shape, ctx.layer.convolution_param.axis)
    spatial = len(shape) - axis - 1
    if spatial < 1:
        raise ShapeError(f"Im2col needs at least one spatial axis after axis {axis} "
                         f"(bottom {fmt(shape)})")
    geo = conv_geometry(ctx.layer.convolution_param, spatial)
    setup = _Setup(shape, axis, shape[axis], 1, 1, geo)
    top = (*shape[:axis], shape[axis] * math.prod(geo.kernel), *_spatial_out(setup, conv_out_dim))
    return LayerCost(tops=[top], ops=0, kind="reshape")
