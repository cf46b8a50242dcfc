"""upgrade.py against our own tiny V0/V1/V2 nets, field by field (Caffe's upgrade_proto.cpp)."""

from __future__ import annotations

from pathlib import Path

import pytest
from google.protobuf import text_format

from prototxt_tool import caffe_pb2
from prototxt_tool.errors import NetError
from prototxt_tool.upgrade import V1_TYPES, detect_format, upgrade_net

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "upgrade"


def parse(text: str):
    return text_format.Parse(text, caffe_pb2.NetParameter())


def load(name: str):
    return parse((FIXTURES / name).read_text())


def by_name(net, name: str):
    matches = [layer for layer in net.layer if layer.name == name]
    assert len(matches) == 1, f"{name}: {len(matches)} layers"
    return matches[0]


# --- detect_format -----------------------------------------------------------------------


def test_detect_format_of_each_syntax():
    assert detect_format(load("v0_padded.prototxt")) == "V0"
    assert detect_format(load("v1_train_val.prototxt")) == "V1"
    assert detect_format(parse('layer { name: "a" type: "ReLU" }')) == "V2"
    assert detect_format(caffe_pb2.NetParameter()) == "V2"


def test_one_nested_v0_layer_makes_the_whole_net_v0():
    net = parse('layers { name: "a" type: RELU } layers { layer { name: "b" type: "relu" } }')
    assert detect_format(net) == "V0"


# --- V0 ----------------------------------------------------------------------------------


def test_v0_padding_layer_is_folded_into_the_next_conv():
    up = upgrade_net(load("v0_padded.prototxt"))
    names = [layer.name for layer in up.net.layer]
    assert names == ["input", "conv1", "relu1", "pool1", "norm1", "fc1", "drop1", "prob"]
    conv = by_name(up.net, "conv1")
    assert list(conv.bottom) == ["data"]
    assert list(conv.convolution_param.pad) == [2]
    assert "folded padding layer 'pad1' into 'conv1' (pad 2)" in up.notes


def test_v0_origins_point_at_source_layers_entries_skipping_padding():
    up = upgrade_net(load("v0_padded.prototxt"))
    assert up.origins == [("input", 0)] + [("layers", i) for i in range(1, 8)]


def test_v0_conv_fields_map_into_convolution_param_and_param_specs():
    conv = by_name(upgrade_net(load("v0_padded.prototxt")).net, "conv1")
    assert conv.type == "Convolution"
    cp = conv.convolution_param
    assert cp.num_output == 8
    assert list(cp.kernel_size) == [5]
    assert list(cp.stride) == [2]
    assert cp.HasField("group") and cp.group == 1
    assert cp.HasField("bias_term") and cp.bias_term is False
    assert cp.weight_filler.type == "gaussian"
    assert cp.weight_filler.std == pytest.approx(0.01)
    assert cp.bias_filler.type == "constant" and cp.bias_filler.value == 0.5
    assert [(p.lr_mult, p.decay_mult) for p in conv.param] == [(1.0, 1.0), (2.0, 0.0)]


def test_v0_pool_lrn_ip_dropout_fields():
    net = upgrade_net(load("v0_padded.prototxt")).net
    pool = by_name(net, "pool1")
    assert pool.type == "Pooling"
    assert pool.pooling_param.pool == caffe_pb2.PoolingParameter.AVE
    assert (pool.pooling_param.kernel_size, pool.pooling_param.stride) == (3, 2)
    assert pool.pooling_param.pad == 1
    lrn = by_name(net, "norm1").lrn_param
    assert (lrn.local_size, lrn.beta, lrn.k) == (3, 0.5, 2.0)
    assert lrn.alpha == pytest.approx(0.001)
    fc = by_name(net, "fc1")
    assert fc.type == "InnerProduct"
    assert fc.inner_product_param.num_output == 10 and fc.inner_product_param.bias_term
    drop = by_name(net, "drop1")
    assert drop.type == "Dropout" and drop.dropout_param.dropout_ratio == 0.25
    assert [by_name(net, n).type for n in ("relu1", "prob")] == ["ReLU", "Softmax"]


def test_v0_net_level_fields_become_input_layer_and_force_backward():
    net = upgrade_net(load("v0_padded.prototxt")).net
    assert net.name == "tiny_v0" and net.force_backward
    assert len(net.input) == 0 and len(net.input_dim) == 0
    first = net.layer[0]
    assert (first.name, first.type, list(first.top)) == ("input", "Input", ["data"])
    assert [list(s.dim) for s in first.input_param.shape] == [[2, 3, 16, 16]]


def test_v0_net_level_state_is_dropped_with_a_note():
    up = upgrade_net(parse('state { phase: TRAIN } layers { layer { name: "d" type: "data" '
                           'source: "x" } top: "d" }'))
    assert not up.net.HasField("state")
    assert any("state" in note for note in up.notes)


V0_DATA = """
layers {
  layer { name: "data" type: "data" source: "db" batchsize: 32 rand_skip: 5
          cropsize: 227 mirror: true meanfile: "mean.bp" scale: 0.25 }
  top: "data" top: "label"
}
layers {
  layer { name: "img" type: "images" source: "list.txt" batchsize: 4 new_height: 64
          new_width: 48 shuffle_images: true rand_skip: 2 }
  top: "img" top: "img_label"
}
layers {
  layer { name: "win" type: "window_data" source: "w.txt" batchsize: 8 det_fg_threshold: 0.6
          det_bg_threshold: 0.4 det_fg_fraction: 0.3 det_context_pad: 16 det_crop_mode: "square" }
  top: "win" top: "win_label"
}
layers {
  layer { name: "h5" type: "hdf5_data" source: "h5.txt" batchsize: 16 }
  top: "h5"
}
layers {
  layer { name: "cat" type: "concat" concat_dim: 0 }
  bottom: "img" bottom: "win" top: "cat"
}
layers {
  layer { name: "out" type: "hdf5_output" hdf5_output_param { file_name: "out.h5" } }
  bottom: "cat" bottom: "h5"
}
layers {
  layer { name: "gain" type: "infogain_loss" source: "H.bp" }
  bottom: "cat" bottom: "label"
}
"""


def test_v0_data_layer_fields():
    net = upgrade_net(parse(V0_DATA)).net
    data = by_name(net, "data")
    assert data.type == "Data"
    assert (data.data_param.source, data.data_param.batch_size) == ("db", 32)
    assert data.data_param.rand_skip == 5
    tp = data.transform_param
    assert (tp.crop_size, tp.mirror, tp.mean_file, tp.scale) == (227, True, "mean.bp", 0.25)


def test_v0_image_window_hdf5_fields():
    net = upgrade_net(parse(V0_DATA)).net
    img = by_name(net, "img")
    assert img.type == "ImageData"
    ip = img.image_data_param
    assert (ip.source, ip.batch_size, ip.new_height, ip.new_width) == ("list.txt", 4, 64, 48)
    assert ip.shuffle and ip.rand_skip == 2
    win = by_name(net, "win")
    assert win.type == "WindowData"
    wp = win.window_data_param
    assert (wp.source, wp.batch_size, wp.context_pad, wp.crop_mode) == ("w.txt", 8, 16, "square")
    assert (wp.fg_threshold, wp.bg_threshold) == pytest.approx((0.6, 0.4))
    assert wp.fg_fraction == pytest.approx(0.3)
    h5 = by_name(net, "h5")
    assert h5.type == "HDF5Data"
    assert (h5.hdf5_data_param.source, h5.hdf5_data_param.batch_size) == ("h5.txt", 16)


def test_v0_concat_hdf5_output_infogain_fields():
    net = upgrade_net(parse(V0_DATA)).net
    cat = by_name(net, "cat")
    assert cat.type == "Concat"
    assert cat.concat_param.HasField("concat_dim") and cat.concat_param.concat_dim == 0
    out = by_name(net, "out")
    assert out.type == "HDF5Output" and out.hdf5_output_param.file_name == "out.h5"
    gain = by_name(net, "gain")
    assert gain.type == "InfogainLoss" and gain.infogain_loss_param.source == "H.bp"


def test_v0_field_meaningless_for_the_type_is_dropped_with_a_note():
    up = upgrade_net(parse('input: "x" input_dim: 1 input_dim: 1 input_dim: 1 input_dim: 1 '
                           'layers { layer { name: "r" type: "relu" num_output: 3 kernelsize: 2 } '
                           'bottom: "x" top: "y" }'))
    relu = by_name(up.net, "r")
    assert not relu.HasField("convolution_param") and not relu.HasField("inner_product_param")
    assert any("'num_output'" in n and "'r'" in n for n in up.notes)
    assert any("'kernelsize'" in n for n in up.notes)


def test_v1_style_entry_in_a_v0_net_keeps_only_bottoms_and_tops():
    up = upgrade_net(parse('input: "x" input_dim: 1 input_dim: 1 input_dim: 1 input_dim: 1 '
                           'layers { layer { name: "a" type: "relu" } bottom: "x" top: "a" } '
                           'layers { name: "b" type: RELU bottom: "a" top: "b" }'))
    second = up.net.layer[2]
    assert (second.name, second.type, list(second.bottom), list(second.top)) == (
        "", "", ["a"], ["b"])
    assert any("'b' has no nested V0 'layer'" in n for n in up.notes)


def test_v0_unused_padding_layer_is_dropped_with_a_note():
    up = upgrade_net(parse('input: "x" input_dim: 1 input_dim: 1 input_dim: 4 input_dim: 4 '
                           'layers { layer { name: "p" type: "padding" pad: 1 } '
                           'bottom: "x" top: "px" }'))
    assert [layer.name for layer in up.net.layer] == ["input"]
    assert any("'p'" in n and "dropped" in n for n in up.notes)


V0_HEAD = 'input: "x" input_dim: 1 input_dim: 3 input_dim: 8 input_dim: 8 '


@pytest.mark.parametrize(("body", "fragment"), [
    ('layers { layer { name: "p" type: "padding" pad: 1 } bottom: "x" top: "px" } '
     'layers { layer { name: "r" type: "relu" } bottom: "px" top: "r" }',
     "only conv and pool layers"),
    ('layers { layer { name: "c" type: "conv" num_output: 2 kernelsize: 1 } bottom: "nope" '
     'top: "c" }', "bottom 'nope' is produced by no earlier layer"),
    ('layers { layer { name: "c" type: "convolution" } bottom: "x" top: "c" }',
     "unknown V0 layer type 'convolution'"),
    ('layers { layer { name: "p" type: "padding" pad: 1 } bottom: "x" top: "px" top: "py" } '
     'layers { layer { name: "c" type: "conv" } bottom: "px" top: "c" }',
     "a V0 padding layer must have exactly one"),
    ('layers { layer { name: "p" type: "padding" pad: 1 } bottom: "x" top: "px" } '
     'layers { layer { name: "c" type: "pool" } bottom: "px" bottom: "x" top: "c" }',
     "a padded layer must have exactly one"),
])
def test_v0_errors_caffe_would_abort_on(body, fragment):
    with pytest.raises(NetError, match=fragment):
        upgrade_net(parse(V0_HEAD + body))


# --- V1 ----------------------------------------------------------------------------------


def test_v1_types_become_v2_names():
    net = upgrade_net(load("v1_train_val.prototxt")).net
    assert [(layer.name, layer.type) for layer in net.layer] == [
        ("data", "Data"), ("data", "Data"), ("conv1", "Convolution"), ("slice1", "Slice"),
        ("max1", "Eltwise"), ("fc1", "InnerProduct"), ("accuracy", "Accuracy"),
        ("loss", "SoftmaxWithLoss"),
    ]
    assert len(net.layers) == 0 and net.name == "tiny_v1"


def test_every_v1_enum_value_of_the_schema_has_a_v2_name():
    enum = caffe_pb2.V1LayerParameter.LayerType
    assert set(enum.keys()) <= set(V1_TYPES)
    spot = {"SOFTMAX_LOSS": "SoftmaxWithLoss", "IMAGE_DATA": "ImageData", "TANH": "TanH",
            "IM2COL": "Im2col", "HDF5_DATA": "HDF5Data", "ABSVAL": "AbsVal", "NONE": ""}
    for enum_name, v2 in spot.items():
        net = parse(f"layers {{ name: 'l' type: {enum_name} }}")
        assert upgrade_net(net).net.layer[0].type == v2


def test_v1_blobs_lr_weight_decay_names_and_share_mode_become_param_specs():
    net = upgrade_net(load("v1_train_val.prototxt")).net
    conv = by_name(net, "conv1")
    specs = [(p.name, p.lr_mult, p.decay_mult, p.HasField("share_mode")) for p in conv.param]
    assert specs == [("conv1_w", 1.0, 1.0, True), ("conv1_b", 2.0, 0.0, False)]
    assert conv.param[0].share_mode == caffe_pb2.ParamSpec.PERMISSIVE
    fc = by_name(net, "fc1")
    assert len(fc.param) == 1 and fc.param[0].lr_mult == 1.0
    assert not fc.param[0].HasField("decay_mult")


def test_v1_uneven_per_blob_lists_create_specs_up_to_the_longest():
    layer = upgrade_net(parse('layers { name: "c" type: CONVOLUTION blobs_lr: 1 blobs_lr: 2 '
                              'blobs_lr: 3 weight_decay: 0 }')).net.layer[0]
    assert [p.lr_mult for p in layer.param] == [1.0, 2.0, 3.0]
    assert [p.HasField("decay_mult") for p in layer.param] == [True, False, False]


def test_v1_rules_loss_weight_and_type_params_are_copied():
    net = upgrade_net(load("v1_train_val.prototxt")).net
    assert by_name(net, "accuracy").exclude[0].phase == caffe_pb2.TRAIN
    assert [layer.include[0].phase for layer in net.layer[:2]] == [caffe_pb2.TRAIN, caffe_pb2.TEST]
    assert list(by_name(net, "loss").loss_weight) == [2.0]
    sl = by_name(net, "slice1").slice_param
    assert (sl.slice_dim, list(sl.slice_point)) == (1, [2])
    assert by_name(net, "max1").eltwise_param.operation == caffe_pb2.EltwiseParameter.MAX
    cp = by_name(net, "conv1").convolution_param
    assert (cp.num_output, list(cp.kernel_size)) == (4, [3])
    assert by_name(net, "fc1").inner_product_param.num_output == 3


def test_v1_data_transformation_fields_move_into_transform_param():
    up = upgrade_net(load("v1_train_val.prototxt"))
    train, test = up.net.layer[0], up.net.layer[1]
    tp, dp = train.transform_param, train.data_param
    assert (tp.scale, tp.mean_file, tp.crop_size, tp.mirror) == (0.5, "mean.binaryproto", 8, True)
    for name in ("scale", "mean_file", "crop_size", "mirror"):
        assert not dp.HasField(name)
    assert (dp.source, dp.batch_size) == ("train_lmdb", 4)
    # Caffe's mutable_transform_param() leaves an (empty) transform_param on every data layer.
    assert test.HasField("transform_param") and test.transform_param.ByteSize() == 0
    assert any("moved scale, mean_file, crop_size, mirror" in n for n in up.notes)


def test_v1_origins_and_source_untouched():
    net = load("v1_train_val.prototxt")
    before = net.SerializeToString()
    up = upgrade_net(net)
    assert up.origins == [("layers", i) for i in range(8)]
    assert net.SerializeToString() == before


def test_v1_net_level_fields_are_kept():
    net = upgrade_net(parse('name: "n" force_backward: true debug_info: true '
                            'state { phase: TRAIN stage: "s" } layers { name: "r" type: RELU }'))
    assert net.net.name == "n" and net.net.force_backward and net.net.debug_info
    assert net.net.state.phase == caffe_pb2.TRAIN and list(net.net.state.stage) == ["s"]


def test_mixing_layer_and_layers_is_refused():
    with pytest.raises(NetError, match=r"mixes 1 'layer'.*1 'layers'"):
        upgrade_net(parse('layers { name: "a" type: RELU } layer { name: "b" type: "ReLU" }'))


# --- input fields ------------------------------------------------------------------------


def test_v2_input_shape_becomes_first_input_layer():
    up = upgrade_net(parse('input: "data" input_shape { dim: 1 dim: 3 dim: 5 dim: 5 } '
                           'input: "im_info" input_shape { dim: 1 dim: 3 } '
                           'layer { name: "r" type: "ReLU" bottom: "data" top: "r" }'))
    first = up.net.layer[0]
    assert (first.name, first.type, list(first.top)) == ("input", "Input", ["data", "im_info"])
    assert [list(s.dim) for s in first.input_param.shape] == [[1, 3, 5, 5], [1, 3]]
    assert up.origins == [("input", 0), ("layer", 0)]
    assert len(up.net.input) == 0 and len(up.net.input_shape) == 0


@pytest.mark.parametrize("read_only", [False, True])
def test_input_layer_goes_first_and_the_callers_net_is_untouched(read_only: bool) -> None:
    """The Input layer is put first by re-reading serialized bytes: every layer keeps its
    fields and order, the caller's net keeps its own inputs, and a required field the net
    lacks (Clip without min, which lint reports as P009) is no exception here."""
    src = parse('name: "n" input: "data" input_dim: 1 input_dim: 3 input_dim: 4 input_dim: 4 '
                'layer { name: "a" type: "Clip" bottom: "data" top: "a" clip_param { max: 6 } }'
                'layer { name: "b" type: "ReLU" bottom: "a" top: "a" '
                '  relu_param { negative_slope: 0.25 } include { phase: TEST } }')
    before = src.SerializePartialToString()
    up = upgrade_net(src, read_only=read_only)
    assert [layer.name for layer in up.net.layer] == ["input", "a", "b"]
    assert up.net.name == "n" and len(up.net.input) == 0 and len(up.net.input_dim) == 0
    assert up.net.layer[1] == src.layer[0] and up.net.layer[2] == src.layer[1]
    assert src.SerializePartialToString() == before and up.net is not src


def test_two_inputs_with_input_dim_are_split_in_fours():
    up = upgrade_net(parse('input: "a" input: "b" ' + " ".join(
        f"input_dim: {d}" for d in (1, 2, 3, 4, 5, 6, 7, 8))))
    assert [list(s.dim) for s in up.net.layer[0].input_param.shape] == [[1, 2, 3, 4], [5, 6, 7, 8]]


def test_input_shape_wins_over_input_dim_with_a_warning():
    up = upgrade_net(parse('input: "a" input_shape { dim: 2 dim: 2 } input_dim: 1 input_dim: 1 '
                           'input_dim: 1 input_dim: 1'))
    assert list(up.net.layer[0].input_param.shape[0].dim) == [2, 2]
    assert len(up.net.input_dim) == 0
    assert up.warnings == [("both input_shape and input_dim given: Caffe uses input_shape and "
                            "ignores input_dim", ("input_dim", 0))]


@pytest.mark.parametrize(("text", "fragment"), [
    ('input: "a" input_dim: 1 input_dim: 3 input_dim: 8', "need 4 input_dim values.*found 3"),
    ('input: "a" input: "b" input_dim: 1 input_dim: 3 input_dim: 8 input_dim: 8',
     "2 input.*need 8"),
    ('input: "a" input: "b" input_shape { dim: 1 }', "2 input.*1 input_shape"),
])
def test_input_count_mismatches_are_errors(text, fragment):
    with pytest.raises(NetError, match=fragment):
        upgrade_net(parse(text))


def test_input_without_shape_is_stripped_like_a_legacy_caffemodel():
    up = upgrade_net(parse('input: "data" layer { name: "r" type: "ReLU" bottom: "data" }'))
    assert [layer.name for layer in up.net.layer] == ["r"]
    assert len(up.net.input) == 0
    assert up.origins == [("layer", 0)]
    assert any("'data'" in n and "no input_shape/input_dim" in n for n in up.notes)


# --- BatchNorm and V2 no-op ----------------------------------------------------------------


def test_batchnorm_with_three_param_specs_gets_zero_multipliers_names_kept():
    up = upgrade_net(parse(
        'layer { name: "bn" type: "BatchNorm" param { name: "m" lr_mult: 1 decay_mult: 1 } '
        'param { lr_mult: 1 } param { lr_mult: 0 decay_mult: 0 } } '
        'layer { name: "bn2" type: "BatchNorm" param { lr_mult: 1 } param { lr_mult: 1 } }'))
    bn = up.net.layer[0]
    assert [(p.name, p.lr_mult, p.decay_mult) for p in bn.param] == [
        ("m", 0.0, 0.0), ("", 0.0, 0.0), ("", 0.0, 0.0)]
    # Only the three-spec (old) definition is touched.
    assert [p.lr_mult for p in up.net.layer[1].param] == [1.0, 1.0]
    assert any("'bn'" in n for n in up.notes) and not any("'bn2'" in n for n in up.notes)


def test_current_format_net_is_returned_unchanged():
    net = load("v2_plain.prototxt")
    up = upgrade_net(net)
    assert up.net == net
    assert up.notes == []
    assert up.origins == [("layer", i) for i in range(len(net.layer))]
