"""Which Caffe fork defines a field that BVLC Caffe (and dwsep's schema) does not have.

Tolerant reading skips a field the schema does not know, as protobuf's `allow_unknown_field`
does; this table only says, in the warning and in lint, where such a field comes from, and
whether skipping it can change a figure dwsep reports. Each fork is cited by repository and
the path of its `caffe.proto`. Fields that a shape rule needs are in `proto/caffe.proto`
itself (docs/schema.md lists them) and never reach this table's lookup.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Fork:
    key: str  # what `--fork` and messages call it
    repo: str
    proto: str  # path of the fork's caffe.proto in repo

    def cite(self) -> str:
        return f"{self.repo}, {self.proto}"


_P = "src/caffe/proto/caffe.proto"
FORKS: dict[str, Fork] = {f.key: f for f in (
    Fork("nvidia", "NVIDIA/caffe", _P),
    Fork("intel", "intel/caffe", _P),
    Fork("fast-rcnn", "rbgirshick/caffe-fast-rcnn", _P),
    Fork("happynear", "happynear/caffe-windows", _P),
    Fork("mobilenet-yolo", "eric612/MobileNet-YOLO", _P),
    Fork("ctpn", "tianzhi0549/CTPN", "caffe/src/caffe/proto/caffe.proto"),
    Fork("caffe-ocr", "senlinuc/caffe_ocr", _P),
    Fork("sphereface", "wy1iu/sphereface", "tools/caffe-sphereface/src/caffe/proto/caffe.proto"),
    Fork("caffe-face", "ydwen/caffe-face", _P),
    Fork("faceboxes", "sfzhang15/FaceBoxes", _P),
    Fork("textboxes", "MhLiao/TextBoxes", _P),
    Fork("textboxes++", "MhLiao/TextBoxes_plusplus", _P),
    # Layer sources dropped into a BVLC Caffe: BVLC's caffe.proto, its own Pooling and Upsample.
    Fork("caffe-yolov3", "ChenYingpeng/caffe-yolov3", "caffe_layers/"),
    Fork("r-fcn", "daijifeng001/caffe-rfcn", _P),
    Fork("segnet", "alexgkendall/caffe-segnet", _P),
    Fork("crnn", "yalecyu/crnn.caffe", _P),
    Fork("openpose-train", "CMU-Perceptual-Computing-Lab/caffe_train", _P),
    Fork("cascade-rcnn", "zhaoweicai/cascade-rcnn", _P),
    # jolibrain's DiceCoefLoss (a pull request to BVLC/caffe, in fantes/caffe).
    Fork("jolibrain", "fantes/caffe", _P),
    # Forks that give a type name another fork also uses its own meaning (SHARED_TYPES).
    Fork("ssd", "weiliu89/caffe", _P),  # branch ssd
    Fork("pspnet", "hszhao/PSPNet", _P),
)}

# Layer types that forks define differently (other shapes or blobs), with the forks in the
# order messages list them. A rule tells them apart by what the layer writes (a field only
# one fork's caffe.proto has, a top count only one accepts); `--fork NAME` decides where
# nothing does. Normalize has no default (weiliu89's scaled L2 norm and happynear's plain
# norm are equally common); BN without a telltale stays SegNet's unless --fork pspnet;
# PriorBox, DetectionOutput and Pooling are SSD's / BVLC's unless only another fork's loads the net
# (analysis._fit_fork).
SHARED_TYPES: dict[str, tuple[str, ...]] = {
    "Normalize": ("ssd", "happynear"),
    "BN": ("segnet", "pspnet"),
    "PriorBox": ("ssd", "textboxes", "faceboxes"),  # shapes/detection.py, prior_box_count
    # TextBoxes++'s polygon locations (shapes/detection.py, _loc_values)
    "DetectionOutput": ("ssd", "textboxes++"),
    "Pooling": ("caffe-yolov3",),  # BVLC's unless told, or only the net fits (pooling.py)
}


def fork_choices() -> list[str]:
    """The names `--fork` accepts: the forks that decide a shared type."""
    return sorted({key for keys in SHARED_TYPES.values() for key in keys})


def fork_help() -> str:
    """'happynear (Normalize), pspnet (BN), ...' for --help and messages."""
    return ", ".join(f"{key} ({', '.join(t for t, keys in SHARED_TYPES.items() if key in keys)})"
                     for key in fork_choices())


@dataclass(frozen=True, slots=True)
class ForkField:
    fork: str  # key of FORKS
    # True when the fork's source shows the field cannot change shapes, params, MACs or ops
    # (data loading, solver or engine choices): skipping it leaves the layer's figures exact.
    neutral: bool = False


# (message full name, field name) -> where the field is defined.
FIELDS: dict[tuple[str, str], ForkField] = {
    # NVIDIA/caffe: DataParameter.shuffle / cache choose how records are read (data_reader.cpp);
    # the DetectNet data and ground-truth parameters shape only training data layers.
    ("caffe.DataParameter", "shuffle"): ForkField("nvidia", neutral=True),
    ("caffe.DataParameter", "cache"): ForkField("nvidia", neutral=True),
    ("caffe.LayerParameter", "detectnet_groundtruth_param"): ForkField("nvidia"),
    ("caffe.LayerParameter", "detectnet_augmentation_param"): ForkField("nvidia"),
    # intel/caffe: the compute engine (MKL, MKLDNN, CAFFE) of the whole net.
    ("caffe.NetParameter", "engine"): ForkField("intel", neutral=True),
    # happynear/caffe-windows (AMSoftmax, NormFace).
    # Only flips the sort of Accuracy's top-k (accuracy_layer.cpp): the same work.
    ("caffe.AccuracyParameter", "min_is_better"): ForkField("happynear", neutral=True),
    ("caffe.LayerParameter", "label_specific_add_param"): ForkField("happynear"),
    # caffe-segnet's loss extras (its dense_image_data_param is in the schema).
    ("caffe.LossParameter", "weight_by_label_freqs"): ForkField("segnet"),
    ("caffe.LossParameter", "class_weighting"): ForkField("segnet"),
    # Cascade R-CNN's ROIAlign reads roi_pooling_param with this extra field (roi_align.py).
    ("caffe.ROIPoolingParameter", "pad_ratio"): ForkField("cascade-rcnn"),
    # jolibrain's DiceCoefLoss (one-hot classes, weights, contours; shapes/flow.py).
    ("caffe.LayerParameter", "dice_coef_loss_param"): ForkField("jolibrain"),
    # OpenPose training Caffe: its CPMData layer's transformation.
    ("caffe.LayerParameter", "cpm_transform_param"): ForkField("openpose-train"),
}


def lookup(message: str, name: str) -> ForkField | None:
    return FIELDS.get((message, name))


def describe(message: str, name: str) -> str:
    """'defined by NVIDIA/caffe' or 'in no fork dwsep knows' (for warnings and lint)."""
    known = FIELDS.get((message, name))
    if known is None:
        return "in no Caffe fork dwsep knows"
    return f"defined by {FORKS[known.fork].repo}"
