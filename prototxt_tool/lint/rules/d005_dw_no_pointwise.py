"""D005 depthwise-without-pointwise: a depthwise conv not followed by a 1x1 conv."""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_tool.lint.context import PhaseView
from prototxt_tool.lint.registry import Issue, rule
from prototxt_tool.lint.rules._conv import is_depthwise, is_pointwise
from prototxt_tool.lint.rules._flow import consumers_through_elementwise


@rule(
    "D005", "depthwise-without-pointwise", "info", stage="phase",
    summary="Depthwise conv whose output does not reach a 1x1 (pointwise) conv.",
    why="""
        A depthwise conv filters each channel alone; without a following pointwise conv no
        information flows between channels, and the block is not depthwise-separable. This is
        sometimes intended (e.g. a depthwise conv right before a residual add), hence info.""",
    bad="""
        conv3/dw (depthwise 3x3) -> bn -> relu -> pool3""",
    good="""
        conv3/dw (depthwise 3x3) -> bn -> relu -> conv3/sep (1x1)""",
)
def check(view: PhaseView) -> Iterator[Issue]:
    for i, layer in enumerate(view.layers):
        if not is_depthwise(view, i):
            continue
        nexts = _consumers(view, i)
        if any(is_pointwise(view.layers[j].param) for j in nexts):
            continue
        names = ", ".join(f"'{view.layers[j].name}' ({view.layers[j].type})" for j in nexts)
        yield Issue(layer.anchor(), f"depthwise conv '{layer.name}' is followed by "
                                    f"{names or 'nothing'}, not by a pointwise (1x1) conv",
                    layer.name)


def _consumers(view: PhaseView, i: int) -> list[int]:
    """Consumers through element-wise layers and through spatial crops: a Slice along height
    or width (how MobileNetV2-SSDLite emulates TensorFlow's asymmetric padding) keeps every
    channel, so what follows it still follows the depthwise conv."""
    found: set[int] = set()
    stack, seen = consumers_through_elementwise(view, i), set()
    while stack:
        j = stack.pop()
        if j in seen:
            continue
        seen.add(j)
        param = view.layers[j].param
        if param.type == "Slice" and _slice_axis(param) >= 2:
            stack.extend(consumers_through_elementwise(view, j))
        else:
            found.add(j)
    return sorted(found)


def _slice_axis(param: object) -> int:
    """slice_param's axis (legacy slice_dim when set), as Caffe's SliceLayer reads it."""
    p = param.slice_param  # type: ignore[attr-defined]
    return int(p.slice_dim) if p.HasField("slice_dim") else int(p.axis)
