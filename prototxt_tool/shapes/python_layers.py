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
    return LayerCost(tops=tops, ops=None, kind="detection", data_dependent=True,
                     setup_tops=True)


def ctpn_text_proposal(ctx: LayerContext) -> LayerCost:
    """tianzhi0549/CTPN src/layers/text_proposal_layer.py ProposalLayer: setup() reshapes
    its two tops to [1, 4] and [1, 1, 1, 1]; the forward pass resizes them to the text
    proposals found (data-dependent); reshape() does nothing."""
    blob_counts(ctx, bottoms=(1, None), tops=(2, 2))
    return LayerCost(tops=[(1, 4), (1, 1, 1, 1)], ops=None, kind="detection",
                     data_dependent=True, setup_tops=True)


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


def literal_params(ctx: LayerContext) -> dict[object, object] | None:
    """param_str read as a Python literal (never evaluated), when it is a dict.

    The modules below `eval()` it in setup(); a literal dict reads the same, anything that
    would need evaluating (an expression, a call) gives None and the layer stays unknown.
    """
    try:
        params = ast.literal_eval(ctx.layer.python_param.param_str)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    return params if isinstance(params, dict) else None


def _counts(ctx: LayerContext, params: dict[object, object], layer: str,
            keys: tuple[str, ...]) -> list[int]:
    """The integer (>= 0) values of `keys` in param_str, which setup() fails without."""
    values = []
    for key in keys:
        value = params.get(key)
        if type(value) is not int or value < 0:
            raise ShapeError(f"{layer} param_str {ctx.layer.python_param.param_str!r}: "
                             f"'{key}' must be an integer >= 0, got {value!r}")
        values.append(value)
    return values


def _unknown(ctx: LayerContext) -> LayerCost:
    return LayerCost(tops=[None] * len(ctx.layer.top), macs=None, ops=None, kind="other")


def _tops(first: Shape, ctx: LayerContext) -> list[Shape | None]:
    """Top 0 as the layer reshapes it; any further top is never reshaped: unknown."""
    return [first, *[None] * (len(ctx.layer.top) - 1)]


def human_parsing_cmap(ctx: LayerContext) -> LayerCost:
    """weitianhan/human_parsing cmap_layer.py CmapLayer: spreads a per-class vector over a map.

    setup() evaluates param_str as a Python dict and reshapes top 0 to [N, C, height, width]
    from bottom 0's first two axes; reshape() does nothing. Forward fills each map with one
    value of the vector: copies, 0 ops. A missing key, or a value that is not an integer
    (>= 0), fails in setup(): refused here too.
    """
    blob_counts(ctx, bottoms=(1, None), tops=(1, None))
    params = literal_params(ctx)
    if params is None:
        return _unknown(ctx)
    size = _counts(ctx, params, "CmapLayer", ("height", "width"))
    vector = ctx.bottom(0)
    if len(vector) < 2:
        raise ShapeError(f"CmapLayer reads batch and classes from its bottom {fmt(vector)}: "
                         "it needs at least 2 axes")
    return LayerCost(tops=_tops((vector[0], vector[1], size[0], size[1]), ctx), ops=0,
                     kind="other")


# OpenCV's interpolations read 16 (bicubic) or 4 (bilinear) source values per output value;
# counted as that many ops per element, as the Interp rule counts its bilinear resize.
CUBIC_OPS, LINEAR_OPS = 16, 4


def light_field_input_shifting(ctx: LayerContext) -> LayerCost:
    """JunhyeongBak/Caffe_Light_Field layers/input_shifting_layer.py InputShiftingLayer.

    setup() reads param_str's 'tx' and 'ty' (a missing key fails there); reshape() gives top
    0 bottom 0's shape. Forward shifts each image by (tx, ty) with cv2.warpAffine, bicubic:
    all 3 channels of a 3-channel bottom, else only channel 0 (the other channels of the top
    are left as they are). Its indexing needs a 4-D bottom.
    """
    blob_counts(ctx, bottoms=(1, None), tops=(1, None))
    params = literal_params(ctx)
    if params is None:
        return _unknown(ctx)
    for key in ("tx", "ty"):
        if not isinstance(params.get(key), int | float):
            raise ShapeError(f"InputShiftingLayer param_str "
                             f"{ctx.layer.python_param.param_str!r}: '{key}' must be a number")
    shape = ctx.bottom(0)
    if len(shape) != 4:
        raise ShapeError(f"InputShiftingLayer shifts N x C x H x W images, got {fmt(shape)}")
    num, channels, height, width = shape
    shifted = num * (3 if channels == 3 else 1) * height * width
    return LayerCost(tops=_tops(shape, ctx), ops=CUBIC_OPS * shifted, kind="other")


WARP_SIZE = 256  # layers/warping_layer.py builds its output as a 256 x 256 x 3 array


def light_field_warping(ctx: LayerContext) -> LayerCost:
    """JunhyeongBak/Caffe_Light_Field layers/warping_layer.py WarpingLayer: remaps an image by
    a flow field (bottom 1, [1, 2, H, W]: x and y offsets).

    reshape() gives top 0 bottom 0's shape; setup() reads nothing. Its forward squeezes away
    the batch axis and writes a 256 x 256 x 3 result, so it only runs on a 1 x 3 x 256 x 256
    image (anything else raises there: refused here). Work: 2 adds per flow position (the
    pixel grid), then cv2.remap, bilinear, per channel.
    """
    blob_counts(ctx, bottoms=(2, None), tops=(1, None))
    src, flow = ctx.bottom(0), ctx.bottom(1)
    if src != (1, 3, WARP_SIZE, WARP_SIZE):
        raise ShapeError(f"WarpingLayer's forward handles only a 1x3x{WARP_SIZE}x{WARP_SIZE} "
                         f"image, got {fmt(src)}")
    if len(flow) != 4 or flow[0] != 1 or flow[1] != 2:
        raise ShapeError(f"WarpingLayer flow {fmt(flow)} must be 1 x 2 x H x W (x and y)")
    ops = 2 * flow[2] * flow[3] + LINEAR_OPS * 3 * WARP_SIZE * WARP_SIZE
    return LayerCost(tops=_tops(src, ctx), ops=ops, kind="other")


def light_field_bilinear_sampler(ctx: LayerContext) -> LayerCost:
    """JunhyeongBak/Caffe_Light_Field layers/bilinear_sampler_layer_3ch.py
    BilinearSamplerLayer3ch, as of commit 17d5c65 (the repository deleted the module later;
    its nets name it): warps flow_size images of color_size channels each by their flows.

    setup() reads param_str's 'flow_size' and 'color_size'; reshape() gives top 0 bottom 0's
    shape. Forward, per sample and image c: the flow is channels c and c + flow_size of
    bottom 1 (so it needs 2 x flow_size channels of bottom 0's H x W), the image is channels
    c x color_size onwards of bottom 0; per channel the pixel grid is added to the flow (2
    ops per position) and cv2.remap samples bilinearly (4).
    """
    blob_counts(ctx, bottoms=(2, None), tops=(1, None))
    params = literal_params(ctx)
    if params is None:
        return _unknown(ctx)
    sizes = _counts(ctx, params, "BilinearSamplerLayer3ch", ("flow_size", "color_size"))
    flows, colors = sizes
    src, vec = ctx.bottom(0), ctx.bottom(1)
    if len(src) != 4 or len(vec) != 4:
        raise ShapeError(f"BilinearSamplerLayer3ch takes N x C x H x W images and flows, got "
                         f"{fmt(src)} and {fmt(vec)}")
    if src[1] < flows * colors or vec[1] < 2 * flows or vec[2:] != src[2:] or vec[0] < src[0]:
        raise ShapeError(f"BilinearSamplerLayer3ch: {flows} image(s) of {colors} channel(s) "
                         f"need an image blob of >= {flows * colors} channels and a flow blob "
                         f"of >= {2 * flows} channels of the same H x W, got {fmt(src)} and "
                         f"{fmt(vec)}")
    num, _, height, width = src
    ops = num * flows * colors * height * width * (2 + LINEAR_OPS)
    return LayerCost(tops=_tops(src, ctx), ops=ops, kind="other")


KNOWN: dict[tuple[str, str], Callable[[LayerContext], LayerCost]] = {
    ("rpn.proposal_layer", "ProposalLayer"): rpn_proposal,
    ("layers.text_proposal_layer", "ProposalLayer"): ctpn_text_proposal,
    ("caffe.layers.detectnet.clustering", "ClusterDetections"): detectnet_cluster,
    ("cmap_layer", "CmapLayer"): human_parsing_cmap,
    ("input_shifting_layer", "InputShiftingLayer"): light_field_input_shifting,
    ("warping_layer", "WarpingLayer"): light_field_warping,
    ("bilinear_sampler_layer_3ch", "BilinearSamplerLayer3ch"): light_field_bilinear_sampler,
}
