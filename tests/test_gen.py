"""dwsep gen: MobileNet v1/v2 generators (Python API).

Reference checks read the corpus (skipped without it); everything else uses our own
expectations computed here from the papers' layer tables.
"""

from __future__ import annotations

import itertools
import json
import math

import pytest

from prototxt_tool import analysis, caffe_pb2, pipeline, textformat
from prototxt_tool.errors import UsageError
from prototxt_tool.gen import (
    MODELS,
    DataOptions,
    common,
    generate,
    mobilenet_v1,
    mobilenet_v2,
)
from tests.conftest import corpus_or_skip

REFERENCES = {
    "mobilenet": ("mobilenet/mobilenet_deploy.prototxt", "mobilenet__mobilenet_deploy"),
    "mobilenet-v2": ("mobilenet/mobilenet_v2_deploy.prototxt", "mobilenet__mobilenet_v2_deploy"),
}

CLASSIFIERS = sorted(name for name, m in MODELS.items() if not m.detector)


def parse(text: str) -> caffe_pb2.NetParameter:
    net = caffe_pb2.NetParameter()
    textformat.parse(text, net)
    return net


def analyze(text: str, phase: str = "TEST", **kw: object) -> analysis.Analysis:
    loaded = pipeline.load_net(pipeline.Source("<generated>", text), phase=phase)
    return analysis.analyze(loaded, **kw)  # type: ignore[arg-type]


# -- the reference nets ---------------------------------------------------------------------

@pytest.mark.parametrize("model", sorted(REFERENCES))
def test_legacy_input_output_equals_reference_message(model: str) -> None:
    ref_file = corpus_or_skip() / REFERENCES[model][0]
    reference = parse(ref_file.read_text())
    generated = parse(generate(model, legacy_input=True))
    assert generated == reference


@pytest.mark.parametrize("model", sorted(REFERENCES))
def test_default_output_equals_reference_modulo_input_declaration(model: str) -> None:
    reference = parse((corpus_or_skip() / REFERENCES[model][0]).read_text())
    generated = parse(generate(model))
    assert list(generated.layer[1:]) == list(reference.layer)
    data = generated.layer[0]
    assert (data.type, list(data.top)) == ("Input", ["data"])
    assert list(data.input_param.shape[0].dim) == list(reference.input_dim)
    assert generated.name == reference.name
    assert not generated.input and not generated.input_dim


@pytest.mark.parametrize("model", sorted(REFERENCES))
def test_analysis_equals_caffe_ground_truth(model: str) -> None:
    expected = json.loads((corpus_or_skip() / "expected" /
                           f"{REFERENCES[model][1]}.TEST.json").read_text())
    result = analyze(generate(model))
    ours = [r for r in result.layers if r.type != "Input"]
    theirs = [lay for lay in expected["layers"] if lay["type"] != "Input"]
    assert [r.name for r in ours] == [lay["name"] for lay in theirs]
    for r, lay in zip(ours, theirs, strict=True):
        assert r.type == lay["type"]
        assert [list(t.shape) for t in r.tops] == [t["shape"] for t in lay["tops"]], r.name
        assert [list(s) for s in r.param_shapes] == lay["params"], r.name
        assert r.params == lay["param_count"]
    assert result.total.params == expected["total_params"]


# -- the MobileNet v1 paper ------------------------------------------------------------------

# Paper Table 1 after conv1: (pointwise output channels, depthwise stride); our own copy so the
# test does not reuse the generator's table.
PAPER_V1 = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [
    (1024, 2), (1024, 1)]


def paper_v1_macs(alpha: float, res: int) -> int:
    """Sum over the layer list: conv1 Df^2*3*9*M, then per block Df^2*M*9 (depthwise) +
    Df^2*M*N (pointwise), then the 1024*alpha -> 1000 classifier."""
    def width(c: int) -> int:
        return max(int(c * alpha), 8)

    df = (res + 2 - 3) // 2 + 1
    m = width(32)
    total = df * df * 3 * 9 * m
    for n, stride in PAPER_V1:
        df = (df + 2 - 3) // stride + 1
        total += df * df * m * 9 + df * df * m * width(n)
        m = width(n)
    return total + m * 1000


ALPHAS = (1.0, 0.75, 0.5, 0.25)
RESOLUTIONS = (224, 192, 160, 128)


@pytest.mark.parametrize(("alpha", "res"), list(itertools.product(ALPHAS, RESOLUTIONS)))
def test_v1_macs_exact_for_all_16_paper_configurations(alpha: float, res: int) -> None:
    result = analyze(mobilenet_v1(alpha=alpha, resolution=res))
    assert result.total.macs == paper_v1_macs(alpha, res)
    assert not result.total.unknown


def test_v1_spot_values() -> None:
    assert analyze(mobilenet_v1()).total.macs == 568_740_352
    assert round(analyze(mobilenet_v1(alpha=0.75, resolution=192)).total.macs / 1e6, 2) == 239.27
    assert round(analyze(mobilenet_v1(alpha=0.25, resolution=128)).total.macs / 1e6, 2) == 13.57


@pytest.mark.parametrize(("alpha", "macs_m", "params_m"),
                         [(1.0, 569, 4.2), (0.75, 325, 2.6), (0.5, 149, 1.3), (0.25, 41, 0.5)])
def test_v1_paper_table_6(alpha: float, macs_m: int, params_m: float) -> None:
    result = analyze(mobilenet_v1(alpha=alpha))
    assert abs(result.total.macs / 1e6 - macs_m) <= 1
    # Paper params exclude BatchNorm statistics; printed to one decimal.
    assert round(result.total.learnable / 1e6, 1) == params_m


@pytest.mark.parametrize(("res", "macs_m"), [(224, 569), (192, 418), (160, 290), (128, 186)])
def test_v1_paper_table_7(res: int, macs_m: int) -> None:
    result = analyze(mobilenet_v1(resolution=res))
    assert abs(result.total.macs / 1e6 - macs_m) <= 1
    assert round(result.total.learnable / 1e6, 1) == 4.2


# -- channel rules --------------------------------------------------------------------------

@pytest.mark.parametrize(("c", "alpha", "width"),
                         [(32, 0.25, 8), (64, 0.25, 16), (32, 0.1, 8), (1024, 0.75, 768),
                          (32, 1.3, 41), (100, 0.29, 28)])
def test_tf_v1_depth_truncates(c: int, alpha: float, width: int) -> None:
    assert common.tf_v1_depth(c, alpha) == width


@pytest.mark.parametrize(("value", "out"),
                         [(11.2, 16), (5.6, 8), (44.8, 48), (24, 24), (33.6, 32), (12, 16),
                          (1280, 1280), (1792.0, 1792)])
def test_make_divisible_never_loses_more_than_10_percent(value: float, out: int) -> None:
    assert common.make_divisible(value) == out
    assert out % 8 == 0 and out >= 0.9 * value


def conv_widths(text: str) -> dict[str, int]:
    return {lay.name: lay.convolution_param.num_output for lay in parse(text).layer
            if lay.type == "Convolution"}


def test_v2_width_multiplier_channels() -> None:
    widths = conv_widths(mobilenet_v2(alpha=0.35))
    assert widths["conv1"] == 16  # 32*0.35 = 11.2 -> 16 (8 would lose > 10%)
    assert widths["conv2_1/linear"] == 8  # 16*0.35 = 5.6 -> 8
    assert widths["conv6_3/linear"] == 112  # 320*0.35 = 112
    assert widths["conv6_4"] == 1280  # kept for alpha < 1
    assert conv_widths(mobilenet_v2(alpha=1.4))["conv6_4"] == 1792


def test_v2_expansion_factor_applies_after_the_first_block() -> None:
    widths = conv_widths(mobilenet_v2(expansion=4))
    assert widths["conv2_1/expand"] == 32  # t = 1 in the first bottleneck (paper Table 2)
    assert widths["conv2_2/expand"] == 16 * 4
    assert widths["conv6_3/expand"] == 160 * 4


def test_v2_residuals_only_where_shapes_match() -> None:
    net = parse(mobilenet_v2())
    eltwise = [lay.name for lay in net.layer if lay.type == "Eltwise"]
    assert eltwise == ["block_3_1", "block_4_1", "block_4_2", "block_4_4", "block_4_5",
                       "block_4_6", "block_5_1", "block_5_2", "block_6_1", "block_6_2"]
    # Linear bottleneck: nothing activates a projection's output.
    relu_blobs = {lay.bottom[0] for lay in net.layer if lay.type == "ReLU"}
    assert not any("/linear" in b for b in relu_blobs)


# -- option combinations -----------------------------------------------------------------------

STYLE_OPTIONS = [
    {"batch_norm": bn, "relu6": relu6, "depthwise_type": dw, "engine": engine,
     "legacy_input": legacy}
    for bn, relu6, dw, engine, legacy in itertools.product(
        (True, False), (None, "Clip", "ReLU6"), common.DEPTHWISE_TYPES, common.ENGINES,
        (False, True))
]


@pytest.mark.parametrize("model", CLASSIFIERS)
def test_style_options_never_change_the_arithmetic(model: str) -> None:
    """Every combination parses and analyzes cleanly with the same MACs and weights."""
    base = analyze(generate(model, alpha=0.5, resolution=160))
    for options in STYLE_OPTIONS:
        result = analyze(generate(model, alpha=0.5, resolution=160, **options))
        assert not result.warnings, options
        assert result.total.macs == base.total.macs, options
        weights = sum(r.learnable for r in result.layers if r.type != "Scale")
        assert weights == sum(r.learnable for r in base.layers if r.type != "Scale") + (
            0 if options["batch_norm"] else _merged_biases(base)), options


def _merged_biases(base: analysis.Analysis) -> int:
    """Merging BN gives each conv that had BatchNorm a bias of num_output values."""
    return sum(r.tops[0].shape[1] for r in base.layers if r.type == "BatchNorm")


@pytest.mark.parametrize("model", CLASSIFIERS)
def test_no_batch_norm_merges_into_conv_bias(model: str) -> None:
    net = parse(generate(model, batch_norm=False))
    assert not [lay for lay in net.layer if lay.type in ("BatchNorm", "Scale")]
    for lay in net.layer:
        if lay.type == "Convolution":
            assert lay.convolution_param.bias_term and len(lay.param) == 2, lay.name


@pytest.mark.parametrize(("relu6", "model"), list(itertools.product(("Clip", "ReLU6"),
                                                                      CLASSIFIERS)))
def test_relu6_types(relu6: str, model: str) -> None:
    net = parse(generate(model, relu6=relu6))
    acts = [lay for lay in net.layer if lay.type in ("ReLU", "Clip", "ReLU6")]
    assert acts and {lay.type for lay in acts} == {relu6}
    if relu6 == "Clip":
        assert {(a.clip_param.min, a.clip_param.max) for a in acts} == {(0.0, 6.0)}


@pytest.mark.parametrize("dw_type", common.DEPTHWISE_TYPES)
@pytest.mark.parametrize("engine", common.ENGINES)
def test_depthwise_type_and_engine(dw_type: str, engine: str) -> None:
    net = parse(mobilenet_v1(depthwise_type=dw_type, engine=engine))
    dws = [lay for lay in net.layer if lay.name.startswith("conv") and lay.name.endswith("/dw")]
    assert len(dws) == 13 and {lay.type for lay in dws} == {dw_type}
    for lay in dws:
        conv = lay.convolution_param
        assert conv.group == conv.num_output
        assert conv.HasField("engine") == (engine != "DEFAULT")
        if engine != "DEFAULT":
            assert caffe_pb2.ConvolutionParameter.Engine.Name(conv.engine) == engine
    # Only the depthwise layers change type.
    assert all(lay.type == "Convolution" for lay in net.layer
               if lay.name.startswith("conv") and lay.name.endswith("/sep"))


@pytest.mark.parametrize("model", CLASSIFIERS)
def test_classes_batch_resolution_name(model: str) -> None:
    result = analyze(generate(model, num_classes=21, batch_size=4, resolution=300, name="det"))
    assert result.net == "det"
    by_name = {r.name: r for r in result.layers}
    assert list(by_name["data"].tops[0].shape) == [4, 3, 300, 300]
    assert list(by_name["prob"].tops[0].shape) == [4, 21, 1, 1]
    assert list(by_name["pool6"].tops[0].shape)[2:] == [1, 1]


@pytest.mark.parametrize("model", CLASSIFIERS)
@pytest.mark.parametrize("res", [32, 33, 100, 300, 513])
def test_any_resolution_from_32_analyzes(model: str, res: int) -> None:
    result = analyze(generate(model, resolution=res, alpha=1.5))
    assert not result.total.unknown and result.total.macs > 0


@pytest.mark.parametrize("model", CLASSIFIERS)
@pytest.mark.parametrize("phase", ["TRAIN", "TEST"])
def test_train_val_net_analyzes_in_both_phases(model: str, phase: str) -> None:
    text = generate(model, phase="train-val", resolution=192, batch_size=32,
                    data=DataOptions(train_source="t_lmdb", val_source="v_lmdb",
                                     backend="LEVELDB", mean_value=(104.0, 117.0, 123.0),
                                     scale=0.5, mirror=False, val_batch_size=25))
    result = analyze(text, phase=phase, input_shapes={"data": (-1, 3, -1, -1)})
    batch = 32 if phase == "TRAIN" else 25
    by_name = {r.name: r for r in result.layers}
    assert list(by_name["data"].tops[0].shape) == [batch, 3, 192, 192]
    assert by_name["loss"].tops[0].shape == ()
    accuracy = {n for n in by_name if n.startswith("accuracy/")}
    assert accuracy == (set() if phase == "TRAIN" else {"accuracy/top1", "accuracy/top5"})
    assert result.total.macs == batch * analyze(generate(model, resolution=192)).total.macs
    net = parse(text)
    data = [lay for lay in net.layer if lay.type == "Data"]
    assert [caffe_pb2.Phase.Name(d.include[0].phase) for d in data] == ["TRAIN", "TEST"]
    assert data[0].data_param.source == "t_lmdb" and data[1].data_param.source == "v_lmdb"
    assert list(data[0].transform_param.mean_value) == [104.0, 117.0, 123.0]
    assert not data[0].transform_param.mirror
    top5 = next(lay for lay in net.layer if lay.name == "accuracy/top5")
    assert top5.accuracy_param.top_k == 5
    assert not any(lay.batch_norm_param.HasField("use_global_stats") for lay in net.layer)


def test_train_val_depthwise_filters_have_no_weight_decay() -> None:
    net = parse(mobilenet_v1(phase="train-val"))
    for lay in net.layer:
        if lay.type == "Convolution":
            decay = lay.param[0].decay_mult
            assert decay == (0 if lay.name.endswith("/dw") else 1), lay.name


def test_quotes_in_names_and_paths_stay_inside_strings() -> None:
    net = parse(mobilenet_v1(name='a "b" \\c', phase="train-val",
                             data=DataOptions(train_source='x"\ny')))
    assert net.name == 'a "b" \\c'
    assert net.layer[0].data_param.source == 'x"\ny'


@pytest.mark.parametrize("model", CLASSIFIERS)
def test_output_is_deterministic(model: str) -> None:
    assert generate(model, alpha=0.75) == generate(model, alpha=0.75)


# -- bad values ------------------------------------------------------------------------------

@pytest.mark.parametrize("options", [
    {"alpha": 0}, {"alpha": -0.5}, {"alpha": 1.51}, {"alpha": math.nan}, {"alpha": "1"},
    {"alpha": True}, {"resolution": 0}, {"resolution": 31}, {"resolution": "abc"},
    {"resolution": 224.0}, {"num_classes": 0}, {"batch_size": 0}, {"relu6": "relu"},
    {"depthwise_type": "Depthwise"}, {"engine": "MKL"}, {"phase": "train"}, {"name": " "},
    {"phase": "train-val", "legacy_input": True},
    {"phase": "train-val", "data": DataOptions(crop_size=200)},
    {"phase": "train-val", "data": DataOptions(backend="HDF5")},
    {"phase": "train-val", "data": DataOptions(mean_value=(1.0, 2.0))},
    {"phase": "train-val", "data": DataOptions(scale=0)},
    {"phase": "train-val", "data": DataOptions(train_source="")},
])
@pytest.mark.parametrize("model", CLASSIFIERS)
def test_bad_values_raise_usage_error(model: str, options: dict[str, object]) -> None:
    with pytest.raises(UsageError) as err:
        generate(model, **options)
    assert "\n" not in str(err.value)


def test_bad_expansion_and_unknown_model() -> None:
    with pytest.raises(UsageError, match="expansion"):
        mobilenet_v2(expansion=0)
    with pytest.raises(UsageError, match="unknown model 'resnet'"):
        generate("resnet")


def test_templates_are_found() -> None:
    assert (common.templates_dir() / "mobilenet.prototxt.j2").is_file()
    assert (common.templates_dir() / "macros.j2").is_file()
