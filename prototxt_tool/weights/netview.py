"""A .caffemodel seen as a net: what `dwsep analyze net.caffemodel` analyses.

The stored NetParameter is what Net::ToProto wrote: every layer's definition plus its blobs.
It goes through the same upgrade (V0/V1 -> V2) and FilterNet as a prototxt; its blobs keep
their shapes (not their values), so the analysis counts params from what is stored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from prototxt_tool.pipeline import BinaryInput, LoadedNet, Source, UpgradedNet, select_phase
from prototxt_tool.weights.model import Model

if TYPE_CHECKING:
    from prototxt_tool.analysis import Analysis
    from prototxt_tool.shapes import Shape


def upgraded_model(model: Model) -> UpgradedNet:
    from prototxt_tool import upgrade

    raw = model.net()
    return UpgradedNet(Source(model.path, ""), raw, None, upgrade.detect_format(raw),
                       upgrade.upgrade_net(raw))


def load_model_net(model: Model, phase: str = "TEST", level: int = 0,
                   stages: Sequence[str] = ()) -> LoadedNet:
    return select_phase(upgraded_model(model), phase, level, stages)


def analyze_binary(binary: BinaryInput, phase: str, level: int, stages: Sequence[str],
                   inputs: Mapping[str, Shape], blobs: Mapping[str, Shape],
                   batch: int | None, fork: str | None = None) -> Analysis:
    """`dwsep analyze` of a file that is not text: a Caffe binary model, or a clear error.

    Shapes need an input as for any net. Without one (a model saved from a train_val net fed
    by Data layers), the layers' tops stay unknown but their params still come from the stored
    blobs, and a warning says how to get the rest.
    """
    from prototxt_tool.analysis import analyze
    from prototxt_tool.errors import InputShapeNeeded
    from prototxt_tool.weights.model import looks_like_model, open_model

    if binary.data is not None and b"\x00" not in binary.head and not looks_like_model(
            binary.head):
        raise binary  # text with a stray byte: the UTF-8 message (with its line) says it best
    model = open_model(binary.name, data=binary.data)
    loaded = load_model_net(model, phase, level, stages)
    try:
        return analyze(loaded, inputs, blobs, batch=batch, fork=fork)
    except InputShapeNeeded as need:
        result = analyze(loaded, inputs, blobs, batch=batch, errors="collect", fork=fork)
        errors = [f"layer '{r.name}' ({r.type}): {r.error}" for r in result.layers if r.error]
        result.warnings[:0] = [need.message, *errors]
        return result
