"""`dwsep analyze` against what real Caffe computed for the public corpus (../shared/corpus).

Every expected/*.json was produced by a real Caffe build; the analyzer must report the same
top shapes and learnable blobs for every layer, matched by name. These tests go through the
click command, so they exercise exactly what the installed `dwsep` runs.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import CORPUS, corpus_or_skip

from prototxt_tool.cli import COMMANDS
from prototxt_tool.commands import build_cli

EXPECTED = sorted((CORPUS / "expected").glob("*.json")) if (CORPUS / "expected").is_dir() else []


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(build_cli(COMMANDS), list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def shape_flags(input_shapes: dict[str, list[int | None]]) -> list[str]:
    """The expected files' input_shapes, with None ('the layer's own batch_size') as '_'."""
    flags = []
    for name, dims in input_shapes.items():
        flags += ["--input-shape", name + "=" + ",".join("_" if d is None else str(d)
                                                          for d in dims)]
    return flags


def analyze_json(path: Path, *extra: str) -> dict:
    code, out, err = run("analyze", str(path), "--format", "json", *extra)
    assert code == 0, err
    return json.loads(out)


@pytest.mark.parametrize("expected_file", EXPECTED, ids=[p.stem for p in EXPECTED])
def test_matches_caffe(expected_file: Path) -> None:
    corpus_or_skip()
    exp = json.loads(expected_file.read_text())
    got = analyze_json(CORPUS / exp["source"], "--phase", exp["phase"].lower(),
                       *shape_flags(exp.get("input_shapes", {})))
    assert got["phase"] == exp["phase"]
    ours = defaultdict(list)
    for layer in got["layers"]:
        ours[layer["name"]].append(layer)
    assert [x["name"] for x in got["layers"]] == [x["name"] for x in exp["layers"]]
    for want in exp["layers"]:
        have = ours[want["name"]].pop(0)
        where = f"layer {want['name']!r} ({want['type']})"
        assert have["bottoms"] == want["bottoms"], where
        assert [t["name"] for t in have["tops"]] == [t["name"] for t in want["tops"]], where
        assert [t["shape"] for t in have["tops"]] == [t["shape"] for t in want["tops"]], where
        assert have["param_shapes"] == want["params"], where
        assert have["params"] == want["param_count"], where
    # Caffe's own sum counts a shared (named) blob in every layer that uses it.
    assert sum(x["params"] for x in got["layers"]) == exp["total_params"]


# Every corpus prototxt analyzes. Overrides only where the file itself lacks the information:
DATA_LAYER_SHAPES = {
    # Data layers read shapes from an LMDB at run time; crop_size/batch_size are in the file.
    "bvlc/alexnet_train_val.prototxt": ["--input-shape", "data=_,3,227,227"],
    "bvlc/alexnet_train_val_v1_2014.prototxt": ["--input-shape", "data=_,3,227,227"],
    "bvlc/lenet_train_test.prototxt": ["--input-shape", "data=_,1,28,28"],
    "bvlc/mnist_siamese_train_test.prototxt": ["--input-shape", "pair_data=_,2,28,28"],
    "squeezenet/SqueezeNet_v1.0_train_val.prototxt": ["--input-shape", "data=_,3,227,227"],
    # The deploy file keeps a TEST-only Accuracy layer whose `label` nothing produces (a real
    # defect, which lint reports); Caffe itself can only load it in TRAIN.
    "lightcnn/LightenedCNN_B_deploy.prototxt": ["--phase", "train"],
    # The Python proposal layer's output count is decided by its code at run time.
    "faster-rcnn/VGG16_faster_rcnn_end2end_test.prototxt": ["--blob-shape", "rois=300,5"],
}
ALL_PROTOTXTS = sorted(p.relative_to(CORPUS).as_posix() for p in CORPUS.glob("*/*.prototxt")) \
    if CORPUS.is_dir() else []


@pytest.mark.parametrize("rel", ALL_PROTOTXTS)
def test_every_corpus_file_analyzes(rel: str) -> None:
    corpus_or_skip()
    for fmt in ("table", "csv", "markdown"):
        code, out, err = run("analyze", str(CORPUS / rel), "--format", fmt,
                             *DATA_LAYER_SHAPES.get(rel, []))
        assert code == 0, err
        assert out.strip()
    got = analyze_json(CORPUS / rel, *DATA_LAYER_SHAPES.get(rel, []))
    assert got["layers"]


def test_corpus_has_all_34_files() -> None:
    corpus_or_skip()
    assert len(ALL_PROTOTXTS) == 34


def _tops(got: dict) -> dict[str, list[int] | None]:
    return {t["name"]: t["shape"] for layer in got["layers"] for t in layer["tops"]}


def test_pspnet_interp_gives_60x60(corpus: Path) -> None:
    # PSPNet's pyramid: 473 -> 237 (conv1 stride 2) -> 119 (pool, ceil) -> 60 (stride-2 stage);
    # the four pyramid Interp layers resize their pooled branches to height/width 60, and the
    # last one zooms by 8: (60 - 1) * 8 + 1 = 473 (interp_layer.cpp of hszhao/PSPNet).
    got = analyze_json(corpus / "pspnet/pspnet50_ADE20K_473.prototxt")
    interps = [x["tops"][0]["shape"] for x in got["layers"] if x["type"] == "Interp"]
    assert [s[2:] for s in interps] == [[60, 60]] * 4 + [[473, 473]]


def test_segnet_restores_input_size(corpus: Path) -> None:
    got = analyze_json(corpus / "segnet/segnet_basic_camvid.prototxt")
    ups = [x for x in got["layers"] if x["type"] == "Upsample"]
    assert len(ups) == 4
    assert ups[-1]["tops"][0]["shape"][2:] == [360, 480]
    assert got["layers"][-1]["tops"][0]["shape"][2:] == [360, 480]


def test_mobilenet_v1_headline_figures(corpus: Path) -> None:
    got = analyze_json(corpus / "mobilenet/mobilenet_deploy.prototxt")
    total = got["total"]
    assert total["macs"] == 568_740_352
    assert total["params"] == 4_253_891  # every blob, BatchNorm statistics included
    assert total["learnable_params"] == 4_231_976  # the published figure
    conv = sum(x["params"] for x in got["layers"] if x["type"] == "Convolution")
    assert conv == 4_210_088
    code, out, _ = run("analyze", str(corpus / "mobilenet/mobilenet_deploy.prototxt"))
    assert code == 0
    assert "568.7M" in out
    assert max(map(len, out.splitlines())) <= 100


def test_mobilenet_v1_table2_breakdown(corpus: Path) -> None:
    """MobileNet paper Table 2 (share of mult-adds and params by layer type), within 0.1 pp.

    The paper prints 1.19% for the first conv; the exact share is 10,838,016 / 568,740,352 =
    1.91% (a digit swap in the paper).
    """
    got = analyze_json(corpus / "mobilenet/mobilenet_deploy.prototxt")
    rows = {r["kind"]: r for r in got["breakdown"]}
    paper = {"pointwise conv": (94.86, 74.59), "depthwise conv": (3.06, 1.06),
             "fully connected": (0.18, 24.33), "standard conv": (1.91, 0.02)}
    for kind, (macs_share, params_share) in paper.items():
        assert rows[kind]["macs_share"] == pytest.approx(macs_share, abs=0.1), kind
        assert rows[kind]["params_share"] == pytest.approx(params_share, abs=0.1), kind
    assert rows["standard conv"]["macs"] == 10_838_016


def test_flops_doubles_and_says_so(corpus: Path) -> None:
    path = str(corpus / "mobilenet/mobilenet_deploy.prototxt")
    code, out, _ = run("analyze", path, "--flops")
    assert code == 0 and "FLOPs = 2 x MACs" in out and "1.14G" in out
    got = analyze_json(corpus / "mobilenet/mobilenet_deploy.prototxt", "--flops")
    assert got["total"]["flops"] == 2 * 568_740_352


def test_mobilenet_ssd_heads_follow_priorbox_counts(corpus: Path) -> None:
    got = analyze_json(corpus / "mobilenet-ssd/MobileNetSSD_deploy.prototxt")
    tops = _tops(got)
    priors = sum(layer["tops"][0]["shape"][2] // 4 for layer in got["layers"]
                 if layer["type"] == "PriorBox")
    assert tops["mbox_loc"] == [1, priors * 4]
    assert tops["mbox_conf"] == [1, priors * 21]
    assert tops["mbox_conf_flatten"] == [1, priors * 21]
    assert tops["detection_out"] is None  # data-dependent: Caffe only knows it after a run


def test_separable_ratio_is_exact(corpus: Path) -> None:
    got = analyze_json(corpus / "vgg/VGG_ILSVRC_16_layers_deploy.prototxt")
    for layer in got["layers"]:
        if layer["kind"] == "standard conv":
            n, _, kh, kw = layer["param_shapes"][0]
            from fractions import Fraction

            assert Fraction(layer["separable"]["ratio_exact"]) == Fraction(1, n) + Fraction(
                1, kh * kw)
