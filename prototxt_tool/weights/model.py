"""A .caffemodel opened without loading it: the layers' parameters parsed, the blobs located.

A caffemodel is a binary NetParameter (what Caffe's Net::ToProto writes): the net's fields,
then one `layer` (field 100; V1 files: `layers`, field 2) per layer, each carrying its learned
blobs. `open_model` memory-maps the file and walks that top level itself (see wire.py), parses
each layer without its blobs (small), and records where every blob's packed floats lie, so
even a 550 MB VGG-16 is opened in about the memory of its largest layer's header, and numpy
reads a blob's values straight from the map. `write_model` writes the file back record by
record: records that are not replaced are copied byte for byte.
"""

from __future__ import annotations

import contextlib
import math
import mmap
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from prototxt_tool.errors import UsageError
from prototxt_tool.weights import wire

LAYER, LAYERS = 100, 2  # NetParameter.layer (V2), NetParameter.layers (V1, V0 nested)
V2_BLOBS, V1_BLOBS, V1_V0_LAYER = 7, 6, 1  # LayerParameter.blobs, V1's blobs, V1's V0 `layer`
# BlobProto fields
B_NUM, B_CHANNELS, B_HEIGHT, B_WIDTH, B_DATA, B_DIFF, B_SHAPE, B_DOUBLE, B_DOUBLE_DIFF = (
    1, 2, 3, 4, 5, 6, 7, 8, 9)
KNOWN_NET_FIELDS = {1: wire.LEN, 2: wire.LEN, 3: wire.LEN, 4: None, 5: wire.VARINT, 6: wire.LEN,
                    7: wire.VARINT, 8: wire.LEN, 100: wire.LEN}


class WeightsError(UsageError):
    """A file that is not a readable Caffe binary model; the message names the file."""


@dataclass(slots=True)
class StoredBlob:
    """One BlobProto as Caffe's Blob::FromProto reads it."""

    shape: tuple[int, ...]  # legacy num/channels/height/width -> that 4-D shape, else shape.dim
    legacy: bool  # num/channels/height/width written (Blob::ShapeEquals compares them apart)
    values: int  # number of data (or double_data) values stored
    double: bool  # the values are in double_data
    start: int  # BlobProto payload in the file
    end: int
    chunks: list[tuple[int, int]] = field(default_factory=list)  # packed payloads (offset, bytes)
    unpacked: bool = False  # values written one tag each (legal, rare): parsed with protobuf


@dataclass(slots=True)
class StoredLayer:
    """One layer record: its parameters (blobs left out) and where its blobs lie."""

    field: int  # LAYER or LAYERS
    start: int  # the record (tag included) is buf[start:end]
    body: int
    end: int
    param: Any  # caffe_pb2.LayerParameter or V1LayerParameter, without blobs
    blobs: list[StoredBlob]

    @property
    def name(self) -> str:
        """The layer's name; a V0 record keeps it in its nested V0 layer."""
        if self.field == LAYERS and not self.param.name and self.param.HasField("layer"):
            return str(self.param.layer.name)
        return str(self.param.name)


@dataclass
class Model:
    path: str
    buf: Any  # mmap.mmap or bytes
    header: Any  # caffe_pb2.NetParameter with every field but the layers
    layers: list[StoredLayer]
    segments: list[tuple[int, int, int | None]]  # (start, end, layer index or None) in order
    size: int

    @property
    def format(self) -> str:
        if any(rec.field == LAYERS for rec in self.layers):
            if any(rec.param.HasField("layer") for rec in self.layers if rec.field == LAYERS):
                return "V0"
            return "V1"
        return "V2"

    def by_name(self) -> dict[str, int]:
        """Layer name -> index of its last record: Caffe's CopyTrainedLayersFrom copies every
        record of a name in turn, so the last one is what the net ends up with."""
        return {rec.name: i for i, rec in enumerate(self.layers)}

    def array(self, blob: StoredBlob) -> Any:
        """The blob's values as a float64 numpy array in its shape (read from the map)."""
        import numpy as np

        dtype = np.dtype("<f8" if blob.double else "<f4")
        if blob.unpacked:
            from prototxt_tool import caffe_pb2

            msg = caffe_pb2.BlobProto.FromString(bytes(self.buf[blob.start:blob.end]))
            flat = np.array(msg.double_data if blob.double else msg.data, dtype=np.float64)
        else:
            parts = [np.frombuffer(self.buf, dtype=dtype, count=size // dtype.itemsize,
                                   offset=off) for off, size in blob.chunks]
            flat = (np.concatenate(parts) if len(parts) != 1 else parts[0]).astype(np.float64)
        if flat.size != math.prod(blob.shape):
            raise WeightsError(f"{self.path}: a blob of shape {blob.shape_text()} holds "
                               f"{flat.size} values")
        return flat.reshape(blob.shape)

    def net(self) -> Any:
        """The model as a NetParameter whose blobs carry their shapes but no values: what the
        upgrade and the analysis need, at a tiny fraction of the file's size."""
        from prototxt_tool import caffe_pb2

        net = caffe_pb2.NetParameter()
        net.CopyFrom(self.header)
        for rec in self.layers:
            layer = (net.layer if rec.field == LAYER else net.layers).add()
            layer.CopyFrom(rec.param)
            for blob in rec.blobs:
                proto = layer.blobs.add()
                if blob.legacy:
                    proto.num, proto.channels, proto.height, proto.width = blob.shape
                else:
                    proto.shape.dim.extend(blob.shape)
        return net

    def close(self) -> None:
        if isinstance(self.buf, mmap.mmap):
            with contextlib.suppress(BufferError):
                self.buf.close()


def looks_like_model(data: Any) -> bool:
    """Cheap content sniff: the first field is one a NetParameter has, with its wire type."""
    try:
        first = next(wire.fields(data, 0, min(len(data), 64)), None)
    except wire.WireError as err:
        return err.truncated
    return first is not None and KNOWN_NET_FIELDS.get(first.number, -1) in (first.wire, None)


def open_model(path: str, data: bytes | None = None) -> Model:
    """Open a .caffemodel ('-' reads stdin); every failure is one WeightsError line."""
    if data is None and path == "-":
        if sys.stdin is None:  # started with file descriptor 0 closed
            raise WeightsError("<stdin>: standard input is closed")
        data = sys.stdin.buffer.read()
    buf: Any = data
    if buf is None:
        buf = _map(path)
    try:
        return _index(path, buf)
    except wire.WireError as err:
        size = len(buf)
        if isinstance(buf, mmap.mmap):
            buf.close()
        if err.truncated:
            raise WeightsError(f"{path}: truncated: the file ends ({size} bytes) inside the "
                               f"record that starts at byte {err.offset}") from None
        raise WeightsError(f"{path}: not a Caffe binary model ({err}, at byte "
                           f"{err.offset})") from None


def _map(path: str) -> Any:
    from prototxt_tool.pipeline import read_errors

    with read_errors(path):
        if os.path.isdir(path):
            raise WeightsError(f"{path}: is a directory, not a .caffemodel file")
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size == 0:
                raise WeightsError(f"{path}: file is empty")
            try:
                return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
            except (OSError, ValueError):  # a pipe or a special file: read it instead
                return handle.read()


def _index(path: str, buf: Any) -> Model:
    from google.protobuf.message import DecodeError

    from prototxt_tool import caffe_pb2

    size = len(buf)
    if not size:
        raise WeightsError(f"{path}: file is empty")
    header_parts: list[bytes] = []
    layers: list[StoredLayer] = []
    segments: list[tuple[int, int, int | None]] = []
    for f in wire.fields(buf, 0, size):
        expected = KNOWN_NET_FIELDS.get(f.number, -1)
        if expected not in (f.wire, None) or (f.number == 4 and f.wire not in (0, 2)):
            raise wire.WireError(f"field {f.number} with wire type {f.wire} is not in a "
                                 "NetParameter", f.start)
        if f.number in (LAYER, LAYERS):
            try:
                layers.append(_layer(buf, f))
            except DecodeError:
                raise wire.WireError(f"layer record {len(layers) + 1} does not parse",
                                     f.start) from None
            segments.append((f.start, f.end, len(layers) - 1))
        else:
            header_parts.append(bytes(buf[f.start:f.end]))
            segments.append((f.start, f.end, None))
    if not layers:
        raise wire.WireError("no layers", 0)
    header = caffe_pb2.NetParameter()
    try:
        header.ParseFromString(b"".join(header_parts))
    except DecodeError:
        raise wire.WireError("the net's own fields do not parse", 0) from None
    if not all(isinstance(n, str) for n in (header.name, *header.input)):
        raise wire.WireError("the net's name or inputs are not UTF-8 text", 0)
    return Model(path, buf, header, layers, segments, size)


def _layer(buf: Any, f: wire.Field) -> StoredLayer:
    from prototxt_tool import caffe_pb2

    v2 = f.number == LAYER
    blobs_field = V2_BLOBS if v2 else V1_BLOBS
    kept: list[bytes] = []
    blobs: list[StoredBlob] = []
    nested_v0 = False
    for g in wire.fields(buf, f.body, f.end):
        if g.number == blobs_field and g.wire == wire.LEN:
            blobs.append(_blob(buf, g.body, g.end))
        else:
            nested_v0 = nested_v0 or (not v2 and g.number == V1_V0_LAYER)
            kept.append(bytes(buf[g.start:g.end]))
    param = (caffe_pb2.LayerParameter if v2 else caffe_pb2.V1LayerParameter)()
    param.ParseFromString(b"".join(kept))
    _check_text(param, f.start)
    if nested_v0:  # V0: the blobs live in the nested V0LayerParameter, already parsed
        blobs = [blob_info(b) for b in param.layer.blobs]
    return StoredLayer(f.number, f.start, f.body, f.end, param, blobs)


def _check_text(param: Any, offset: int) -> None:
    """protobuf hands out a string field holding invalid UTF-8 as bytes; text format never
    does. The names every command prints and matches must be text."""
    names = [param.name, *param.bottom, *param.top, *(p.name for p in param.param)]
    if param.DESCRIPTOR.fields_by_name["type"].type == param.DESCRIPTOR.fields_by_name[
            "name"].type:
        names.append(param.type)
    if not all(isinstance(n, str) for n in names):
        raise wire.WireError("a layer's name, type, bottom or top is not UTF-8 text", offset)


def _blob(buf: Any, start: int, end: int) -> StoredBlob:
    legacy = [0, 0, 0, 0]
    has_legacy = False
    dims: list[int] = []
    chunks: list[tuple[int, int]] = []
    double_chunks: list[tuple[int, int]] = []
    unpacked = False
    for g in wire.fields(buf, start, end):
        if B_NUM <= g.number <= B_WIDTH and g.wire == wire.VARINT:
            legacy[g.number - 1] = _int32(wire.int_value(buf, g))
            has_legacy = True
        elif g.number == B_SHAPE and g.wire == wire.LEN:
            dims.extend(_dims(buf, g.body, g.end))
        elif g.number == B_DATA:
            if g.wire == wire.LEN:
                chunks.append((g.body, g.end - g.body))
            else:
                unpacked = True
        elif g.number == B_DOUBLE:
            if g.wire == wire.LEN:
                double_chunks.append((g.body, g.end - g.body))
            else:
                unpacked = True
    # Blob::FromProto: double_data wins when it is non-empty.
    double = bool(double_chunks) and any(size for _, size in double_chunks)
    if unpacked:
        return _unpacked(buf, start, end)
    use = double_chunks if double else chunks
    item = 8 if double else 4
    if any(size % item for _, size in use):
        raise wire.WireError("a blob's packed values are not whole numbers", start)
    values = sum(size for _, size in use) // item
    shape = tuple(legacy) if has_legacy else tuple(dims)
    return StoredBlob(shape, has_legacy, values, double, start, end, use)


def _unpacked(buf: Any, start: int, end: int) -> StoredBlob:
    from prototxt_tool import caffe_pb2

    msg = caffe_pb2.BlobProto.FromString(bytes(buf[start:end]))
    blob = blob_info(msg)
    blob.start, blob.end = start, end
    return blob


def blob_info(msg: Any) -> StoredBlob:
    """A StoredBlob from a parsed BlobProto (V0 models and unpacked values, both rare); its
    values are read again from the message bytes when needed."""
    from prototxt_tool.shapes._util import blob_is_legacy, blob_proto_shape

    double = len(msg.double_data) > 0
    values = len(msg.double_data) if double else len(msg.data)
    return StoredBlob(blob_proto_shape(msg), blob_is_legacy(msg), values, double, 0, 0, [],
                      unpacked=True)


def _dims(buf: Any, start: int, end: int) -> Iterator[int]:
    """BlobShape.dim (field 1, int64, packed) from its payload."""
    for g in wire.fields(buf, start, end):
        if g.number != 1:
            continue
        if g.wire == wire.VARINT:
            yield wire.int_value(buf, g)
        elif g.wire == wire.LEN:
            pos = g.body
            while pos < g.end:
                value, pos = wire.read_varint(buf, pos, g.end)
                yield value - (1 << 64) if value >= 1 << 63 else value


def _int32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


COPY_CHUNK = 16 << 20


def write_model(model: Model, path: str, replace: dict[int, bytes | None]) -> None:
    """Write `model` to `path` atomically, record by record, in the original order.

    `replace` maps a layer index to its new record (tag included), or None to drop it; every
    other byte is copied from the source as it is, so an unchanged model comes out identical.
    """
    from prototxt_tool.outputs import atomic_binary

    view = memoryview(model.buf) if isinstance(model.buf, mmap.mmap) else model.buf
    try:
        with atomic_binary(path) as handle:
            for start, end, index in model.segments:
                if index is not None and index in replace:
                    record = replace[index]
                    if record:
                        handle.write(record)
                    continue
                for pos in range(start, end, COPY_CHUNK):
                    handle.write(view[pos:min(end, pos + COPY_CHUNK)])
    finally:
        if isinstance(view, memoryview):
            view.release()


def layer_record(param: Any, blobs: list[bytes], number: int = LAYER) -> bytes:
    """A layer record: `param` (its blobs field empty) followed by the given BlobProto bodies."""
    body = [param.SerializeToString()]
    blob_field = V2_BLOBS if number == LAYER else V1_BLOBS
    for blob in blobs:
        body.append(wire.len_field(blob_field, len(blob)))
        body.append(blob)
    payload = b"".join(body)
    return wire.len_field(number, len(payload)) + payload


def blob_bytes(shape: tuple[int, ...], values: Any, double: bool = False,
               like: StoredBlob | None = None) -> bytes:
    """A BlobProto body holding `values` (a numpy array); its shape written as `like`'s was
    (legacy num/channels/height/width or BlobShape), else as a BlobShape."""
    import numpy as np

    from prototxt_tool import caffe_pb2

    if like is not None and like.legacy:
        head = caffe_pb2.BlobProto(num=shape[0], channels=shape[1], height=shape[2],
                                   width=shape[3]).SerializeToString()
    else:
        head = caffe_pb2.BlobProto(shape=caffe_pb2.BlobShape(dim=shape)).SerializeToString()
    data = np.ascontiguousarray(values, dtype="<f8" if double else "<f4").tobytes()
    return head + wire.len_field(B_DOUBLE if double else B_DATA, len(data)) + data
