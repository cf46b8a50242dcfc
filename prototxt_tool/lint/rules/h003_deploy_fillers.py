"""H003 deploy-fillers: weight/bias fillers in a deploy net."""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_tool.lint.context import LintContext
from prototxt_tool.lint.registry import Issue, rule
from prototxt_tool.lint.rules._deploy import is_deploy

FILLERS = ("weight_filler", "bias_filler")


@rule(
    "H003", "deploy-fillers", "info",
    summary="Weight or bias fillers in a deploy net (reported once per file).",
    why="""
        Fillers only initialise weights for training; a deploy net loads trained weights, so
        they are noise. Worse, a layer missing from the .caffemodel is then silently filled
        with random values instead of failing loudly.""",
    bad="""
        name: "deploy" ...
        convolution_param { num_output: 64 kernel_size: 3 weight_filler { type: "msra" } }""",
    good="""
        name: "deploy" ...
        convolution_param { num_output: 64 kernel_size: 3 }""",
)
def check(ctx: LintContext) -> Iterator[Issue]:
    if not is_deploy(ctx):
        return
    hits = [(layer, path) for layer in ctx.layers for path in _filler_paths(layer.param)]
    if hits:
        layer, path = hits[0]
        count = len({id(h[0]) for h in hits})
        yield Issue(layer.where(path), f"deploy net has weight fillers in {count} layer(s), "
                                       f"first '{layer.name}'; trained weights replace them",
                    layer.name)


def _filler_paths(param: object) -> list[str]:
    """Dotted paths of the filler fields a V2 layer sets, in field order."""
    out = []
    for desc, value in param.ListFields():  # type: ignore[attr-defined]
        if desc.message_type is None or not hasattr(value, "DESCRIPTOR"):
            continue  # scalars and repeated fields hold no filler
        out.extend(f"{desc.name}.{f}" for f in FILLERS
                   if f in value.DESCRIPTOR.fields_by_name and value.HasField(f))
    return out
