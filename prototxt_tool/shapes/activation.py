"""Element-wise (neuron) layers, PReLU and Softmax.

Every BVLC NeuronLayer has exactly one bottom and one top of the bottom's shape and no
parameters; only the work per element differs. The counts below are the basic operations of
Caffe's forward pass per output element, kept deliberately coarse: they feed the "ops" column,
which exists so that cheap element-wise work is visible without inflating the MAC count.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from prototxt_tool.errors import ShapeError
from prototxt_tool.shapes import LayerContext, LayerCost, register
from prototxt_tool.shapes._util import axis_of, blob_counts, fmt

# type -> ops per element (forward, inference).
_NEURONS: dict[str, int] = {
    "ReLU": 1,        # max(0, x) (times negative_slope below 0)
    "ReLU6": 1,       # fork type (eric612/MobileNet-YOLO and other MobileNet-v2 forks): clamp
    "AbsVal": 1,
    "Threshold": 1,   # compare
    "TanH": 1,
    "ELU": 2,         # compare, exp
    "BNLL": 2,        # exp, log
    "Exp": 2,         # scale/shift, exp
    "Log": 2,         # scale/shift, log
    "Clip": 2,        # min, max
    "Sigmoid": 3,     # exp, add, divide
    "Power": 3,       # scale, shift, pow
    "Swish": 4,       # sigmoid, multiply
    # ChenYingpeng/caffe-yolov3 caffe_layers/mish_layer/mish_layer.cpp (a NeuronLayer):
    # x * tanh(softplus(x)) = exp, add, log, tanh, multiply
    "Mish": 5,
}



def elementwise(ops_per_element: int, kind: str) -> Callable[[LayerContext], LayerCost]:
    """A rule for a NeuronLayer: one bottom, one top of its shape, no parameters."""

    def rule(ctx: LayerContext) -> LayerCost:
        blob_counts(ctx, (1, 1), (1, 1))
        shape = ctx.bottom(0)
        return LayerCost(tops=[shape], ops=ops_per_element * math.prod(shape), kind=kind)

    rule.__doc__ = f"Top = bottom shape; {ops_per_element} op(s) per element; kind '{kind}'."
    return rule


for _type, _ops in _NEURONS.items():
    register(_type)(elementwise(_ops, "activation"))


@register("Dropout")
def dropout(ctx: LayerContext) -> LayerCost:
    """Identity at inference (TEST): Caffe copies or runs in place, 0 ops.

    rbgirshick/caffe-fast-rcnn's `dropout_param { scale_train: false }` (commit aefeed89,
    src/caffe/layers/dropout_layer.cpp) scales by 1 - ratio at test time instead: 1 op per
    element.
    """
    blob_counts(ctx, (1, 1), (1, 1))
    shape = ctx.bottom(0)
    scaled = not ctx.layer.dropout_param.scale_train
    return LayerCost(tops=[shape], ops=math.prod(shape) if scaled else 0, kind="other")


@register("PReLU")
def prelu(ctx: LayerContext) -> LayerCost:
    """BVLC PReLULayer: slope blob [C] (channels = axis 1), or a scalar [] if channel_shared.

    Caffe allocates the shared slope as a 0-axis blob (one value), so its shape is `()`.
    ops = 2 per element (compare, multiply).
    """
    blob_counts(ctx, (1, 1), (1, 1))
    shape = ctx.bottom(0)
    if len(shape) < 2:
        raise ShapeError(f"PReLU needs a bottom of at least 2 axes, got {fmt(shape)}")
    slope = () if ctx.layer.prelu_param.channel_shared else (shape[1],)
    return LayerCost(tops=[shape], params=[slope], ops=2 * math.prod(shape), kind="activation")


@register("Softmax")
def softmax(ctx: LayerContext) -> LayerCost:
    """BVLC SoftmaxLayer over `axis`; ops = 3 per element (exp, sum, divide)."""
    blob_counts(ctx, (1, 1), (1, 1))
    shape = ctx.bottom(0)
    axis_of(shape, ctx.layer.softmax_param.axis)
    return LayerCost(tops=[shape], ops=3 * math.prod(shape), kind="softmax")


@register("OutputDecay")
def output_decay(ctx: LayerContext) -> LayerCost:
    """yi94code/HRSOD caffe-master/src/caffe/layers/output_decay_layer.cpp (the Caffe of
    Huchuan Lu's group's saliency nets, e.g. wdzhao123/FRD): a NeuronLayer whose LayerSetUp
    CHECKs one bottom, one top, in place. Its Forward is empty; Backward adds an L1/L2
    penalty on the values to their gradient (regularization_type is read only there). So at
    inference: the bottom's shape, 0 ops."""
    blob_counts(ctx, (1, 1), (1, 1))
    if ctx.layer.top[0] != ctx.layer.bottom[0]:
        raise ShapeError(f"OutputDecay must run in place (top '{ctx.layer.top[0]}' is not its "
                         f"bottom '{ctx.layer.bottom[0]}')")
    return LayerCost(tops=[ctx.bottom(0)], ops=0, kind="other")
