"""Will these weights load? Caffe's Net::CopyTrainedLayersFrom, statically.

BVLC src/caffe/net.cpp: for each layer record of the (upgraded) weights file, in order, the
first layer of the built net with the same name receives its blobs; records whose name is not
in the net are skipped ("Ignoring source layer", INFO only), and net layers no record names
keep their filler values without a word. A named layer must have exactly as many blobs as the
record ("Incompatible number of blobs for layer"), each of the same shape by
Blob::ShapeEquals ("Cannot copy param N weights from layer 'x'; shape mismatch", legacy 4-D
blobs compared as num/channels/height/width), and Blob::FromProto then needs exactly shape
count values. Layer types are never compared. Each finding carries a lint rule code (W001-W008,
one module each in lint/rules) so `dwsep check` and `dwsep lint --weights` share lint's
output formats, configuration and exit codes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from prototxt_tool.shapes._util import fmt, shape_equals
from prototxt_tool.weights.model import Model, StoredBlob


@dataclass(frozen=True, slots=True)
class WeightIssue:
    code: str
    layer: str  # the layer's name (the net's, or the weights record's)
    message: str
    net_index: int | None = None  # position in the phase's net, when the net has the layer


def compare(model: Model, net: Any, param_shapes: list[Any], phase: str,
            other_phases: dict[str, list[str]]) -> list[WeightIssue]:
    """Findings for loading `model` into `net` (the phase's filtered V2 net).

    `param_shapes` is parallel to net.layer: the blob shapes the net allocates (None when the
    analysis could not know them); `other_phases` maps names of layers that exist only in
    other phases to those phases.
    """
    records = _records(model)
    out: list[WeightIssue] = []
    first: dict[str, int] = {}
    for i, layer in enumerate(net.layer):
        first.setdefault(layer.name, i)
    unchecked: list[int] = []
    for i, layer in enumerate(net.layer):
        if first[layer.name] != i:
            continue  # Caffe copies into the first layer of a name only
        if param_shapes[i] is None:  # unknown input: only stored blobs say it has any
            if records.get(layer.name):
                unchecked.append(i)
            continue
        out.extend(_layer(model, i, layer, param_shapes[i], records.get(layer.name)))
    if unchecked:
        names = ", ".join(f"'{net.layer[i].name}'" for i in unchecked[:3])
        more = f" and {len(unchecked) - 3} more" if len(unchecked) > 3 else ""
        out.append(WeightIssue("W008", net.layer[unchecked[0]].name, f"{len(unchecked)} "
                               f"layer(s) not checked ({names}{more}): their input shapes are "
                               "unknown (give them with --input-shape)", unchecked[0]))
    for name, blobs in records.items():
        if name in first:
            continue
        if name in other_phases:
            phases = " and ".join(other_phases[name])
            out.append(WeightIssue("W007", name, f"weights for layer '{name}' are not loaded "
                                   f"in phase {phase}: the net has that layer in phase "
                                   f"{phases} only"))
        elif blobs:
            out.append(WeightIssue("W005", name, f"weights for layer '{name}' "
                                   f"({_count(blobs)}) match no layer of the net: Caffe "
                                   "ignores them (renamed layer?)"))
    return out


def _records(model: Model) -> dict[str, list[StoredBlob]]:
    """Name -> blobs of the last record of that name (each record overwrites the previous).
    CopyTrainedLayersFromBinaryProto upgrades a V0/V1 file first, which keeps layer names
    and blobs as they are."""
    return {rec.name: rec.blobs for rec in model.layers}


def _layer(model: Model, i: int, layer: Any, want: list[Any],
           blobs: list[StoredBlob] | None) -> Iterable[WeightIssue]:
    name = str(layer.name)
    if blobs is None:
        if want:
            yield _missing(i, layer, want)
        return
    if len(want) != len(blobs):
        yield WeightIssue("W001", name, f"incompatible number of blobs for layer '{name}': the "
                          f"net allocates {_count_shapes(want)}, the weights have "
                          f"{_count(blobs)}", i)
        return
    for j, (shape, blob) in enumerate(zip(want, blobs, strict=True)):
        if not shape_equals(tuple(shape), blob.shape, blob.legacy):
            legacy = " (legacy num/channels/height/width)" if blob.legacy else ""
            yield WeightIssue("W002", name, f"cannot copy param {j} of layer '{name}': the "
                              f"weights have {fmt(blob.shape)}{legacy}, the net expects "
                              f"{fmt(shape)}", i)
        elif blob.values != math.prod(blob.shape):
            yield WeightIssue("W003", name, f"param {j} of layer '{name}' holds {blob.values} "
                              f"values, its shape {fmt(blob.shape)} needs "
                              f"{math.prod(blob.shape)} (corrupt or cut weights)", i)
    if layer.type == "BatchNorm" and len(blobs) == 3 and blobs[2].values == 1 == math.prod(
            blobs[2].shape):
        factor = float(model.array(blobs[2]).reshape(-1)[0])
        if factor == 0:
            yield WeightIssue("W006", name, f"BatchNorm '{name}' has a moving-average factor "
                              "(blob 2) of 0: Caffe then uses mean 0 and variance 0, and the "
                              "layer multiplies its input by 1/sqrt(eps)", i)


def _missing(i: int, layer: Any, want: list[Any]) -> WeightIssue:
    name = str(layer.name)
    if layer.type == "BatchNorm":
        return WeightIssue("W006", name, f"BatchNorm '{name}' has no statistics in the weights: "
                           "its mean, variance and factor stay 0, so in TEST it multiplies its "
                           "input by 1/sqrt(eps) (about 316)", i)
    return WeightIssue("W004", name, f"layer '{name}' ({layer.type}) has no weights in the "
                       f"file: it keeps its fillers' values ({_count_shapes(want)})", i)


def _count(blobs: list[StoredBlob]) -> str:
    return _count_shapes([b.shape for b in blobs])


def _count_shapes(shapes: Any) -> str:
    n = len(shapes)
    listed = ", ".join(fmt(s) for s in shapes)
    return f"{n} blob{'s' if n != 1 else ''}" + (f" {listed}" if n else "")
