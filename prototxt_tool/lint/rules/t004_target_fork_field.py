"""T004 target-fork-field: a fork-only field the --target's caffe.proto does not have."""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_tool.lint.context import LintContext
from prototxt_tool.lint.registry import Issue, rule
from prototxt_tool.lint.rules._target import target_issues


@rule(
    "T004", "target-fork-field", "error",
    summary="Fork-only field (e.g. pooling_param.ceil_mode) the target's caffe.proto lacks.",
    why="""
        Every converter parses the prototxt with its own copy of caffe.proto, and protobuf
        rejects a field that copy lacks: the conversion stops at that line. Fields of fork
        layer types the target supports are in its proto; other fork fields (docs/schema.md)
        are reported unless the profile lists them. A layer already reported by T001 is not
        reported again for its fork fields.""",
    bad="""
        # dwsep lint --target bvlc
        layer { name: "pool1" type: "Pooling" bottom: "conv1" top: "pool1"
                pooling_param { pool: MAX kernel_size: 3 stride: 2 ceil_mode: false } }""",
    good="""
        layer { name: "pool1" type: "Pooling" bottom: "conv1" top: "pool1"
                pooling_param { pool: MAX kernel_size: 3 stride: 2 round_mode: FLOOR } }""",
)
def check(ctx: LintContext) -> Iterator[Issue]:
    return target_issues(ctx, "T004")
