"""D006 bias-before-batchnorm: a conv with a bias directly followed by BatchNorm."""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_tool.lint.context import LintContext, PhaseView
from prototxt_tool.lint.registry import Edit, Issue, fixer, rule
from prototxt_tool.lint.rules._conv import CONV_TYPES
from prototxt_tool.lint.rules._fixutil import delete, layer_at, span_text, text_lines
from prototxt_tool.lint.rules._flow import next_layers

NORMS = frozenset({"BatchNorm", "BN"})


@rule(
    "D006", "bias-before-batchnorm", "warning", stage="phase",
    summary="Convolution with bias_term true (the default) directly followed by BatchNorm.",
    why="""
        BatchNorm subtracts the per-channel mean, which removes any constant the conv adds:
        the bias is wasted parameters and an extra pass over the feature map. Set
        `bias_term: false` (the following Scale layer provides the bias).
        --fix writes `bias_term: false` and drops the layer's second `param { }` spec (the
        bias's lr_mult/decay_mult: Caffe refuses more param specs than blobs). Weights trained
        with the bias no longer load into the fixed net (one blob fewer): fold them first.""",
    bad="""
        layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
                convolution_param { num_output: 32 kernel_size: 3 } }
        layer { name: "conv1/bn" type: "BatchNorm" bottom: "conv1" top: "conv1" }""",
    good="""
        layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
                convolution_param { num_output: 32 kernel_size: 3 bias_term: false } }
        layer { name: "conv1/bn" type: "BatchNorm" bottom: "conv1" top: "conv1" }
        layer { name: "conv1/scale" type: "Scale" bottom: "conv1" top: "conv1"
                scale_param { bias_term: true } }""",
)
def check(view: PhaseView) -> Iterator[Issue]:
    for i, layer in enumerate(view.layers):
        if layer.type not in (*CONV_TYPES, "Deconvolution"):
            continue
        if not layer.param.convolution_param.bias_term:
            continue
        nexts = next_layers(view, i)
        if nexts and all(view.layers[j].type in NORMS for j in nexts):
            norm = view.layers[nexts[0]]
            yield Issue(layer.where("convolution_param.bias_term", "convolution_param"),
                        f"layer '{layer.name}' has a bias but is followed by {norm.type} "
                        f"'{norm.name}', which cancels it; set bias_term: false", layer.name)


@fixer("D006")
def fix(ctx: LintContext, findings: list) -> list[Edit]:
    """Set bias_term: false (rewrite it, or add it to convolution_param) and drop the bias's
    param spec, at the positions the parser recorded."""
    lines = text_lines(ctx)
    edits = []
    for f in findings:
        at = layer_at(ctx, f.line)
        if at is None:
            continue
        layer = ctx.layers[at]
        conv = layer.tree.nested("convolution_param")
        if conv is None:
            continue
        touched = (at, "convolution_param.bias_term")
        written = conv.location("bias_term")
        if written is not None:
            edits.append(Edit(written.line, written.column, written.end_line, written.end_column,
                              "bias_term: false", touched))
        else:
            edits.append(_add_field(lines, conv.span, "bias_term: false", touched))
        if len(layer.param.param) == 2 and layer.tree.location("param", 1) is not None:
            spec = layer.tree.location("param", 1)
            if span_text(lines, spec).startswith("param"):
                edits.append(delete(lines, spec, (at, "param")))
    return edits


def _add_field(lines: list[str], block, field: str, touched) -> Edit:  # type: ignore[no-untyped-def]
    """Insert `field` as the last field of a `{ ... }` block, in the block's own layout."""
    close_line, close_col = block.end_line, block.end_column
    closing = lines[close_line - 1]
    before = closing[:close_col - 1]
    if block.line == block.end_line or before.strip():
        # `{ a: 1 b: 2 }` or `  b: 2 }` on the last line: `... b: 2 field }`, spaced apart
        # from what precedes the brace (`{a: 1}` -> `{a: 1 field }`)
        lead = "" if before[-1:].isspace() else " "
        return Edit(close_line, close_col, close_line, close_col - 1, f"{lead}{field} ",
                    touched)
    inner = lines[block.line] if block.line < len(lines) else ""
    indent = inner[:len(inner) - len(inner.lstrip())] or before + "  "
    newline = "\r\n" if closing.endswith("\r") else "\n"  # the file's own line ends
    return Edit(close_line, 1, close_line, 0, f"{indent}{field}{newline}", touched)
