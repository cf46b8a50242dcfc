"""Fork variants of BVLC/SSD layer types found in public nets: N-D pooling (the 3-D medical
imaging forks), the PriorBox meanings of FaceBoxes and TextBoxes, R-FCN's PSROIPooling.
Each figure is worked out by hand from the fork's own C++, shown next to it."""

from __future__ import annotations

import pytest

from prototxt_tool import caffe_pb2, textformat
from prototxt_tool.errors import ShapeError
from prototxt_tool.shapes import LayerContext, LayerCost, Shape, rule_for


def run(text: str, *bottoms: Shape | None) -> LayerCost:
    layer = caffe_pb2.LayerParameter()
    textformat.parse(text, layer)  # strict: every field used here is in the schema
    if not layer.top:
        layer.top.append("t")
    if not layer.bottom:
        layer.bottom.extend(f"b{i}" for i in range(len(bottoms)))
    rule = rule_for(layer.type)
    assert rule is not None, layer.type
    return rule(LayerContext(layer, list(bottoms), {}))


def fails(text: str, *bottoms: Shape | None, match: str) -> None:
    with pytest.raises(ShapeError, match=match):
        run(text, *bottoms)


# --- N-D pooling ----------------------------------------------------------------------------

POOL = 'type: "Pooling" pooling_param { %s }'


@pytest.mark.parametrize(("body", "bottom", "top", "ops"), [
    # ceil((40 - 3) / 2) + 1 = 20 on each of the 3 spatial axes; 27 compares per output
    ("pool: MAX kernel_size: 3 stride: 2", (1, 38, 40, 40, 40), (1, 38, 20, 20, 20),
     38 * 20 ** 3 * 27),
    ("kernel_size: 2 stride: 2", (2, 4, 96, 96, 95), (2, 4, 48, 48, 48), 2 * 4 * 48 ** 3 * 8),
    # pad 1: ceil((5 + 2 - 2) / 2) + 1 = 4, but window 3 starts at 6 >= 5 + 1: 3 kept
    ("pool: AVE kernel_size: 2 stride: 2 pad: 1", (1, 1, 5, 5, 5), (1, 1, 3, 3, 3), 27 * 8),
    ("pool: AVE global_pooling: true", (1, 8, 4, 5, 6), (1, 8, 1, 1, 1), 8 * 120),
    # 4 spatial axes are as good as 3
    ("kernel_size: 2 stride: 2", (1, 1, 4, 4, 4, 4), (1, 1, 2, 2, 2, 2), 16 * 16),
])
def test_nd_pooling(body: str, bottom: Shape, top: Shape, ops: int) -> None:
    cost = run(POOL % body, bottom)
    assert cost.tops == [top] and cost.ops == ops and cost.kind == "pooling"
    assert cost.params == [] and cost.macs == 0


def test_nd_max_pooling_mask_top() -> None:
    cost = run('type: "Pooling" top: "p" top: "mask" pooling_param { kernel_size: 2 stride: 2 }',
               (1, 2, 4, 4, 4))
    assert cost.tops == [(1, 2, 2, 2, 2)] * 2


@pytest.mark.parametrize(("body", "match"), [
    ("stride: 2", "needs kernel_size"),
    ("kernel_h: 2 kernel_w: 2", "kernel_h is not defined for N-D"),
    ("kernel_size: 2 round_mode: FLOOR", "round_mode is not defined for N-D"),
    ("kernel_size: 2 ceil_mode: false", "ceil_mode is not defined for N-D"),
    ("kernel_size: 2 pad: 2", "smaller than kernel"),
    ("pool: STOCHASTIC kernel_size: 3 pad: 1", "only for MAX and AVE"),
    ("global_pooling: true kernel_size: 2", "cannot be given"),
    ("global_pooling: true stride: 2", "only pad 0 and stride 1"),
    ("kernel_size: 2 stride: 0", "stride must be positive"),
    ("kernel_size: 0", "kernel must be positive"),
    ("kernel_size: 9", r"non-positive pooling output \[-4, -4, -4\]"),
])
def test_nd_pooling_errors(body: str, match: str) -> None:
    fails(POOL % body, (1, 1, 4, 4, 4), match=match)


def test_pooling_below_four_axes_is_still_refused() -> None:
    fails(POOL % "kernel_size: 2", (1, 8, 8), match="4-D")
