"""MACs and params of a generated net, for `dwsep gen --list` and docs/gen.md: computed by
analyzing what the generator writes, so the figures can never drift from the nets."""

from __future__ import annotations

from prototxt_tool import analysis, pipeline
from prototxt_tool.gen import generate


def figures(model: str, **options: object) -> tuple[int, int]:
    """(MACs, learnable params) of the deploy net of `model` with `options`."""
    text = generate(model, **options)
    loaded = pipeline.load_net(pipeline.Source(f"<{model}>", text), phase="TEST")
    total = analysis.analyze(loaded).total
    return total.macs, total.learnable


def default_figures(model: str, **options: object) -> tuple[str, str]:
    """("569M", "4.23M"): MACs and learnable params at the model's defaults (with `options`)."""
    macs, params = figures(model, **options)
    return f"{macs / 1e6:.0f}M", f"{params / 1e6:.2f}M"
