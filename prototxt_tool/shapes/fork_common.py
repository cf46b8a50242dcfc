"""Helpers shared by the rules for fork (non-BVLC) layer types.

Most fork layers were written against Caffe's old 4-D accessors (num(), channels(), height(),
width()), which behave differently from shape(i): they refuse blobs with more than 4 axes and
read a missing trailing axis as 1. Reproducing that exactly is what makes e.g. SSD's
DetectionOutput accept a 3-D prior blob, so the rules go through `legacy_dim` instead of
indexing shapes directly.
"""

from __future__ import annotations

import struct

from prototxt_tool.errors import ShapeError
from prototxt_tool.shapes import LayerContext, Shape, canonical_axis


def legacy_dim(shape: Shape, index: int) -> int:
    """Caffe's Blob::LegacyShape(index): 1 for axes the blob does not have, at most 4 axes."""
    if len(shape) > 4:
        raise ShapeError(f"needs a blob of at most 4 axes (legacy accessors), got {list(shape)}")
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


def check_counts(ctx: LayerContext, bottoms: tuple[int, int], tops: tuple[int, int]) -> None:
    """Caffe's Min/Max/ExactNum{Bottom,Top}Blobs checks, done before anything else."""
    _check_count(ctx.layer.type, "bottom", len(ctx.bottoms), *bottoms)
    _check_count(ctx.layer.type, "top", len(ctx.layer.top), *tops)


def _check_count(type_name: str, what: str, have: int, low: int, high: int) -> None:
    if low <= have <= high:
        return
    want = str(low) if low == high else f"{low} to {high}"
    raise ShapeError(f"{type_name} takes {want} {what} blob(s), has {have}")


def float32(value: float) -> float:
    """Round a Python float to the nearest float32, as a C++ `float` variable would hold it."""
    rounded: float = struct.unpack("<f", struct.pack("<f", value))[0]
    return rounded
