"""Is this a deploy net? Caffe has no flag for it; the convention is the name."""

from __future__ import annotations

from pathlib import PurePath

from prototxt_tool.lint.context import LintContext


def is_deploy(ctx: LintContext) -> bool:
    """A net named `...deploy...`, or written in a file named that way (deploy.prototxt)."""
    stem = PurePath(ctx.path).name.lower()
    return "deploy" in str(ctx.raw.name).lower() or "deploy" in stem
