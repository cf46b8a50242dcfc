"""MobileNet v1 and v2 as Caffe deploy or train-val nets.

The architecture (channels, strides, names) is laid out here as plain dicts; the Jinja
templates under templates/ only write them out. Names, field choices and layer order follow
the widely used Caffe port (shicai/MobileNet-Caffe) so a generated 1.0-224 net is a drop-in
replacement for it, weights included.
"""

from __future__ import annotations

from typing import Any

from prototxt_tool.gen import common
from prototxt_tool.gen.options import GenOptions

# MobileNet v1 body after conv1 (paper Table 1): (block id, pointwise channels, dw stride).
V1_BLOCKS: tuple[tuple[str, int, int], ...] = (
    ("2_1", 64, 1), ("2_2", 128, 2),
    ("3_1", 128, 1), ("3_2", 256, 2),
    ("4_1", 256, 1), ("4_2", 512, 2),
    ("5_1", 512, 1), ("5_2", 512, 1), ("5_3", 512, 1), ("5_4", 512, 1), ("5_5", 512, 1),
    ("5_6", 1024, 2),
    ("6", 1024, 1),
)
V1_STEM = 32

# MobileNet v2 bottlenecks: (block id, expansion or None for "the -t factor", output channels,
# stride). The ids count spatial levels as the Caffe port does; that port applies the 28->14
# reduction at the first 96-channel block (4_7), where the paper's Table 2 puts it one stage
# earlier. We follow the port so its weights load; docs/gen.md gives both MAC counts.
V2_BLOCKS: tuple[tuple[str, int | None, int, int], ...] = (
    ("2_1", 1, 16, 1), ("2_2", None, 24, 2),
    ("3_1", None, 24, 1), ("3_2", None, 32, 2),
    ("4_1", None, 32, 1), ("4_2", None, 32, 1),
    ("4_3", None, 64, 1), ("4_4", None, 64, 1), ("4_5", None, 64, 1), ("4_6", None, 64, 1),
    ("4_7", None, 96, 2), ("5_1", None, 96, 1), ("5_2", None, 96, 1),
    ("5_3", None, 160, 2), ("6_1", None, 160, 1), ("6_2", None, 160, 1),
    ("6_3", None, 320, 1),
)
# The paper's Table 2 puts the 28->14 reduction at the first 64-channel bottleneck and keeps
# the 96-channel ones at 14x14: same blocks and names, two strides swapped (~300M MACs at
# 1.0-224 against the port's ~430M, whose 64-channel blocks run at 28x28).
V2_PAPER_BLOCKS = tuple(
    (bid, t, out, {"4_3": 2, "4_7": 1}.get(bid, stride)) for bid, t, out, stride in V2_BLOCKS)
V2_LAYOUTS = ("caffe", "paper")
V2_STEM = 32
V2_LAST = 1280


def _conv(opts: GenOptions, name: str, bottom: str, num_output: int, kernel: int,
          **fields: Any) -> dict[str, Any]:
    """A bias-free conv followed by BatchNorm, or one with a bias when BN is merged into it."""
    merged = not opts.batch_norm
    conv = {"name": name, "type": "Convolution", "bottom": bottom, "top": name,
            "num_output": num_output, "kernel": kernel, "pad": None, "stride": None,
            "group": None, "engine": None, "decay_mult": 1,
            "bias": merged, "bias_term": merged}
    conv.update(fields)
    return conv


def _depthwise(opts: GenOptions, conv: dict[str, Any]) -> dict[str, Any]:
    """Turn a conv dict into the depthwise flavour the user asked for.

    group is written for the fork types too: their layers ignore or require it, and a reader
    without the fork (our analyzer, netscope) then still sees a depthwise conv.
    """
    conv["type"] = opts.depthwise_type
    conv["group"] = conv["num_output"]
    conv["engine"] = None if opts.engine == "DEFAULT" else opts.engine
    # The paper trains depthwise filters with little or no weight decay.
    conv["decay_mult"] = 1 if opts.deploy else 0
    return conv


def _unit(opts: GenOptions, conv: dict[str, Any], act: str | None,
          bn_in_place: bool) -> dict[str, Any]:
    """conv + BatchNorm/Scale + activation; `out` is the blob the next layer reads."""
    name = conv["name"]
    if not opts.batch_norm:
        return {"conv": conv, "bn": None, "scale": None, "act": act, "out": name}
    out = name if bn_in_place else f"{name}/bn"
    return {"conv": conv, "bn": f"{name}/bn", "scale": f"{name}/scale", "act": act, "out": out}


def _style(opts: GenOptions, scale_fillers: bool) -> dict[str, Any]:
    return {"deploy": opts.deploy, "scale_fillers": scale_fillers, "act_type": opts.act_type}


def _input(opts: GenOptions) -> dict[str, Any]:
    return {"legacy": opts.legacy_input, "shape": [opts.batch, 3, *opts.size]}


def _data(opts: GenOptions) -> dict[str, Any] | None:
    if opts.deploy:
        return None
    d = opts.data
    return {"train_source": d.train_source, "val_source": d.val_source, "backend": d.backend,
            "crop_size": opts.size[0], "mean_value": [common.fmt_float(m) for m in
                                                         d.mean_value],
            "scale": common.fmt_float(d.scale), "mirror": d.mirror,
            "batch_size": opts.batch, "val_batch_size": d.val_batch_size}


def _head(opts: GenOptions, bottom: str) -> dict[str, Any]:
    fc = {"name": "fc7", "type": "Convolution", "bottom": "pool6", "top": "fc7",
          "num_output": opts.num_classes, "kernel": 1, "pad": None, "stride": None,
          "group": None, "engine": None, "decay_mult": 1, "bias": True, "bias_term": None}
    return {"pool": "pool6", "bottom": bottom, "fc": fc}


def v1_channels(alpha: float) -> list[int]:
    """conv1 then each block's pointwise width, after the TF-slim rule max(int(c*alpha), 8)."""
    return [common.tf_v1_depth(c, alpha) for c in (V1_STEM, *(b[1] for b in V1_BLOCKS))]


def mobilenet_v1(**options: Any) -> str:
    """MobileNet v1 prototxt text; keyword options are those of GenOptions."""
    opts = GenOptions(**options)
    widths = v1_channels(opts.alpha)
    stem = _unit(opts, _conv(opts, "conv1", "data", widths[0], 3, pad=1, stride=2), "relu1",
                 bn_in_place=True)
    blocks, prev, channels = [], stem["out"], widths[0]
    for (bid, _, stride), width in zip(V1_BLOCKS, widths[1:], strict=True):
        dw = _depthwise(opts, _conv(opts, f"conv{bid}/dw", prev, channels, 3, pad=1,
                                    stride=stride))
        dw_unit = _unit(opts, dw, f"relu{bid}/dw", bn_in_place=True)
        sep = _conv(opts, f"conv{bid}/sep", dw_unit["out"], width, 1, pad=0, stride=1)
        sep_unit = _unit(opts, sep, f"relu{bid}/sep", bn_in_place=True)
        blocks.append({"dw": dw_unit, "sep": sep_unit})
        prev, channels = sep_unit["out"], width
    net = {"name": opts.name or "MOBILENET", "input": _input(opts), "data": _data(opts),
           "style": _style(opts, scale_fillers=True), "stem": stem, "blocks": blocks,
           "head": _head(opts, prev)}
    return common.render("mobilenet.prototxt.j2", net=net)


def v2_channels(alpha: float, expansion: int) -> list[tuple[int, int]]:
    """(expanded width, output width) per bottleneck, after TF-slim's _make_divisible(c*alpha).

    The expanded width is the block's actual input times its factor (a multiple of 8 already).
    """
    widths, channels = [], make_v2_stem(alpha)
    for _, factor, out, _ in V2_BLOCKS:
        expanded = channels * (expansion if factor is None else factor)
        channels = common.make_divisible(out * alpha)
        widths.append((expanded, channels))
    return widths


def make_v2_stem(alpha: float) -> int:
    return common.make_divisible(V2_STEM * alpha)


def v2_last(alpha: float) -> int:
    """The final 1x1 conv keeps 1280 channels for alpha < 1 (paper Sec. 6.1, TF-slim's
    finegrain_classification_mode used for the released checkpoints)."""
    return common.make_divisible(V2_LAST * max(1.0, alpha))


def _bottleneck(opts: GenOptions, bid: str, prev: str, expanded: int, out: int,
                stride: int, residual: bool, expand_conv: bool = True) -> dict[str, Any]:
    """One inverted residual; without `expand_conv` (the paper's t = 1 block, whose
    "expansion" keeps the width) the depthwise conv reads the block's input directly."""
    expand = None
    if expand_conv:
        expand = _unit(opts, _conv(opts, f"conv{bid}/expand", prev, expanded, 1),
                       f"relu{bid}/expand", bn_in_place=False)
    dw_conv = _depthwise(opts, _conv(opts, f"conv{bid}/dwise",
                                     expand["out"] if expand else prev, expanded, 3,
                                     pad=1, stride=stride if stride != 1 else None))
    dw = _unit(opts, dw_conv, f"relu{bid}/dwise", bn_in_place=False)
    # Linear bottleneck: no activation after the projection.
    project = _unit(opts, _conv(opts, f"conv{bid}/linear", dw["out"], out, 1), None,
                    bn_in_place=False)
    shortcut = None
    if residual:
        shortcut = {"name": f"block_{bid}", "bottoms": [prev, project["out"]]}
    return {"expand": expand, "dw": dw, "project": project, "shortcut": shortcut,
            "out": shortcut["name"] if shortcut else project["out"]}


def mobilenet_v2(expansion: int = 6, layout: str = "caffe", **options: Any) -> str:
    """MobileNet v2 prototxt text; `expansion` is the paper's t (the first block keeps t=1);
    `layout` "caffe" follows shicai/MobileNet-Caffe, "paper" the paper's Table 2 strides."""
    common.check_int(expansion, "expansion factor (-t)", 1)
    common.check_choice(layout, "--layout", V2_LAYOUTS)
    table = V2_BLOCKS if layout == "caffe" else V2_PAPER_BLOCKS
    opts = GenOptions(**options)
    stem_width = make_v2_stem(opts.alpha)
    stem = _unit(opts, _conv(opts, "conv1", "data", stem_width, 3, pad=1, stride=2), "relu1",
                 bn_in_place=False)
    blocks, prev, channels = [], stem["out"], stem_width
    widths = v2_channels(opts.alpha, expansion)
    for (bid, _, _, stride), (expanded, out) in zip(table, widths, strict=True):
        # shicai's port keeps a 1x1 conv even where t = 1 (32 -> 32); the paper has none.
        block = _bottleneck(opts, bid, prev, expanded, out, stride,
                            residual=stride == 1 and channels == out,
                            expand_conv=layout == "caffe" or expanded != channels)
        blocks.append(block)
        prev, channels = block["out"], out
    last = _unit(opts, _conv(opts, "conv6_4", prev, v2_last(opts.alpha), 1), "relu6_4",
                 bn_in_place=False)
    net = {"name": opts.name or "MOBILENET_V2", "input": _input(opts), "data": _data(opts),
           "style": _style(opts, scale_fillers=False), "stem": stem, "blocks": blocks,
           "last": last, "head": _head(opts, last["out"])}
    return common.render("mobilenet_v2.prototxt.j2", net=net)
