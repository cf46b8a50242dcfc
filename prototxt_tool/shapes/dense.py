"""DenseNet's whole dense block as one layer: `DenseBlock` (denseblock_param).

Source: senlinuc/caffe_ocr src/caffe/layers/DenseBlock_layer.cpp (LayerSetUp, Reshape,
Forward_cpu) and DenseBlock_layer.cu, a copy of Tongcheng Li's memory-efficient layer
(Tongcheng/caffe, same paths, same DenseBlockParameter in both caffe.proto files).

The two differ in one line: Tongcheng/caffe takes the block's input width from
`initChannel`, senlinuc/caffe_ocr from the bottom's channels ("modified by jxs"). They cannot
disagree where Tongcheng's Caffe works: its CPU forward copies the bottom into an
N x initChannel x H x W buffer with Blob::CopyFrom, which aborts when the counts differ, and
its GPU forward reads the bottom as if it had initChannel channels (the wrong stride from the
second sample on, or past the blob's end). So the block's input width is the bottom's
channels, and a differing initChannel (the senlinuc OCR nets set 64 after 128-channel
transitions) is ignored, as caffe_ocr ignores it. No field tells the two forks apart.
"""

from __future__ import annotations

from prototxt_tool.errors import ShapeError
from prototxt_tool.shapes import LayerContext, LayerCost, Shape, register
from prototxt_tool.shapes._util import blob_counts, fmt

# Per transition: BN at inference ((x - mean) / std * scale + bias, folded: 4 ops, as BVLC
# BatchNorm (2) + Scale with bias (2) count them) and ReLU (1), per input element.
BN_RELU_OPS = 4 + 1


@register("DenseBlock")
def dense_block(ctx: LayerContext) -> LayerCost:
    """numTransition x (BN, ReLU, [1x1 conv to 4 x growthRate, BN, ReLU,] 3x3 conv to
    growthRate), each transition's output concatenated to its input along the channels.

    Top: N x (C + numTransition x growthRate) x H x W, C the bottom's channels; the 3x3
    convolutions keep H x W (pad 1, stride 1: the forks hard-code them and never read the
    pad_h/pad_w/stride/filter_H/filter_W fields). Blobs, in the forks' order, transition i
    reading C_i = C + i x growthRate channels (G = growthRate):
    - without use_BC (5 x numTransition + 1): 3x3 filters [G, C_i, 3, 3], BN scales
      [1, C_i, 1, 1], BN biases, global means, global variances (same shape), and the
      moving-average factor [1];
    - with use_BC (10 x numTransition + 1): 3x3 filters [G, 4G, 3, 3], scales, biases, means,
      variances of C_i, 1x1 filters [4G, C_i, 1, 1], scales, biases, means, variances of 4G,
      and the factor.
    Means, variances and the factor are statistics (the forks give them lr_mult 0). The
    layer adds its own `param` specs and CHECK-fails ("Nope") when the net gives any.
    Dropout (use_dropout) runs only in TRAIN; at inference it costs nothing.
    """
    blob_counts(ctx, bottoms=(1, 1), tops=(1, 1))
    p = ctx.layer.denseblock_param
    transitions, growth, bc = p.numTransition, p.growthRate, p.use_BC
    if len(ctx.layer.param):
        raise ShapeError(f"DenseBlock takes no param specs (it has {len(ctx.layer.param)}): "
                         "the layer adds its own and aborts on any given")
    if transitions < 0:
        raise ShapeError(f"denseblock_param numTransition must be >= 0, got {transitions}")
    if growth < 0:
        raise ShapeError(f"denseblock_param growthRate must be >= 0, got {growth}")
    shape = ctx.bottom(0)
    if len(shape) != 4:
        raise ShapeError(f"DenseBlock needs a 4-D bottom (N x C x H x W), got {fmt(shape)}")
    num, channels, height, width = shape
    positions = num * height * width
    wide = 4 * growth
    convs3: list[Shape] = []
    bn: list[Shape] = []
    convs1: list[Shape] = []
    macs = ops = 0
    for i in range(transitions):
        c_i = channels + i * growth
        bn.append((1, c_i, 1, 1))
        ops += BN_RELU_OPS * positions * c_i
        if bc:
            convs1.append((wide, c_i, 1, 1))
            convs3.append((growth, wide, 3, 3))
            macs += positions * wide * c_i + positions * growth * wide * 9
            ops += BN_RELU_OPS * positions * wide
        else:
            convs3.append((growth, c_i, 3, 3))
            macs += positions * growth * c_i * 9
    params = convs3 + bn * 4
    stats_at: tuple[int, ...] = tuple(range(3 * transitions, 5 * transitions))
    if bc:
        params += convs1 + [(1, wide, 1, 1)] * (4 * transitions)
        stats_at += tuple(range(8 * transitions, 10 * transitions))
    params.append((1,))
    top = (num, channels + transitions * growth, height, width)
    return LayerCost(tops=[top], params=params, macs=macs, ops=ops, kind="other", stats=1,
                     stats_at=stats_at)
