"""Legacy net formats (V0, V1, input fields) to today's NetParameter, the way Caffe does it.

Caffe never analyses a legacy file as written: ReadNetParamsFromTextFileOrDie runs
UpgradeNetAsNeeded first (src/caffe/util/upgrade_proto.cpp). Layer names, types, order and
even which layers exist (V0 "padding" layers vanish, an Input layer named "input" appears)
come out of that rewrite, so every later step (shapes, lint, separate) must see the same
rewritten net or its answers would not match real Caffe. The steps and their order are
Caffe's:

1. V0 -> V1   (``layers { layer { type: "conv" ... } }``): fold padding layers, map fields
2. data transformation fields (scale, mean_file, crop_size, mirror) -> ``transform_param``
3. V1 -> V2   (``layers { type: CONVOLUTION }``): enum types to names, blobs_lr -> param
4. ``input`` / ``input_dim`` / ``input_shape`` -> a first layer "input" of type Input
5. BatchNorm layers with three ``param`` specs: lr_mult and decay_mult forced to 0

Where Caffe aborts (CHECK / LOG(FATAL)) we raise NetError; where Caffe only logs and goes
on (a V0 field that means nothing for the layer type, say) we do what it does and add a
note, so the user learns what was dropped. Nothing here reads any file a net names.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from prototxt_tool import caffe_pb2
from prototxt_tool.errors import UpgradeError

Origin = tuple[str, int]
Where = tuple[str, int]  # a NetParameter field as written, and the index of one of its values


@dataclass
class Upgraded:
    """The V2 net plus, per layer, where it is written in the source (for error positions)."""

    net: Any  # caffe_pb2.NetParameter, `layer` only
    origins: list[Origin] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # What Caffe silently ignores of a legacy net it accepts (extra input_dim values, say):
    # warnings rather than notes, since the file says something the net will not do.
    warnings: list[tuple[str, Where]] = field(default_factory=list)


def detect_format(net: Any) -> str:
    """Caffe's own tests: any nested V0 `layer` makes the net V0, any `layers` makes it V1."""
    if any(conn.HasField("layer") for conn in net.layers):
        return "V0"
    if len(net.layers) > 0:
        return "V1"
    return "V2"


def upgrade_net(net: Any, read_only: bool = False) -> Upgraded:
    """Return the net as Caffe sees it after UpgradeNetAsNeeded; `net` itself is not changed.

    The result is a new message, unless `read_only` says the caller changes neither message:
    then a net that needs no upgrade step (a current-format net without legacy inputs or old
    BatchNorm specs) comes back as `net` itself. Copying a large net costs as much as a tenth
    of analysing it, in time and in memory, so analyze, draw and diff ask for that.
    """
    if len(net.layers) > 0 and len(net.layer) > 0:
        _refuse_mixed(net)
    notes: list[str] = []
    warnings: list[tuple[str, Where]] = []
    sources = list(range(len(net.layers)))
    if detect_format(net) == "V0":
        work, sources = _upgrade_v0_net(net, notes)
    else:
        work = net if read_only else _copy_net(net)
    if _needs_data_upgrade(work):
        work = _own(work, net)
        _upgrade_data_transformation(work, notes)
    if len(work.layers) > 0:
        work = _upgrade_v1_net(work, notes)  # a new message
        origins: list[Origin] = [("layers", i) for i in sources]
    else:
        origins = [("layer", i) for i in range(len(work.layer))]
    if len(work.input) > 0:
        work, added = _upgrade_input(work, net, notes, warnings)
        if added:
            origins.insert(0, ("input", 0))
    else:
        _note_orphan_input_shapes(work, notes)
    old_batch_norms = [i for i, layer in enumerate(work.layer)
                       if layer.type == "BatchNorm" and len(layer.param) == 3]
    if old_batch_norms:
        work = _own(work, net)
        _upgrade_batch_norm(work, old_batch_norms, notes)
    return Upgraded(work, origins, notes, warnings)


def _copy_net(net: Any) -> Any:
    work = caffe_pb2.NetParameter()
    work.CopyFrom(net)
    return work


def _own(work: Any, net: Any) -> Any:
    """`work`, or a copy of it when it is still the caller's `net` (see upgrade_net(read_only))."""
    return _copy_net(net) if work is net else work


def _refuse_mixed(net: Any) -> None:
    """`layer` and `layers` in one net: what Caffe does depends on the legacy format.

    V0 (a `layers` entry with a nested `layer`): UpgradeV0Net builds a new net from the name,
    `layers`, input, input_dim and force_backward alone, so the `layer` entries vanish without
    a word. dwsep refuses that rather than lose half the net silently. V1: UpgradeV1Net
    aborts ("Refusing to upgrade inconsistent NetParameter input").
    """
    mix = (f"the net mixes {len(net.layer)} 'layer' (current format) and {len(net.layers)} "
           f"'layers' (legacy {detect_format(net)}) entries")
    if detect_format(net) == "V0":
        why = "Caffe's V0 upgrade would silently drop the 'layer' ones"
    else:
        why = "Caffe refuses to upgrade such a net (\"inconsistent NetParameter\")"
    raise UpgradeError(f"{mix}; {why}: write all layers in one format", where=("layer", 0))


# ---------------------------------------------------------------------------------------
# Generic field helpers (the mappings below are tables, these do the assignments)


def _assign(msg: Message, name: str, value: Any) -> None:
    """Set one field whatever its kind: Caffe's set_x / add_x / mutable_x()->CopyFrom."""
    fd = msg.DESCRIPTOR.fields_by_name[name]
    if fd.type == FieldDescriptor.TYPE_MESSAGE:
        getattr(msg, name).CopyFrom(value)
    elif fd.is_repeated:
        getattr(msg, name).append(value)
    else:
        setattr(msg, name, value)


def _same_message_field(fd: FieldDescriptor, target: FieldDescriptor | None) -> bool:
    return (fd.message_type is not None and target is not None
            and target.message_type is fd.message_type)


def _set_fields(msg: Message) -> Iterable[str]:
    return (fd.name for fd, _ in msg.ListFields())


def _enum_by_name(value: int, source: Any, target: Any) -> int:
    """Translate between two enums that share value names (V0 PoolMethod -> PoolingParameter)."""
    return target.Value(source.Name(value))


# ---------------------------------------------------------------------------------------
# V0 -> V1 (UpgradeV0Net, UpgradeV0PaddingLayers, UpgradeV0LayerParameter)

# V0 lower-case type strings and the V1 enum value each became (UpgradeV0LayerType).
V0_TYPES: dict[str, str] = {
    "accuracy": "ACCURACY", "bnll": "BNLL", "concat": "CONCAT", "conv": "CONVOLUTION",
    "data": "DATA", "dropout": "DROPOUT", "euclidean_loss": "EUCLIDEAN_LOSS",
    "flatten": "FLATTEN", "hdf5_data": "HDF5_DATA", "hdf5_output": "HDF5_OUTPUT",
    "im2col": "IM2COL", "images": "IMAGE_DATA", "infogain_loss": "INFOGAIN_LOSS",
    "innerproduct": "INNER_PRODUCT", "lrn": "LRN",
    "multinomial_logistic_loss": "MULTINOMIAL_LOGISTIC_LOSS", "pool": "POOLING",
    "relu": "RELU", "sigmoid": "SIGMOID", "softmax": "SOFTMAX", "softmax_loss": "SOFTMAX_LOSS",
    "split": "SPLIT", "tanh": "TANH", "window_data": "WINDOW_DATA",
}

_CONV_IP = ("conv", "innerproduct")
_DATA_SOURCES = {
    "data": "data_param", "hdf5_data": "hdf5_data_param", "images": "image_data_param",
    "window_data": "window_data_param",
}


def _targets(types: Iterable[str], param: str | dict[str, str], target: str) -> dict:
    """{v0 type: (V1 *_param field, field inside it)} for one V0 field."""
    if isinstance(param, dict):
        return {t: (param[t], target) for t in types}
    return {t: (param, target) for t in types}


_CONV_OR_IP = {"conv": "convolution_param", "innerproduct": "inner_product_param"}
_CONV_OR_POOL = {"conv": "convolution_param", "pool": "pooling_param"}

# V0 field -> {V0 layer type it is valid for: (V1 param message, field in it)}.
# A field set on any other type is dropped by Caffe with an error in the log.
V0_FIELD_MAP: dict[str, dict[str, tuple[str, str]]] = {
    "num_output": _targets(_CONV_IP, _CONV_OR_IP, "num_output"),
    "biasterm": _targets(_CONV_IP, _CONV_OR_IP, "bias_term"),
    "weight_filler": _targets(_CONV_IP, _CONV_OR_IP, "weight_filler"),
    "bias_filler": _targets(_CONV_IP, _CONV_OR_IP, "bias_filler"),
    "pad": _targets(("conv", "pool"), _CONV_OR_POOL, "pad"),
    "kernelsize": _targets(("conv", "pool"), _CONV_OR_POOL, "kernel_size"),
    "group": {"conv": ("convolution_param", "group")},
    "stride": _targets(("conv", "pool"), _CONV_OR_POOL, "stride"),
    "pool": {"pool": ("pooling_param", "pool")},
    "dropout_ratio": {"dropout": ("dropout_param", "dropout_ratio")},
    "local_size": {"lrn": ("lrn_param", "local_size")},
    "alpha": {"lrn": ("lrn_param", "alpha")},
    "beta": {"lrn": ("lrn_param", "beta")},
    "k": {"lrn": ("lrn_param", "k")},
    "source": {**_targets(_DATA_SOURCES, _DATA_SOURCES, "source"),
               "infogain_loss": ("infogain_loss_param", "source")},
    "batchsize": _targets(_DATA_SOURCES, _DATA_SOURCES, "batch_size"),
    "rand_skip": _targets(("data", "images"), _DATA_SOURCES, "rand_skip"),
    "shuffle_images": {"images": ("image_data_param", "shuffle")},
    "new_height": {"images": ("image_data_param", "new_height")},
    "new_width": {"images": ("image_data_param", "new_width")},
    "concat_dim": {"concat": ("concat_param", "concat_dim")},
    "det_fg_threshold": {"window_data": ("window_data_param", "fg_threshold")},
    "det_bg_threshold": {"window_data": ("window_data_param", "bg_threshold")},
    "det_fg_fraction": {"window_data": ("window_data_param", "fg_fraction")},
    "det_context_pad": {"window_data": ("window_data_param", "context_pad")},
    "det_crop_mode": {"window_data": ("window_data_param", "crop_mode")},
}

# V0 fields Caffe moves into transform_param whatever the layer type.
V0_TRANSFORM_FIELDS = {"scale": "scale", "meanfile": "mean_file", "cropsize": "crop_size",
                       "mirror": "mirror"}
# V0 fields copied one to one into the V1 layer.
_V0_COPIED = ("blobs", "blobs_lr", "weight_decay")
_V0_NET_KEPT = {"name", "layers", "input", "input_dim", "force_backward"}
_V0_HANDLED = {"name", "type", "hdf5_output_param", *_V0_COPIED, *V0_FIELD_MAP,
               *V0_TRANSFORM_FIELDS}


def _upgrade_v0_net(net: Any, notes: list[str]) -> tuple[Any, list[int]]:
    """UpgradeV0Net: only name, input, input_dim and force_backward survive at net level."""
    layers, sources = _fold_padding_layers(net, notes)
    out = caffe_pb2.NetParameter()
    if net.HasField("name"):
        out.name = net.name
    for conn, source in zip(layers, sources, strict=True):
        _upgrade_v0_layer(conn, out.layers.add(), notes, source)
    out.input.extend(net.input)
    out.input_dim.extend(net.input_dim)
    if net.HasField("force_backward"):
        out.force_backward = net.force_backward
    dropped = [fd.name for fd, _ in net.ListFields() if fd.name not in _V0_NET_KEPT]
    if dropped:
        notes.append(f"dropped net-level {', '.join(dropped)}: Caffe's V0 upgrade keeps only "
                     "name, input, input_dim and force_backward")
    return out, sources


def _v0_name(conn: Any, index: int) -> str:
    return conn.layer.name if conn.layer.HasField("name") else f"#{index}"


def _fold_padding_layers(net: Any, notes: list[str]) -> tuple[list[Any], list[int]]:
    """UpgradeV0PaddingLayers: a "padding" layer becomes the `pad` of the conv/pool reading it.

    Blob producers are tracked by source index, like Caffe's blob_name_to_last_top_idx, so
    a bottom that nothing before it produces is an error here as it is there.
    """
    last_top: dict[str, int] = dict.fromkeys(net.input, -1)
    kept: list[Any] = []
    sources: list[int] = []
    used_pads: set[int] = set()
    for i, conn in enumerate(net.layers):
        if conn.layer.type != "padding":
            copy = caffe_pb2.V1LayerParameter()
            copy.CopyFrom(conn)
            kept.append(copy)
            sources.append(i)
        for j, blob in enumerate(conn.bottom):
            if blob not in last_top:
                raise UpgradeError(f"bottom '{blob}' is produced by no earlier layer or input "
                                   "(Caffe's V0 upgrade stops here)", where=("layers", i),
                                   layer=_v0_name(conn, i), layer_type=conn.layer.type)
            src = last_top[blob]
            if src >= 0 and net.layers[src].layer.type == "padding":
                _fold_one(net, src, conn, i, kept[-1], j, notes)
                used_pads.add(src)
        for blob in conn.top:
            last_top[blob] = i
    for i, conn in enumerate(net.layers):
        if conn.layer.type == "padding" and i not in used_pads:
            notes.append(f"dropped padding layer '{_v0_name(conn, i)}': no layer reads its output")
    return kept, sources


def _fold_one(net: Any, src: int, conn: Any, index: int, target: Any, j: int,
              notes: list[str]) -> None:
    pad_conn = net.layers[src]
    pad_name = _v0_name(pad_conn, src)
    name, kind = _v0_name(conn, index), conn.layer.type
    here: Where = ("layers", index)
    if kind not in ("conv", "pool"):
        raise UpgradeError(f"reads the output of padding layer '{pad_name}', but only conv and "
                           "pool layers can absorb a V0 padding layer", where=here, layer=name,
                           layer_type=kind)
    if len(conn.bottom) != 1:
        raise UpgradeError(f"reads padding layer '{pad_name}' and has {len(conn.bottom)} "
                           "bottoms; a padded layer must have exactly one", where=here,
                           layer=name, layer_type=kind)
    if len(pad_conn.bottom) != 1 or len(pad_conn.top) != 1:
        raise UpgradeError(f"has {len(pad_conn.bottom)} bottom(s) and {len(pad_conn.top)} "
                           "top(s); a V0 padding layer must have exactly one of each",
                           where=("layers", src), layer=pad_name, layer_type="padding")
    target.layer.pad = pad_conn.layer.pad
    target.bottom[j] = pad_conn.bottom[0]
    notes.append(f"folded padding layer '{pad_name}' into '{name}' (pad {pad_conn.layer.pad})")


def _upgrade_v0_layer(conn: Any, out: Any, notes: list[str], index: int) -> None:
    """UpgradeV0LayerParameter: the nested V0 message spread over V1's typed *_param fields."""
    out.bottom.extend(conn.bottom)
    out.top.extend(conn.top)
    if not conn.HasField("layer"):
        if any(fd.name not in ("bottom", "top") for fd, _ in conn.ListFields()):
            notes.append(f"'layers' entry '{conn.name}' has no nested V0 'layer' in a V0 net: "
                         "Caffe keeps only its bottoms and tops")
        return
    v0 = conn.layer
    kind = v0.type
    if v0.HasField("name"):
        out.name = v0.name
    if v0.HasField("type"):
        if kind not in V0_TYPES:
            raise UpgradeError(f"unknown V0 layer type '{kind}' (Caffe's V0 upgrade knows: "
                               f"{', '.join(sorted(V0_TYPES))})", where=("layers", index),
                               layer=v0.name or None)
        out.type = caffe_pb2.V1LayerParameter.LayerType.Value(V0_TYPES[kind])
    for name in _V0_COPIED:
        getattr(out, name).extend(getattr(v0, name))
    for name in _set_fields(v0):
        if name in V0_FIELD_MAP:
            _map_v0_field(v0, name, out, notes)
        elif name in V0_TRANSFORM_FIELDS:
            setattr(out.transform_param, V0_TRANSFORM_FIELDS[name], getattr(v0, name))
        elif name == "hdf5_output_param":
            _map_whole(v0, name, out, notes)
        elif name not in _V0_HANDLED:
            notes.append(f"V0 layer '{v0.name}' ({kind}): field '{name}' dropped (Caffe's V0 "
                         "upgrade has no place for it)")


def _map_v0_field(v0: Any, name: str, out: Any, notes: list[str]) -> None:
    where = V0_FIELD_MAP[name].get(v0.type)
    if where is None:
        _note_dropped(v0, name, notes)
        return
    param_name, target = where
    value = getattr(v0, name)
    param = getattr(out, param_name)
    if name == "pool":
        value = _enum_by_name(value, caffe_pb2.V0LayerParameter.PoolMethod,
                              caffe_pb2.PoolingParameter.PoolMethod)
    _assign(param, target, value)


def _map_whole(v0: Any, name: str, out: Any, notes: list[str]) -> None:
    if v0.type != "hdf5_output":
        _note_dropped(v0, name, notes)
        return
    getattr(out, name).CopyFrom(getattr(v0, name))


def _note_dropped(v0: Any, name: str, notes: list[str]) -> None:
    notes.append(f"V0 layer '{v0.name}' ({v0.type}): field '{name}' means nothing for this "
                 "type; dropped as Caffe does")


# ---------------------------------------------------------------------------------------
# Data transformation fields (NetNeedsDataUpgrade, UpgradeNetDataTransformation)

# V1 layer type -> the *_param that used to hold the transformation fields.
_DATA_LAYER_PARAMS = {"DATA": "data_param", "IMAGE_DATA": "image_data_param",
                      "WINDOW_DATA": "window_data_param"}
_TRANSFORM_FIELDS = ("scale", "mean_file", "crop_size", "mirror")


def _data_param_of(conn: Any) -> str | None:
    if not conn.HasField("type"):
        return None
    return _DATA_LAYER_PARAMS.get(caffe_pb2.V1LayerParameter.LayerType.Name(conn.type))


def _old_transform_fields(param: Message) -> list[str]:
    fields = param.DESCRIPTOR.fields_by_name
    return [f for f in _TRANSFORM_FIELDS if f in fields and param.HasField(f)]


def _needs_data_upgrade(net: Any) -> bool:
    for conn in net.layers:
        param_name = _data_param_of(conn)
        if param_name and _old_transform_fields(getattr(conn, param_name)):
            return True
    return False


def _upgrade_data_transformation(net: Any, notes: list[str]) -> None:
    """Move the fields; like Caffe's mutable_*() calls this leaves both messages present."""
    for conn in net.layers:
        param_name = _data_param_of(conn)
        if param_name is None:
            continue
        param = getattr(conn, param_name)
        param.SetInParent()
        conn.transform_param.SetInParent()
        moved = _old_transform_fields(param)
        for name in moved:
            setattr(conn.transform_param, name, getattr(param, name))
            param.ClearField(name)
        if moved:
            notes.append(f"layer '{conn.name}': moved {', '.join(moved)} from {param_name} "
                         "into transform_param")


# ---------------------------------------------------------------------------------------
# V1 -> V2 (UpgradeV1Net, UpgradeV1LayerParameter, UpgradeV1LayerType)

# V1 enum name -> V2 type string.
V1_TYPES: dict[str, str] = {
    "NONE": "", "ABSVAL": "AbsVal", "ACCURACY": "Accuracy", "ARGMAX": "ArgMax", "BNLL": "BNLL",
    "CONCAT": "Concat", "CONTRASTIVE_LOSS": "ContrastiveLoss", "CONVOLUTION": "Convolution",
    "DECONVOLUTION": "Deconvolution", "DATA": "Data", "DROPOUT": "Dropout",
    "DUMMY_DATA": "DummyData", "EUCLIDEAN_LOSS": "EuclideanLoss", "ELTWISE": "Eltwise",
    "EXP": "Exp", "FLATTEN": "Flatten", "HDF5_DATA": "HDF5Data", "HDF5_OUTPUT": "HDF5Output",
    "HINGE_LOSS": "HingeLoss", "IM2COL": "Im2col", "IMAGE_DATA": "ImageData",
    "INFOGAIN_LOSS": "InfogainLoss", "INNER_PRODUCT": "InnerProduct", "LRN": "LRN",
    "MEMORY_DATA": "MemoryData", "MULTINOMIAL_LOGISTIC_LOSS": "MultinomialLogisticLoss",
    "MVN": "MVN", "POOLING": "Pooling", "POWER": "Power", "RELU": "ReLU",
    "SIGMOID": "Sigmoid", "SIGMOID_CROSS_ENTROPY_LOSS": "SigmoidCrossEntropyLoss",
    "SILENCE": "Silence", "SOFTMAX": "Softmax", "SOFTMAX_LOSS": "SoftmaxWithLoss",
    "SPLIT": "Split", "SLICE": "Slice", "TANH": "TanH", "WINDOW_DATA": "WindowData",
    "THRESHOLD": "Threshold",
}

# V1 fields with their own translation below; every other set field is a *_param copied as is.
_V1_SPECIAL = {"bottom", "top", "name", "include", "exclude", "type", "blobs", "param",
               "blob_share_mode", "blobs_lr", "weight_decay", "loss_weight", "layer"}


def _upgrade_v1_net(net: Any, notes: list[str]) -> Any:
    """UpgradeV1Net: net-level fields stay, each `layers` entry becomes a `layer`."""
    out = caffe_pb2.NetParameter()
    out.CopyFrom(net)
    out.ClearField("layers")
    out.ClearField("layer")
    for i, conn in enumerate(net.layers):
        _upgrade_v1_layer(conn, i, out.layer.add(), notes)
    return out


def _upgrade_v1_layer(v1: Any, index: int, out: Any, notes: list[str]) -> None:
    out.bottom.extend(v1.bottom)
    out.top.extend(v1.top)
    if v1.HasField("name"):
        out.name = v1.name
    for rule in v1.include:
        out.include.add().CopyFrom(rule)
    for rule in v1.exclude:
        out.exclude.add().CopyFrom(rule)
    if v1.HasField("type"):
        out.type = _v1_type_name(v1, index)
    for blob in v1.blobs:
        out.blobs.add().CopyFrom(blob)
    _upgrade_param_specs(v1, out)
    out.loss_weight.extend(v1.loss_weight)
    _copy_type_params(v1, out, notes)
    if v1.HasField("layer"):
        notes.append(f"layer '{v1.name}': nested V0 'layer' ignored, as Caffe does")


def _v1_type_name(v1: Any, index: int) -> str:
    enum_name = caffe_pb2.V1LayerParameter.LayerType.Name(v1.type)
    if enum_name not in V1_TYPES:
        raise UpgradeError(f"V1 layer type {enum_name} has no current-format name in Caffe",
                           where=("layers", index), layer=v1.name or f"#{index}")
    return V1_TYPES[enum_name]


def _param_spec(out: Any, i: int) -> Any:
    """Caffe's `while (param_size() <= i) add_param()`: specs are created up to index i."""
    while len(out.param) <= i:
        out.param.add()
    return out.param[i]


def _upgrade_param_specs(v1: Any, out: Any) -> None:
    """Per-blob lists of V1 (param names, share modes, blobs_lr, weight_decay) -> ParamSpec."""
    for i, name in enumerate(v1.param):
        _param_spec(out, i).name = name
    for i, mode in enumerate(v1.blob_share_mode):
        _param_spec(out, i).share_mode = _enum_by_name(
            mode, caffe_pb2.V1LayerParameter.DimCheckMode, caffe_pb2.ParamSpec.DimCheckMode)
    for i, lr in enumerate(v1.blobs_lr):
        _param_spec(out, i).lr_mult = lr
    for i, decay in enumerate(v1.weight_decay):
        _param_spec(out, i).decay_mult = decay


def _copy_type_params(v1: Any, out: Any, notes: list[str]) -> None:
    """Every *_param (and transform_param) V1 holds has the same name and type in V2."""
    target_fields = out.DESCRIPTOR.fields_by_name
    for fd, value in v1.ListFields():
        if fd.name in _V1_SPECIAL:
            continue
        target = target_fields.get(fd.name)
        if not _same_message_field(fd, target):
            notes.append(f"layer '{v1.name}': V1 field '{fd.name}' has no current-format "
                         "equivalent; dropped")
            continue
        getattr(out, fd.name).CopyFrom(value)


# ---------------------------------------------------------------------------------------
# Legacy input fields (NetNeedsInputUpgrade, UpgradeNetInput)


def _upgrade_input(work: Any, net: Any, notes: list[str],
                   warnings: list[tuple[str, Where]]) -> tuple[Any, bool]:
    """Turn `input` + `input_shape`/`input_dim` into a first layer "input".

    Returns the net to go on with (never the caller's `net`) and whether the layer was added.
    Without any shape Caffe just strips the names (a caffemodel from before shapes were
    saved); layers reading those blobs then have no producer, which the analysis reports.
    """
    names = list(work.input)
    shapes = _input_shapes(work, names, warnings)
    if shapes is not None:
        layer = caffe_pb2.LayerParameter(name="input", type="Input")
        layer.top.extend(names)
        for shape in shapes:
            layer.input_param.shape.add().dim.extend(shape)
        how = "input_shape" if len(work.input_shape) > 0 else "input_dim"
        # The new layer goes first: merging the serialized net into a net that holds only it
        # appends the net's layers after it, in one pass in C. Copying every layer through
        # Python instead costs a ResNet-152 deploy net (net-level input_dim) a tenth of its
        # whole analysis. (Partial: a missing required field is the caller's to report.)
        first = caffe_pb2.NetParameter()
        first.layer.append(layer)
        first.MergeFromString(work.SerializePartialToString())
        work = first
        notes.append(f"net-level input/{how} turned into Input layer 'input' with top(s) "
                     + ", ".join(f"'{n}'" for n in names))
    else:
        work = _own(work, net)
        notes.append("input blob(s) " + ", ".join(f"'{n}'" for n in names) + " have no "
                     "input_shape/input_dim: dropped as Caffe does, nothing produces them")
    work.ClearField("input")
    work.ClearField("input_shape")
    work.ClearField("input_dim")
    return work, shapes is not None


def _input_shapes(net: Any, names: list[str],
                  warnings: list[tuple[str, Where]]) -> list[list[int]] | None:
    """UpgradeNetInput: input i gets input_shape(i), else input_dim(4i) .. input_dim(4i+3).

    Caffe indexes without a bounds check, so values beyond what the inputs need are ignored
    (a warning here) and too few make it read past the end (undefined: refused here).
    """
    count = len(names)
    if len(net.input_shape) > 0:
        if len(net.input_dim) > 0:
            warnings.append(("both input_shape and input_dim given: Caffe uses input_shape and "
                             "ignores input_dim", ("input_dim", 0)))
        given = len(net.input_shape)
        if given < count:
            raise UpgradeError(f"{count} input(s) but {given} input_shape entries: Caffe needs "
                               "one input_shape per input", where=("input", given))
        if given > count:
            warnings.append((f"{given} input_shape entries for {count} input(s): Caffe uses the "
                             f"first {count} and ignores the rest", ("input_shape", count)))
        return [list(shape.dim) for shape in net.input_shape[:count]]
    if len(net.input_dim) > 0:
        dims = list(net.input_dim)
        if len(dims) < 4 * count:
            raise UpgradeError(f"{count} input(s) need {4 * count} input_dim values (N, C, H, W "
                               f"each), found {len(dims)}", where=("input_dim", 0))
        if len(dims) > 4 * count:
            extra = ", ".join(map(str, dims[4 * count:]))
            warnings.append((f"{len(dims)} input_dim values for {count} input(s): Caffe takes 4 "
                             f"per input and ignores the rest ({extra})", ("input_dim", 4 * count)))
        return [dims[4 * i: 4 * i + 4] for i in range(count)]
    return None


def _note_orphan_input_shapes(net: Any, notes: list[str]) -> None:
    if len(net.input_shape) > 0 or len(net.input_dim) > 0:
        notes.append("input_shape/input_dim given without any 'input' name: Caffe ignores them")


# ---------------------------------------------------------------------------------------
# BatchNorm (NetNeedsBatchNormUpgrade, UpgradeNetBatchNorm as of BVLC PR #5184)


def _upgrade_batch_norm(net: Any, indices: list[int], notes: list[str]) -> None:
    """Old BatchNorm definitions listed three param specs; Caffe zeroes their lr/decay.

    The statistics are computed, never learned, so a non-zero multiplier would let the
    solver corrupt them. Names (for sharing) are kept, as in Caffe since PR #5184.
    `indices`: the BatchNorm layers with three param specs.
    """
    for i in indices:
        layer = net.layer[i]
        changed = any(spec.lr_mult != 0 or spec.decay_mult != 0 for spec in layer.param)
        for spec in layer.param:
            spec.lr_mult = 0.0
            spec.decay_mult = 0.0
        if changed:
            notes.append(f"BatchNorm layer '{layer.name}': lr_mult/decay_mult of its 3 param "
                         "specs set to 0 (Caffe computes these statistics, never learns them)")
