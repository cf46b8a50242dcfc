"""W002 weights-blob-shape: a stored blob's shape differs from the one the net allocates."""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_tool.lint.context import PhaseView
from prototxt_tool.lint.registry import Issue, rule
from prototxt_tool.lint.rules._weights import issues


@rule(
    "W002", "weights-blob-shape", "error", stage="phase",
    summary="A blob in the weights file has another shape than the net's (Blob::ShapeEquals).",
    why="""
        Caffe aborts with "Cannot copy param 0 weights from layer 'x'; shape mismatch". A
        changed num_output (a new class count) or input channel count is the usual cause; to
        train such a layer from scratch instead, rename it. Legacy 4-D blobs (num, channels,
        height, width) are compared as Caffe does: 1x1x1xN fits an N-element bias.""",
    bad="""
        layer { name: "fc8" type: "InnerProduct" inner_product_param { num_output: 20 } }
        # fc8 in the weights: [1000,4096]""",
    good="""
        layer { name: "fc8_new" type: "InnerProduct" inner_product_param { num_output: 20 } }""",
)
def check(view: PhaseView) -> Iterator[Issue]:
    return issues(view, "W002")
