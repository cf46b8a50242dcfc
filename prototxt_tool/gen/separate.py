"""`dwsep separate`: rewrite standard KxK convolutions as depthwise-separable pairs.

Each selected convolution (group 1, kernel area > 1) becomes a depthwise KxK conv named
`<name>/dw` (group = input channels, same stride/pad/dilation) feeding a 1x1 pointwise conv
named `<name>/sep` that writes the original top, so every consumer keeps working and every
blob keeps its shape. Input channels come from analysing the original net, which is why the
net goes through the shared pipeline (legacy formats upgraded, output written as V2).
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from google.protobuf import text_format

from prototxt_tool.errors import UsageError
from prototxt_tool.escape import visible
from prototxt_tool.many import Options
from prototxt_tool.pipeline import Source

Shape = tuple[int, ...]


@dataclass(slots=True)
class Rewrite:
    """Cost of one convolution before and after, for the summary."""

    name: str
    kernel: tuple[int, ...]
    in_channels: int
    num_output: int
    macs_before: int
    params_before: int
    macs_after: int = 0
    params_after: int = 0

    @property
    def ratio(self) -> Fraction:
        """MACs after / before; the MobileNet paper's 1/N + 1/K^2."""
        return Fraction(self.macs_after, self.macs_before)

    @property
    def expected_ratio(self) -> Fraction:
        return Fraction(1, self.num_output) + Fraction(1, math.prod(self.kernel))


@dataclass(slots=True)
class Separated:
    text: str  # the rewritten net, V2 prototxt
    net: Any  # caffe_pb2.NetParameter of `text`
    rewrites: list[Rewrite]
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (layer, why not rewritten)
    macs_before: int = 0
    macs_after: int = 0
    params_before: int = 0
    params_after: int = 0
    analyses: tuple[Any, Any] | None = None  # (before, after) analysis.Analysis, for reports


@dataclass(frozen=True, slots=True)
class Selection:
    """Which convolutions to rewrite, and how."""

    patterns: tuple[str, ...] = ()  # fnmatch globs on layer names; empty = every conv
    min_channels: int = 1  # rewrite only convs with at least this many input channels
    bn: bool = False  # BatchNorm + Scale + ReLU between the depthwise and pointwise convs


# Which layers of the net are analysed (Caffe's NetState) and the shapes it cannot know: the
# options every command that analyzes a net takes (analyze, diff, many nets, separate).
NetState = Options
DEFAULT_STATE = NetState()


def separate(source: Source, selection: Selection = Selection(),
             state: NetState = DEFAULT_STATE) -> Separated:
    """Rewrite the net in `source`. Layers outside the analysed phase are copied unchanged."""
    from prototxt_tool import analysis, netstate, pipeline, upgrade

    if isinstance(selection.min_channels, bool) or selection.min_channels < 1:
        raise UsageError(f"--min-channels must be >= 1, got {selection.min_channels}")
    loaded = pipeline.load_net(source, phase=state.phase, level=state.level,
                               stages=state.stages)
    before = analysis.analyze(loaded, state.input_shapes, state.blob_shapes, state.batch)
    full = upgrade.upgrade_net(loaded.raw).net
    kept = netstate.filter_net(full, phase=loaded.phase, level=state.level, stages=state.stages)
    reports = dict(zip(kept, before.layers, strict=True))
    _check_patterns(full, selection.patterns)
    chosen, skipped = _choose(full, reports, selection)
    out = _rewrite(full, chosen, selection.bn)
    text = text_format.MessageToString(out)
    after_loaded = pipeline.load_net(Source(f"{source.filename} (separated)", text),
                                     phase=state.phase, level=state.level, stages=state.stages)
    after = analysis.analyze(after_loaded, state.input_shapes, state.blob_shapes, state.batch)
    rewrites = [_measure(full.layer[i], reports[i], after) for i in sorted(chosen)]
    return Separated(text, out, rewrites, skipped, before.total.macs, after.total.macs,
                     before.total.learnable, after.total.learnable, (before, after))


def _check_patterns(net: Any, patterns: Sequence[str]) -> None:
    names = [layer.name for layer in net.layer]
    for pattern in patterns:
        if not fnmatch.filter(names, pattern):
            raise UsageError(f"--layers {pattern!r} matches no layer of the net")


def kernel_of(conv: Any) -> tuple[int, ...]:
    """Kernel dims the way Caffe's BaseConvolutionLayer reads them (kernel_h/w win)."""
    if conv.HasField("kernel_h") or conv.HasField("kernel_w"):
        return (conv.kernel_h, conv.kernel_w)
    sizes = list(conv.kernel_size)
    return tuple(sizes * 2) if len(sizes) == 1 else tuple(sizes)


def _why_not(layer: Any, report: Any, selection: Selection) -> str | None:
    """None when the layer is to be rewritten, else the reason shown to the user."""
    conv = layer.convolution_param
    if conv.group != 1:
        return f"grouped convolution (group {conv.group})"
    kernel = kernel_of(conv)
    if math.prod(kernel) <= 1:
        return "1x1 convolution (already pointwise)"
    if report is None:
        return "not in the analysed phase"
    shape = report.bottoms[0].shape if report.bottoms else None
    if shape is None or report.macs is None:
        return "input shape unknown"
    if len(shape) != 4 or len(kernel) != 2:
        return f"not a 2-D convolution (input {list(shape)})"
    if shape[1] < selection.min_channels:
        return f"{shape[1]} input channel(s) < --min-channels {selection.min_channels}"
    return None


def _choose(net: Any, reports: dict[int, Any],
            selection: Selection) -> tuple[dict[int, int], list[tuple[str, str]]]:
    """Layers to rewrite (index -> input channels) and the convs left alone, with why."""
    chosen: dict[int, int] = {}
    skipped: list[tuple[str, str]] = []
    for i, layer in enumerate(net.layer):
        if layer.type != "Convolution":
            continue
        if selection.patterns and not any(fnmatch.fnmatchcase(layer.name, p)
                                          for p in selection.patterns):
            continue
        why = _why_not(layer, reports.get(i), selection)
        if why is None:
            chosen[i] = reports[i].bottoms[0].shape[1]
        else:
            skipped.append((layer.name, why))
    return _drop_partial_sharing(net, chosen, skipped), skipped


def _drop_partial_sharing(net: Any, chosen: dict[int, int],
                          skipped: list[tuple[str, str]]) -> dict[int, int]:
    """Weights shared by name (siamese towers) change shape when rewritten, so either every
    layer sharing them is rewritten or none is."""
    while True:
        kept_names = {p.name for i, layer in enumerate(net.layer) if i not in chosen
                      for p in layer.param[:1] if p.name}
        clash = {i for i in chosen if net.layer[i].param and net.layer[i].param[0].name
                 in kept_names}
        if not clash:
            return chosen
        for i in sorted(clash):
            skipped.append((net.layer[i].name, f"shares weights '{net.layer[i].param[0].name}' "
                                               "with a layer that is not rewritten"))
        chosen = {i: c for i, c in chosen.items() if i not in clash}


def _rewrite(net: Any, chosen: dict[int, int], bn: bool) -> Any:
    """The net with each chosen layer (index -> its input channels) replaced by its pair."""
    out = type(net)()
    out.CopyFrom(net)
    del out.layer[:]
    taken = {layer.name for layer in net.layer} | {t for layer in net.layer for t in layer.top}
    for i, layer in enumerate(net.layer):
        if i not in chosen:
            out.layer.add().CopyFrom(layer)
            continue
        for new in _pair(layer, chosen[i], bn, taken):
            out.layer.add().CopyFrom(new)
    return out


def _pair(layer: Any, channels: int, bn: bool, taken: set[str]) -> list[Any]:
    dw_name, sep_name = f"{layer.name}/dw", f"{layer.name}/sep"
    for name in (dw_name, sep_name):
        if name in taken:
            raise UsageError(f"cannot rewrite layer '{layer.name}': the net already has a "
                             f"layer or blob named '{name}'")
    dw = _depthwise(layer, dw_name, channels)
    sep = _pointwise(layer, sep_name, dw_name)
    middle = _bn_relu(layer, dw_name) if bn else []
    return [dw, *middle, sep]


def _depthwise(layer: Any, name: str, channels: int) -> Any:
    dw = type(layer)()
    dw.CopyFrom(layer)
    dw.name = name
    del dw.top[:]
    dw.top.append(name)
    del dw.param[:]
    if layer.param:
        spec = dw.param.add()
        spec.CopyFrom(layer.param[0])
        if spec.name:
            spec.name = f"{spec.name}/dw"
    conv = dw.convolution_param
    conv.num_output = channels
    conv.group = channels
    conv.bias_term = False
    conv.ClearField("bias_filler")
    return dw


def _pointwise(layer: Any, name: str, bottom: str) -> Any:
    sep = type(layer)()
    sep.CopyFrom(layer)
    sep.name = name
    del sep.bottom[:]
    sep.bottom.append(bottom)
    if sep.param and sep.param[0].name:
        sep.param[0].name = f"{sep.param[0].name}/sep"
    conv = sep.convolution_param
    for geometry in ("kernel_size", "kernel_h", "kernel_w", "stride", "stride_h", "stride_w",
                     "pad", "pad_h", "pad_w", "dilation", "group"):
        conv.ClearField(geometry)
    conv.kernel_size.append(1)
    return sep


def _bn_relu(layer: Any, blob: str) -> list[Any]:
    """BatchNorm (statistics frozen from the solver, as MobileNet does) + Scale + ReLU in place.

    use_global_stats is left unset so Caffe picks it by phase.
    """
    layers = []
    for suffix, kind in (("bn", "BatchNorm"), ("scale", "Scale"), ("relu", "ReLU")):
        new = type(layer)()
        new.name = f"{blob}/{suffix}"
        new.type = kind
        new.bottom.append(blob)
        new.top.append(blob)
        new.include.extend(layer.include)
        new.exclude.extend(layer.exclude)
        layers.append(new)
    for _ in range(3):
        spec = layers[0].param.add()
        spec.lr_mult = 0
        spec.decay_mult = 0
    layers[1].scale_param.bias_term = True
    return layers


def _measure(layer: Any, report: Any, after: Any) -> Rewrite:
    by_name = {r.name: r for r in after.layers}
    dw, sep = by_name[f"{layer.name}/dw"], by_name[f"{layer.name}/sep"]
    extra = [by_name[f"{layer.name}/dw/{s}"] for s in ("bn", "scale", "relu")
             if f"{layer.name}/dw/{s}" in by_name]
    weights = report.param_shapes[0]
    return Rewrite(layer.name, tuple(weights[2:]), report.bottoms[0].shape[1], weights[0],
                   report.macs, report.learnable, (dw.macs or 0) + (sep.macs or 0),
                   dw.learnable + sep.learnable + sum(r.learnable for r in extra))


def summary(result: Separated) -> str:
    """Before/after cost per rewritten layer; the ratio column is exactly 1/N + 1/K^2."""
    header = ("layer", "kernel", "channels", "MACs before", "MACs after", "ratio",
              "params before", "params after")
    rows = [header]
    for r in result.rewrites:
        k = "x".join(str(d) for d in r.kernel)
        rows.append((visible(r.name), k, f"{r.in_channels}->{r.num_output}", f"{r.macs_before:,}",
                     f"{r.macs_after:,}",
                     f"{float(r.ratio):.4f} = 1/{r.num_output} + 1/{math.prod(r.kernel)}",
                     f"{r.params_before:,}", f"{r.params_after:,}"))
    widths = [max(len(row[c]) for row in rows) for c in range(len(header))]
    lines = ["  ".join(cell.ljust(w) if c in (0, 1, 2, 5) else cell.rjust(w)
                       for c, (cell, w) in enumerate(zip(row, widths, strict=True))).rstrip()
             for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append("")
    lines.append(f"rewrote {len(result.rewrites)} convolution(s); net MACs "
                 f"{result.macs_before:,} -> {result.macs_after:,}"
                 f"{_percent(result.macs_after, result.macs_before)}, learnable params "
                 f"{result.params_before:,} -> {result.params_after:,}"
                 f"{_percent(result.params_after, result.params_before)}")
    lines.extend(visible(f"kept '{name}': {why}") for name, why in result.skipped)
    return "\n".join(lines) + "\n"


def _percent(after: int, before: int) -> str:
    return f" ({100 * after / before:.1f}%)" if before else ""
