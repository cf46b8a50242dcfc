"""What changed between two nets: layers matched, added, removed, changed, with cost deltas.

Layers are matched by name first (a name used twice is matched in order of appearance); the
layers left unmatched on both sides are then paired by position where they sit at the same
place between two matched layers and have the same type (a renamed layer). What is still
unmatched is removed (A only) or added (B only). A matched layer is "changed" when its type,
kind, output shapes, params, MACs or ops differ. Plain data; report.py formats it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from prototxt_tool.analysis import Analysis, LayerReport


@dataclass(slots=True)
class LayerChange:
    status: str  # "added", "removed", "changed", "renamed", "same"
    a: LayerReport | None
    b: LayerReport | None
    fields: list[str] = field(default_factory=list)  # what differs, for changed/renamed

    @property
    def name(self) -> str:
        if self.a is not None and self.b is not None and self.a.name != self.b.name:
            return f"{self.a.name} -> {self.b.name}"
        return (self.b or self.a).name  # type: ignore[union-attr]

    def delta(self, key: str) -> int | None:
        """B's figure minus A's (a missing side counts 0); None when either is unknown."""
        va = 0 if self.a is None else getattr(self.a, key)
        vb = 0 if self.b is None else getattr(self.b, key)
        return None if va is None or vb is None else vb - va

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "name": self.name,
                "a": None if self.a is None else self.a.name,
                "b": None if self.b is None else self.b.name,
                "type": (self.b or self.a).type,  # type: ignore[union-attr]
                "fields": list(self.fields),
                **{f"{k}_a": None if self.a is None else getattr(self.a, k) for k in KEYS},
                **{f"{k}_b": None if self.b is None else getattr(self.b, k) for k in KEYS},
                **{f"{k}_delta": self.delta(k) for k in KEYS}}


KEYS = ("macs", "params", "learnable", "activations")
TOTAL_KEYS = ("macs", "ops", "params", "learnable", "activations", "peak_activations")


@dataclass(slots=True)
class NetDiff:
    a: Analysis
    b: Analysis
    layers: list[LayerChange]  # in B's order, removed layers where they stood in A

    def changes(self) -> list[LayerChange]:
        return [c for c in self.layers if c.status != "same"]

    def total_delta(self, key: str) -> tuple[int, int, int, float | None]:
        """(A, B, B - A, % of A) of a net total."""
        va, vb = getattr(self.a.total, key), getattr(self.b.total, key)
        return va, vb, vb - va, (round(100.0 * (vb - va) / va, 4) if va else None)

    def counts(self) -> dict[str, int]:
        out = {s: 0 for s in ("added", "removed", "changed", "renamed", "same")}
        for c in self.layers:
            out[c.status] += 1
        return out


def _differences(a: LayerReport, b: LayerReport, blob_names: dict[str, str]) -> list[str]:
    out = []
    if a.type != b.type:
        out.append("type")
    if a.kind != b.kind:
        out.append("kind")
    if [t.shape for t in a.tops] != [t.shape for t in b.tops]:
        out.append("output")
    if a.param_shapes != b.param_shapes:
        out.append("params")
    if a.macs != b.macs:
        out.append("macs")
    if a.ops != b.ops:
        out.append("ops")
    # Bottoms compared through the renames: a renamed producer is not a rewiring.
    if [blob_names.get(x.name, x.name) for x in a.bottoms] != [x.name for x in b.bottoms]:
        out.append("bottoms")
    return out


def diff(a: Analysis, b: Analysis) -> NetDiff:
    by_name: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(a.layers):
        by_name[r.name].append(i)
    match_b: list[int | None] = []
    for r in b.layers:
        spare = by_name.get(r.name)
        match_b.append(spare.pop(0) if spare else None)
    matched_a = {i for i in match_b if i is not None}
    _pair_by_position(a, b, match_b, matched_a)
    blob_names = {}
    for j, i in enumerate(match_b):
        if i is not None:
            for ta, tb in zip(a.layers[i].tops, b.layers[j].tops, strict=False):
                blob_names[ta.name] = tb.name
    rows: list[LayerChange] = []
    next_a = 0  # removed layers of A are emitted before the B layer that follows them

    def flush_removed(upto: int) -> None:
        nonlocal next_a
        while next_a < upto:
            if next_a not in matched_a:
                rows.append(LayerChange("removed", a.layers[next_a], None))
            next_a += 1

    # Removed layers come before the added ones of the same gap, as in a unified diff.
    upcoming = [len(a.layers)] * (len(b.layers) + 1)
    for j in range(len(b.layers) - 1, -1, -1):
        upcoming[j] = match_b[j] if match_b[j] is not None else upcoming[j + 1]  # type: ignore[assignment]
    for j, rb in enumerate(b.layers):
        i = match_b[j]
        if i is None:
            flush_removed(upcoming[j])
            rows.append(LayerChange("added", None, rb))
            continue
        flush_removed(i)
        next_a = max(next_a, i + 1)
        ra = a.layers[i]
        fields = _differences(ra, rb, blob_names)
        status = "renamed" if ra.name != rb.name else ("changed" if fields else "same")
        rows.append(LayerChange(status, ra, rb, fields))
    flush_removed(len(a.layers))
    return NetDiff(a, b, rows)


def _pair_by_position(a: Analysis, b: Analysis, match_b: list[int | None],
                      matched_a: set[int]) -> None:
    """Pair unmatched layers lying in the same gap between name matches, by order and type."""
    last_a = -1
    gap_b: list[int] = []

    def close(next_a: int) -> None:
        free_a = [i for i in range(last_a + 1, next_a) if i not in matched_a]
        if len(free_a) != len(gap_b):  # not a one-for-one rename: added and removed layers
            return
        for jb, ia in zip(gap_b, free_a, strict=True):
            if a.layers[ia].type == b.layers[jb].type:
                match_b[jb] = ia
                matched_a.add(ia)

    for j, i in enumerate(match_b):
        if i is None:
            gap_b.append(j)
            continue
        if i > last_a:
            close(i)
            last_a = i
        gap_b = []
    close(len(a.layers))
