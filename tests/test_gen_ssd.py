"""dwsep gen for the SSD detectors (mobilenet-ssd, mobilenet-v2-ssdlite) and the MobileNet v2
paper layout.

Reference checks read ../shared (the corpus and its reference/ folder; skipped with a reason
without them). The other expectations are computed here, independently of the generator:
feature-map sizes from Caffe's convolution formula, prior counts from PriorBox's rules, the
paper's MACs and params from its Table 2.
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import pytest
from google.protobuf.json_format import MessageToDict

from prototxt_tool import analysis, caffe_pb2, pipeline, textformat
from prototxt_tool.errors import UsageError
from prototxt_tool.gen import DetectorData, generate, mobilenet_ssd, mobilenet_v2
from prototxt_tool.gen.solver import ssd_solver
from prototxt_tool.lint import LintOptions, lint_source
from prototxt_tool.lint.config import LintConfig
from tests.conftest import CORPUS, corpus_or_skip

DETECTORS = ("mobilenet-ssd", "mobilenet-v2-ssdlite")
GOLDEN = "mobilenet-ssd__MobileNetSSD_deploy.TEST.json"


def parse(text: str, kind: type = caffe_pb2.NetParameter) -> object:
    message = kind()
    textformat.parse(text, message)
    return message


def analyze(text: str, phase: str = "TEST", **kw: object) -> analysis.Analysis:
    loaded = pipeline.load_net(pipeline.Source("<generated>", text), phase=phase)
    return analysis.analyze(loaded, **kw)  # type: ignore[arg-type]


def reference_or_skip() -> Path:
    folder = CORPUS.parent / "reference" / "mobilenet-ssd"
    if not folder.is_dir():
        pytest.skip(f"reference nets not found at {folder}")
    return folder


def differences(a: object, b: object, path: str = "") -> list[str]:
    """Field-by-field differences of two messages' dict forms (layers named by name)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(set(a) | set(b)):
            if key not in b or key not in a:
                out.append(f"{path}.{key}")
            else:
                out += differences(a[key], b[key], f"{path}.{key}")
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        out = []
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            key = x.get("name", i) if isinstance(x, dict) else i
            out += differences(x, y, f"{path}[{key}]")
        return out
    return [] if a == b else [path]


# -- the reference files -------------------------------------------------------------------

def test_default_deploy_is_the_reference_message() -> None:
    reference = corpus_or_skip() / "mobilenet-ssd" / "MobileNetSSD_deploy.prototxt"
    assert parse(mobilenet_ssd()) == parse(reference.read_text())


def test_default_deploy_analyzes_like_real_caffe() -> None:
    golden = json.loads((corpus_or_skip() / "expected" / GOLDEN).read_text())
    result = analyze(mobilenet_ssd())
    assert [r.name for r in result.layers] == [g["name"] for g in golden["layers"]]
    for report, expected in zip(result.layers, golden["layers"], strict=True):
        tops = [(t.name, list(t.shape) if t.shape is not None else None) for t in report.tops]
        assert tops == [(t["name"], t["shape"]) for t in expected["tops"]], report.name
        assert (report.params or 0) == expected["param_count"], report.name
        assert [list(s) for s in report.param_shapes or []] == expected["params"], report.name
    assert result.total.params == golden["total_params"]


# The one deliberate difference of the train net: engine: CAFFE on its 13 depthwise convs,
# as chuanqi305's deploy and test nets have it (its train net has the line commented out).
TRAIN_DIFFERENCES = [f".layer[conv{i}/dw].convolutionParam.engine" for i in range(1, 14)]


def test_train_net_is_the_reference_but_for_the_depthwise_engine() -> None:
    reference = parse((reference_or_skip() / "MobileNetSSD_train.prototxt").read_text())
    generated = parse(mobilenet_ssd(phase="train"))
    assert differences(MessageToDict(generated), MessageToDict(reference)) == TRAIN_DIFFERENCES
    assert parse(mobilenet_ssd(phase="train", engine="DEFAULT")) == reference


def test_test_net_is_the_reference_message() -> None:
    reference = parse((reference_or_skip() / "MobileNetSSD_test.prototxt").read_text())
    assert parse(mobilenet_ssd(phase="test")) == reference


def test_solver_is_the_reference_message() -> None:
    reference = (reference_or_skip() / "solver.prototxt").read_text()
    text = ssd_solver("voc/MobileNetSSD_train.prototxt", "voc/MobileNetSSD_test.prototxt")
    assert parse(text, caffe_pb2.SolverParameter) == parse(reference, caffe_pb2.SolverParameter)


# -- any input size ------------------------------------------------------------------------

def caffe_conv(size: int, kernel: int, stride: int) -> int:
    pad = kernel // 2
    return (size + 2 * pad - kernel) // stride + 1


def expected_maps(height: int, width: int) -> list[tuple[int, int]]:
    """The six head maps of MobileNet-SSD: conv11 after 4 stride-2 3x3 convs, conv13 after
    5, then one more per extra layer."""
    maps, h, w = [], height, width
    for stride_count in range(1, 10):
        h, w = caffe_conv(h, 3, 2), caffe_conv(w, 3, 2)
        if stride_count >= 4:
            maps.append((h, w))
    return maps


def num_priors(p: caffe_pb2.PriorBoxParameter) -> int:
    ratios = {1.0}
    for r in p.aspect_ratio:
        ratios |= {r, 1 / r} if p.flip else {r}
    return len(ratios) * len(p.min_size) + len(p.max_size)


@pytest.mark.parametrize(("resolution", "size"), [
    (300, (300, 300)), (512, (512, 512)), ("240x320", (240, 320)), ((320, 240), (320, 240)),
])
def test_prior_boxes_follow_the_feature_maps(resolution: object, size: tuple[int, int]) -> None:
    text = mobilenet_ssd(resolution=resolution)
    net = parse(text)
    result = analyze(text)
    shapes = {t.name: t.shape for r in result.layers for t in r.tops}
    assert shapes["data"] == (1, 3, *size)
    priors = [lay for lay in net.layer if lay.type == "PriorBox"]
    maps = [shapes[lay.bottom[0]][2:] for lay in priors]
    assert maps == expected_maps(*size)
    side, total = min(size), 0
    for i, (lay, (h, w)) in enumerate(zip(priors, maps, strict=True)):
        p = lay.prior_box_param
        count = num_priors(p)
        assert shapes[lay.top[0]] == (1, 2, h * w * count * 4)
        assert not p.HasField("step")  # Caffe derives it: image size / map size
        scale = 0.2 + 0.15 * i
        assert p.min_size[0] == pytest.approx(round(side * scale, 1), abs=1e-4)
        if i:
            assert p.max_size[0] == pytest.approx(round(side * (scale + 0.15 if i < 5 else 1),
                                                        1), abs=1e-4)
        total += h * w * count
    assert shapes["mbox_loc"] == (1, total * 4)
    assert shapes["mbox_conf"] == (1, total * 21)
    assert shapes["mbox_priorbox"] == (1, 2, total * 4)


def first_vanishing(height: int, width: int) -> str | None:
    """The first extra layer (stride 2) whose input map is already 1x1."""
    h, w = height, width
    names = [None] * 5 + ["conv14_2", "conv15_2", "conv16_2", "conv17_2"]
    for name in names:
        if name and h == 1 and w == 1:
            return name
        h, w = caffe_conv(h, 3, 2), caffe_conv(w, 3, 2)
    return None


@pytest.mark.parametrize("resolution", ["32", "64", "100", "256", "128x512", "257"])
def test_sizes_whose_maps_vanish_are_refused_naming_the_layer(resolution: str) -> None:
    h, _, w = resolution.partition("x")
    layer = first_vanishing(int(h), int(w or h))
    if layer is None:
        assert analyze(mobilenet_ssd(resolution=resolution)).total.macs > 0
        return
    with pytest.raises(UsageError, match=f"layer '{layer}' would downsample the 1x1"):
        mobilenet_ssd(resolution=resolution)


@pytest.mark.parametrize("bad", ["0", "31", "300x", "x300", "3e2", "300x300x3", (300,) * 3,
                                 300.0, True])
def test_bad_resolutions(bad: object) -> None:
    with pytest.raises(UsageError, match="resolution"):
        generate("mobilenet-ssd", resolution=bad)


def test_classifiers_take_hxw_too() -> None:
    result = analyze(generate("mobilenet-v2", resolution="240x320"))
    by_name = {r.name: r for r in result.layers}
    assert by_name["data"].tops[0].shape == (1, 3, 240, 320)
    assert by_name["pool6"].tops[0].shape == (1, 1280, 1, 1)
    with pytest.raises(UsageError, match="not square"):
        generate("mobilenet", phase="train-val", resolution="240x320")


# -- every model x phase x knobs -----------------------------------------------------------

KNOBS = [
    {},
    {"alpha": 0.5, "resolution": "240x320", "num_classes": 4},
    {"relu6": "Clip", "depthwise_type": "ConvolutionDepthwise", "engine": "DEFAULT"},
    {"relu6": "ReLU6", "batch_norm": True, "resolution": 512, "num_classes": 91},
    {"batch_norm": False, "alpha": 0.75, "batch_size": 2},
]


@pytest.mark.parametrize(("model", "phase", "knobs"),
                         list(itertools.product(DETECTORS, ("deploy", "train", "test"), KNOBS)))
def test_every_combination_parses_analyzes_and_lints_clean(model: str, phase: str,
                                                           knobs: dict[str, object]) -> None:
    text = generate(model, phase=phase, **knobs)
    parse(text)
    caffe_phase = "TRAIN" if phase == "train" else "TEST"
    result = analyze(text, phase=caffe_phase, input_shapes={"data": (-1, 3, -1, -1)})
    assert not result.warnings
    unknown = {"train": ["mbox_loss"], "deploy": ["detection_out"],
               "test": ["detection_out", "detection_eval"]}[phase]
    assert result.total.unknown == unknown  # data-dependent by nature, nothing else
    classes = knobs.get("num_classes", 21)
    conf = next(r for r in result.layers if r.name == "mbox_conf")
    loc = next(r for r in result.layers if r.name == "mbox_loc")
    assert conf.tops[0].shape[1] == loc.tops[0].shape[1] // 4 * classes
    # Each file lints clean in the phase it is for (train/test nets are one-phase files).
    options = LintOptions(phases=(caffe_phase,) if phase != "deploy" else (),
                          input_shapes={"data": (-1, 3, -1, -1)})
    findings = lint_source(pipeline.Source("<gen>", text), LintConfig(), options)
    assert findings == []


def test_batch_norm_kept_for_train_and_test_merged_for_deploy() -> None:
    for phase, has_bn in (("deploy", False), ("train", True), ("test", True)):
        types = {lay.type for lay in parse(mobilenet_ssd(phase=phase)).layer}
        assert ("BatchNorm" in types) == has_bn, phase
    kept = parse(mobilenet_ssd(batch_norm=True))
    bn = [lay for lay in kept.layer if lay.type == "BatchNorm"]
    assert bn and all(lay.batch_norm_param.use_global_stats for lay in bn)
    merged = parse(mobilenet_ssd(phase="train", batch_norm=False))
    assert not [lay for lay in merged.layer if lay.type in ("BatchNorm", "Scale")]


def test_merging_batch_norm_keeps_the_arithmetic() -> None:
    for model in DETECTORS:
        a = analyze(generate(model, batch_norm=True)).total
        b = analyze(generate(model)).total
        assert a.macs == b.macs


def test_train_data_options_and_lr_mult() -> None:
    data = DetectorData(train_source="my_lmdb", label_map="labels.prototxt", mirror=False,
                        mean_value=(104.0, 117.0, 123.0), scale=1.0, backend="LEVELDB")
    net = parse(mobilenet_ssd(phase="train", data=data, lr_mult=0.5, batch_size=16))
    layer = net.layer[0]
    assert (layer.type, layer.data_param.source, layer.data_param.batch_size) == (
        "AnnotatedData", "my_lmdb", 16)
    assert layer.annotated_data_param.label_map_file == "labels.prototxt"
    assert not layer.transform_param.mirror and layer.transform_param.scale == 1.0
    mults = {lay.name: lay.param[0].lr_mult for lay in net.layer if lay.type == "Convolution"}
    assert mults["conv0"] == 0.5 and mults["conv11_mbox_loc"] == 0.5
    assert mults["conv11_mbox_conf"] == 1.0  # class scores always learn at full rate
    with pytest.raises(UsageError, match="--lr-mult applies to --phase train"):
        mobilenet_ssd(lr_mult=0.5)


@pytest.mark.parametrize(("options", "match"), [
    ({"phase": "train-val"}, "--phase"),
    ({"num_classes": 1}, "--num-classes"),
    ({"alpha": 2.0}, "width multiplier"),
    ({"phase": "train", "data": DetectorData(label_map="")}, "--label-map"),
    ({"phase": "test", "data": DetectorData(mean_value=(1.0, 2.0))}, "--mean-value"),
])
def test_bad_detector_options(options: dict[str, object], match: str) -> None:
    with pytest.raises(UsageError, match=match):
        mobilenet_ssd(**options)


def test_ssdlite_heads_are_depthwise_separable() -> None:
    net = parse(generate("mobilenet-v2-ssdlite", phase="test", num_classes=91))
    by_name = {lay.name: lay for lay in net.layer}
    for source in ("conv_13/expand", "Conv_1", "layer_19_2_5"):
        for part in ("loc", "conf"):
            dw = by_name[f"{source}_mbox_{part}/depthwise"]
            assert dw.convolution_param.group == dw.convolution_param.num_output
            assert by_name[f"{source}_mbox_{part}"].convolution_param.kernel_size == [1]
    assert by_name["mbox_conf_sigmoid"].type == "Sigmoid"
    assert by_name["detection_eval"].detection_evaluate_param.num_classes == 91
    eps = {lay.batch_norm_param.eps for lay in net.layer if lay.type == "BatchNorm"}
    assert len(eps) == 1 and eps.pop() == pytest.approx(0.001)


# -- MobileNet v2, the paper's layout ------------------------------------------------------

# The paper's Table 2: (t, c, n, s) per bottleneck sequence, after a 3x3 stride-2 conv of 32.
PAPER_TABLE_2 = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                 (6, 160, 3, 2), (6, 320, 1, 1)]


def paper_cost(size: int = 224, classes: int = 1000) -> tuple[int, int]:
    """MACs and learnable params of Table 2, with BatchNorm's scale and shift per channel."""
    side = math.ceil(size / 2)
    macs, params = side * side * 32 * 27, 32 * 27 + 2 * 32
    channels = 32
    for t, c, n, s in PAPER_TABLE_2:
        for i in range(n):
            stride = s if i == 0 else 1
            hidden = channels * t
            if t != 1:
                macs += side * side * channels * hidden
                params += channels * hidden + 2 * hidden
            side = math.ceil(side / stride)
            macs += side * side * hidden * 9 + side * side * hidden * c
            params += hidden * 9 + 2 * hidden + hidden * c + 2 * c
            channels = c
    macs += side * side * channels * 1280 + 1280 * classes
    params += channels * 1280 + 2 * 1280 + 1280 * classes + classes
    return macs, params


def test_paper_layout_matches_table_2() -> None:
    total = analyze(mobilenet_v2(layout="paper")).total
    macs, params = paper_cost()
    assert (total.macs, total.learnable) == (macs, params)
    assert round(macs / 1e6) == 301 and round(params / 1e5) == 35  # "300M, 3.4M" in Table 3
    assert analyze(mobilenet_v2(layout="paper", resolution=160)).total.macs == paper_cost(160)[0]


def test_paper_and_caffe_layouts_differ_only_where_documented() -> None:
    paper = {r.name: r for r in analyze(mobilenet_v2(layout="paper")).layers}
    caffe = {r.name: r for r in analyze(mobilenet_v2()).layers}
    assert set(caffe) - set(paper) == {"conv2_1/expand", "conv2_1/expand/bn",
                                        "conv2_1/expand/scale", "relu2_1/expand"}
    assert paper["conv4_3/linear"].tops[0].shape == (1, 64, 14, 14)
    assert caffe["conv4_3/linear"].tops[0].shape == (1, 64, 28, 28)
    with pytest.raises(UsageError, match="--layout"):
        mobilenet_v2(layout="tf")


def test_docs_table_is_what_the_commands_generate() -> None:
    """docs/gen.md's MACs/params table: every row regenerated through the CLI and analyzed."""
    import re
    import shlex

    from click.testing import CliRunner

    from prototxt_tool.cli import COMMANDS
    from prototxt_tool.commands import build_cli
    from tests.conftest import REPO

    page = (REPO / "docs" / "gen.md").read_text()
    table = page.split("<!-- generated-figures -->", 1)[1].split("\n\n", 1)[0]
    rows = re.findall(r"^\| `dwsep gen ([^`]+)` \| ([\d,]+) \| ([\d,]+) \|$", table, re.M)
    assert len(rows) >= 10
    for args, macs, params in rows:
        text = CliRunner().invoke(build_cli(COMMANDS), ["gen", *shlex.split(args)]).stdout
        total = analyze(text).total
        assert (f"{total.macs:,}", f"{total.learnable:,}") == (macs, params), args


@pytest.mark.parametrize("phase", ["deploy", "train", "test"])
@pytest.mark.parametrize("resolution", [300, "240x321", 512])
def test_ssdlite_tf_pad_keeps_every_shape(phase: str, resolution: object) -> None:
    """TensorFlow padding (pad 2 + a Slice on each even axis of a stride-2 conv's input) gives
    the same blob shapes as Caffe's symmetric padding; only the slices and Silence are added."""
    caffe_phase = "TRAIN" if phase == "train" else "TEST"
    shapes = {"data": (-1, 3, -1, -1)}
    plain = analyze(generate("mobilenet-v2-ssdlite", phase=phase, resolution=resolution),
                    phase=caffe_phase, input_shapes=shapes)
    text = generate("mobilenet-v2-ssdlite", phase=phase, resolution=resolution, tf_pad=True)
    padded = analyze(text, phase=caffe_phase, input_shapes=shapes)
    blobs = {t.name: t.shape for r in plain.layers for t in r.tops}
    padded_blobs = {t.name: t.shape for r in padded.layers for t in r.tops}
    assert all(padded_blobs[name] == shape for name, shape in blobs.items())
    h, _, w = str(resolution).partition("x")
    evens = {name for name, shape in padded_blobs.items() if name.endswith("/margin1")}
    assert ("Conv/margin1" in evens) == (int(h) % 2 == 0 or int(w or h) % 2 == 0)
    silence = next(r for r in padded.layers if r.type == "Silence")
    assert {b.name for b in silence.bottoms} == {n for n in padded_blobs if "/margin" in n}
    findings = lint_source(pipeline.Source("<gen>", text), LintConfig(),
                           LintOptions(phases=(caffe_phase,), input_shapes=shapes))
    assert findings == []
    with pytest.raises(UsageError, match="--tf-pad applies to mobilenet-v2-ssdlite"):
        mobilenet_ssd(tf_pad=True)
