"""Blob bookkeeping shared by the graph rules: which bottoms are unresolved and why."""

from __future__ import annotations

from prototxt_tool.lint.context import PhaseView


def bad_bottoms(view: PhaseView, i: int) -> list[int]:
    """Indices of layer i's bottoms that no earlier layer produces (Caffe: unknown bottom)."""
    param = view.layers[i].param
    return [k for k, b in enumerate(param.bottom) if not view.defined_before(i, b)]


def depends_on(view: PhaseView, start: int, target: int) -> bool:
    """True if layer `start` (transitively, through blobs by name) reads what `target` writes."""
    seen: set[int] = set()
    stack = [start]
    while stack:
        j = stack.pop()
        if j == target:
            return True
        if j in seen:
            continue
        seen.add(j)
        for blob in view.layers[j].param.bottom:
            stack.extend(p for p in view.producers.get(blob, ()) if p != j)
    return False
