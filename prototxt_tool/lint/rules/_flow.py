"""Following a blob to the layers that read it next, through element-wise layers."""

from __future__ import annotations

from prototxt_tool.lint.context import PhaseView

# Layers that keep a feature map's meaning channel for channel: looking "through" them finds
# the layer that really consumes a convolution's output.
ELEMENTWISE = frozenset({
    "BatchNorm", "BN", "Scale", "Bias", "ReLU", "ReLU6", "PReLU", "ELU", "Sigmoid", "TanH",
    "Dropout", "Power", "AbsVal", "BNLL", "Clip", "Swish", "Mish", "HardSwish",
})


def next_layers(view: PhaseView, i: int) -> list[int]:
    """Layers that read layer i's tops (each top up to its next writer)."""
    out: list[int] = []
    for top in view.layers[i].param.top:
        out.extend(j for j in view.readers(i, top) if j not in out)
    return sorted(out)


def consumers_through_elementwise(view: PhaseView, i: int) -> list[int]:
    """The first non-element-wise layers fed (directly or via element-wise layers) by layer i."""
    found: list[int] = []
    stack = next_layers(view, i)
    seen: set[int] = set()
    while stack:
        j = stack.pop()
        if j in seen:
            continue
        seen.add(j)
        if view.layers[j].type in ELEMENTWISE:
            stack.extend(next_layers(view, j))
        else:
            found.append(j)
    return sorted(found)
