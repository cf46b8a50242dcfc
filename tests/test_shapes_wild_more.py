"""SphereFace's MarginInnerProduct, caffe-face's CenterLoss, caffe-segnet's DenseImageData,
HED's ImageLabelmapData, FlowNet2's Correlation / Resample / FlowWarp / L1Loss, NVIDIA's
L1Loss and the unsupervised-depth AbsLoss: figures worked out by hand from each fork's own
source (see the rules' docstrings), then bad input through the CLI (one line naming the
layer, exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import assert_one_line_layer_error, invoke

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "wild_more"


def layers(path: Path, *args: str) -> dict[str, dict]:
    code, out, err = invoke("analyze", str(path), "--format", "json", *args)
    assert code == 0, err
    data = json.loads(out)
    assert set(data["total"]["unknown_layers"]) <= {"dice_onehot"}, data["total"]
    return {layer["name"]: layer for layer in data["layers"]}


def test_margin_inner_product() -> None:
    got = layers(FIXTURES / "face_losses.prototxt")
    # data 4x6x2x2, axis 1: M = 4, K = 24, N = 10; one weight [N, K], no bias.
    fc6 = got["fc6"]
    assert [t["shape"] for t in fc6["tops"]] == [[4, 10], [1]]
    assert fc6["param_shapes"] == [[10, 24]] and fc6["macs"] == 4 * 10 * 24
    m, k, n = 4, 24, 10
    # weight rows normalised, |x|, cos + sign, QUADRUPLE's 10 passes, the lambda blend (2),
    # the label entries' formula (7 per row)
    assert fc6["ops"] == n * (3 * k + 2) + m * (2 * k + 1) + 2 * m * n + 10 * m * n \
        + 2 * m * n + 7 * m
    # SINGLE with axis 2: M = 4*6, K = 2*2, N = 7; top 4x6x7; no margin work.
    single = got["fc6_single"]
    assert [t["shape"] for t in single["tops"]] == [[4, 6, 7]]
    assert single["param_shapes"] == [[7, 4]] and single["macs"] == 24 * 7 * 4
    assert single["ops"] == 7 * (3 * 4 + 2) + 24 * (2 * 4 + 1) + 2 * 24 * 7


def test_center_loss() -> None:
    got = layers(FIXTURES / "face_losses.prototxt")
    center = got["center_loss"]
    assert center["tops"][0]["shape"] == [] and center["kind"] == "loss"
    assert center["param_shapes"] == [[3, 24]]           # centres [num_output, K]
    assert center["macs"] == 4 * 24 and center["ops"] == 4 * 24 + 2
    # no top: Net::Init's automatic one; axis -1 flattens only the last axis (K = 2)
    untopped = got["center_untopped"]
    assert untopped["tops"][0]["shape"] == [] and untopped["param_shapes"] == [[2, 2]]


def test_dense_image_data_crop_and_label_top() -> None:
    got = layers(FIXTURES / "segnet_data.prototxt")
    # crop_height x crop_width win over new_height x new_width; is_color false: 1 channel
    assert [t["shape"] for t in got["data"]["tops"]] == [[2, 1, 5, 7], [2, 1, 5, 7]]
    assert got["conv"]["tops"][0]["shape"] == [2, 2, 5, 7]


def test_flow_layers() -> None:
    got = layers(FIXTURES / "flow.prototxt")
    tops = {name: [t["shape"] for t in layer["tops"]] for name, layer in got.items()}
    # corr: border 4 + 0, ceil((16 + 8 - 8) / 1) = 16; r = 4 // 2, (2r + 1)^2 = 25;
    # 1x1x3 products of 2 ops + 1 division per output
    assert tops["corr"] == [[1, 25, 16, 16]] and got["corr"]["ops"] == 25 * 256 * (2 * 3 + 1)
    # corr_sub: border 2 + 1, ceil((16 - 6) / 2) = 5; r = 2; 3x3x3 |a - b| terms of 3 ops
    assert tops["corr_sub"] == [[1, 25, 5, 5]]
    assert got["corr_sub"]["ops"] == 25 * 25 * (3 * 27 + 1)
    # corr1d: W: border 6 + 1, ceil(16 + 4 - 14) = 6; H: 16 - 2 * 1 = 14; r = 3, 2r + 1 = 7
    assert tops["corr1d"] == [[1, 7, 14, 6]] and got["corr1d"]["ops"] == 7 * 14 * 6 * (2 * 27 + 1)
    # single direction: r + 1 = 5 channels; H ceil(16 / 3) = 6, W ceil((16 - 8) / 3) = 3
    assert tops["corr1d_left"] == [[1, 5, 6, 3]]
    assert got["corr1d_left"]["ops"] == 5 * 6 * 3 * (2 * 3 + 1)
    assert all(got[n]["macs"] == 0 and got[n]["params"] == 0 for n in got)
    # FlowWarp and Warping: per position 2 (the sample point), per element 4 (bilinear taps)
    assert tops["warp"] == [[1, 3, 16, 16]] and got["warp"]["ops"] == 2 * 256 + 4 * 768
    assert tops["warping"] == tops["warp"] and got["warping"]["ops"] == 2 * 256 + 4 * 768
    # down: f = 2 and 4, antialias: r = ceil(2 * 2) = 4 and ceil(2 * 4) = 8, 9 x 17 taps
    assert tops["down"] == [[1, 3, 4, 8]] and got["down"]["ops"] == 96 * (3 * 9 * 17 + 1)
    # up: size of bottom 1, enlarging: r = 2, 5 x 5 taps (CUBIC)
    assert tops["up"] == [[1, 3, 16, 16]] and got["up"]["ops"] == 768 * (3 * 25 + 1)
    assert tops["nearest"] == [[1, 3, 5, 3]] and got["nearest"]["ops"] == 0
    assert got["abs"]["ops"] == 3 * 768 and got["l1"]["ops"] == 4 * 768  # NVIDIA's
    # HolmesShuan's: 3 products summed per item (9 per element), 3 per item, 2
    assert tops["dice"] == [[]] and got["dice"]["ops"] == 9 * 768 + 3 + 2
    # one-hot classes against a 1-channel label: jolibrain's, work not modelled
    assert tops["dice_onehot"] == [[]] and got["dice_onehot"]["ops"] is None
    # FlowNet2's L1Loss (lmb-freiburg/flownet2 src/caffe/layers/l1loss_layer.cu Forward_gpu).
    # One bottom, l2_per_location with a plateau, 6400 elements at 256 positions: per element
    # the NaN mask (1), then masking, square and the channel sum (3); per position plateau
    # mask and masking (2), sqrt with epsilon (2) and the dot product (2); the final divide.
    assert tops["l1_flow"] == [[]]
    assert got["l1_flow"]["ops"] == 6400 * (1 + 3) + 256 * (2 + 2 + 2) + 1
    # Two bottoms, normalize_by_num_entries, no plateau: per element the subtraction (1),
    # the NaN mask (1), the entries dot product (2), then masking, sign and the dot product
    # of the difference with its sign (4); the final divide.
    assert got["l1_two"]["ops"] == 768 * (1 + 1 + 2 + 4) + 1


def test_image_labelmap_data() -> None:
    got = layers(FIXTURES / "hed_data.prototxt")
    assert [t["shape"] for t in got["data"]["tops"]] == [[2, 3, 12, 10], [2, 1, 12, 10]]


def test_roi_align_of_both_forks() -> None:
    code, out, err = invoke("analyze", str(FIXTURES / "roi_align.prototxt"), "--format", "json")
    assert code == 0, err  # (Mask R-CNN's align has unknown ops: not layers()' check)
    got = {layer["name"]: layer for layer in json.loads(out)["layers"]}
    # Mask R-CNN's: R x C x pooled_h x pooled_w, the work depends on each region
    align = got["align"]
    assert align["tops"][0]["shape"] == [3, 8, 7, 5] and align["data_dependent"]
    assert align["ops"] is None and align["macs"] == 0 and align["params"] == 0
    # Cascade R-CNN's (roi_pooling_param): a (pooled + 1)^2 grid, one bilinear sample each
    cascade = got["cascade"]
    assert cascade["tops"][0]["shape"] == [3, 8, 7, 7] and not cascade["data_dependent"]
    assert cascade["ops"] == 4 * 3 * 8 * 49
    # chuanqi305's (aligned_h, aligned_w): one bilinear sample per output element
    aligned = got["aligned"]
    assert aligned["tops"][0]["shape"] == [3, 8, 4, 3] and aligned["ops"] == 4 * 3 * 8 * 12


def test_cascade_pad_ratio_is_skipped_and_leaves_the_layer_unknown(tmp_path: Path) -> None:
    path = _net(tmp_path, "roi_align.prototxt", "pooled_h: 6 pooled_w: 6",
                "pooled_h: 6 pooled_w: 6 pad_ratio: 0.1")
    code, out, err = invoke("analyze", str(path), "--format", "json")
    assert code == 0, err
    assert "(defined by zhaoweicai/cascade-rcnn)" in err
    assert "cascade" in json.loads(out)["total"]["unknown_layers"]


def _net(tmp_path: Path, fixture: str, old: str, new: str) -> Path:
    text = (FIXTURES / fixture).read_text()
    assert old in text
    path = tmp_path / "net.prototxt"
    path.write_text(text.replace(old, new))
    return path


def test_dense_image_data_sizes(tmp_path: Path) -> None:
    crop = _net(tmp_path, "segnet_data.prototxt", 'top: "data" top: "label"',
                'top: "data" top: "label" transform_param { crop_size: 3 }')
    got = layers(crop)  # crop_size first, then crop_height x crop_width
    assert [t["shape"] for t in got["data"]["tops"]] == [[2, 1, 3, 3], [2, 1, 3, 3]]
    resize = _net(tmp_path, "segnet_data.prototxt", "is_color: false", "")
    resize.write_text(resize.read_text().replace("crop_height: 5 crop_width: 7", ""))
    got = layers(resize)  # is_color defaults to true
    assert [t["shape"] for t in got["data"]["tops"]] == [[2, 3, 360, 480], [2, 1, 360, 480]]


def test_dense_image_data_from_the_first_image_needs_the_shape(tmp_path: Path) -> None:
    path = _net(tmp_path, "segnet_data.prototxt",
                "new_height: 360 new_width: 480 crop_height: 5 crop_width: 7", "")
    code, _, err = invoke("analyze", str(path))
    assert code == 2
    assert "batch_size 2 and is_color false known, height, width not" in err
    assert "--input-shape data=2,1,H,W" in err
    got = layers(path, "--input-shape", "data=_,1,6,4")
    assert [t["shape"] for t in got["data"]["tops"]] == [[2, 1, 6, 4], [2, 1, 6, 4]]


@pytest.mark.parametrize(("fixture", "old", "new", "layer", "words"), [
    ("face_losses.prototxt", 'bottom: "data" bottom: "label"\n  top: "fc6"',
     'bottom: "data"\n  top: "fc6"', "fc6", "exactly 2 bottom"),
    ("face_losses.prototxt", 'top: "fc6" top: "lambda"', 'top: "fc6" top: "lambda" top: "x"',
     "fc6", "at most 2 top"),
    ("face_losses.prototxt", "shape { dim: 4 } }", "shape { dim: 5 } }", "fc6", "differ in num"),
    ("face_losses.prototxt", "num_output: 7 axis: 2", "num_output: 0 axis: 2", "fc6_single",
     "num_output must be positive"),
    ("face_losses.prototxt", "num_output: 7 axis: 2", "num_output: 7 axis: 4", "fc6_single",
     "axis 4 out of range"),
    ("face_losses.prototxt", 'bottom: "label" top: "center_loss"',
     'bottom: "data" top: "center_loss"', "center_loss", "one value per row"),
    ("face_losses.prototxt", "num_output: 3 center_filler", "center_filler", "center_loss",
     "num_output must be positive"),
    ("face_losses.prototxt", 'top: "center_loss"\n', 'top: "center_loss" top: "c2"\n',
     "center_loss", "exactly 1 top"),
    ("segnet_data.prototxt", "new_width: 480", "", "data", "new_height and new_width"),
    ("segnet_data.prototxt", "crop_width: 7", "", "data", "crop_height and crop_width"),
    ("segnet_data.prototxt", 'top: "data" top: "label"', 'top: "data"', "data",
     "exactly 2 top"),
    ("hed_data.prototxt", "batch_size: 2", "batch_size: 0", "data",
     "positive image_data_param batch"),
    ("hed_data.prototxt", "new_width: 10", "", "data", "new_height and new_width"),
    ("flow.prototxt", "kernel_size: 1 max_displacement: 4", "kernel_size: 2 max_displacement: 4",
     "corr", "must be odd"),
    ("flow.prototxt", "pad: 4 kernel_size: 1 max_displacement: 4",
     "kernel_size: 1 max_displacement: 8", "corr", "do not fit"),
    ("flow.prototxt", "max_displacement: 2 stride_1: 2", "stride_1: 2", "corr_sub",
     "max_displacement is required"),
    ("flow.prototxt", "stride_1: 1 stride_2: 2", "stride_1: 1 stride_2: 0", "corr",
     "must be positive"),
    ("flow.prototxt", 'bottom: "img1" bottom: "img2" top: "corr"\n',
     'bottom: "img1" bottom: "flow" top: "corr"\n', "corr", "differ in channels"),
    ("flow.prototxt", 'bottom: "img2" bottom: "flow" top: "warp"',
     'bottom: "img2" bottom: "img1" top: "warp"', "warp", "must be 1 x 2 x 16 x 16"),
    ("flow.prototxt", "single_direction: -1", "single_direction: 2", "corr1d_left",
     "must be -1, 0 or 1"),
    ("flow.prototxt", "pad: 2 kernel_size: 3 max_displacement: 6",
     "kernel_size: 3 max_displacement: 7", "corr1d", "do not fit"),
    ("flow.prototxt", 'bottom: "u" bottom: "v"', 'bottom: "u" bottom: "corr_sub"', "warping",
     "vertical flow [1,25,5,5] must have"),
    ("flow.prototxt", 'bottom: "u" bottom: "v"', 'bottom: "u"', "warping", "exactly 3 bottom"),
    ("flow.prototxt", "width: 8 height: 4", "width: 8", "down", "height and width > 0"),
    ("flow.prototxt", "type: NEAREST", "type: AREA", "nearest", "only NEAREST, LINEAR"),
    ("flow.prototxt", 'bottom: "warp" bottom: "target"', 'bottom: "warp" bottom: "corr"',
     "abs", "differ in size per item"),
    ("flow.prototxt", 'type: "L1Loss" bottom: "img1" bottom: "img2" top: "l1_two"',
     'type: "L1Loss" bottom: "img1" bottom: "flow" top: "l1_two"', "l1_two", "differ"),
    ("roi_align.prototxt", "pooled_h: 7 pooled_w: 5", "pooled_w: 5", "align",
     "roi_align_param pooled_h (0)"),
    ("roi_align.prototxt", "roi_pooling_param { pooled_h: 6 pooled_w: 6",
     "roi_pooling_param { pooled_h: 6", "cascade", "pooled_h (6) and pooled_w (0)"),
    ("roi_align.prototxt", 'top: "cascade"\n  roi_pooling_param',
     'top: "cascade"\n  roi_align_param { pooled_h: 2 pooled_w: 2 } roi_pooling_param', "cascade",
     "no fork reads both"),
    ("roi_align.prototxt", "aligned_h: 4 aligned_w: 3", "aligned_h: 4 pooled_w: 3", "aligned",
     "no fork reads both"),
    ("roi_align.prototxt", "aligned_h: 4 aligned_w: 3", "aligned_h: 4", "aligned",
     "aligned_h (4) and aligned_w (0)"),
    ("roi_align.prototxt", "shape { dim: 3 dim: 5 }", "shape { dim: 3 dim: 4 }", "align",
     "5 values per region"),
    ("flow.prototxt", 'bottom: "warp" bottom: "target" top: "dice"',
     'bottom: "warp" bottom: "flow" top: "dice"', "dice", "differ in size per item"),
    ("flow.prototxt", 'type: "L1Loss" bottom: "img1" bottom: "img2" top: "l1" }',
     'type: "L1Loss" bottom: "img1" bottom: "img2" bottom: "flow" top: "l1" }', "l1",
     "exactly 2 bottom"),
])
def test_bad_input_is_one_line_naming_the_layer(tmp_path: Path, fixture: str, old: str,
                                               new: str, layer: str, words: str) -> None:
    assert_one_line_layer_error(_net(tmp_path, fixture, old, new), layer, words)
