"""W001 weights-blob-count: a layer's weights have another number of blobs than the net's."""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_tool.lint.context import PhaseView
from prototxt_tool.lint.registry import Issue, rule
from prototxt_tool.lint.rules._weights import issues


@rule(
    "W001", "weights-blob-count", "error", stage="phase",
    summary="The weights file has another number of blobs for a layer than the net allocates.",
    why="""
        Caffe's CopyTrainedLayersFrom aborts with "Incompatible number of blobs for layer x".
        Typical causes: bias_term differs (a conv without bias against weights with one), or
        a BatchNorm/Scale pair whose Scale lost its bias. Only checked with --weights.""",
    bad="""
        layer { name: "conv1" type: "Convolution" ... convolution_param { bias_term: false } }
        # conv1 in the weights: 2 blobs (weights and bias)""",
    good="""
        layer { name: "conv1" type: "Convolution" ... convolution_param { bias_term: true } }""",
)
def check(view: PhaseView) -> Iterator[Issue]:
    return issues(view, "W001")
