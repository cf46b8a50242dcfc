"""Layered (Sugiyama) layout of a DAG whose node ids are already in topological order.

Why our own and not grandalf or Graphviz: see docs/draw.md (measured there). In short, Caffe's
layer order is a topological order, so every step is a linear pass or a sort per rank:

1. ranks: longest path from the sources; a source with no inputs (a label blob, a second
   input) is pulled down to just above its first reader so it does not drag a long edge.
2. long edges get one dummy point per rank they cross (the usual Sugiyama normalisation).
3. crossing reduction: barycenter sweeps down and up; crossings are counted per rank pair
   with a Fenwick tree (E log V) and the best ordering seen is kept.
4. coordinates: each rank is placed as close as possible to the mean of its neighbours in the
   previous (or next) rank, subject to keeping the order and a gap between nodes: an isotonic
   regression solved exactly by pool-adjacent-violators in linear time per rank.

Coordinates are computed along two abstract axes, "breadth" (within a rank) and "depth" (rank
to rank), and mapped to x/y at the end, so top-to-bottom and left-to-right share all the code.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

NODE_GAP = 24.0  # between nodes of a rank
RANK_GAP = 44.0  # between ranks: room for an edge's shape label
DUMMY_BREADTH = 10.0
SWEEPS = 6
COORD_PASSES = 8


@dataclass(slots=True)
class Placed:
    x: float  # centre
    y: float
    width: float
    height: float


@dataclass(slots=True)
class Layout:
    nodes: list[Placed]
    routes: list[list[tuple[float, float]]]  # per input edge: start, bends, end
    width: float
    height: float
    crossings: int  # edge crossings between adjacent ranks (0 for a chain)


def layout(sizes: Sequence[tuple[float, float]], edges: Sequence[tuple[int, int]],
           rankdir: str = "TB", margin: float = 16.0, rank_gap: float = RANK_GAP) -> Layout:
    """Place nodes of the given (width, height) and route edges (source < target).

    rank_gap is the space between ranks, where edge labels go (wider for LR, where a label
    runs along the edge).
    """
    n = len(sizes)
    horizontal = rankdir == "LR"
    breadth = [h if horizontal else w for w, h in sizes]
    depth = [w if horizontal else h for w, h in sizes]
    rank = _ranks(n, edges)

    # -- normalise: a chain of dummy vertices for every edge longer than one rank
    vrank = list(rank)
    vbreadth = list(breadth)
    chains: list[list[int]] = []
    succ: list[list[int]] = [[] for _ in range(n)]
    pred: list[list[int]] = [[] for _ in range(n)]
    for s, t in edges:
        chain = [s]
        for r in range(rank[s] + 1, rank[t]):
            vrank.append(r)
            vbreadth.append(DUMMY_BREADTH)
            succ.append([])
            pred.append([])
            chain.append(len(vrank) - 1)
        chain.append(t)
        for a, b in itertools.pairwise(chain):
            succ[a].append(b)
            pred[b].append(a)
        chains.append(chain)
    levels: list[list[int]] = [[] for _ in range(max(vrank, default=-1) + 1)]
    for v, r in enumerate(vrank):
        levels[r].append(v)

    crossings = _order(levels, succ, pred)
    pos = _coordinates(levels, succ, pred, vbreadth)

    # depth coordinate of each rank: the tallest node of the rank decides its extent
    extent = [max((depth[v] for v in level if v < n), default=0.0) for level in levels]
    centre: list[float] = []
    d = margin
    for e in extent:
        centre.append(d + e / 2)
        d += e + rank_gap
    total_depth = d - rank_gap + margin if levels else 2 * margin
    low = min((pos[v] - vbreadth[v] / 2 for v in range(len(vrank))), default=0.0)
    shift = margin - low
    total_breadth = max((pos[v] + vbreadth[v] / 2 for v in range(len(vrank))), default=0.0) \
        + shift + margin

    def point(b: float, dep: float) -> tuple[float, float]:
        return (dep, b + shift) if horizontal else (b + shift, dep)

    placed = []
    for v in range(n):
        x, y = point(pos[v], centre[rank[v]])
        placed.append(Placed(x, y, sizes[v][0], sizes[v][1]))
    routes = []
    for chain in chains:
        s, t = chain[0], chain[-1]
        pts = [point(pos[s], centre[rank[s]] + depth[s] / 2)]
        for v in chain[1:-1]:  # straight through the rank it crosses, bends between ranks
            half = extent[vrank[v]] / 2
            pts += [point(pos[v], centre[vrank[v]] - half), point(pos[v], centre[vrank[v]] + half)]
        pts.append(point(pos[t], centre[rank[t]] - depth[t] / 2))
        routes.append(pts)
    width, height = (total_depth, total_breadth) if horizontal else (total_breadth, total_depth)
    return Layout(placed, routes, width, height, crossings)


def _ranks(n: int, edges: Sequence[tuple[int, int]]) -> list[int]:
    preds: list[list[int]] = [[] for _ in range(n)]
    succs: list[list[int]] = [[] for _ in range(n)]
    for s, t in edges:
        if not s < t:
            raise ValueError(f"edge {s}->{t} is not in topological order")
        preds[t].append(s)
        succs[s].append(t)
    rank = [0] * n
    for v in range(n):
        if preds[v]:
            rank[v] = max(rank[u] for u in preds[v]) + 1
    for v in range(n - 1, -1, -1):  # sources sit just above their first reader
        if not preds[v] and succs[v]:
            rank[v] = max(0, min(rank[w] for w in succs[v]) - 1)
    return rank


def _order(levels: list[list[int]], succ: list[list[int]], pred: list[list[int]]) -> int:
    """Barycenter sweeps; leaves `levels` in the best order found, returns its crossings."""
    index = [0] * len(succ)

    def number() -> None:
        for level in levels:
            for i, v in enumerate(level):
                index[v] = i

    number()
    best = _crossings(levels, succ, index)
    best_levels = [list(level) for level in levels]
    for sweep in range(SWEEPS):
        if best == 0:
            break
        down = sweep % 2 == 0
        ranks = range(1, len(levels)) if down else range(len(levels) - 2, -1, -1)
        for r in ranks:
            level = levels[r]
            keys = {}
            for v in level:
                near = pred[v] if down else succ[v]
                keys[v] = sum(index[u] for u in near) / len(near) if near else index[v]
            level.sort(key=keys.__getitem__)  # stable: ties keep their order
            for i, v in enumerate(level):
                index[v] = i
        count = _crossings(levels, succ, index)
        if count < best:
            best, best_levels = count, [list(level) for level in levels]
    levels[:] = best_levels
    number()
    return best


def _crossings(levels: list[list[int]], succ: list[list[int]], index: list[int]) -> int:
    """Crossings between each pair of adjacent ranks (Barth, Juenger and Mutzel's counting)."""
    total = 0
    for r in range(len(levels) - 1):
        targets = [index[w] for v in levels[r] for w in sorted(succ[v], key=index.__getitem__)]
        if len(targets) < 2:
            continue
        size = len(levels[r + 1])
        tree = [0] * (size + 1)
        for seen, t in enumerate(targets):
            # edges already inserted with a target right of t cross this one
            i, below = t + 1, 0
            while i > 0:
                below += tree[i]
                i -= i & -i
            total += seen - below
            i = t + 1
            while i <= size:
                tree[i] += 1
                i += i & -i
    return total


def _coordinates(levels: list[list[int]], succ: list[list[int]], pred: list[list[int]],
                 breadth: list[float]) -> list[float]:
    """Breadth coordinate of every vertex: pulled toward its neighbours, never overlapping."""
    pos = [0.0] * len(succ)
    for level in levels:
        b = 0.0
        for v in level:
            pos[v] = b + breadth[v] / 2
            b += breadth[v] + NODE_GAP
        offset = (b - NODE_GAP) / 2  # centre every rank on 0
        for v in level:
            pos[v] -= offset
    for p in range(COORD_PASSES):
        down = p % 2 == 0
        ranks = range(1, len(levels)) if down else range(len(levels) - 2, -1, -1)
        for r in ranks:
            level = levels[r]
            want = []
            for v in level:
                near = pred[v] if down else succ[v]
                if p >= 2:  # after the first passes, balance both sides
                    near = pred[v] + succ[v]
                want.append(sum(pos[u] for u in near) / len(near) if near else pos[v])
            _place(level, want, breadth, pos)
    return pos


def _place(level: list[int], want: list[float], breadth: list[float], pos: list[float]) -> None:
    """Positions closest (least squares) to `want` keeping order and gaps: PAV isotonic fit.

    With c_i the least offset of vertex i from vertex 0 (half widths plus gaps), x_i - c_i must
    be non-decreasing; the best such sequence is the isotonic regression of want_i - c_i.
    """
    offsets = [0.0]
    for a, b in itertools.pairwise(level):
        offsets.append(offsets[-1] + (breadth[a] + breadth[b]) / 2 + NODE_GAP)
    blocks: list[list[float]] = []  # [sum, count, first index]
    for i, w in enumerate(want):
        blocks.append([w - offsets[i], 1.0, float(i)])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            s, c, _ = blocks.pop()
            blocks[-1][0] += s
            blocks[-1][1] += c
    for k, (s, c, first) in enumerate(blocks):
        value = s / c
        end = int(blocks[k + 1][2]) if k + 1 < len(blocks) else len(level)
        for i in range(int(first), end):
            pos[level[i]] = value + offsets[i]
