"""Small helpers shared by the layer rules (BVLC and fork): Caffe's blob arithmetic and checks.

Caffe's C++ does the arithmetic these rules reproduce (integer division that truncates,
`Blob::count(start, end)`, the legacy num/channels/height/width accessors), so the helpers
keep the same semantics instead of the "obvious" Python ones; a rule that used `//` where
Caffe divides a negative number would disagree with Caffe on exactly the broken nets a user
most needs to understand.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from typing import Any

from prototxt_tool.errors import ShapeError
from prototxt_tool.shapes import LayerContext, Shape, canonical_axis


def fmt(shape: Sequence[int] | None) -> str:
    """A shape as Caffe users read it in messages: [1,64,56,56] ("[]" for a scalar)."""
    if shape is None:
        return "unknown"
    return "[" + ",".join(str(d) for d in shape) + "]"


def cdiv(a: int, b: int) -> int:
    """C++ integer division (truncates toward zero), as in Caffe's output-size formulas."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def span(shape: Shape, start: int, end: int | None = None) -> int:
    """Blob::count(start, end): the product of dims [start, end)."""
    return math.prod(shape[start:end])


def axis_of(shape: Shape, axis: int) -> int:
    """Blob::CanonicalAxisIndex, naming the blob in the message when the axis is out of range."""
    try:
        return canonical_axis(axis, len(shape))
    except ShapeError:
        raise ShapeError(f"axis {axis} out of range for the {len(shape)}-D bottom "
                         f"{fmt(shape)}") from None


def legacy_dim(shape: Shape, index: int) -> int:
    """Blob::LegacyShape: num/channels/height/width of a blob of at most 4 axes (missing = 1).

    Older layers (ContrastiveLoss, MultinomialLogisticLoss, and most fork layers such as SSD's)
    still read blobs through these accessors; Caffe refuses them on blobs of more than 4 axes.
    Reproducing that is what makes e.g. SSD's DetectionOutput accept a 3-D prior blob.
    """
    if len(shape) > 4:
        raise ShapeError(f"this layer reads its bottoms as num/channels/height/width (at most "
                         f"4 axes) and cannot take the {len(shape)}-D blob {fmt(shape)}")
    if index >= len(shape) or index < -len(shape):
        return 1
    return shape[index]


def legacy_nchw(shape: Shape) -> tuple[int, int, int, int]:
    """(num, channels, height, width) as Caffe's legacy accessors read them."""
    n, c, h, w = (legacy_dim(shape, i) for i in range(4))
    return n, c, h, w


def dim(shape: Shape, axis: int) -> int:
    """Caffe's Blob::shape(axis): negative axes count from the end, out of range is an error."""
    return shape[canonical_axis(axis, len(shape))]


def float32(value: float) -> float:
    """Round a Python float to the nearest float32, as a C++ `float` variable would hold it."""
    rounded: float = struct.unpack("<f", struct.pack("<f", value))[0]
    return rounded


def blob_counts(ctx: LayerContext, bottoms: tuple[int, int | None],
                tops: tuple[int, int | None]) -> None:
    """Layer::CheckBlobCounts: the (min, max) number of bottoms and tops a type accepts."""
    for what, have, (lo, hi) in (("bottom", len(ctx.bottoms), bottoms),
                                 ("top", ctx.tops, tops)):
        if lo == hi and have != lo:
            raise ShapeError(f"takes exactly {lo} {what} blob(s), has {have}")
        if have < lo:
            raise ShapeError(f"takes at least {lo} {what} blob(s), has {have}")
        if hi is not None and have > hi:
            raise ShapeError(f"takes at most {hi} {what} blob(s), has {have}")


def same_shapes(ctx: LayerContext, what: str) -> Shape:
    """All bottoms must have bottom 0's shape; returns it. `what` names the layer in the message."""
    first = ctx.bottom(0)
    for i in range(1, len(ctx.bottoms)):
        other = ctx.bottom(i)
        if other != first:
            raise ShapeError(f"{what} bottoms differ: {fmt(first)} vs {fmt(other)} "
                             f"(bottom 0 '{ctx.layer.bottom[0]}', bottom {i} "
                             f"'{ctx.layer.bottom[i]}')")
    return first


def not_in_place(ctx: LayerContext) -> None:
    """Caffe CHECKs `top[0] != bottom[0]` for layers whose top cannot share the bottom."""
    if ctx.layer.top and ctx.layer.bottom and ctx.layer.top[0] == ctx.layer.bottom[0]:
        raise ShapeError(f"cannot run in place (top and bottom are both "
                         f"'{ctx.layer.top[0]}')")


def has(message: object, field: str) -> bool:
    """HasField that also answers False for a field the schema does not define (fork fields)."""
    descriptor = message.DESCRIPTOR  # type: ignore[attr-defined]
    return field in descriptor.fields_by_name and message.HasField(field)  # type: ignore[attr-defined]


def blob_is_legacy(blob: Any) -> bool:
    """A BlobProto written with num/channels/height/width (any of them) instead of shape."""
    return any(blob.HasField(n) for n in ("num", "channels", "height", "width"))


def blob_proto_shape(blob: Any) -> Shape:
    """The shape Blob::FromProto gives a BlobProto: legacy num/channels/height/width when any
    of them is written (always 4-D), else shape.dim."""
    if blob_is_legacy(blob):
        return (blob.num, blob.channels, blob.height, blob.width)
    return tuple(blob.shape.dim)


def shape_equals(target: Shape, source: Shape, legacy: bool) -> bool:
    """Blob::ShapeEquals (BVLC src/caffe/blob.cpp): a legacy 4-D source blob matches a target
    of at most 4 axes whose LegacyShape(-4..-1), missing leading axes read as 1, equal its
    num/channels/height/width (so a 1x1x1xN legacy bias fits an N bias); otherwise the shapes
    must be identical. Unlike num()/channels() (LegacyShape(0..3)), this counts from the end."""
    if legacy:
        return (len(target) <= 4
                and tuple(legacy_dim(target, i) for i in (-4, -3, -2, -1)) == tuple(source))
    return tuple(target) == tuple(source)
