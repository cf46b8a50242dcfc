"""G002 undefined-bottom: a bottom that no layer of the phase produces."""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_tool.lint.context import PhaseView
from prototxt_tool.lint.registry import Issue, rule
from prototxt_tool.lint.rules._graph import bad_bottoms


@rule(
    "G002", "undefined-bottom", "error", stage="phase",
    summary="A bottom blob that no layer in the phase produces.",
    why="""
        Caffe aborts with "Unknown bottom blob". Typical causes: a typo, a deploy net that
        kept an Accuracy layer reading `label`, or a data layer restricted to the other
        phase.""",
    bad="""
        input: "data" input_dim: 1 input_dim: 3 input_dim: 8 input_dim: 8
        layer { name: "acc" type: "Accuracy" bottom: "data" bottom: "label" top: "acc" }""",
    good="""
        layer { name: "acc" type: "Accuracy" bottom: "data" bottom: "label" top: "acc"
                include { phase: TEST } }   # in a train_val net whose TEST data has label""",
)
def check(view: PhaseView) -> Iterator[Issue]:
    for i, layer in enumerate(view.layers):
        for k in bad_bottoms(view, i):
            blob = layer.param.bottom[k]
            if blob in view.producers and blob not in layer.param.top:
                continue  # produced later: G003/G004 say so
            # An in-place layer on a blob nothing earlier wrote reads nothing (Caffe: "Unknown
            # bottom blob"); its own and later in-place writers are no producers of its input.
            yield Issue(layer.where(f"bottom[{k}]"),
                        f"layer '{layer.name}': bottom '{blob}' is not produced by any layer "
                        f"in phase {view.phase}", layer.name)
