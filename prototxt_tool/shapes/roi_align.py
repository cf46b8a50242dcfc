"""ROIAlign, as three forks define it under one type name; the fields the layer writes tell
them apart (each fork reads only its own).

- Mask R-CNN's (Petite72/caffe-mask-rcnn at cd51f53, src/caffe/layers/roi_align_layer.cpp,
  include/caffe/mask_rcnn_layers.hpp): `roi_align_param` { pooled_h, pooled_w,
  spatial_scale }; top R x C x pooled_h x pooled_w; each bin keeps the largest of 4
  bilinear samples over the taps its region covers, so the work depends on each region.
- chuanqi305/caffe-fast-rcnn's (at 93fe849, src/caffe/layers/roi_align_layer.cpp,
  include/caffe/fast_rcnn_layers.hpp): `roi_align_param` { aligned_h, aligned_w,
  spatial_scale }; top R x C x aligned_h x aligned_w, one bilinear sample per output
  element: 4 ops each, as Interp's bilinear samples count.
- Cascade R-CNN's (zhaoweicai/cascade-rcnn at 5569ed6, src/caffe/layers/roi_align_layer.cpp):
  `roi_pooling_param` (fast-rcnn's message; the fork adds pad_ratio, which dwsep skips, so a
  layer that sets it is unknown); top R x C x (pooled_h + 1) x (pooled_w + 1), one bilinear
  sample per grid point (0 outside the map): 4 ops per output element, as Interp's bilinear
  samples count.

All three take exactly 2 bottoms (features, rois of 5 values: batch index, x1, y1, x2, y2; R =
the rois' legacy num) and 1 top, and CHECK pooled_h and pooled_w > 0.
"""

from __future__ import annotations

import math

from prototxt_tool.errors import ShapeError
from prototxt_tool.shapes import LayerContext, LayerCost, register
from prototxt_tool.shapes._util import blob_counts, fmt, has, legacy_nchw


@register("ROIAlign")
def roi_align(ctx: LayerContext) -> LayerCost:
    """ROIAlign of Mask R-CNN's fork (roi_align_param pooled_*), chuanqi305's (roi_align_param
    aligned_*) or Cascade R-CNN's (roi_pooling_param); see the module docstring."""
    blob_counts(ctx, bottoms=(2, 2), tops=(1, 1))
    cascade = not has(ctx.layer, "roi_align_param") and has(ctx.layer, "roi_pooling_param")
    if has(ctx.layer, "roi_align_param") and has(ctx.layer, "roi_pooling_param"):
        raise ShapeError("sets both roi_align_param (Mask R-CNN's ROIAlign) and "
                         "roi_pooling_param (Cascade R-CNN's): no fork reads both")
    p = ctx.layer.roi_pooling_param if cascade else ctx.layer.roi_align_param
    field = "roi_pooling_param" if cascade else "roi_align_param"
    aligned = not cascade and (p.HasField("aligned_h") or p.HasField("aligned_w"))
    if aligned and (p.HasField("pooled_h") or p.HasField("pooled_w")):
        raise ShapeError("roi_align_param sets both aligned_h/aligned_w (chuanqi305's "
                         "ROIAlign) and pooled_h/pooled_w (Mask R-CNN's): no fork reads both")
    height, width = (p.aligned_h, p.aligned_w) if aligned else (p.pooled_h, p.pooled_w)
    if height <= 0 or width <= 0:
        names = ("aligned_h", "aligned_w") if aligned else ("pooled_h", "pooled_w")
        raise ShapeError(f"{field} {names[0]} ({height}) and {names[1]} ({width}) must be > 0")
    features, rois = ctx.bottom(0), ctx.bottom(1)
    _, channels, _, _ = legacy_nchw(features)
    num_rois, *rest = legacy_nchw(rois)
    if math.prod(rest) != 5:
        raise ShapeError(f"rois {fmt(rois)} must hold 5 values per region")
    if cascade or aligned:
        top = (num_rois, channels, height + cascade, width + cascade)
        return LayerCost(tops=[top], ops=4 * math.prod(top), kind="pooling")
    return LayerCost(tops=[(num_rois, channels, height, width)], ops=None, kind="pooling",
                     data_dependent=True)
