"""Blob bookkeeping shared by the graph rules: which bottoms are unresolved and why."""

from __future__ import annotations

from prototxt_tool.lint.context import PhaseView


def bad_bottoms(view: PhaseView, i: int) -> list[int]:
    """Indices of layer i's bottoms that no earlier layer produces (Caffe: unknown bottom)."""
    param = view.layers[i].param
    return [k for k, b in enumerate(param.bottom) if not view.defined_before(i, b)]


def depends_on(view: PhaseView, producer: int, reader: int) -> bool:
    """True if layer `producer` (transitively, through blobs by name) reads what `reader` writes.

    Asked only for a `producer` of one of `reader`'s bottoms (G003, G004): `reader` already
    reads from `producer`, so the answer is whether both lie on one cycle, which the view's
    strongly connected components answer for every pair in one linear pass.
    """
    return producer == reader or view.components[producer] == view.components[reader]
