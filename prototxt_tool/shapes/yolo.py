"""YOLOv2/v3 layers of eric612/MobileNet-YOLO (src/caffe/layers/*.cpp of that repository),
and the Region layer of quhezheng/caffe_yolo_v2 (its Reorg computes eric612's shapes).

The one-bottom nearest-neighbour `Upsample` of the same forks lives with SegNet's two-bottom
Upsample in fork.py: the number of bottoms tells the two apart.
"""

from __future__ import annotations

from prototxt_tool.errors import ShapeError
from prototxt_tool.shapes import LayerContext, LayerCost, register
from prototxt_tool.shapes._util import blob_counts, legacy_nchw, not_in_place


@register("Reorg")
def reorg(ctx: LayerContext) -> LayerCost:
    """YOLOv2's passthrough (reorg_layer.cpp): space-to-depth by `stride`.

    LayerSetUp reads the bottom through the legacy num/channels/height/width accessors and
    requires a stride; the top is [N, C*s*s, H/s, W/s] (C++ integer division), or with
    `reverse` [N, C/(s*s), H*s, W*s]. Not in place. A copy: 0 ops.
    """
    blob_counts(ctx, bottoms=(1, 1), tops=(1, 1))
    p = ctx.layer.reorg_param
    if not p.HasField("stride"):
        raise ShapeError("Reorg Layer needs stride param (reorg_param { stride: 2 })")
    not_in_place(ctx)
    n, c, h, w = legacy_nchw(ctx.bottom(0))
    s = p.stride
    if s == 0:
        raise ShapeError("reorg_param stride must be positive")
    top = (n, c // (s * s), h * s, w * s) if p.reverse else (n, c * s * s, h // s, w // s)
    return LayerCost(tops=[top], ops=0, kind="reshape")


@register("Region")
def region(ctx: LayerContext) -> LayerCost:
    """YOLOv2's output activations of quhezheng/caffe_yolo_v2 (src/caffe/layers/region_layer.cpp,
    region_param: classes, coords, boxes_of_each_grid, softmax, anchors).

    One bottom, one top, not in place; the top is the bottom's legacy N x C x H x W, read in
    LayerSetUp. Forward reorders the map box by box, applies the logistic to each box's
    objectness and then, if the member softmax_ is true, a softmax over its classes; but
    LayerSetUp never sets softmax_ from region_param.softmax (an uninitialised bool), so
    whether the softmax runs, and hence the ops, cannot be known: they are unknown.
    """
    blob_counts(ctx, bottoms=(1, 1), tops=(1, 1))
    not_in_place(ctx)
    return LayerCost(tops=[legacy_nchw(ctx.bottom(0))], ops=None, kind="detection")


def _detections() -> LayerCost:
    """The placeholder top [1, 1, 1, 7] is resized to the boxes kept by NMS at run time."""
    return LayerCost(tops=[None], macs=0, ops=None, kind="detection", data_dependent=True)


@register("YoloDetectionOutput")
def yolo_detection_output(ctx: LayerContext) -> LayerCost:
    """YOLOv2 decoding + NMS (yolo_detection_output_layer.cpp): at least 1 bottom, 1 top,
    num_classes required. The detections are data-dependent; label_map_file is never opened.
    """
    blob_counts(ctx, bottoms=(1, None), tops=(1, 1))
    if not ctx.layer.yolo_detection_output_param.HasField("num_classes"):
        raise ShapeError("yolo_detection_output_param must specify num_classes")
    for i in range(len(ctx.bottoms)):
        legacy_nchw(ctx.bottom(i))
    return _detections()


@register("Yolov3DetectionOutput")
def yolov3_detection_output(ctx: LayerContext) -> LayerCost:
    """YOLOv3 decoding + NMS (yolov3_detection_output_layer.cpp): one bottom per detection
    scale, exactly mask_group_num (default 2) of them; num_classes required. The detections
    are data-dependent.
    """
    blob_counts(ctx, bottoms=(1, None), tops=(1, 1))
    p = ctx.layer.yolov3_detection_output_param
    if not p.HasField("num_classes"):
        raise ShapeError("yolov3_detection_output_param must specify num_classes")
    if p.mask_group_num == 0:
        raise ShapeError("yolov3_detection_output_param mask_group_num must be positive")
    if len(ctx.bottoms) != p.mask_group_num:
        raise ShapeError(f"takes mask_group_num = {p.mask_group_num} bottoms (one per "
                         f"detection scale), has {len(ctx.bottoms)}")
    for i in range(len(ctx.bottoms)):
        legacy_nchw(ctx.bottom(i))
    return _detections()
