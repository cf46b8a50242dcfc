"""Dispatchers for layer types that two forks define differently (forks.SHARED_TYPES).

Each finds the layer's fork with _forks.which_fork from what the layer writes, then runs
that fork's own rule. BN, whose SegNet reading is the long-standing default, is dispatched
in fork.py.
"""

from __future__ import annotations

from prototxt_tool.shapes import LayerContext, LayerCost, detection, happynear, register
from prototxt_tool.shapes._forks import which_fork


@register("Normalize")
def normalize(ctx: LayerContext) -> LayerCost:
    """weiliu89/caffe (SSD) or happynear/caffe-windows Normalize.

    SSD's: norm_param, exactly 1 top, one scale blob (so a `param {}` spec fits it).
    happynear's: normalize_param, 1 or 2 tops, no blobs (a `param {}` spec makes Caffe refuse
    the layer, "Too many params specified", and a .caffemodel stores none for it), or
    `softmax_param { normalize_type }`, happynear's only, which its Normalize read before
    commit 8bcb7c7b ("refact normalize"; ignored since). A layer showing neither is told by a
    field of one fork that tolerant reading skipped in the file (happynear's
    label_specific_add_param, ...), else by --fork.
    """
    layer = ctx.layer
    fork = which_fork(ctx, "Normalize", {
        "ssd": ("norm_param" if layer.HasField("norm_param") else
                "a param {} spec" if len(layer.param) else
                "a stored blob" if len(layer.blobs) else ""),
        "happynear": ("normalize_param" if layer.HasField("normalize_param") else
                      "more than one top" if ctx.tops > 1 else
                      "softmax_param normalize_type"
                      if layer.softmax_param.HasField("normalize_type") else ""),
    })
    return happynear.normalize(ctx) if fork == "happynear" else detection.normalize(ctx)
