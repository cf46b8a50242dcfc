"""H004 deploy-data-layer: a data-reading layer in a deploy net."""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_tool.lint.context import LintContext
from prototxt_tool.lint.registry import Issue, rule
from prototxt_tool.lint.rules._deploy import is_deploy

DATA_TYPES = frozenset({"Data", "ImageData", "HDF5Data", "WindowData", "AnnotatedData",
                        "VideoData"})


@rule(
    "H004", "deploy-data-layer", "warning",
    summary="Database/file data layer in a net named deploy.",
    why="""
        A deploy net is fed by the application (an Input layer or input/input_shape); a Data
        layer makes it open a training database that does not exist on the target machine,
        and its batch size and crop decide the input shape by accident.""",
    bad="""
        name: "MyNet_deploy"
        layer { name: "data" type: "Data" top: "data" data_param { source: "train_lmdb" } }""",
    good="""
        name: "MyNet_deploy"
        layer { name: "data" type: "Input" top: "data"
                input_param { shape { dim: 1 dim: 3 dim: 224 dim: 224 } } }""",
)
def check(ctx: LintContext) -> Iterator[Issue]:
    if not is_deploy(ctx):
        return
    for layer in ctx.layers:
        if layer.type in DATA_TYPES:
            yield Issue(layer.where("type", "layer.type"),
                        f"deploy net reads data through {layer.type} layer '{layer.name}'; "
                        "use an Input layer", layer.name)
