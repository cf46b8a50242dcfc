"""G007 unused-top: a side output nobody reads (it silently becomes a net output)."""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_tool.lint.context import PhaseView
from prototxt_tool.lint.registry import Issue, rule


@rule(
    "G007", "unused-top", "info", stage="phase",
    summary="A top nobody consumes that is not meant as a net output.",
    why="""
        Caffe turns every unconsumed top into a net output: it is computed, kept in memory
        and printed every iteration. A layer whose tops are all unread is taken as a
        deliberate output (a head); what is flagged is an input or data top nobody reads
        (a deploy net's `label`) and a side top of a layer whose other tops are used
        (an unused Slice part or pooling mask).""",
    bad="""
        layer { name: "data" type: "Input" top: "data" top: "label" ... }
        layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc" ... }""",
    good="""
        layer { name: "data" type: "Input" top: "data" ... }
        layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc" ... }""",
)
def check(view: PhaseView) -> Iterator[Issue]:
    for i, layer in enumerate(view.layers):
        tops = list(layer.param.top)
        unread = [k for k, t in enumerate(tops) if not view.readers(i, t) and t not in
                  layer.param.bottom]
        if not unread or (len(unread) == len(tops) and len(layer.param.bottom)):
            continue
        for k in unread:
            yield Issue(layer.where(f"top[{k}]"),
                        f"top '{tops[k]}' of layer '{layer.name}' is never used; Caffe will "
                        "make it a net output", layer.name)
