"""The protobuf wire format, walked by hand over a buffer that may be a 550 MB memory map.

protobuf's ParseFromString needs the whole message as one bytes object and builds every float
of every blob; a caffemodel is one NetParameter whose `layer` entries hold all the weights, so
parsing it whole would cost about three times the file. Walking the top level (and each
layer's blob fields) ourselves lets dwsep parse only the small parts and point numpy at the
packed float payloads where they lie in the map. Only what caffe.proto uses is needed: varint,
64-bit, length-delimited and 32-bit fields (no groups).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

VARINT, I64, LEN, I32 = 0, 1, 2, 5


class WireError(Exception):
    """Not a protobuf message (or cut short): `truncated` tells which, `offset` where."""

    def __init__(self, message: str, offset: int, truncated: bool = False):
        super().__init__(message)
        self.offset = offset
        self.truncated = truncated


class Field(NamedTuple):
    number: int
    wire: int
    start: int  # offset of the tag
    body: int  # offset of the value (for LEN: of the payload)
    end: int  # offset just past the field


def read_varint(buf: Any, pos: int, end: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= end:
            raise WireError("varint runs past the end", pos, truncated=True)
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7
        if shift >= 70:
            raise WireError("varint longer than 10 bytes", pos)


def fields(buf: Any, pos: int, end: int) -> Iterator[Field]:
    """Each field of the message in buf[pos:end], in the order written."""
    while pos < end:
        start = pos
        key, pos = read_varint(buf, pos, end)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise WireError("field number 0", start)
        if wire == VARINT:
            body = pos
            _, pos = read_varint(buf, pos, end)
        elif wire == LEN:
            length, body = read_varint(buf, pos, end)
            pos = body + length
        elif wire == I64:
            body, pos = pos, pos + 8
        elif wire == I32:
            body, pos = pos, pos + 4
        else:
            raise WireError(f"field {number} has wire type {wire}, unused by Caffe", start)
        if pos > end:
            raise WireError(f"field {number} runs past the end", start, truncated=True)
        yield Field(number, wire, start, body, pos)


def int_value(buf: Any, f: Field) -> int:
    """A varint field as a signed 64-bit integer (int32 negatives are sign-extended)."""
    value, _ = read_varint(buf, f.body, f.end)
    return value - (1 << 64) if value >= 1 << 63 else value


def varint_bytes(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def len_field(number: int, payload_size: int) -> bytes:
    """Tag and length prefix of a length-delimited field (the payload follows)."""
    return varint_bytes(number << 3 | LEN) + varint_bytes(payload_size)
