"""Sequence layers of the OCR / text-detection forks: Transpose, Reverse and "Lstm".

Sources: tianzhi0549/CTPN (caffe/src/caffe/layers/{transpose,reverse,lstm}_layer.cpp, CTPN's
Caffe) and senlinuc/caffe_ocr (src/caffe/layers/transpose_layer.cpp, reverse_layer.cpp,
lstm_layer_Junhyuk.cpp), which agree on every shape below. BVLC's own "LSTM" (with
recurrent_param and a cont input) is a different layer: see recurrent.py.
"""

from __future__ import annotations

import math

from prototxt_tool.errors import ShapeError
from prototxt_tool.shapes import LayerContext, LayerCost, Shape, register
from prototxt_tool.shapes._util import blob_counts, fmt, legacy_dim, legacy_nchw, not_in_place, span

MAX_BLOB_AXES = 32  # Caffe's kMaxBlobAxes


@register("Transpose")
def transpose(ctx: LayerContext) -> LayerCost:
    """Top axis i = bottom axis transpose_param.dim(i); one dim per bottom axis, not in place.

    The forks index `shape[dim(i)]` without checking it; a dim out of range (or repeated,
    which breaks the copy) is refused here rather than guessed. A copy: 0 ops.
    """
    blob_counts(ctx, bottoms=(1, 1), tops=(1, 1))
    not_in_place(ctx)
    shape = ctx.bottom(0)
    dims = list(ctx.layer.transpose_param.dim)
    if not 0 < len(shape) <= MAX_BLOB_AXES:
        raise ShapeError(f"the transposed blob {fmt(shape)} must have 1 to {MAX_BLOB_AXES} axes")
    if len(dims) != len(shape):
        raise ShapeError(f"transpose_param has {len(dims)} dim(s) for the {len(shape)}-D bottom "
                         f"{fmt(shape)}: the dimensions of top and bottom must be equal")
    if sorted(dims) != list(range(len(shape))):
        raise ShapeError(f"transpose_param dim {dims} must list each axis of {fmt(shape)} once")
    return LayerCost(tops=[tuple(shape[d] for d in dims)], ops=0, kind="reshape")


@register("Reverse")
def reverse(ctx: LayerContext) -> LayerCost:
    """Reverses the order along reverse_param.axis (default 0, time); 0 <= axis < num_axes,
    not in place; top = bottom shape. A copy: 0 ops."""
    blob_counts(ctx, bottoms=(1, 1), tops=(1, 1))
    not_in_place(ctx)
    shape = ctx.bottom(0)
    axis = ctx.layer.reverse_param.axis
    if not 0 <= axis < len(shape):
        raise ShapeError(f"reverse_param axis {axis} must be >= 0 and less than the "
                         f"{len(shape)} axes of {fmt(shape)}")
    return LayerCost(tops=[shape], ops=0, kind="reshape")


@register("Lstm")
def lstm(ctx: LayerContext) -> LayerCost:
    """Junhyuk Oh's LSTM: input x [T, N, I...] (time-major), top h [T, N, H], H = num_output.

    Blobs: W_x [4H, I], W_h [4H, H], b [4H] with I = x.count(2) (CTPN; caffe_ocr reads
    x.shape(2), the same for the 3-D inputs both forks use, so a deeper input is left
    unknown). MACs = T x N x 4H x (I + H); ops = T x N x 13H, as for BVLC's LSTM (4H bias
    adds, 4H gate nonlinearities, 5H cell and hidden updates).
    """
    blob_counts(ctx, bottoms=(1, 1), tops=(1, 1))
    x = ctx.bottom(0)
    hidden = ctx.layer.lstm_param.num_output
    if len(x) < 3:
        raise ShapeError(f"Lstm input {fmt(x)} needs 3 axes (timesteps, streams, input)")
    if hidden <= 0:
        raise ShapeError("lstm_param num_output must be positive")
    if len(x) > 3:
        return LayerCost(tops=[None], params=None, macs=None, ops=None, kind="other")
    steps, streams, inputs = x[0], x[1], span(x, 2)
    g = 4 * hidden
    params: list[Shape] = [(g, inputs), (g, hidden), (g,)]
    top = (steps, streams, hidden)
    return LayerCost(tops=[top], params=params, macs=steps * streams * g * (inputs + hidden),
                     ops=math.prod(top) * 13, kind="other")


@register("CTCGreedyDecoder")
def ctc_greedy_decoder(ctx: LayerContext) -> LayerCost:
    """senlinuc/caffe_ocr src/caffe/layers/ctc_decoder_layer.cpp: best path per time step.

    Bottom 0: probabilities [T, N, C]. With one bottom and one top the top is the decoded
    sequences [N, T, 1, 1]; with a second bottom (labels) and one top, the accuracy
    [1, 2, 1, 1]. Where each sequence ends depends on the data, so its ops are unknown.
    """
    blob_counts(ctx, bottoms=(1, 3), tops=(1, 3))
    probs = ctx.bottom(0)
    if len(probs) < 3:
        raise ShapeError(f"CTCGreedyDecoder input {fmt(probs)} needs 3 axes (T, N, C)")
    steps, streams = probs[0], probs[1]
    accuracy = len(ctx.bottoms) == 2 and len(ctx.layer.top) == 1
    tops: list[Shape | None] = [(1, 2, 1, 1) if accuracy else (streams, steps, 1, 1)]
    tops += [None] * (len(ctx.layer.top) - 1)  # scores / accuracy of the other layouts
    return LayerCost(tops=tops, ops=None, kind="other", data_dependent=True)


@register("ContinuationIndicator")
def continuation_indicator(ctx: LayerContext) -> LayerCost:
    """yalecyu/crnn.caffe src/caffe/layers/continuation_indicator_layer.cpp: the "cont" input
    of BVLC's LSTM/RNN, written by the layer itself: no bottoms, one top
    [time_step, batch_size] holding 0 at t = 0 and 1 after. LayerSetUp CHECKs both > 0
    (the proto defaults are 0). Filling constants: 0 ops."""
    blob_counts(ctx, bottoms=(0, 0), tops=(1, 1))
    p = ctx.layer.continuation_indicator_param
    for name, value in (("time_step", p.time_step), ("batch_size", p.batch_size)):
        if value <= 0:
            raise ShapeError(f"continuation_indicator_param {name} must be greater than 0, "
                             f"got {value}")
    return LayerCost(tops=[(p.time_step, p.batch_size)], ops=0, kind="other")


# --- CTC losses and the sequence accuracy (training nets) -------------------------------------
# Their work is the CTC forward-backward recursion over each label sequence (or the decoded
# sequences), whose lengths only the data knows: ops unknown, data-dependent. All are
# LossLayer subclasses (or, for the accuracy, like one): one scalar top.


@register("WarpCTCLoss")
def warp_ctc_loss(ctx: LayerContext) -> LayerCost:
    """senlinuc/caffe_ocr src/caffe/layers/warp_ctc_loss_layer.cpp (Baidu's warp-ctc).

    Bottom 0: activations read through the legacy accessors as T = num, N = channels,
    C = height, width 1 (a T x N x C blob). Then either labels (N first), or sequence
    indicators [T, N] and labels (N channels), or sequence lengths and label lengths (N
    values each) and labels (N channels), as LayerSetUp CHECKs them.
    """
    blob_counts(ctx, bottoms=(2, 4), tops=(1, 1))
    steps, streams, _, width = legacy_nchw(ctx.bottom(0))
    if width != 1:
        raise ShapeError(f"WarpCTCLoss activations {fmt(ctx.bottom(0))} must be T x N x C")
    rest = [ctx.bottom(i) for i in range(1, len(ctx.bottoms))]
    if len(rest) == 1:
        ok = legacy_dim(rest[0], 0) == streams
    elif len(rest) == 2:
        ok = (legacy_nchw(rest[0])[:2] == (steps, streams)
              and legacy_dim(rest[1], 1) == streams)
    else:
        ok = (math.prod(rest[0]) == streams == math.prod(rest[1])
              and legacy_dim(rest[2], 1) == streams)
    if not ok:
        raise ShapeError(f"WarpCTCLoss bottoms {', '.join(fmt(s) for s in rest)} do not fit "
                         f"{steps} time steps of {streams} sequences")
    return LayerCost(tops=[()], ops=None, kind="loss", data_dependent=True)


@register("CtcLoss")
def ctc_loss(ctx: LayerContext) -> LayerCost:
    """yalecyu/crnn.caffe src/caffe/layers/ctc_loss_layer.cpp: activations T x N x C, labels
    N x L. LayerSetUp CHECKs alphabet_size > 0 and time_step > 0; Reshape that the labels'
    first axis is the batch (the fork's LossLayer drops BVLC's first-axis check)."""
    blob_counts(ctx, bottoms=(2, 2), tops=(1, 1))
    p = ctx.layer.ctc_loss_param
    for name, value in (("alphabet_size", p.alphabet_size), ("time_step", p.time_step)):
        if value <= 0:
            raise ShapeError(f"ctc_loss_param {name} must be greater than 0, got {value}")
    data, label = ctx.bottom(0), ctx.bottom(1)
    if len(data) < 2 or not label or label[0] != data[1]:
        raise ShapeError(f"CtcLoss labels {fmt(label)} must have one row per sequence of "
                         f"{fmt(data)} (T x N x C)")
    return LayerCost(tops=[()], ops=None, kind="loss", data_dependent=True)


@register("LabelsequenceAccuracy")
def labelsequence_accuracy(ctx: LayerContext) -> LayerCost:
    """yalecyu/crnn.caffe src/caffe/layers/labelsequence_accuracy_layer.cpp: predictions
    N x T x C (best path decoded, blanks and repeats removed) against labels N x L; scalar
    top. Forward CHECKs equal batch sizes and reads 3 axes of the predictions."""
    blob_counts(ctx, bottoms=(2, 2), tops=(1, 1))
    pred, label = ctx.bottom(0), ctx.bottom(1)
    if len(pred) < 3 or len(label) < 2 or pred[0] != label[0]:
        raise ShapeError(f"LabelsequenceAccuracy predictions {fmt(pred)} (N x T x C) and "
                         f"labels {fmt(label)} (N x L) must have the same batch size")
    return LayerCost(tops=[()], ops=None, kind="other", data_dependent=True)
