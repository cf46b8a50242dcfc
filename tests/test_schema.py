"""The schema: proto/caffe.proto, its generated module, and its agreement with BVLC Caffe.

The numbers hard-coded below were read from BVLC Caffe master (9b89154,
src/caffe/proto/caffe.proto). They are deliberately written out by hand rather than derived
from our own .proto, so that an accidental renumbering is caught instead of mirrored.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
from google.protobuf import descriptor, text_format

from prototxt_tool import caffe_pb2

REPO = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("DWSEP_CORPUS", REPO.parent / "shared" / "corpus"))
FD = descriptor.FieldDescriptor


def _corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(CORPUS.rglob("*.prototxt"))


def _parse_net(text: str) -> caffe_pb2.NetParameter:
    """Strict parse, as Caffe's ReadProtoFromTextFile: unknown fields are errors."""
    return text_format.Parse(text, caffe_pb2.NetParameter())


def _field(message: type, name: str) -> descriptor.FieldDescriptor:
    return message.DESCRIPTOR.fields_by_name[name]


# --- (a) the committed module is what the .proto generates -----------------------------------


def test_regenerated_module_is_byte_identical(tmp_path: Path) -> None:
    if importlib.util.find_spec("grpc_tools") is None:
        pytest.skip("grpc_tools not installed (pip install grpcio-tools==1.85.1)")
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "gen_proto.py"), str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    regenerated = (tmp_path / "caffe_pb2.py").read_bytes()
    committed = (REPO / "prototxt_tool" / "caffe_pb2.py").read_bytes()
    assert regenerated == committed, "proto/caffe.proto changed: run python scripts/gen_proto.py"


def test_gen_proto_rejects_extra_arguments() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "gen_proto.py"), "a", "b"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "usage" in result.stderr


def test_module_identity() -> None:
    # A path-dependent descriptor name would make the regeneration test machine-specific.
    assert caffe_pb2.DESCRIPTOR.name == "caffe.proto"
    assert caffe_pb2.DESCRIPTOR.package == "caffe"
    assert caffe_pb2.NetParameter.DESCRIPTOR.full_name == "caffe.NetParameter"


# --- (b) every real file of the corpus parses strictly --------------------------------------


@pytest.mark.parametrize(
    "path",
    _corpus_files() or [None],
    ids=lambda p: str(p.relative_to(CORPUS)) if p else "no-corpus",
)
def test_corpus_file_parses(path: Path | None) -> None:
    if path is None:
        pytest.skip(f"corpus not found at {CORPUS} (set DWSEP_CORPUS to its directory)")
    net = _parse_net(path.read_text(encoding="utf-8"))
    assert len(net.layer) + len(net.layers) > 0


# --- (c) agreement with BVLC master ---------------------------------------------------------

BVLC_NUMBERS = [
    (caffe_pb2.NetParameter, "layer", 100),
    (caffe_pb2.NetParameter, "layers", 2),
    (caffe_pb2.NetParameter, "input", 3),
    (caffe_pb2.NetParameter, "input_dim", 4),
    (caffe_pb2.NetParameter, "input_shape", 8),
    (caffe_pb2.NetParameter, "state", 6),
    (caffe_pb2.LayerParameter, "phase", 10),
    (caffe_pb2.LayerParameter, "propagate_down", 11),
    (caffe_pb2.LayerParameter, "include", 8),
    (caffe_pb2.LayerParameter, "transform_param", 100),
    (caffe_pb2.LayerParameter, "convolution_param", 106),
    (caffe_pb2.LayerParameter, "pooling_param", 121),
    (caffe_pb2.LayerParameter, "batch_norm_param", 139),
    (caffe_pb2.LayerParameter, "scale_param", 142),
    (caffe_pb2.LayerParameter, "input_param", 143),
    (caffe_pb2.LayerParameter, "crop_param", 144),
    (caffe_pb2.LayerParameter, "recurrent_param", 146),
    (caffe_pb2.LayerParameter, "swish_param", 147),
    (caffe_pb2.LayerParameter, "clip_param", 148),
    (caffe_pb2.LayerParameter, "embed_param", 137),
    (caffe_pb2.ConvolutionParameter, "stride", 6),
    (caffe_pb2.ConvolutionParameter, "dilation", 18),
    (caffe_pb2.ConvolutionParameter, "group", 5),
    (caffe_pb2.PoolingParameter, "global_pooling", 12),
    (caffe_pb2.PoolingParameter, "round_mode", 13),
    (caffe_pb2.SolverParameter, "layer_wise_reduce", 41),
    (caffe_pb2.SolverParameter, "weights", 42),
    (caffe_pb2.V1LayerParameter, "layer", 1),
    (caffe_pb2.V1LayerParameter, "include", 32),
    (caffe_pb2.V1LayerParameter, "param", 1001),
    (caffe_pb2.V1LayerParameter, "convolution_param", 10),
    (caffe_pb2.V0LayerParameter, "kernelsize", 8),
    (caffe_pb2.V0LayerParameter, "hdf5_output_param", 1001),
]


@pytest.mark.parametrize(("message", "name", "number"), BVLC_NUMBERS)
def test_field_numbers_match_bvlc(message: type, name: str, number: int) -> None:
    assert _field(message, name).number == number


def test_wire_bytes_of_a_convolution_layer() -> None:
    # Field 106, wire type 2 -> tag varint 0xd2 0x06; then length 2 and num_output (1) = 3.
    layer = caffe_pb2.LayerParameter()
    layer.convolution_param.num_output = 3
    assert layer.SerializeToString() == b"\xd2\x06\x02\x08\x03"


def test_blob_types_match_bvlc() -> None:
    # The SSD fork's copy widened these to int64; master keeps int32 (and int64 dims).
    assert _field(caffe_pb2.BlobProto, "num").type == FD.TYPE_INT32
    assert _field(caffe_pb2.BlobProto, "data").type == FD.TYPE_FLOAT
    dim = _field(caffe_pb2.BlobShape, "dim")
    assert dim.type == FD.TYPE_INT64
    assert dim.is_repeated
    assert dim.is_packed
    # Packed: one length-delimited record (tag 0x0a) instead of one tag per element.
    assert caffe_pb2.BlobShape(dim=[1, 2]).SerializeToString() == b"\x0a\x02\x01\x02"


def test_labels_match_bvlc() -> None:
    assert _field(caffe_pb2.ConvolutionParameter, "kernel_size").is_repeated
    assert not _field(caffe_pb2.PoolingParameter, "kernel_size").is_repeated
    assert _field(caffe_pb2.ClipParameter, "min").is_required
    assert not _field(caffe_pb2.ConvolutionParameter, "group").is_required
    assert _field(caffe_pb2.ConvolutionParameter, "num_output").type == FD.TYPE_UINT32


def test_defaults_match_bvlc() -> None:
    conv = caffe_pb2.ConvolutionParameter()
    assert conv.bias_term is True
    assert conv.group == 1
    assert conv.axis == 1
    pool = caffe_pb2.PoolingParameter()
    assert pool.pool == caffe_pb2.PoolingParameter.MAX
    assert pool.stride == 1
    assert pool.round_mode == caffe_pb2.PoolingParameter.CEIL
    assert caffe_pb2.NetState().phase == caffe_pb2.TEST
    assert caffe_pb2.InnerProductParameter().bias_term is True
    assert caffe_pb2.ScaleParameter().bias_term is False
    assert caffe_pb2.ConcatParameter().axis == 1
    assert caffe_pb2.CropParameter().axis == 2
    assert caffe_pb2.ReshapeParameter().num_axes == -1
    assert caffe_pb2.FlattenParameter().end_axis == -1
    assert caffe_pb2.EltwiseParameter().operation == caffe_pb2.EltwiseParameter.SUM
    assert caffe_pb2.LRNParameter().local_size == 5
    assert caffe_pb2.FillerParameter().type == "constant"
    assert caffe_pb2.V0LayerParameter().biasterm is True
    assert caffe_pb2.BatchNormParameter().eps == pytest.approx(1e-5)
    assert caffe_pb2.ImageDataParameter().batch_size == 1


def test_enum_values_match_bvlc() -> None:
    v1 = caffe_pb2.V1LayerParameter
    assert v1.CONVOLUTION == 4
    assert v1.POOLING == 17
    assert v1.INNER_PRODUCT == 14
    assert v1.SOFTMAX_LOSS == 21
    assert v1.DECONVOLUTION == 39
    assert v1.THRESHOLD == 31
    assert len(v1.LayerType.DESCRIPTOR.values) == 40
    assert caffe_pb2.TRAIN == 0
    assert caffe_pb2.TEST == 1
    assert caffe_pb2.HingeLossParameter.L1 == 1
    assert caffe_pb2.ReductionParameter.SUM == 1
    assert caffe_pb2.PoolingParameter.STOCHASTIC == 2
    assert caffe_pb2.PoolingParameter.FLOOR == 1


# --- fork fields ----------------------------------------------------------------------------

FORK_SNIPPETS = {
    "ceil_mode": 'layer { type: "Pooling" pooling_param { kernel_size: 3 ceil_mode: false } }',
    "ssd": """
        layer { type: "Normalize" norm_param { across_spatial: false channel_shared: false
                scale_filler { type: "constant" value: 20 } } }
        layer { type: "Permute" permute_param { order: 0 order: 2 order: 3 order: 1 } }
        layer { type: "PriorBox" prior_box_param { min_size: 30 max_size: 60 aspect_ratio: 2
                flip: true clip: false variance: 0.1 step: 8 offset: 0.5 } }
        layer { type: "DetectionOutput" detection_output_param { num_classes: 21
                nms_param { nms_threshold: 0.45 top_k: 100 } code_type: CENTER_SIZE
                keep_top_k: 100 confidence_threshold: 0.25
                save_output_param { output_format: "VOC" resize_param { resize_mode: WARP } } } }
        layer { type: "AnnotatedData" transform_param { crop_h: 300 crop_w: 300
                distort_param { brightness_prob: 0.5 } expand_param { prob: 0.5 } }
                annotated_data_param { batch_sampler { max_trials: 1 } } }
    """,
    "fast_rcnn": """
        layer { type: "ROIPooling" roi_pooling_param { pooled_w: 7 pooled_h: 7
                spatial_scale: 0.0625 } }
        layer { type: "SmoothL1Loss" smooth_l1_loss_param { sigma: 3 } }
    """,
    "pspnet": """
        layer { type: "BN" bn_param { slope_filler { type: "constant" value: 1 }
                bias_filler { type: "constant" value: 0 } frozen: true momentum: 0.95 } }
        layer { type: "Interp" interp_param { zoom_factor: 8 pad_beg: 0 pad_end: 0 } }
    """,
    "segnet": """
        layer { type: "BN" bn_param { bn_mode: INFERENCE
                scale_filler { type: "constant" value: 1 } shift_filler { value: 0.001 } } }
        layer { type: "Upsample" upsample_param { scale: 2 pad_out_h: true upsample_w: 60 } }
    """,
    "shufflenet": 'layer { type: "ShuffleChannel" shuffle_channel_param { group: 3 } }',
}


@pytest.mark.parametrize("fork", sorted(FORK_SNIPPETS))
def test_fork_fields_parse(fork: str) -> None:
    net = _parse_net(FORK_SNIPPETS[fork])
    assert len(net.layer) >= 1


def test_fork_values_land_in_the_right_fields() -> None:
    net = _parse_net(FORK_SNIPPETS["ceil_mode"] + FORK_SNIPPETS["segnet"])
    assert net.layer[0].pooling_param.ceil_mode is False
    assert net.layer[0].pooling_param.HasField("round_mode") is False
    assert net.layer[1].bn_param.bn_mode == caffe_pb2.BNParameter.INFERENCE
    assert net.layer[2].upsample_param.pad_out_h is True
    assert net.layer[2].upsample_param.upsample_w == 60


def test_fork_defaults() -> None:
    assert caffe_pb2.PoolingParameter().ceil_mode is True
    prior = caffe_pb2.PriorBoxParameter()
    assert prior.flip is True
    assert prior.clip is False
    assert prior.offset == pytest.approx(0.5)
    assert caffe_pb2.DetectionOutputParameter().keep_top_k == -1
    assert caffe_pb2.NormalizeParameter().channel_shared is True
    assert caffe_pb2.ROIPoolingParameter().spatial_scale == pytest.approx(1.0)
    assert caffe_pb2.InterpParameter().zoom_factor == 1
    assert caffe_pb2.UpsampleParameter().scale == 2
    assert caffe_pb2.ShuffleChannelParameter().group == 1
    assert caffe_pb2.BNParameter().momentum == pytest.approx(0.9)


def test_fork_numbers() -> None:
    # Kept where the fork's number is free in master...
    layer = caffe_pb2.LayerParameter
    assert _field(layer, "prior_box_param").number == 203
    assert _field(layer, "detection_output_param").number == 204
    assert _field(layer, "norm_param").number == 206
    assert _field(layer, "shuffle_channel_param").number == 164
    assert _field(layer, "roi_pooling_param").number == 8266711
    assert _field(layer, "bn_param").number == 152
    # ...moved where it would collide with master (input_param 143, embed_param 137, round_mode 13).
    assert _field(layer, "interp_param").number == 2143
    assert _field(layer, "upsample_param").number == 2137
    assert _field(caffe_pb2.PoolingParameter, "ceil_mode").number == 1013


def test_parse_is_strict() -> None:
    with pytest.raises(text_format.ParseError, match="no field named"):
        _parse_net('layer { type: "ReLU" no_such_param { } }')
    with pytest.raises(text_format.ParseError):
        _parse_net("layers { type: CONVOLUTION_DEPTHWISE }")
