"""Input layers: Input, DummyData, and the database/file readers (Data, ImageData, ...).

Input and DummyData declare their shapes. The readers learn theirs from the data they open
(an LMDB record, the first image, an HDF5 file), which dwsep never opens: a prototxt is
untrusted and the data is usually not there. So a reader's top is built from what the layer
itself says (batch_size, crop_size, new_height/new_width, is_color, ...) and the rest must
come from the command line (`--input-shape data=N,C,H,W`, where -1 or `_` stands for the
layer's own value). If something is still missing the rule says exactly what, instead of
guessing a typical ImageNet shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from prototxt_tool.errors import InputShapeNeeded, ShapeError
from prototxt_tool.shapes import LayerContext, LayerCost, Shape, register
from prototxt_tool.shapes._util import blob_counts, fmt

NCHW = ("batch_size", "channels", "height", "width")


@dataclass(frozen=True, slots=True)
class Known:
    """What a layer says about one top: a value or None per axis, and how to describe it.

    `facts` are the layer fields the known values come from ("crop_size 227"), used in the
    message when something is missing.
    """

    dims: tuple[int | None, ...]
    names: tuple[str, ...]
    facts: tuple[str, ...] = ()


def _apply(name: str, known: Known | None, override: Shape) -> Shape:
    """An --input-shape override, its -1 entries taken from the layer's own values."""
    if any(d == 0 or d < -1 for d in override):
        raise ShapeError(f"--input-shape for '{name}' has a dimension that is neither positive "
                         f"nor -1: {list(override)}")
    if -1 not in override:
        return tuple(override)
    if known is None or len(known.dims) != len(override):
        have = "no shape of its own" if known is None else f"{len(known.dims)} axes"
        raise ShapeError(f"--input-shape for '{name}' uses -1 (the layer's own value) but the "
                         f"top has {have}; give all {len(override)} dimensions")
    out = []
    for i, d in enumerate(override):
        own = known.dims[i]
        if d == -1 and own is None:
            raise ShapeError(f"--input-shape for '{name}': the layer does not give its "
                             f"{known.names[i]}, so dimension {i} cannot be -1")
        out.append(own if d == -1 else d)
    return tuple(int(d) for d in out)  # type: ignore[arg-type]


def _missing(name: str, known: Known) -> InputShapeNeeded:
    """The message for a top the layer cannot shape by itself: what is known and what not."""
    missing = [n for n, d in zip(known.names, known.dims, strict=True) if d is None]
    letters = {"batch_size": "N", "channels": "C", "height": "H", "width": "W"}
    hint = [str(d) if d is not None else letters.get(n, "D") for n, d in
            zip(known.names, known.dims, strict=True)]
    facts = " and ".join(known.facts)
    said = f"{facts} known, " if facts else ""
    text = (f"top '{name}' shape unknown: {said}{', '.join(missing)} not; pass "
            f"--input-shape {name}={','.join(hint)}")
    if known.dims and known.dims[0] is not None:
        text += f" (or _,{','.join(hint[1:])})"
    return InputShapeNeeded(text)


def resolve(ctx: LayerContext, index: int, known: Known | None) -> Shape:
    """Top `index`'s shape: the override if given (with -1 filled in), else the layer's own."""
    name = ctx.layer.top[index]
    override = ctx.overrides.get(name)
    if override is not None:
        return _apply(name, known, override)
    if known is None:
        raise InputShapeNeeded(f"top '{name}' shape unknown: the layer reads it from its data "
                         f"file; pass --input-shape {name}=N,C,H,W (-1 or _ for batch_size)")
    if any(d is None for d in known.dims):
        raise _missing(name, known)
    return tuple(d for d in known.dims if d is not None)


def _declared(ctx: LayerContext, shapes: Sequence[Shape], what: str) -> list[Shape | None]:
    """Tops of Input/DummyData: one declared shape for all tops or one per top, overridable."""
    tops = len(ctx.layer.top)
    out: list[Shape | None] = []
    for i in range(tops):
        own = shapes[0 if len(shapes) == 1 else i] if shapes else None
        known = None if own is None else Known(tuple(own), tuple(f"dim {j}" for j in
                                                                  range(len(own))))
        if own is None and ctx.layer.top[i] not in ctx.overrides:
            raise ShapeError(f"top '{ctx.layer.top[i]}' has no {what}; pass --input-shape "
                             f"{ctx.layer.top[i]}=N,C,H,W")
        out.append(resolve(ctx, i, known))
    return out


@register("Input")
def input_layer(ctx: LayerContext) -> LayerCost:
    """BVLC InputLayer: input_param.shape given once for all tops, once per top, or not at all
    (then the shape must come from --input-shape, as in Caffe where the caller reshapes)."""
    blob_counts(ctx, (0, 0), (1, None))
    shapes = [tuple(int(d) for d in s.dim) for s in ctx.layer.input_param.shape]
    if len(shapes) not in (0, 1, len(ctx.layer.top)):
        raise ShapeError(f"Input gives {len(shapes)} shapes for {len(ctx.layer.top)} tops; "
                         f"give one, one per top, or none")
    return LayerCost(tops=_declared(ctx, shapes, "declared shape"), kind="input")


def _dummy_shapes(ctx: LayerContext) -> list[Shape]:
    """DummyData's shapes from `shape` or the legacy num/channels/height/width lists."""
    param = ctx.layer.dummy_data_param
    tops = len(ctx.layer.top)
    legacy = [list(param.num), list(param.channels), list(param.height), list(param.width)]
    if any(legacy):
        if param.shape:
            raise ShapeError("DummyData gives both shape and num/channels/height/width")
        for field, values in zip(("num", "channels", "height", "width"), legacy, strict=True):
            if len(values) not in (1, tops):
                raise ShapeError(f"DummyData must give '{field}' once or once per top "
                                 f"({tops}); gives it {len(values)} times")
        return [tuple(v[0 if len(v) == 1 else i] for v in legacy) for i in range(tops)]
    if len(param.shape) not in (1, tops):
        raise ShapeError(f"DummyData must give 'shape' once or once per top ({tops}); gives "
                         f"it {len(param.shape)} times")
    return [tuple(int(d) for d in s.dim) for s in param.shape]


@register("DummyData")
def dummy_data(ctx: LayerContext) -> LayerCost:
    """BVLC DummyDataLayer: shapes as declared (overridable); fillers are not run."""
    blob_counts(ctx, (0, 0), (1, None))
    fillers = len(ctx.layer.dummy_data_param.data_filler)
    if fillers not in (0, 1, len(ctx.layer.top)):
        raise ShapeError(f"DummyData has {fillers} data_filler(s) for {len(ctx.layer.top)} "
                         f"tops; give 0, 1 or one per top")
    return LayerCost(tops=_declared(ctx, _dummy_shapes(ctx), "shape"), kind="input")


def _reader(ctx: LayerContext, image: Known) -> LayerCost:
    """Tops of a reader with an image top and an optional label top [batch]."""
    blob_counts(ctx, (0, 0), (1, 2))
    data = resolve(ctx, 0, image)
    tops: list[Shape | None] = [data]
    if len(ctx.layer.top) > 1:
        batch = Known((data[0],), ("batch_size",), (f"batch_size {data[0]}",))
        tops.append(resolve(ctx, 1, batch))
    return LayerCost(tops=tops, kind="input")


def _batch(value: int) -> tuple[int | None, tuple[str, ...]]:
    return (value, (f"batch_size {value}",)) if value > 0 else (None, ())


@register("Data")
def data(ctx: LayerContext) -> LayerCost:
    """BVLC DataLayer (LMDB/LevelDB): batch_size and crop_size are known, channels only when
    transform_param forces colour (3) or grey (1); the rest is in the database."""
    transform = ctx.layer.transform_param
    batch, facts = _batch(ctx.layer.data_param.batch_size)
    crop = transform.crop_size or None
    channels = 3 if transform.force_color else 1 if transform.force_gray else None
    if crop:
        facts += (f"crop_size {crop}",)
    if channels:
        facts += (f"force_{'color' if channels == 3 else 'gray'}",)
    return _reader(ctx, Known((batch, channels, crop, crop), NCHW, facts))


@register("ImageData")
def image_data(ctx: LayerContext) -> LayerCost:
    """BVLC ImageDataLayer: channels from is_color; size from crop_size, else new_height and
    new_width, else the first image (unknown here)."""
    param = ctx.layer.image_data_param
    batch, facts = _batch(param.batch_size)
    channels, size, more = _image_size(ctx, param, "ImageData")
    return _reader(ctx, Known((batch, channels, *size), NCHW, facts + more))


def _image_size(ctx: LayerContext, param: Any, layer_type: str
                ) -> tuple[int, tuple[int | None, int | None], tuple[str, ...]]:
    """Channels and H x W of an image_data_param reader, as DataTransformer::InferBlobShape
    gives them: 3 with is_color, else 1; transform_param crop_size, else new_height x
    new_width (set together), else the first image (unknown here); and the facts that tell."""
    if (param.new_height == 0) != (param.new_width == 0):
        raise ShapeError(f"{layer_type} needs new_height and new_width set together")
    facts: tuple[str, ...] = (f"is_color {str(param.is_color).lower()}",)
    crop = ctx.layer.transform_param.crop_size
    size: tuple[int | None, int | None] = (None, None)
    if crop:
        size, facts = (crop, crop), facts + (f"crop_size {crop}",)
    elif param.new_height:
        size = (param.new_height, param.new_width)
        facts += (f"new_height {param.new_height}", f"new_width {param.new_width}")
    return 3 if param.is_color else 1, size, facts


@register("WindowData")
def window_data(ctx: LayerContext) -> LayerCost:
    """BVLC WindowDataLayer: batch_size x channels (from the window file) x crop x crop."""
    crop = ctx.layer.transform_param.crop_size
    if crop <= 0:
        raise ShapeError("WindowData needs transform_param.crop_size > 0")
    batch, facts = _batch(ctx.layer.window_data_param.batch_size)
    facts += (f"crop_size {crop}",)
    return _reader(ctx, Known((batch, None, crop, crop), NCHW, facts))


@register("MemoryData")
def memory_data(ctx: LayerContext) -> LayerCost:
    """BVLC MemoryDataLayer: the shape is fully declared (batch_size, channels, height, width)."""
    p = ctx.layer.memory_data_param
    dims = (p.batch_size, p.channels, p.height, p.width)
    if min(dims) <= 0:
        raise ShapeError(f"MemoryData needs positive batch_size, channels, height and width, "
                         f"got {fmt(dims)}")
    return _reader(ctx, Known(dims, NCHW))


@register("HDF5Data")
def hdf5_data(ctx: LayerContext) -> LayerCost:
    """BVLC HDF5DataLayer: every top's shape is in the file; only batch_size is known, so each
    top needs --input-shape (its first dimension may be -1 for batch_size)."""
    blob_counts(ctx, (0, 0), (1, None))
    batch = ctx.layer.hdf5_data_param.batch_size
    tops: list[Shape | None] = []
    for i, name in enumerate(ctx.layer.top):
        override = ctx.overrides.get(name)
        if override is None:
            raise InputShapeNeeded(f"top '{name}' shape unknown: HDF5Data reads it from its files "
                             f"(batch_size {batch} known); pass --input-shape {name}=_,...")
        rest = tuple(None for _ in override[1:])
        tops.append(resolve(ctx, i, Known((batch or None, *rest),
                                          ("batch_size",) + ("dim",) * len(rest))))
    return LayerCost(tops=tops, kind="input")


def _pair(first: int, second: int, names: str) -> None:
    """The fork CHECKs that two sizes are set together (both 0 or both positive)."""
    if (first == 0) != (second == 0):
        raise ShapeError(f"DenseImageData needs {names} set together")


@register("DenseImageData")
def dense_image_data(ctx: LayerContext) -> LayerCost:
    """caffe-segnet's DenseImageDataLayer (alexgkendall/caffe-segnet
    src/caffe/layers/dense_image_data_layer.cpp): a list of image / label-image pairs.

    Exactly 2 tops: the images `batch_size x C x H x W` (C = 3 with is_color, else 1) and the
    label images `batch_size x 1 x H x W`. H x W is the first that applies: transform_param
    crop_size (square), crop_height x crop_width, new_height x new_width (the resize), else the
    first image's size (unknown here: --input-shape gives it; the label top follows).
    """
    blob_counts(ctx, (0, 0), (2, 2))
    param = ctx.layer.dense_image_data_param
    _pair(param.new_height, param.new_width, "new_height and new_width")
    _pair(param.crop_height, param.crop_width, "crop_height and crop_width")
    batch, facts = _batch(param.batch_size)
    channels = 3 if param.is_color else 1
    facts += (f"is_color {str(param.is_color).lower()}",)
    crop = ctx.layer.transform_param.crop_size
    size: tuple[int | None, int | None] = (None, None)
    for height, width, said in (
            (crop, crop, (f"crop_size {crop}",)),
            (param.crop_height, param.crop_width,
             (f"crop_height {param.crop_height}", f"crop_width {param.crop_width}")),
            (param.new_height, param.new_width,
             (f"new_height {param.new_height}", f"new_width {param.new_width}"))):
        if height:
            size, facts = (height, width), facts + said
            break
    return _image_and_label_map(ctx, Known((batch, channels, *size), NCHW, facts))


def _image_and_label_map(ctx: LayerContext, known: Known) -> LayerCost:
    """Tops of a reader of image / label-image pairs: the images, and one grey label map per
    image of the same size (N x 1 x H x W), which follows an --input-shape of the images."""
    image = resolve(ctx, 0, known)
    if len(image) != 4:
        raise ShapeError(f"the image top is N x C x H x W, got {fmt(image)}")
    label = Known((image[0], 1, image[2], image[3]), NCHW, (f"image top {fmt(image)}",))
    return LayerCost(tops=[image, resolve(ctx, 1, label)], kind="input")


@register("ImageLabelmapData")
def image_labelmap_data(ctx: LayerContext) -> LayerCost:
    """HED's ImageLabelmapDataLayer (s9xie/hed src/caffe/layers/image_labelmap_data_layer.cpp,
    also in RCF, DSS and other edge / saliency forks): image_data_param's list of image and
    ground-truth pairs.

    Exactly 2 tops, both from DataTransformer::InferBlobShape: the images batch_size x C x
    H x W (C = 3 with is_color, else 1) and the ground truth, read grey, batch_size x 1 x H x
    W. H x W: transform_param crop_size, else new_height x new_width (set together), else the
    first image (--input-shape). batch_size must be positive.
    """
    blob_counts(ctx, (0, 0), (2, 2))
    param = ctx.layer.image_data_param
    channels, size, facts = _image_size(ctx, param, "ImageLabelmapData")
    if param.batch_size <= 0:
        raise ShapeError("ImageLabelmapData needs a positive image_data_param batch_size")
    return _image_and_label_map(ctx, Known((param.batch_size, channels, *size), NCHW,
                                           (f"batch_size {param.batch_size}", *facts)))
