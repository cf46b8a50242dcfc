"""What the T rules share: each target's violations of one file, placed at line:col.

The interpretation of the profiles lives in prototxt_tool.targets.check (analyze's verdict
uses it too); this module only turns its violations into lint issues. The T rules judge the
net as written, every layer whatever its phase: a converter reads the whole file.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from weakref import WeakKeyDictionary

from prototxt_tool.lint.context import LintContext
from prototxt_tool.lint.registry import Issue

# Each file is checked once per target; the five T rules each take their code's share.
_checked: WeakKeyDictionary[LintContext, dict[str, list[Any]]] = WeakKeyDictionary()


def target_issues(ctx: LintContext, code: str) -> Iterator[Issue]:
    """Issues with `code` for every target in the options, one per target and place."""
    from prototxt_tool.targets import load
    from prototxt_tool.targets.check import check_net

    layers = ctx.layers
    done = _checked.setdefault(ctx, {})
    for name in ctx.options.targets:
        if name not in done:
            params = [layer.param for layer in layers]
            legacy = [layer.origin[0] == "input" for layer in layers]
            done[name] = check_net(load(name), ctx.format, params, legacy)
        if code == "T004":
            yield from _skipped(ctx, name)
        for v in done[name]:
            if v.code != code:
                continue
            if v.layer is None:
                where = ctx.tree.location("layers", 0) or ctx.tree.location("layer", 0)
                yield Issue(where, v.message, None, key=v.target)
                continue
            layer = layers[v.layer]
            # V0 keeps a layer's fields one level down, in `layer { ... }`
            paths = [f"layer.{f}" if ctx.format == "V0" else f for f in v.fields()]
            yield Issue(layer.where(*paths), v.message, layer.name, key=v.target)


def _skipped(ctx: LintContext, name: str) -> Iterator[Issue]:
    """T004 for the fields tolerant reading skipped, placed where each is written."""
    from prototxt_tool.targets import load
    from prototxt_tool.targets.check import skipped_field

    where = {layer.origin: i for i, layer in enumerate(ctx.layers)}
    for unknown in ctx.skipped:
        head, _, rest = unknown.path.partition(".")
        if not rest or not head.endswith("]") or "[" not in head:
            continue
        block, _, number = head[:-1].partition("[")
        i = where.get((block, int(number)))
        if i is None:
            continue
        layer = ctx.layers[i]
        path = rest.partition(".")[2] if ctx.format == "V0" and rest.startswith("layer.") else rest
        v = skipped_field(load(name), i, layer.param, path)
        if v is not None:
            yield Issue(unknown.span, v.message, layer.name, key=name)
