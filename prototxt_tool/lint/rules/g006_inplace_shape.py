"""G006 in-place-shape-change: an in-place layer (bottom == top) that changes the shape."""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_tool.lint.context import PhaseView
from prototxt_tool.lint.registry import Issue, rule

# Layers whose Caffe implementation reads its input while writing a differently laid out
# output: in place they corrupt data even when the shape happens to come out equal.
NEVER_IN_PLACE = frozenset({
    "Convolution", "ConvolutionDepthwise", "DepthwiseConvolution", "Deconvolution",
    "Pooling", "InnerProduct", "Concat", "Slice", "Crop", "Im2col", "LRN", "Permute",
    "Reshape", "Flatten", "Softmax", "Eltwise", "Interp", "Upsample", "ROIPooling",
})


@rule(
    "G006", "in-place-shape-change", "error", stage="phase",
    summary="A layer works in place (bottom == top) but changes the shape or cannot run in place.",
    why="""
        In place, Caffe gives the layer one blob as both input and output. Element-wise layers
        (ReLU, BatchNorm, Scale, Dropout) are fine; a layer that changes the shape reshapes the
        blob under its own input, and layers like Convolution or Pooling overwrite input they
        still have to read.""",
    bad="""
        layer { name: "pool1" type: "Pooling" bottom: "conv1" top: "conv1"
                pooling_param { pool: MAX kernel_size: 2 stride: 2 } }""",
    good="""
        layer { name: "pool1" type: "Pooling" bottom: "conv1" top: "pool1"
                pooling_param { pool: MAX kernel_size: 2 stride: 2 } }""",
)
def check(view: PhaseView) -> Iterator[Issue]:
    for i, layer in enumerate(view.layers):
        bottoms = list(layer.param.bottom)
        for k, top in enumerate(layer.param.top):
            if top not in bottoms:
                continue
            reason = _reason(view, i, bottoms.index(top), k)
            if reason:
                yield Issue(layer.where(f"top[{k}]"),
                            f"layer '{layer.name}' ({layer.type}) works in place on '{top}' "
                            f"but {reason}", layer.name)


def _reason(view: PhaseView, i: int, b: int, k: int) -> str | None:
    before = view.bottom_shapes(i)[b] if b < len(view.bottom_shapes(i)) else None
    tops = view.top_shapes(i)
    after = tops[k] if k < len(tops) else None
    if before is not None and after is not None and tuple(before) != tuple(after):
        return f"changes its shape from {_fmt(before)} to {_fmt(after)}"
    if view.layers[i].type in NEVER_IN_PLACE:
        return "this layer type cannot run in place"
    return None


def _fmt(shape: tuple[int, ...]) -> str:
    return "x".join(str(d) for d in shape)
