"""Well-known Python layers, modelled statically from their published source.

A Python layer's shapes come from user code that dwsep never imports or runs. For a few
modules that public nets name over and over, the code is known: each entry below reproduces
what that class's setup() and reshape() give its tops when Caffe initialises the net (the
shapes `caffe` prints at net init), keyed by `python_param { module layer }` exactly as
written. Any other module stays unknown (see fork.python_layer).
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from prototxt_tool.errors import ShapeError
from prototxt_tool.shapes import LayerContext, LayerCost, Shape
from prototxt_tool.shapes._util import blob_counts, fmt


def rpn_proposal(ctx: LayerContext) -> LayerCost:
    """rbgirshick/py-faster-rcnn lib/rpn/proposal_layer.py ProposalLayer (also R-FCN's).

    setup() reshapes rois to [1, 5] and, with a second top, scores to [1, 1, 1, 1]; reshape()
    does nothing (the forward pass resizes them to the proposals kept by NMS, which is
    data-dependent). Bottoms: rpn_cls_prob_reshape, rpn_bbox_pred, im_info.
    """
    blob_counts(ctx, bottoms=(3, 3), tops=(1, 2))
    tops: list[Shape | None] = [(1, 5), (1, 1, 1, 1)][:len(ctx.layer.top)]
    return LayerCost(tops=tops, ops=None, kind="detection", data_dependent=True)


def ctpn_text_proposal(ctx: LayerContext) -> LayerCost:
    """tianzhi0549/CTPN src/layers/text_proposal_layer.py ProposalLayer: setup() reshapes
    its two tops to [1, 4] and [1, 1, 1, 1]; the forward pass resizes them to the text
    proposals found (data-dependent); reshape() does nothing."""
    blob_counts(ctx, bottoms=(1, None), tops=(2, 2))
    return LayerCost(tops=[(1, 4), (1, 1, 1, 1)], ops=None, kind="detection",
                     data_dependent=True)


def detectnet_cluster(ctx: LayerContext) -> LayerCost:
    """NVIDIA/caffe python/caffe/layers/detectnet/clustering.py ClusterDetections.

    param_str "img_x,img_y,stride,cvg_threshold,rect_threshold,rect_eps,min_height
    [,num_classes=1[,max_boxes=50]]"; one top per class, each reshaped to
    [batch, max_boxes, 5]; bottom 0 (coverage) must have num_classes channels. The clustering
    (OpenCV groupRectangles) is data-dependent, so its ops are unknown.
    """
    blob_counts(ctx, bottoms=(2, None), tops=(1, None))
    items = ctx.layer.python_param.param_str.split(",")
    try:
        convert: list[Callable[[str], object]] = [int, int, int, float, int, float, int]
        for f, item in zip(convert, items, strict=False):
            f(item)
        if len(items) < len(convert):
            raise ValueError
        classes = int(items[7]) if len(items) > 7 else 1
        boxes = int(items[8]) if len(items) > 8 else 50
    except ValueError:
        raise ShapeError(f"ClusterDetections param_str {ctx.layer.python_param.param_str!r}: "
                         "parameter string missing or data type is wrong") from None
    if len(ctx.layer.top) != classes:
        raise ShapeError(f"ClusterDetections: {len(ctx.layer.top)} tops for {classes} "
                         "class(es); it needs one top per class")
    coverage = ctx.bottom(0)
    if len(coverage) < 2 or coverage[1] != classes:
        raise ShapeError(f"ClusterDetections: coverage {fmt(coverage)} must have {classes} "
                         "channel(s), one per class")
    top = (coverage[0], boxes, 5)
    return LayerCost(tops=[top] * classes, ops=None, kind="detection", data_dependent=True)


def human_parsing_cmap(ctx: LayerContext) -> LayerCost:
    """weitianhan/human_parsing cmap_layer.py CmapLayer: spreads a per-class vector over a map.

    setup() evaluates param_str as a Python dict and reshapes top 0 to [N, C, height, width]
    from bottom 0's first two axes; reshape() does nothing. Forward fills each map with one
    value of the vector: copies, 0 ops. dwsep never evaluates the string: it reads it as a
    Python literal only, so a dict written as an expression stays unknown. A missing key, or
    a value that is not an integer (>= 0), fails in setup(): refused here too.
    """
    blob_counts(ctx, bottoms=(1, None), tops=(1, None))
    text = ctx.layer.python_param.param_str
    try:
        params = ast.literal_eval(text)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        params = None
    if not isinstance(params, dict):
        return LayerCost(tops=[None] * len(ctx.layer.top), macs=None, ops=None, kind="other")
    size = []
    for key in ("height", "width"):
        value = params.get(key)
        if type(value) is not int or value < 0:
            raise ShapeError(f"CmapLayer param_str {text!r}: '{key}' must be an integer >= 0, "
                             f"got {value!r}")
        size.append(value)
    vector = ctx.bottom(0)
    if len(vector) < 2:
        raise ShapeError(f"CmapLayer reads batch and classes from its bottom {fmt(vector)}: "
                         "it needs at least 2 axes")
    tops: list[Shape | None] = [(vector[0], vector[1], size[0], size[1])]
    tops += [None] * (len(ctx.layer.top) - 1)  # never reshaped by the layer
    return LayerCost(tops=tops, ops=0, kind="other")


KNOWN: dict[tuple[str, str], Callable[[LayerContext], LayerCost]] = {
    ("rpn.proposal_layer", "ProposalLayer"): rpn_proposal,
    ("layers.text_proposal_layer", "ProposalLayer"): ctpn_text_proposal,
    ("caffe.layers.detectnet.clustering", "ClusterDetections"): detectnet_cluster,
    ("cmap_layer", "CmapLayer"): human_parsing_cmap,
}
