"""dwsep separate: depthwise-separable rewrite, on our own small nets and on corpus nets."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from prototxt_tool import analysis, caffe_pb2, pipeline, textformat
from prototxt_tool.cli import COMMANDS
from prototxt_tool.commands import build_cli
from prototxt_tool.errors import UsageError
from prototxt_tool.gen.separate import NetState, Selection, separate, summary
from tests.conftest import FIXTURES, corpus_or_skip

NET = """
name: "small"
layer { name: "data" type: "Input" top: "data"
        input_param { shape { dim: 2 dim: 6 dim: 17 dim: 17 } } }
layer { name: "conv1" type: "Convolution" bottom: "data" top: "c1"
        param { lr_mult: 1 } param { lr_mult: 2 }
        convolution_param { num_output: 12 kernel_size: 3 stride: 2 pad: 2 dilation: 2
                            weight_filler { type: "xavier" } bias_filler { type: "constant" } } }
layer { name: "relu1" type: "ReLU" bottom: "c1" top: "c1" }
layer { name: "grouped" type: "Convolution" bottom: "c1" top: "g"
        convolution_param { num_output: 12 kernel_size: 3 pad: 1 group: 3 } }
layer { name: "point" type: "Convolution" bottom: "g" top: "p"
        convolution_param { num_output: 5 kernel_size: 1 } }
layer { name: "rect" type: "Convolution" bottom: "p" top: "r"
        convolution_param { num_output: 7 kernel_h: 1 kernel_w: 3 pad_w: 1 bias_term: false } }
layer { name: "pool" type: "Pooling" bottom: "r" top: "pool"
        pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
layer { name: "cat" type: "Concat" bottom: "pool" bottom: "pool" top: "cat" }
"""


def src(text: str, name: str = "<test>") -> pipeline.Source:
    return pipeline.Source(name, text)


def shapes(text: str, phase: str = "TEST", **kw: object) -> dict[str, tuple[int, ...] | None]:
    """Final shape of every blob name (in-place layers overwrite with the same shape)."""
    loaded = pipeline.load_net(src(text), phase=phase)
    result = analysis.analyze(loaded, **kw)  # type: ignore[arg-type]
    return {t.name: t.shape for r in result.layers for t in r.tops}


def layers(text: str) -> dict[str, caffe_pb2.LayerParameter]:
    net = caffe_pb2.NetParameter()
    textformat.parse(text, net)
    return {lay.name: lay for lay in net.layer}


def test_rewrites_standard_convs_only() -> None:
    out = separate(src(NET))
    assert [r.name for r in out.rewrites] == ["conv1", "rect"]
    assert dict(out.skipped) == {"grouped": "grouped convolution (group 3)",
                                 "point": "1x1 convolution (already pointwise)"}
    names = [lay.name for lay in out.net.layer]
    assert names == ["data", "conv1/dw", "conv1/sep", "relu1", "grouped", "point", "rect/dw",
                     "rect/sep", "pool", "cat"]


def test_pair_geometry_and_blobs() -> None:
    net = layers(separate(src(NET)).text)
    dw, sep = net["conv1/dw"], net["conv1/sep"]
    assert (list(dw.bottom), list(dw.top)) == (["data"], ["conv1/dw"])
    assert (list(sep.bottom), list(sep.top)) == (["conv1/dw"], ["c1"])
    d = dw.convolution_param
    assert (d.num_output, d.group, list(d.kernel_size), list(d.stride), list(d.pad),
            list(d.dilation), d.bias_term) == (6, 6, [3], [2], [2], [2], False)
    assert d.weight_filler.type == "xavier" and not d.HasField("bias_filler")
    assert [p.lr_mult for p in dw.param] == [1]
    s = sep.convolution_param
    assert (s.num_output, list(s.kernel_size), list(s.stride), list(s.pad), list(s.dilation),
            s.HasField("group"), s.bias_term) == (12, [1], [], [], [], False, True)
    assert [p.lr_mult for p in sep.param] == [1, 2]
    rect = net["rect/dw"].convolution_param
    assert (rect.kernel_h, rect.kernel_w, rect.pad_w, rect.group) == (1, 3, 1, 5)
    assert not net["rect/sep"].convolution_param.HasField("kernel_h")
    assert not net["rect/sep"].convolution_param.bias_term


def test_every_original_blob_keeps_its_shape() -> None:
    before = shapes(NET)
    after = shapes(separate(src(NET)).text)
    assert {k: v for k, v in after.items() if k in before} == before
    assert set(after) - set(before) == {"conv1/dw", "rect/dw"}


def test_ratio_is_one_over_n_plus_one_over_k_squared() -> None:
    out = separate(src(NET))
    by_name = {r.name: r for r in out.rewrites}
    assert by_name["conv1"].ratio == Fraction(1, 12) + Fraction(1, 9)
    assert by_name["rect"].ratio == Fraction(1, 7) + Fraction(1, 3)
    # MACs measured on the rewritten net, against our own count of the original conv1:
    # output 2x12x9x9 (dilated 3x3 -> effective 5, pad 2, stride 2 on 17), Cin 6.
    assert by_name["conv1"].macs_before == 2 * 12 * 9 * 9 * 6 * 9
    assert by_name["conv1"].macs_after == 2 * 9 * 9 * 6 * 9 + 2 * 9 * 9 * 6 * 12
    assert by_name["conv1"].params_after == 6 * 9 + 6 * 12 + 12


def test_layer_patterns_and_min_channels() -> None:
    assert [r.name for r in separate(src(NET), Selection(patterns=("re*",))).rewrites] == \
        ["rect"]
    out = separate(src(NET), Selection(min_channels=6))
    assert [r.name for r in out.rewrites] == ["conv1"]
    assert ("rect", "5 input channel(s) < --min-channels 6") in out.skipped
    with pytest.raises(UsageError, match="matches no layer"):
        separate(src(NET), Selection(patterns=("nothing*",)))
    with pytest.raises(UsageError, match="min-channels"):
        separate(src(NET), Selection(min_channels=0))


def test_bn_inserts_batchnorm_scale_relu_between() -> None:
    out = separate(src(NET), Selection(patterns=("conv1",), bn=True))
    names = [lay.name for lay in out.net.layer]
    i = names.index("conv1/dw")
    assert names[i:i + 5] == ["conv1/dw", "conv1/dw/bn", "conv1/dw/scale", "conv1/dw/relu",
                              "conv1/sep"]
    net = layers(out.text)
    assert [lay.type for lay in (net["conv1/dw/bn"], net["conv1/dw/scale"],
                                 net["conv1/dw/relu"])] == ["BatchNorm", "Scale", "ReLU"]
    assert all(list(net[n].top) == ["conv1/dw"] for n in ("conv1/dw/bn", "conv1/dw/relu"))
    assert shapes(out.text)["c1"] == shapes(NET)["c1"]
    # Scale's gamma/beta count as learnable, BatchNorm statistics do not.
    assert out.rewrites[0].params_after == 6 * 9 + 6 * 12 + 12 + 2 * 6


def test_shared_weights_rewritten_together_or_not_at_all() -> None:
    twin = """
    layer { name: "data" type: "Input" top: "a" top: "b"
            input_param { shape { dim: 1 dim: 4 dim: 8 dim: 8 } } }
    layer { name: "ca" type: "Convolution" bottom: "a" top: "ca" param { name: "w" }
            param { name: "bias" } convolution_param { num_output: 8 kernel_size: 3 } }
    layer { name: "cb" type: "Convolution" bottom: "b" top: "cb" param { name: "w" }
            param { name: "bias" } convolution_param { num_output: 8 kernel_size: 3 } }
    """
    both = layers(separate(src(twin)).text)
    assert both["ca/dw"].param[0].name == both["cb/dw"].param[0].name == "w/dw"
    assert both["ca/sep"].param[0].name == both["cb/sep"].param[0].name == "w/sep"
    one = separate(src(twin), Selection(patterns=("ca",)))
    assert one.rewrites == []
    assert one.skipped == [("ca", "shares weights 'w' with a layer that is not rewritten")]


def test_name_collision_is_refused() -> None:
    text = NET + 'layer { name: "conv1/dw" type: "ReLU" bottom: "cat" top: "cat" }'
    with pytest.raises(UsageError, match="already has a layer or blob named 'conv1/dw'"):
        separate(src(text))


def test_legacy_v1_input_is_upgraded_and_written_as_v2() -> None:
    text = (FIXTURES / "separate" / "small_v1.prototxt").read_text()
    out = separate(src(text))
    assert not out.net.layers and not out.net.input
    assert [lay.name for lay in out.net.layer][:3] == ["input", "conv1/dw", "conv1/sep"]
    assert shapes(out.text)["conv2"] == shapes(text)["conv2"] == (2, 16, 8, 8)
    assert [r.name for r in out.rewrites] == ["conv1", "conv2"]


def test_other_phase_layers_are_copied_and_phase_rules_kept() -> None:
    text = NET.replace('layer { name: "relu1"',
                       'layer { name: "only_train" type: "Convolution" bottom: "c1" top: "t" '
                       'include { phase: TRAIN } convolution_param { num_output: 3 '
                       'kernel_size: 3 } }\nlayer { name: "relu1"')
    out = separate(src(text))
    assert ("only_train", "not in the analysed phase") in out.skipped
    train = separate(src(text), state=NetState(phase="TRAIN"))
    net = layers(train.text)
    assert net["only_train/dw"].include[0].phase == caffe_pb2.TRAIN


def test_summary_lists_each_rewrite() -> None:
    text = summary(separate(src(NET)))
    assert "conv1" in text and "1/12 + 1/9" in text and "1/7 + 1/3" in text
    assert "kept 'grouped': grouped convolution (group 3)" in text


# -- corpus ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "rewritten", "kept"), [
    ("vgg/VGG_ILSVRC_16_layers_deploy.prototxt", 13, []),
    ("bvlc/alexnet_deploy.prototxt", 2, ["conv2", "conv4", "conv5"]),
])
def test_corpus_nets(path: str, rewritten: int, kept: list[str]) -> None:
    original = (corpus_or_skip() / path).read_text()
    out = separate(src(original, path))
    assert len(out.rewrites) == rewritten
    assert [name for name, _ in out.skipped] == kept
    before, after = shapes(original), shapes(out.text)
    assert {k: after[k] for k in before} == before
    # Independent of the rewrite's own bookkeeping: measure the output net's layers.
    loaded = pipeline.load_net(src(out.text))
    by_name = {r.name: r for r in analysis.analyze(loaded).layers}
    for r in out.rewrites:
        dw, sep = by_name[f"{r.name}/dw"], by_name[f"{r.name}/sep"]
        n, k2 = sep.tops[0].shape[1], dw.param_shapes[0][2] * dw.param_shapes[0][3]
        assert Fraction(dw.macs + sep.macs, r.macs_before) == Fraction(1, n) + Fraction(1, k2)
        assert dw.kind == "depthwise conv"


# -- command line ------------------------------------------------------------------------------

def run(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(build_cli(COMMANDS), list(args), input=stdin,
                              catch_exceptions=False)


def test_cli_net_to_stdout_summary_to_stderr() -> None:
    result = run("separate", "-", stdin=NET)
    assert result.exit_code == 0
    assert result.stdout == separate(src(NET)).text
    assert "1/12 + 1/9" in result.stderr
    assert run("separate", "-q", "-", stdin=NET).stderr == ""


def test_cli_report_and_output(tmp_path: Path) -> None:
    net_path = tmp_path / "dw.prototxt"
    result = run("separate", "-", "--bn", "--layers", "conv*", "-o", str(net_path),
                 "--report", "-", stdin=NET)
    assert result.exit_code == 0
    assert result.stdout.startswith("layer") and result.stderr == ""
    assert "conv1/dw/bn" in layers(net_path.read_text())


@pytest.mark.parametrize(("args", "fragment"), [
    (["separate", "-", "--report", "-"], "stdout"),
    (["separate", "-", "--layers", "zzz"], "matches no layer"),
    (["separate", "-", "--min-channels", "x"], "--min-channels"),
    (["separate", "/nonexistent.prototxt"], "no such file"),
])
def test_cli_errors_are_one_line(args: list[str], fragment: str) -> None:
    result = run(*args, stdin=NET)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0]


def test_cli_unwritable_output_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "no" / "x.prototxt"
    result = run("separate", "-", "-o", str(target), stdin=NET)
    assert result.exit_code == 2 and not target.parent.exists()
