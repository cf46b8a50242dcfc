"""SSD detectors on MobileNet: MobileNet-SSD (v1) and MobileNetV2-SSDLite, deploy/train/test.

The layouts are those of chuanqi305/MobileNet-SSD (`gen.py`; its VOC files are what a default
run reproduces) and chuanqi305/MobileNetv2-SSDLite (`ssdlite/gen_model.py`); the SSD layers
are weiliu89/caffe's (branch ssd). The net is laid out here as a list of plain dicts, one per
layer; templates/ssd.prototxt.j2 writes them. Shapes are followed while the net is laid out,
so prior-box sizes come from the input size and an input too small for six detection scales
is refused with the layer that would lose its feature map.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from prototxt_tool.errors import UsageError
from prototxt_tool.gen import common

SSD_PHASES = ("deploy", "train", "test")

# SSD's anchor scales as chuanqi305's create_ssd_anchors computes them (TF object detection
# API defaults): six heads evenly from 0.2 to 0.95 of the input, each head's max size the next
# head's min size (1.0 for the last). The first head has no max size and one extra ratio.
MIN_SCALE, MAX_SCALE, NUM_HEADS = 0.2, 0.95, 6

# MobileNet v1 body of MobileNet-SSD: (block, depthwise input, pointwise output, stride);
# chuanqi305 names the blocks conv1..conv13 and the stem conv0.
V1_BODY: tuple[tuple[str, int, int, int], ...] = (
    ("conv1", 32, 64, 1), ("conv2", 64, 128, 2), ("conv3", 128, 128, 1),
    ("conv4", 128, 256, 2), ("conv5", 256, 256, 1), ("conv6", 256, 512, 2),
    ("conv7", 512, 512, 1), ("conv8", 512, 512, 1), ("conv9", 512, 512, 1),
    ("conv10", 512, 512, 1), ("conv11", 512, 512, 1), ("conv12", 512, 1024, 2),
    ("conv13", 1024, 1024, 1),
)
# Extra feature layers: (1x1 name, its channels, 3x3 stride-2 name, its channels).
V1_EXTRAS: tuple[tuple[str, int, str, int], ...] = (
    ("conv14_1", 256, "conv14_2", 512), ("conv15_1", 128, "conv15_2", 256),
    ("conv16_1", 128, "conv16_2", 256), ("conv17_1", 64, "conv17_2", 128),
)
V1_HEADS = ("conv11", "conv13", "conv14_2", "conv15_2", "conv16_2", "conv17_2")

# MobileNet v2 body of SSDLite as TensorFlow's (and the paper's Table 2) strides place it:
# (block, expansion t, output channels, stride, residual).
V2_BODY: tuple[tuple[str, int, int, int, bool], ...] = (
    ("conv_1", 6, 24, 2, False), ("conv_2", 6, 24, 1, True),
    ("conv_3", 6, 32, 2, False), ("conv_4", 6, 32, 1, True), ("conv_5", 6, 32, 1, True),
    ("conv_6", 6, 64, 2, False), ("conv_7", 6, 64, 1, True), ("conv_8", 6, 64, 1, True),
    ("conv_9", 6, 64, 1, True), ("conv_10", 6, 96, 1, False), ("conv_11", 6, 96, 1, True),
    ("conv_12", 6, 96, 1, True), ("conv_13", 6, 160, 2, False), ("conv_14", 6, 160, 1, True),
    ("conv_15", 6, 160, 1, True), ("conv_16", 6, 320, 1, False),
)
# SSDLite extra layers layer_19_{1,2}_{2..5}: output channels of each stride-2 stage.
V2_EXTRAS = (512, 256, 256, 128)
V2_HEADS = ("conv_13/expand", "Conv_1", "layer_19_2_2", "layer_19_2_3", "layer_19_2_4",
            "layer_19_2_5")
V2_EPS = "0.001"  # TensorFlow's BatchNorm epsilon, which SSDLite's weights were trained with

# Learning-rate multiplier of every layer but the class scores in chuanqi305's VOC train net:
# it fine-tunes a COCO-trained detector, so only the class-count-dependent layers learn fast.
FINETUNE_LR_MULT = 0.1


@dataclass(frozen=True)
class DetectorData:
    """AnnotatedData settings of train/test nets. Paths are written into the net, never
    opened. Defaults are chuanqi305's VOC files."""

    train_source: str = "trainval_lmdb/"
    test_source: str = "test_lmdb"
    label_map: str = "labelmap.prototxt"
    backend: str = "LMDB"
    mean_value: tuple[float, ...] = (127.5, 127.5, 127.5)
    scale: float = 0.007843  # ~ 1/127.5: pixels to [-1, 1]
    mirror: bool = True

    def check(self) -> None:
        common.check_choice(self.backend, "--backend", common.BACKENDS)
        common.check_data_sources(((self.train_source, "--train-source"),
                                   (self.test_source, "--val-source"),
                                   (self.label_map, "--label-map")), self.mean_value, self.scale)


@dataclass(frozen=True)
class DetectorOptions:
    """Options of the SSD generators; resolution is N (square) or (height, width)."""

    alpha: float = 1.0
    resolution: Any = 300
    num_classes: int = 21
    batch_size: int | None = None  # None: 1 (deploy), 24 (train), 8 (test)
    batch_norm: bool | None = None  # None: kept in train/test, merged into the convs in deploy
    relu6: str | None = None
    depthwise_type: str = "Convolution"
    engine: str = "CAFFE"
    name: str | None = None
    phase: str = "deploy"
    lr_mult: float | None = None  # train: None means the model's default
    tf_pad: bool = False  # SSDLite: TensorFlow's SAME padding via Slice layers (see _tf_pad)
    data: DetectorData = field(default_factory=DetectorData)

    def __post_init__(self) -> None:
        common.check_net_knobs(self, 2, SSD_PHASES)
        if self.lr_mult is not None:
            if self.phase != "train":
                raise UsageError("--lr-mult applies to --phase train only")
            if isinstance(self.lr_mult, bool) or not self.lr_mult > 0:
                raise UsageError(f"--lr-mult must be > 0, got {self.lr_mult!r}")
        if self.phase != "deploy":
            self.data.check()

    @property
    def size(self) -> tuple[int, int]:
        return common.check_resolution(self.resolution)

    @property
    def keep_bn(self) -> bool:
        return self.phase != "deploy" if self.batch_norm is None else self.batch_norm

    @property
    def batch(self) -> int:
        if self.batch_size is not None:
            return self.batch_size
        return {"deploy": 1, "train": 24, "test": 8}[self.phase]


def anchor_sizes(height: int, width: int) -> list[tuple[str, str | None]]:
    """(min_size, max_size) of each head in pixels, as text with one decimal (chuanqi305's
    "%.1f"). Sizes are fractions of the shorter side, so boxes stay square in pixels on a
    non-square input, as TensorFlow's anchor generator makes them."""
    side = min(height, width)
    scales = [MIN_SCALE + (MAX_SCALE - MIN_SCALE) * i / (NUM_HEADS - 1)
              for i in range(NUM_HEADS)] + [1.0]
    sizes: list[tuple[str, str | None]] = []
    for i in range(NUM_HEADS):
        high = None if i == 0 else f"{side * scales[i + 1]:.1f}"
        sizes.append((f"{side * scales[i]:.1f}", high))
    return sizes


class _Net:
    """The layer list being built, with each blob's (channels, height, width)."""

    def __init__(self, opts: DetectorOptions, finetune: float):
        self.opts = opts
        self.layers: list[dict[str, Any]] = []
        height, width = opts.size
        self.shapes: dict[str, tuple[int, int, int]] = {"data": (3, height, width)}
        train = opts.phase == "train"
        self.mult = (opts.lr_mult or finetune) if train else 1.0
        self.act = opts.relu6 or "ReLU"
        self.margins: list[str] = []  # blobs cut off by _tf_pad, to feed a Silence layer

    def add(self, kind: str, name: str, type_: str, bottoms: list[str], tops: list[str],
            **fields: Any) -> dict[str, Any]:
        layer = {"kind": kind, "name": name, "type": type_, "bottoms": bottoms, "tops": tops,
                 "phase": None, **fields}
        self.layers.append(layer)
        return layer

    def conv(self, name: str, bottom: str, out: int, kernel: int, stride: int = 1,
             depthwise: bool = False, head: bool = False, mult: float | None = None,
             bn_follows: bool = False) -> str:
        """A convolution; bias only where no BatchNorm follows (heads, or BN merged)."""
        _, height, width = self.shapes[bottom]
        if stride > 1 and height == 1 and width == 1:
            raise UsageError(self._too_small(name, bottom))
        pad = kernel // 2
        out_h = (height + 2 * pad - kernel) // stride + 1
        out_w = (width + 2 * pad - kernel) // stride + 1
        # Axes where TensorFlow's SAME padding is asymmetric (0 before, 1 after): even sizes.
        uneven = [axis for axis, size in ((2, height), (3, width)) if size % 2 == 0]
        if not (self.opts.tf_pad and stride == 2 and kernel == 3):
            uneven = []
        bias = head or not (self.opts.keep_bn or bn_follows)
        m = self.mult if mult is None else mult
        params = [(common.fmt_float(m), common.fmt_float(m))]
        if bias:
            params.append((common.fmt_float(2 * m), "0.0"))
        type_, group, engine = "Convolution", None, None
        if depthwise:
            type_, group = self.opts.depthwise_type, out
            engine = None if self.opts.engine == "DEFAULT" else self.opts.engine
        pads = tuple(pad + (axis in uneven) for axis in (2, 3))
        top = f"{name}/pad" if uneven else name
        self.add("conv", name, type_, [bottom], [top], params=params, num_output=out,
                 bias=bias, pad=pads[0] if pads[0] == pads[1] else None,
                 pad_hw=pads if pads[0] != pads[1] else None, kernel=kernel, stride=stride,
                 group=group, engine=engine)
        if uneven:
            self._tf_pad(name, uneven)
        self.shapes[name] = (out, out_h, out_w)
        return name

    def _tf_pad(self, name: str, axes: list[int]) -> None:
        """TensorFlow pads an even input of a stride-2 3x3 conv by 0 before and 1 after; Caffe
        pads symmetrically. As chuanqi305's `--tfpad` does, pad 2 on such an axis and slice off
        the first row/column (the extra outputs), so weights converted from TensorFlow see
        the same windows. The margins go to a Silence layer (see silence())."""
        blob = f"{name}/pad"
        for i, axis in enumerate(axes, start=1):
            last = i == len(axes)
            kept = name if last else f"{name}/tmp"
            margin = f"{name}/margin{i}"
            self.add("slice", f"{name}/slice{i}", "Slice", [blob], [margin, kept], axis=axis)
            self.margins.append(margin)
            blob = kept

    def silence(self) -> None:
        if self.margins:
            self.add("plain", "silence", "Silence", list(self.margins), [])

    def _too_small(self, name: str, bottom: str) -> str:
        height, width = self.opts.size
        return (f"input {height}x{width} is too small: layer '{name}' would downsample the 1x1 "
                f"feature map of '{bottom}', so its detection scale vanishes; give a larger -r")

    def norm_act(self, blob: str, act: bool = True, eps: str | None = None,
                 always_bn: bool = False) -> None:
        """BatchNorm + Scale (unless merged; always with `always_bn`), then the activation."""
        if self.opts.keep_bn or always_bn:
            self.add("batchnorm", f"{blob}/bn", "BatchNorm", [blob], [blob],
                     global_stats=self.opts.phase == "deploy" and self.opts.keep_bn, eps=eps)
            m = common.fmt_float(self.mult)
            self.add("scale", f"{blob}/scale", "Scale", [blob], [blob],
                     params=[(m, "0.0"), (common.fmt_float(2 * self.mult), "0.0")])
        if act:
            self.add("activation", f"{blob}/relu", self.act, [blob], [blob])

    def unit(self, name: str, bottom: str, out: int, kernel: int, stride: int = 1,
             depthwise: bool = False, act: bool = True, eps: str | None = None,
             always_bn: bool = False) -> str:
        self.conv(name, bottom, out, kernel, stride, depthwise, bn_follows=always_bn)
        self.norm_act(name, act, eps, always_bn)
        return name

    # -- detection heads ----------------------------------------------------------------
    def heads(self, sources: tuple[str, ...], lite: bool, eps: str | None = None) -> None:
        height, width = self.opts.size
        classes = self.opts.num_classes
        conf_mult = 1.0  # the class scores always learn at full rate (see FINETUNE_LR_MULT)
        for i, (source, (low, high)) in enumerate(zip(sources, anchor_sizes(height, width),
                                                      strict=True)):
            priors = 3 if i == 0 else 6
            for part, out, mult in (("loc", priors * 4, None), ("conf", priors * classes,
                                                                 conf_mult)):
                name = f"{source}_mbox_{part}"
                bottom = source
                if lite:  # SSDLite: a depthwise 3x3 (+BN, activation) before the 1x1 predictor
                    # gen_model.py keeps these BatchNorms even where it merges the others.
                    channels = self.shapes[source][0]
                    bottom = self.unit(f"{name}/depthwise", source, channels, 3,
                                       depthwise=True, eps=eps, always_bn=True)
                self.conv(name, bottom, out, 1, head=True, mult=mult)
                self.add("permute", f"{name}_perm", "Permute", [name], [f"{name}_perm"])
                self.add("flatten", f"{name}_flat", "Flatten", [f"{name}_perm"],
                         [f"{name}_flat"])
            ratios = ["2.0"] if i == 0 else ["2.0", "3.0"]
            self.add("priorbox", f"{source}_mbox_priorbox", "PriorBox", [source, "data"],
                     [f"{source}_mbox_priorbox"], min_size=low, max_size=high,
                     aspect_ratios=ratios)
        for part, axis in (("loc", 1), ("conf", 1), ("priorbox", 2)):
            suffix = "" if part == "priorbox" else "_flat"
            self.add("concat", f"mbox_{part}", "Concat",
                     [f"{s}_mbox_{part}{suffix}" for s in sources], [f"mbox_{part}"], axis=axis)

    def tail(self, lite: bool) -> None:
        """Loss (train), or class scores + DetectionOutput (deploy) and evaluation (test)."""
        classes, phase = self.opts.num_classes, self.opts.phase
        if phase == "train":
            loss = self.add("multibox_loss", "mbox_loss", "MultiBoxLoss",
                            ["mbox_loc", "mbox_conf", "mbox_priorbox", "label"], ["mbox_loss"],
                            num_classes=classes, conf_loss="LOGISTIC" if lite else "SOFTMAX")
            loss["phase"] = "TRAIN"
            return
        self.add("conf_reshape", "mbox_conf_reshape", "Reshape", ["mbox_conf"],
                 ["mbox_conf_reshape"], num_classes=classes)
        # SSDLite scores each class independently (sigmoid), as it was trained in TensorFlow.
        score = "mbox_conf_sigmoid" if lite else "mbox_conf_softmax"
        self.add("plain" if lite else "softmax", score, "Sigmoid" if lite else "Softmax",
                 ["mbox_conf_reshape"], [score])
        self.add("flatten", "mbox_conf_flatten", "Flatten", [score], ["mbox_conf_flatten"])
        test = phase == "test"  # mAP wants every detection: low threshold, more boxes
        out = self.add("detection_output", "detection_out", "DetectionOutput",
                       ["mbox_loc", "mbox_conf_flatten", "mbox_priorbox"], ["detection_out"],
                       num_classes=classes, nms_top_k=400 if test else 100,
                       keep_top_k=200 if test else 100,
                       confidence_threshold="0.01" if test else "0.35" if lite else "0.25")
        out["phase"] = "TEST"
        if phase == "test":
            ev = self.add("detection_evaluate", "detection_eval", "DetectionEvaluate",
                          ["detection_out", "label"], ["detection_eval"], num_classes=classes)
            ev["phase"] = "TEST"

    def data_layer(self) -> list[int] | None:
        """AnnotatedData for train/test; for deploy, the input_shape dims."""
        opts = self.opts
        height, width = opts.size
        if opts.phase == "deploy":
            return [opts.batch, 3, height, width]
        d, train = opts.data, opts.phase == "train"
        layer = self.add("annotated_data", "data", "AnnotatedData", [], ["data", "label"],
                         train=train, mirror=d.mirror, scale=common.fmt_float(d.scale),
                         mean_value=[common.fmt_float(m) for m in d.mean_value],
                         height=height, width=width,
                         source=d.train_source if train else d.test_source,
                         batch_size=opts.batch, backend=d.backend, label_map=d.label_map)
        layer["phase"] = "TRAIN" if train else "TEST"
        return None

    def render(self, name: str, input_dims: list[int] | None) -> str:
        net = {"name": self.opts.name or name, "input": input_dims, "layers": self.layers}
        return common.render("ssd.prototxt.j2", net=net)


def mobilenet_ssd(**options: Any) -> str:
    """MobileNet-SSD (chuanqi305/MobileNet-SSD) prototxt text; options of DetectorOptions."""
    opts = DetectorOptions(**options)
    if opts.tf_pad:
        raise UsageError("--tf-pad applies to mobilenet-v2-ssdlite only")
    net = _Net(opts, FINETUNE_LR_MULT)
    dims = net.data_layer()
    prev = net.unit("conv0", "data", common.tf_v1_depth(32, opts.alpha), 3, stride=2)
    for block, _, out, stride in V1_BODY:
        channels = net.shapes[prev][0]
        dw = net.unit(f"{block}/dw", prev, channels, 3, stride, depthwise=True)
        prev = net.unit(block, dw, common.tf_v1_depth(out, opts.alpha), 1)
    for first, c1, second, c2 in V1_EXTRAS:
        prev = net.unit(first, prev, c1, 1)
        prev = net.unit(second, prev, c2, 3, stride=2)
    net.heads(V1_HEADS, lite=False)
    net.tail(lite=False)
    return net.render("MobileNet-SSD", dims)


def v2_depth(channels: float, alpha: float) -> int:
    return common.make_divisible(channels * alpha)


def mobilenet_v2_ssdlite(**options: Any) -> str:
    """MobileNetV2-SSDLite (chuanqi305/MobileNetv2-SSDLite, ssdlite/gen_model.py) prototxt
    text; options of DetectorOptions. BatchNorm uses TensorFlow's eps 0.001."""
    opts = DetectorOptions(**options)
    net = _Net(opts, 1.0)  # chuanqi305 trains SSDLite at full rate throughout
    dims = net.data_layer()
    a, eps = opts.alpha, V2_EPS
    prev = net.unit("Conv", "data", v2_depth(32, a), 3, stride=2, eps=eps)
    prev = net.unit("conv/depthwise", prev, net.shapes[prev][0], 3, depthwise=True, eps=eps)
    prev = net.unit("conv/project", prev, v2_depth(16, a), 1, act=False, eps=eps)
    for block, t, out, stride, residual in V2_BODY:
        channels = net.shapes[prev][0]
        expand = net.unit(f"{block}/expand", prev, channels * t, 1, eps=eps)
        dw = net.unit(f"{block}/depthwise", expand, channels * t, 3, stride, depthwise=True,
                      eps=eps)
        project = net.unit(f"{block}/project", dw, v2_depth(out, a), 1, act=False, eps=eps)
        if residual:
            net.add("plain", f"{block}/sum", "Eltwise", [prev, project], [block])
            net.shapes[block] = net.shapes[project]
            prev = block
        else:
            prev = project
    prev = net.unit("Conv_1", prev, v2_depth(1280, max(1.0, a)), 1, eps=eps)
    for stage, out in enumerate(V2_EXTRAS, start=2):
        half = v2_depth(out / 2, a)
        first = net.unit(f"layer_19_1_{stage}", prev, half, 1, eps=eps)
        dw = net.unit(f"layer_19_2_{stage}/depthwise", first, half, 3, 2, depthwise=True,
                      eps=eps)
        prev = net.unit(f"layer_19_2_{stage}", dw, v2_depth(out, a), 1, eps=eps)
    net.silence()
    net.heads(V2_HEADS, lite=True, eps=eps)
    net.tail(lite=True)
    return net.render("MobileNetv2-SSDLite", dims)

