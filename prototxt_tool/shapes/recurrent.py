"""RNN and LSTM: BVLC's RecurrentLayer, which unrolls into an inner net of InnerProducts.

Inputs are x [T, N, ...] (time-major), cont [T, N] (sequence-continuation flags), optionally a
static input [N, ...] seen at every step, and with expose_hidden the initial recurrent state(s)
[1, N, H]. The learnable blobs are those of the unrolled net's InnerProduct layers, in the
order Caffe creates them (lstm_layer.cpp / rnn_layer.cpp FillUnrolledNet):

- LSTM: W_xc [4H, D], b_c [4H], (W_xc_static [4H, S]), W_hc [4H, H]
- RNN:  W_xh [H, D],  b_h [H],  (W_xh_static [H, S]),  W_hh [H, H], W_ho [H, H], b_o [H]

with D = x's size per step and item, S = the static input's size per item.
"""

from __future__ import annotations

from dataclasses import dataclass

from prototxt_tool.errors import ShapeError
from prototxt_tool.shapes import LayerContext, LayerCost, Shape, register
from prototxt_tool.shapes._util import blob_counts, fmt, span


@dataclass(frozen=True, slots=True)
class _Seq:
    steps: int      # T
    streams: int    # N
    x_dim: int      # D
    static: int     # S, 0 without a static input
    hidden: int     # H


def _sequence(ctx: LayerContext, states: int) -> _Seq:
    """RecurrentLayer::LayerSetUp's checks; `states` = recurrent blobs (LSTM 2, RNN 1)."""
    param = ctx.layer.recurrent_param
    exposed = states if param.expose_hidden else 0
    blob_counts(ctx, (2 + exposed, 3 + exposed), (1 + exposed, 1 + exposed))
    x, cont = ctx.bottom(0), ctx.bottom(1)
    if len(x) < 2:
        raise ShapeError(f"{ctx.layer.type} input {fmt(x)} needs at least 2 axes "
                         f"(timesteps, streams, ...)")
    if len(cont) != 2 or tuple(cont) != tuple(x[:2]):
        raise ShapeError(f"{ctx.layer.type} cont {fmt(cont)} must be [timesteps, streams] = "
                         f"{fmt(x[:2])}")
    if param.num_output <= 0:
        raise ShapeError(f"{ctx.layer.type} num_output must be positive, got {param.num_output}")
    static = 0
    if len(ctx.bottoms) == 3 + exposed:
        s = ctx.bottom(2)
        if not s or s[0] != x[1]:
            raise ShapeError(f"{ctx.layer.type} static input {fmt(s)} must start with the "
                             f"{x[1]} streams of {fmt(x)}")
        static = span(s, 1)
    state: Shape = (1, x[1], param.num_output)
    for i in range(len(ctx.bottoms) - exposed, len(ctx.bottoms)):
        if ctx.bottom(i) != state:
            raise ShapeError(f"{ctx.layer.type} initial state {fmt(ctx.bottom(i))} must be "
                             f"{fmt(state)}")
    return _Seq(x[0], x[1], span(x, 2), static, param.num_output)


def _tops(seq: _Seq, states: int, exposed: bool) -> list[Shape | None]:
    out: list[Shape | None] = [(seq.steps, seq.streams, seq.hidden)]
    return out + [(1, seq.streams, seq.hidden)] * (states if exposed else 0)


@register("LSTM")
def lstm(ctx: LayerContext) -> LayerCost:
    """BVLC LSTMLayer; top h [T, N, H] (+ h_T, c_T [1, N, H] with expose_hidden).

    MACs = T x N x 4H x (D + H) + N x 4H x S; ops = T x N x 13H (4H bias adds, 4H gate
    nonlinearities, 5H for the cell and hidden updates).
    """
    seq = _sequence(ctx, 2)
    g = 4 * seq.hidden
    params: list[Shape] = [(g, seq.x_dim), (g,)]
    if seq.static:
        params.append((g, seq.static))
    params.append((g, seq.hidden))
    t, n = seq.steps, seq.streams
    macs = t * n * g * (seq.x_dim + seq.hidden) + n * g * seq.static
    return LayerCost(tops=_tops(seq, 2, ctx.layer.recurrent_param.expose_hidden), params=params,
                     macs=macs, ops=t * n * 13 * seq.hidden, kind="other")


@register("RNN")
def rnn(ctx: LayerContext) -> LayerCost:
    """BVLC RNNLayer (Elman): h_t = tanh(W_hh h_{t-1} + W_xh x_t + b_h), o_t = tanh(W_ho h_t + b_o).

    Top o [T, N, H] (+ h_T [1, N, H] with expose_hidden).
    MACs = T x N x H x (D + 2H) + N x H x S; ops = T x N x 5H (two bias adds, one add, two tanh).
    """
    seq = _sequence(ctx, 1)
    h = seq.hidden
    params: list[Shape] = [(h, seq.x_dim), (h,)]
    if seq.static:
        params.append((h, seq.static))
    params += [(h, h), (h, h), (h,)]
    t, n = seq.steps, seq.streams
    macs = t * n * h * (seq.x_dim + 2 * h) + n * h * seq.static
    return LayerCost(tops=_tops(seq, 1, ctx.layer.recurrent_param.expose_hidden), params=params,
                     macs=macs, ops=t * n * 5 * h, kind="other")
