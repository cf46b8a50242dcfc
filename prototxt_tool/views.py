"""Views of an Analysis for big nets: top-k, sorting, roll-ups by kind / prefix / block, and the
what-if table collapsed into identical rows. Plain data in, plain data out (report.py formats).

Nothing here changes a figure: a group's numbers are sums of its layers' numbers.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from prototxt_tool.analysis import Analysis, LayerReport

SORT_KEYS = ("macs", "params", "activations", "name", "order")
GROUP_KEYS = ("kind", "prefix", "block")


@dataclass(slots=True)
class Group:
    """Layers rolled up under one name. A figure is None when one of its layers' is unknown."""

    name: str
    layers: int = 0
    macs: int | None = 0
    ops: int | None = 0
    params: int | None = 0
    learnable: int | None = 0
    activations: int | None = 0
    first: str = ""  # first and last layer of the group, in file order
    last: str = ""
    members: list[str] = field(default_factory=list)

    def add(self, r: LayerReport) -> None:
        self.layers += 1
        self.first = self.first or r.name
        self.last = r.name
        self.members.append(r.name)
        self.macs = _plus(self.macs, r.macs)
        self.ops = _plus(self.ops, r.ops)
        self.params = _plus(self.params, None if r.params is None else r.params - r.shared)
        self.learnable = _plus(self.learnable, None if r.learnable is None
                               else r.learnable - min(r.shared, r.learnable))
        self.activations = _plus(self.activations, r.activations)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["learnable_params"] = d.pop("learnable")
        return d


def _plus(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else a + b


def sort_key(key: str) -> Any:
    """Heaviest first for figures (unknown last), A-Z for names, file order for order."""
    if key == "name":
        return lambda x: x.name
    if key == "order":
        return None
    return lambda x: (getattr(x, key) is None, -(getattr(x, key) or 0))


def select(items: list[Any], sort: str = "order", top: int | None = None) -> list[Any]:
    """Rows of a view: sorted by `sort` (stable), the first `top` of them."""
    key = sort_key(sort)
    out = sorted(items, key=key) if key is not None else list(items)
    return out if top is None else out[:top]


def groups(a: Analysis, by: str) -> list[Group]:
    """Roll the layers up by kind, by name prefix (before the last '/') or by graph block."""
    if by == "block":
        return [_group(label, [a.layers[i] for i in members]) for label, members in blocks(a)]
    out: dict[str, Group] = {}
    for r in a.layers:
        name = r.kind if by == "kind" else (r.name.rpartition("/")[0] or r.name)
        g = out.get(name)
        if g is None:
            g = out[name] = Group(name)
        g.add(r)
    return list(out.values())


def _group(name: str, layers: list[LayerReport]) -> Group:
    g = Group(name)
    for r in layers:
        g.add(r)
    return g


def blocks(a: Analysis) -> list[tuple[str, list[int]]]:
    """Residual / inception units from the graph: the layers between two consecutive cut points.

    A cut point is a place in the layer order where at most one tensor is alive, i.e. produced
    before it and still read after it (ResNet's unit output, Inception's concat, any point of
    a plain chain). An in-place layer alone between two cuts (BatchNorm, ReLU) joins the unit
    before it. A unit is named after its last layer that is not in place (the Eltwise sum, the
    Concat, the convolution); its first and last layers are in the Group.
    """
    n = len(a.layers)
    if not n:  # a net without layers has no units (and no segment to start with)
        return []
    current: dict[str, int] = {}  # blob name -> producing step (its version)
    last_read: dict[int, int] = {}
    for i, r in enumerate(a.layers):
        for b in r.bottoms:
            v = current.get(b.name)
            if v is not None:
                last_read[v] = i
        inplace = {b.name for b in r.bottoms}
        for b in r.tops:
            if b.name not in inplace or b.name not in current:
                current[b.name] = i
    delta = [0] * (n + 1)
    for made, read in last_read.items():
        if read > made:
            delta[made] += 1
            delta[read] -= 1
    segments: list[list[int]] = [[]]
    alive = 0
    for i in range(n):
        alive += delta[i]
        segments[-1].append(i)
        if alive <= 1 and i < n - 1:
            segments.append([])
    merged: list[list[int]] = []
    for seg in segments:
        if merged and len(seg) == 1 and _in_place(a.layers[seg[0]]):
            merged[-1].extend(seg)
        else:
            merged.append(seg)
    out = []
    for seg in merged:
        named = [i for i in seg if not _in_place(a.layers[i])] or seg
        out.append((a.layers[named[-1]].name, seg))
    return out


def _in_place(r: LayerReport) -> bool:
    return bool(r.tops) and {b.name for b in r.tops} <= {b.name for b in r.bottoms}


@dataclass(slots=True)
class SeparableRow:
    """Standard convolutions with the same (kernel, Cin, N, output size), collapsed."""

    first: str  # first such layer, in file order
    count: int
    kernel: tuple[int, ...]
    cin: int
    n: int
    size: tuple[int, ...]  # output spatial size
    macs: int  # of all `count` layers
    separable_macs: int
    ratio: float

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["kernel"], d["size"] = list(self.kernel), list(self.size)
        return d


def separable_rows(a: Analysis) -> list[SeparableRow]:
    rows: dict[tuple[Any, ...], SeparableRow] = {}
    for r in a.layers:
        if r.separable is None or r.macs is None or not r.param_shapes:
            continue
        weight = r.param_shapes[0]
        out = r.tops[0].shape or ()
        key = (tuple(weight[2:]), weight[1] * _groups(r), weight[0], tuple(out[2:]))
        row = rows.get(key)
        if row is None:
            rows[key] = SeparableRow(r.name, 1, key[0], key[1], key[2], key[3], r.macs,
                                     r.separable.macs, float(r.separable.ratio))
        else:
            row.count += 1
            row.macs += r.macs
            row.separable_macs += r.separable.macs
    return list(rows.values())


def _groups(r: LayerReport) -> int:
    """Cin / (weight's second dim): 1 for a standard conv (group 1), as `separable` requires."""
    if not r.bottoms or r.bottoms[0].shape is None or len(r.bottoms[0].shape) < 2:
        return 1
    return max(1, r.bottoms[0].shape[1] // max(1, r.param_shapes[0][1]))  # type: ignore[index]


def depthwise_share(a: Analysis) -> float | None:
    """Share (%) of the net's MACs done by depthwise convolutions."""
    dw = sum(k.macs for k in a.breakdown if k.kind == "depthwise conv")
    return round(100.0 * dw / a.total.macs, 4) if a.total.macs else None


def elements(shape: tuple[int, ...] | None) -> int | None:
    return None if shape is None else math.prod(shape)
