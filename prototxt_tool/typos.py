"""Near misses: "did you mean 'ReLU'?" for a misspelt layer type.

Caffe's layer registry is case-sensitive and exact, so `Relu` or `Convolutoin` abort the net
("Unknown layer type"). A name within a small edit distance of exactly one known type is
almost surely that type misspelt; anything further away is more likely a real fork layer that
dwsep does not know, which must stay a warning.
"""

from __future__ import annotations

from collections.abc import Iterable

# Names within a few edits of a BVLC type that public forks really register (their
# REGISTER_LAYER_CLASS lines): never reported as typos. Lstm: junhyukoh/caffe-lstm and its
# copies (BVLC's is LSTM); Flip: several forks' flip_layer.cpp (not Clip); PoolingND: the N-d
# pooling of 3-D/video forks (not Pooling).
FORK_TYPES = frozenset({"Lstm", "Flip", "PoolingND"})


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance (insert, delete, substitute, swap neighbours), or
    limit + 1 as soon as it is certain to exceed `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = ca != cb
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def near_miss(name: str, known: Iterable[str]) -> str | None:
    """The one known name `name` is a near miss of: same letters in another case, or (ignoring
    case) 1 edit away for names of up to 5 characters, 2 for longer ones. A different first
    letter or a name that extends a known one (`PoolingND`) is a new name, not a slip.
    None when there is no such name or more than one."""
    if not name or name in FORK_TYPES:
        return None
    folded = name.lower()
    names = list(known)
    same_case = [k for k in names if k.lower() == folded and k != name]
    if same_case:
        return same_case[0] if len(same_case) == 1 else None
    limit = 1 if len(name) <= 5 else 2
    best: list[tuple[int, str]] = []
    for k in names:
        low = k.lower()
        if low[:1] != folded[:1] or folded.startswith(low):
            continue
        d = edit_distance(folded, low, limit)
        if 0 < d <= limit:
            best.append((d, k))
    if not best:
        return None
    best.sort()
    if len(best) > 1 and best[1][0] == best[0][0]:
        return None
    return best[0][1]
