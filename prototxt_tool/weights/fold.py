"""Fold BatchNorm (+ Scale) into the Convolution or InnerProduct before it, for deploy.

In TEST (use_global_stats), BVLC Caffe's BatchNorm (src/caffe/layers/batch_norm_layer.cpp)
computes y = (x - m/f) / sqrt(v/f + eps) with blobs m (mean), v (variance) and f (the
moving-average factor, blob 2; 1/f is taken as 0 when f is 0), per channel of axis 1; Scale
(scale_layer.cpp, axis 1, num_axes 1) then y = gamma * x (+ beta with bias_term). Both are
affine per output channel of the layer before, so with a = gamma / sqrt(v/f + eps):
W' = a * W (per output channel) and b' = a * (b - m/f) + beta, b = 0 for a layer without
bias (it gains one). Computed in float64, stored as the source blob was (float or double).

Only what is provably equivalent is folded. The BatchNorm must read the only output of a
single-top Convolution/InnerProduct (channel axis 1) that nothing else reads; a Scale is folded
when it is the only reader of the BatchNorm's output. Anything else is refused with the reason
(BatchNorm after a Concat or a ReLU, a conv output feeding two branches, a BatchNorm feeding
two, use_global_stats: false), or with keep_unfoldable left in the net as it is.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from prototxt_tool.errors import DwsepError, NetError
from prototxt_tool.pipeline import LoadedNet, UpgradedNet
from prototxt_tool.weights.model import LAYER, Model, blob_bytes, layer_record

TARGETS = ("Convolution", "InnerProduct")


@dataclass(slots=True)
class Fold:
    target: int  # positions in the phase's net
    bn: int
    scale: int | None
    top: str  # the target's new top: the last folded layer's


@dataclass
class FoldResult:
    folds: list[Fold]
    kept: list[str]  # unfoldable BatchNorms left in place (keep_unfoldable), with the reason
    prototxt: str
    text_kept: bool  # True: the input's text with only the folded layers edited
    records: dict[int, bytes | None] = field(default_factory=dict)  # model record -> new/None


def plan(loaded: LoadedNet) -> tuple[list[Fold], list[tuple[int, str]]]:
    """Which BatchNorms fold into which layer, and why each other BatchNorm cannot."""
    layers = loaded.net.layer
    writer: dict[str, int] = {}
    readers: dict[int, list[int]] = {}
    sources: list[list[int | None]] = []
    for i, layer in enumerate(layers):
        src = [writer.get(b) for b in layer.bottom]
        sources.append(src)
        for p in src:
            if p is not None:
                readers.setdefault(p, []).append(i)
        for t in layer.top:
            writer[t] = i
    folds: list[Fold] = []
    refused: list[tuple[int, str]] = []
    for i, layer in enumerate(layers):
        if layer.type != "BatchNorm":
            continue
        reason = _refusal(loaded, i, sources[i], readers)
        if reason:
            refused.append((i, reason))
            continue
        target = sources[i][0]
        assert target is not None
        scale = _scale_after(layers, i, readers)
        last = scale if scale is not None else i
        folds.append(Fold(target, i, scale, str(layers[last].top[0])))
    return folds, refused


def _refusal(loaded: LoadedNet, i: int, src: list[int | None],
             readers: dict[int, list[int]]) -> str | None:
    layers = loaded.net.layer
    bn = layers[i]
    if len(bn.bottom) != 1 or len(bn.top) != 1:
        return "it does not have one bottom and one top"
    if bn.batch_norm_param.HasField("use_global_stats") and \
            not bn.batch_norm_param.use_global_stats:
        return ("use_global_stats is false: it normalizes with each batch's own statistics, "
                "which no weights can hold")
    p = src[0]
    if p is None:
        return f"its input '{bn.bottom[0]}' is an input of the net, not a layer's output"
    before = layers[p]
    if before.type not in TARGETS:
        return (f"it follows {before.type} '{before.name}', not a Convolution or InnerProduct "
                "(only a layer with weights can absorb it)")
    if len(before.top) != 1 or len(before.bottom) != 1:
        return f"'{before.name}' has several bottoms or tops (shared weights)"
    axis = (before.convolution_param.axis if before.type == "Convolution"
            else before.inner_product_param.axis)
    if axis != 1:
        return f"'{before.name}' has axis {axis}; BatchNorm normalizes axis 1"
    others = [layers[r].name for r in readers.get(p, []) if r != i]
    if others:
        names = ", ".join(f"'{n}'" for n in others)
        return (f"the output of '{before.name}' also feeds {names}: folding would change what "
                "they read")
    after = readers.get(i, [])
    if len(after) > 1:
        names = ", ".join(f"'{layers[r].name}'" for r in after)
        return f"it feeds two branches ({names}): they would see the folded values"
    return None


def _scale_after(layers: Any, i: int, readers: dict[int, list[int]]) -> int | None:
    """The Scale folded with BatchNorm i: its only reader, a one-bottom per-channel Scale."""
    after = readers.get(i, [])
    if len(after) != 1:
        return None
    scale = layers[after[0]]
    p = scale.scale_param
    if (scale.type != "Scale" or len(scale.bottom) != 1 or len(scale.top) != 1
            or p.axis != 1 or p.num_axes != 1):
        return None
    return after[0]


def refuse(loaded: LoadedNet, i: int, reason: str, hint: bool = True) -> NetError:
    layer = loaded.net.layer[i]
    tree = loaded.layer_trees[i]
    span = tree.location("name") if tree is not None else None
    more = " (--keep-unfoldable folds the others and keeps it)" if hint else ""
    return NetError(f"cannot fold: {reason}{more}", layer=layer.name, layer_type=layer.type,
                    filename=loaded.source.filename, line=span.line if span else 0,
                    column=span.column if span else 0)


# -- the weights --------------------------------------------------------------------------
def fold_weights(model: Model, loaded: LoadedNet, folds: Sequence[Fold]) -> dict[int, bytes | None]:
    """New records for the targets and None (drop) for every record of a folded layer."""
    import numpy as np

    layers = loaded.net.layer
    index = model.by_name()
    out: dict[int, bytes | None] = {}
    for fold in folds:
        target, bn = layers[fold.target], layers[fold.bn]
        rec_t = _record(model, index, target, loaded)
        rec_bn = _record(model, index, bn, loaded)
        has_bias = _bias_term(target)
        _need(loaded, target, len(rec_t.blobs) == 1 + has_bias and len(rec_t.blobs[0].shape) > 1,
              f"its weights have {len(rec_t.blobs)} blob(s), the layer {1 + has_bias}")
        w_blob = rec_t.blobs[0]
        weights = model.array(w_blob)
        n = weights.shape[1] if _transposed(target) else weights.shape[0]
        bias = model.array(rec_t.blobs[1]).reshape(-1) if has_bias else np.zeros(n)
        _need(loaded, bn, len(rec_bn.blobs) == 3 and all(
            math.prod(b.shape) == c for b, c in zip(rec_bn.blobs, (n, n, 1), strict=True)),
            f"its weights are not mean [{n}], variance [{n}] and factor [1]")
        mean, var, factor = (model.array(b).reshape(-1) for b in rec_bn.blobs)
        inv_factor = 0.0 if factor[0] == 0 else 1.0 / factor[0]
        eps = float(np.float32(bn.batch_norm_param.eps))
        a = 1.0 / np.sqrt(var * inv_factor + eps)
        shift = -mean * inv_factor * a
        if fold.scale is not None:
            scale = layers[fold.scale]
            rec_s = _record(model, index, scale, loaded)
            with_beta = scale.scale_param.bias_term
            _need(loaded, scale, len(rec_s.blobs) == 1 + with_beta and all(
                math.prod(b.shape) == n for b in rec_s.blobs),
                f"its weights are not {1 + with_beta} blob(s) of [{n}]")
            gamma = model.array(rec_s.blobs[0]).reshape(-1)
            beta = model.array(rec_s.blobs[1]).reshape(-1) if with_beta else 0.0
            a, shift = a * gamma, shift * gamma + beta
        per_out = a[None, :] if _transposed(target) else a.reshape((n,) + (1,) * (weights.ndim - 1))
        new_w = weights * per_out
        new_b = bias * a + shift
        double = w_blob.double
        blobs = [blob_bytes(w_blob.shape, new_w, double, like=w_blob)]
        if has_bias:
            b_blob = rec_t.blobs[1]
            blobs.append(blob_bytes(b_blob.shape, new_b, b_blob.double, like=b_blob))
        else:
            blobs.append(blob_bytes((n,), new_b, double))
        param = type(rec_t.param)()
        param.CopyFrom(rec_t.param)
        _folded_definition(param, fold.top)
        out[index[target.name]] = layer_record(param, blobs)
        for i in (fold.bn, fold.scale):
            if i is not None:
                for j, rec in enumerate(model.layers):
                    if rec.name == layers[i].name:
                        out[j] = None
    return out


def _record(model: Model, index: dict[str, int], layer: Any, loaded: LoadedNet) -> Any:
    j = index.get(layer.name)
    _need(loaded, layer, j is not None, f"it has no weights in {model.path}")
    assert j is not None
    rec = model.layers[j]
    _need(loaded, layer, rec.field == LAYER,
          f"its weights in {model.path} are a legacy V1 record")
    return rec


def _need(loaded: LoadedNet, layer: Any, ok: bool, reason: str) -> None:
    """Weights that do not fit the net: an error for the whole run (`dwsep check` says more)."""
    if not ok:
        i = next(k for k, x in enumerate(loaded.net.layer) if x.name == layer.name)
        raise refuse(loaded, i, reason, hint=False)


def _transposed(layer: Any) -> bool:
    return layer.type == "InnerProduct" and layer.inner_product_param.transpose


def _bias_term(layer: Any) -> bool:
    p = layer.convolution_param if layer.type == "Convolution" else layer.inner_product_param
    return bool(p.bias_term)


def _folded_definition(layer: Any, top: str) -> None:
    """The target after folding: it writes the last folded top and has a bias."""
    layer.top[0] = top
    p = layer.convolution_param if layer.type == "Convolution" else layer.inner_product_param
    if p.HasField("bias_term"):
        p.bias_term = True


# -- the prototxt -------------------------------------------------------------------------
def folded_net(parsed: UpgradedNet, loaded: LoadedNet, folds: Sequence[Fold]) -> Any:
    """The upgraded net (every phase) without the folded layers, each target rewired."""
    up = parsed.upgraded.net
    drop = {loaded.kept[i] for f in folds for i in (f.bn, f.scale) if i is not None}
    net = type(up)()
    net.CopyFrom(up)
    for f in folds:
        _folded_definition(net.layer[loaded.kept[f.target]], f.top)
    layers = [x for k, x in enumerate(net.layer) if k not in drop]
    del net.layer[:]
    net.layer.extend(layers)
    return net


def folded_text(parsed: UpgradedNet, loaded: LoadedNet, folds: Sequence[Fold],
                expected: Any) -> str | None:
    """The input's own text with the folded layers cut out and each target's top (and a
    `bias_term: false`) rewritten, if that text parses to exactly `expected`; else None."""
    from google.protobuf import text_encoding

    from prototxt_tool.pipeline import Source, parse_net, upgrade_parsed

    if parsed.format != "V2":
        return None
    text = parsed.source.text
    starts = [0]
    for k, ch in enumerate(text):
        if ch == "\n":
            starts.append(k + 1)

    def offsets(span: Any) -> tuple[int, int]:
        return (starts[span.line - 1] + span.column - 1,
                starts[span.end_line - 1] + span.end_column)

    edits: list[tuple[int, int, str]] = []
    for f in folds:
        for i in (f.bn, f.scale):
            if i is not None:  # `layer { ... }` from its field name on
                block = parsed.tree.location(*parsed.upgraded.origins[loaded.kept[i]])
                edits.append((*_whole_lines(text, *offsets(block)), ""))
        tree = loaded.layer_trees[f.target]
        top = tree.location("top", 0)
        name = text_encoding.CEscape(f.top, as_utf8=True)
        edits.append((*offsets(top), f'top: "{name}"'))
        layer = loaded.net.layer[f.target]
        inner = tree.nested("convolution_param" if layer.type == "Convolution"
                            else "inner_product_param")
        bias = inner.location("bias_term") if inner is not None else None
        if bias is not None:
            edits.append((*offsets(bias), "bias_term: true"))
    out = text
    for start, end, new in sorted(edits, reverse=True):
        out = out[:start] + new + out[end:]
    source = Source(parsed.source.filename, out)
    try:
        again = upgrade_parsed(source, *parse_net(source)).upgraded.net
    except DwsepError:  # the edit went wrong somehow: re-serialise instead
        return None
    return out if again == expected else None


def _whole_lines(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen [start, end) to whole lines when nothing else is written on them."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end + 1
    if text[line_start:start].strip() or text[end:line_end].strip():
        return start, end
    return line_start, line_end
