"""Checking a net against a target profile: the generic interpreter of the profiles' data.

Works on protobuf messages only (no positions, no lint types), so `lint` (the T rules, which
add line:col from the field path) and `analyze --target` (a verdict section) share one
reading of every profile. A field the net does not write is judged by its schema default,
as the converter would read it; a repeated field by the values written (none: nothing to
judge); a path into a repeated message that is not there (`input_param.shape.dim[0]` of an
Input layer without a shape) is not judged at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from prototxt_tool.targets import Profile, Test, _show

# Fork fields our schema knows (docs/schema.md, part 2 of proto/caffe.proto): the field path
# in a layer, the fork that defines it, and the fork layer types that read it. A target whose
# profile supports one of those types parses the field; any other target's caffe.proto lacks
# it unless the profile lists it under [format] fork_fields. Protobuf's text parser rejects
# an unknown field, so the whole conversion fails at that line.
SSD = "weiliu89/caffe ssd"
SSD_DATA = ("AnnotatedData", "VideoData")
FORK_FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "annotated_data_param": (SSD, ("AnnotatedData",)),
    "multibox_loss_param": (SSD, ("MultiBoxLoss",)),
    "permute_param": (SSD, ("Permute",)),
    "prior_box_param": (SSD, ("PriorBox",)),
    "detection_output_param": (SSD, ("DetectionOutput",)),
    "detection_evaluate_param": (SSD, ("DetectionEvaluate",)),
    "norm_param": (SSD, ("Normalize",)),
    "video_data_param": (SSD, ("VideoData",)),
    "transform_param.resize_param": (SSD, SSD_DATA),
    "transform_param.noise_param": (SSD, SSD_DATA),
    "transform_param.emit_constraint": (SSD, SSD_DATA),
    "transform_param.crop_h": (SSD, SSD_DATA),
    "transform_param.crop_w": (SSD, SSD_DATA),
    "transform_param.distort_param": (SSD, SSD_DATA),
    "transform_param.expand_param": (SSD, SSD_DATA),
    "roi_pooling_param": ("rbgirshick/caffe-fast-rcnn", ("ROIPooling",)),
    "smooth_l1_loss_param": ("rbgirshick/caffe-fast-rcnn", ("SmoothL1Loss",)),
    "psroi_pooling_param": ("daijifeng001/caffe-rfcn", ("PSROIPooling",)),
    "region_param": ("quhezheng/caffe_yolo_v2", ("Region",)),
    "pooling_nd_param": ("3D-Caffe (DlutMedimgGroup/MouseCTSegmentation)", ("PoolingND",)),
    "prior_box_param.fixed_size": ("zihaozhang9/FaceBoxes", ()),
    "prior_box_param.fixed_ratio": ("zihaozhang9/FaceBoxes", ()),
    "prior_box_param.density": ("zihaozhang9/FaceBoxes", ()),
    "prior_box_param.denser_prior_boxes": ("MhLiao/TextBoxes_plusplus", ()),
    "detection_output_param.use_polygon": ("MhLiao/TextBoxes_plusplus", ()),
    "bn_param": ("hszhao/PSPNet, alexgkendall/caffe-segnet", ("BN",)),
    "interp_param": ("hszhao/PSPNet", ("Interp",)),
    "upsample_param": ("alexgkendall/caffe-segnet", ("Upsample",)),
    "shuffle_channel_param": ("farmingyard/ShuffleNet", ("ShuffleChannel",)),
    "flip_param": ("happynear/caffe-windows", ("Flip",)),
    "inner_distance_param": ("happynear/caffe-windows", ("InnerDistance",)),
    # The converters that take a Normalize read SSD's norm_param, not happynear's field.
    "normalize_param": ("happynear/caffe-windows", ()),
    "channel_scale_param": ("happynear/caffe-windows", ("ChannelScale",)),
    "inner_product_param.normalize": ("happynear/caffe-windows", ()),
    "softmax_param.normalize_type": ("happynear/caffe-windows", ()),
    "pooling_param.ceil_mode": ("Caffe PR #3057-style forks", ()),
    "denseblock_param": ("senlinuc/caffe_ocr, Tongcheng/caffe", ("DenseBlock",)),
    "continuation_indicator_param": ("yalecyu/crnn.caffe", ("ContinuationIndicator",)),
    "output_decay_param": ("yi94code/HRSOD", ("OutputDecay",)),
    "ctc_loss_param": ("senlinuc/caffe_ocr, yalecyu/crnn.caffe", ("WarpCTCLoss", "CtcLoss")),
    "labelsequence_accuracy_param": ("yalecyu/crnn.caffe", ("LabelsequenceAccuracy",)),
    "smooth_pooling_param": ("yi94code/HRSOD", ("SmoothPooling",)),
    "margin_inner_product_param": ("wy1iu/sphereface", ("MarginInnerProduct",)),
    "center_loss_param": ("ydwen/caffe-face", ("CenterLoss",)),
    "dense_image_data_param": ("alexgkendall/caffe-segnet", ("DenseImageData",)),
    "correlation_param": ("lmb-freiburg/flownet2", ("Correlation", "Correlation1D")),
    "l1_loss_param": ("lmb-freiburg/flownet2", ("L1Loss",)),
    "resample_param": ("lmb-freiburg/flownet2", ("Resample",)),
    "flow_warp_param": ("lmb-freiburg/flownet2", ("FlowWarp",)),
    "roi_align_param": ("Petite72/caffe-mask-rcnn, chuanqi305/caffe-fast-rcnn", ("ROIAlign",)),
}

# Where a derived value is written in the layer, for positions: the first one present.
DERIVED_FIELDS = {
    "conv.kernel": ("convolution_param.kernel_size", "convolution_param.kernel_h",
                    "convolution_param.kernel_w"),
    "conv.stride": ("convolution_param.stride", "convolution_param.stride_h",
                    "convolution_param.stride_w"),
    "conv.pad": ("convolution_param.pad", "convolution_param.pad_h", "convolution_param.pad_w"),
    "conv.dilation": ("convolution_param.dilation",),
}

CODES = {"type": "T001", "value": "T002", "format": "T003", "fork": "T004", "note": "T005"}
_MISSING = object()


@dataclass(frozen=True, slots=True)
class Violation:
    """One thing a target will not take (or, code T005, will rewrite).

    `layer` indexes the layers given to check_net (None: the file as a whole); `field` is
    the dotted path that locates it in the layer ("type", "permute_param.order[1]", ...).
    """

    code: str
    target: str
    message: str
    layer: int | None = None
    field: str | None = None
    detail: str = ""  # the message without the layer, target and document: for summaries
    layer_type: str = ""

    @property
    def blocking(self) -> bool:
        return self.code != "T005"

    def fields(self) -> tuple[str, ...]:
        """Field paths to try, most specific first, when placing this in the file."""
        if self.field is None:
            return ()
        return DERIVED_FIELDS.get(self.field, (self.field,))


def check_net(profile: Profile, net_format: str, layers: Sequence[Any],
              from_fields: Sequence[bool]) -> list[Violation]:
    """Every violation of `profile` by a net of `net_format` ("V0"/"V1"/"V2") whose upgraded
    layers are `layers`; `from_fields[i]` is true for the Input layer Caffe makes from legacy
    top-level input fields (its declaration style, not a layer the author wrote)."""
    out: list[Violation] = []
    if net_format not in profile.accepts:
        why = profile.format_reason or "it reads " + _any(profile.accepts)
        out.append(_v(profile, "format", f"{net_format} net format not supported by "
                      f"{profile.name} ({why}); see {profile.doc}"))
    for i, (layer, legacy) in enumerate(zip(layers, from_fields, strict=True)):
        out.extend(_layer(profile, i, layer, legacy))
    return out


def _layer(profile: Profile, i: int, layer: Any, legacy: bool) -> list[Violation]:
    return [replace(v, layer_type=str(layer.type)) for v in _judge(profile, i, layer, legacy)]


def _judge(profile: Profile, i: int, layer: Any, legacy: bool) -> list[Violation]:
    who = f"layer '{layer.name}' ({layer.type})"
    if layer.type == "Input":
        style = "fields" if legacy else "layer"
        if style not in profile.inputs:
            said = "top-level input fields" if legacy else "an Input layer"
            want = "an Input layer" if legacy else "top-level input/input_shape fields"
            return [_v(profile, "format", f"{who}: input declared with {said} not supported "
                       f"by {profile.name} (declare it with {want}); see {profile.doc}",
                       i, "input" if legacy else "type")]
    elif not profile.supports(layer.type):
        return [_v(profile, "type", f"{who}: not supported by {profile.name} "
                   f"({profile.why_not(layer.type)}); see {profile.doc}", i, "type")]
    out = []
    for c in profile.constraints:
        if _applies(c.types, c.when, layer):
            bad = _failure(c.test, layer)
            if bad is not None:
                path, value = bad
                reason = f"; {c.reason}" if c.reason else ""
                label = _label(c.test.field)
                out.append(_v(profile, "value", f"{who}: {label} = {_show(value)} not "
                              f"supported by {profile.name} ({c.test.describe()}{reason}); "
                              f"see {profile.doc}", i, path))
    for path, (fork, owners) in FORK_FIELDS.items():
        if (path not in profile.fork_fields and not any(profile.supports(t) for t in owners)
                and _written(layer, path)):
            out.append(_v(profile, "fork", f"{who}: fork field {path} ({fork}) is not in "
                          f"{profile.name}'s caffe.proto; see {profile.doc}", i, path))
    for note in profile.notes:
        if _applies(note.types, note.when, layer):
            out.append(_v(profile, "note", f"{who}: {profile.name} converts it: {note.text}",
                          i, "type"))
    return out


def skipped_field(profile: Profile, i: int, layer: Any, path: str) -> Violation | None:
    """T004 for a field dwsep's own schema lacks (tolerant reading skipped it; P002 reports
    it too), at `path` inside layer i. A `*_param` directly in a layer whose type the target
    converts is taken to be in its proto (it reads that type's parameters); a field nested in
    a parameter message is a fork addition the target's BVLC-based proto lacks unless the
    profile lists it. A layer the target does not take at all is T001's."""
    if not profile.supports(layer.type) or path in profile.fork_fields:
        return None
    if "." not in path:
        return None
    v = _v(profile, "fork", f"layer '{layer.name}' ({layer.type}): fork field {path} (not in "
           f"dwsep's schema either) is not in {profile.name}'s caffe.proto; see {profile.doc}",
           i, None)
    return replace(v, layer_type=str(layer.type))


def _v(profile: Profile, kind: str, message: str, layer: int | None = None,
       path: str | None = None, layer_type: str = "") -> Violation:
    detail = message.split("): ", 1)[1] if layer is not None else message
    detail = detail.split("; see ")[0].replace(f" by {profile.name}", "")
    return Violation(CODES[kind], profile.name, message, layer, path, detail, layer_type)


def _label(path: str) -> str:
    """A derived value by what it means (conv.kernel -> kernel), a field by its path."""
    return path.removeprefix("conv.") if path.startswith("conv.") else path


def _any(items: Sequence[str]) -> str:
    return "/".join(items) + " only" if items else "no format"


def _applies(types: Sequence[str], when: Sequence[Test], layer: Any) -> bool:
    if "*" not in types and layer.type not in types:
        return False
    return all(_failure(t, layer) is None and _value(layer, t.field) is not _MISSING
               for t in when)


def _failure(test: Test, layer: Any) -> tuple[str, Any] | None:
    """(path of the offending value, the value) when `test` fails on `layer`, else None."""
    if test.absent:
        return (test.field, "set") if _written(layer, test.field) else None
    value = _value(layer, test.field)
    if value is _MISSING:
        return None
    if test.max_count is not None:
        ok = not isinstance(value, list) or len(value) <= test.max_count
        return None if ok else (f"{test.field}[{test.max_count}]", value)
    if isinstance(value, list) and not (test.allowed and isinstance(test.allowed[0], list)):
        for k, item in enumerate(value):
            if not _ok(test, item):
                derived = test.field.startswith("conv.")
                return (test.field if derived else f"{test.field}[{k}]", item)
        return None
    return None if _ok(test, value) else (test.field, value)


def _ok(test: Test, value: Any) -> bool:
    if test.allowed is not None:
        return value in [list(a) if isinstance(a, list | tuple) else a for a in test.allowed]
    if test.min is not None and value < test.min:
        return False
    return not (test.max is not None and value > test.max)


def _value(layer: Any, path: str) -> Any:
    """The effective value at `path` (list for a repeated scalar), or _MISSING."""
    if path.startswith("conv."):
        return _conv(layer, path.removeprefix("conv."))
    node = layer
    parts = path.split(".")
    for part in parts[:-1]:
        node = _child(node, part)
        if node is _MISSING:
            return _MISSING
    name, index = _split(parts[-1])
    fd = node.DESCRIPTOR.fields_by_name.get(name)
    if fd is None:
        return _MISSING
    raw = getattr(node, name)
    if _repeated(fd):
        items = [_scalar(fd, v) for v in raw]
        if index is None:
            return items
        return items[index] if index < len(items) else _MISSING
    return _scalar(fd, raw)


def _child(node: Any, part: str) -> Any:
    name, index = _split(part)
    fd = node.DESCRIPTOR.fields_by_name.get(name)
    if fd is None:
        return _MISSING
    value = getattr(node, name)
    if _repeated(fd):
        i = index or 0
        return value[i] if i < len(value) else _MISSING
    return value


def _written(layer: Any, path: str) -> bool:
    node = layer
    parts = path.split(".")
    for part in parts[:-1]:
        name, _ = _split(part)
        fd = node.DESCRIPTOR.fields_by_name.get(name)
        if fd is None or (not _repeated(fd) and not node.HasField(name)):
            return False
        node = _child(node, part)
        if node is _MISSING:
            return False
    name, _ = _split(parts[-1])
    fd = node.DESCRIPTOR.fields_by_name.get(name)
    if fd is None:
        return False
    return len(getattr(node, name)) > 0 if _repeated(fd) else node.HasField(name)


def _conv(layer: Any, what: str) -> Any:
    from prototxt_tool.errors import ShapeError
    from prototxt_tool.shapes.conv import conv_geometry

    try:
        geo = conv_geometry(layer.convolution_param, 2)
    except ShapeError:
        return _MISSING  # S001 reports fields Caffe itself rejects
    return list(getattr(geo, what))


def _scalar(fd: Any, value: Any) -> Any:
    if fd.enum_type is not None:
        found = fd.enum_type.values_by_number.get(value)
        return found.name if found is not None else value
    return value


def _repeated(fd: Any) -> bool:
    return bool(fd.is_repeated)


def _split(part: str) -> tuple[str, int | None]:
    if part.endswith("]") and "[" in part:
        name, _, idx = part[:-1].partition("[")
        return name, int(idx)
    return part, None


def check_source(profile: Profile, source: Any) -> list[Violation]:
    """check_net on a pipeline.Source as written: every layer of every phase, upgraded."""
    from prototxt_tool.pipeline import parse_net, upgrade_parsed

    raw, tree = parse_net(source)
    parsed = upgrade_parsed(source, raw, tree)
    up = parsed.upgraded
    return check_net(profile, parsed.format, list(up.net.layer),
                     [origin[0] == "input" for origin in up.origins])
