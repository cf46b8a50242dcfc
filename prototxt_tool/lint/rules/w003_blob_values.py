"""W003 weights-blob-values: a stored blob holds another number of values than its shape."""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_tool.lint.context import PhaseView
from prototxt_tool.lint.registry import Issue, rule
from prototxt_tool.lint.rules._weights import issues


@rule(
    "W003", "weights-blob-values", "error", stage="phase",
    summary="A blob's stored values do not fill its shape (a corrupt or hand-made file).",
    why="""
        Blob::FromProto checks count == data_size (or double_data_size) and aborts otherwise.
        Converters that write a shape but forget or truncate the data produce such files.""",
    bad="""
        blobs { shape { dim: 32 dim: 3 dim: 3 dim: 3 } data: 0.1 data: 0.2 }   # 2 of 864""",
    good="""
        blobs { shape { dim: 32 dim: 3 dim: 3 dim: 3 } data: ... }             # 864 values""",
)
def check(view: PhaseView) -> Iterator[Issue]:
    return issues(view, "W003")
