"""File -> parsed -> upgraded -> filtered net: the front half every command shares.

Each step is Caffe's own (text-format parse, UpgradeNetAsNeeded, Net::FilterNet), done
statically: nothing a net names (data sources, mean files, Python modules) is ever opened.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prototxt_tool.errors import UsageError


@dataclass(slots=True)
class Source:
    filename: str
    text: str


@dataclass(slots=True)
class LoadedNet:
    """A net ready for analysis, plus where each of its layers is written in the file."""

    source: Source
    raw: Any  # caffe_pb2.NetParameter as written
    tree: Any  # textformat.ParseTree of the file
    format: str  # "V0", "V1" or "V2"
    net: Any  # upgraded (V2) NetParameter holding only the layers of this phase/state
    layer_trees: list[Any]  # parallel to net.layer: ParseTree of the layer in the file, or None
    phase: str
    notes: list[str]


def read_source(path: str) -> Source:
    """Read a prototxt as text; every way a path can be unusable becomes one UsageError line."""
    if path == "-":
        data = sys.stdin.buffer.read()
        name = "<stdin>"
    else:
        p = Path(path)
        name = path
        try:
            if p.is_dir():
                raise UsageError(f"{path}: is a directory, not a prototxt file")
            data = p.read_bytes()
        except FileNotFoundError:
            raise UsageError(f"{path}: no such file") from None
        except PermissionError:
            raise UsageError(f"{path}: permission denied") from None
        except OSError as err:
            raise UsageError(f"{path}: cannot read: {err.strerror or err}") from None
    return Source(name, decode(data, name))


def decode(data: bytes, name: str) -> str:
    """Text format is UTF-8; binary files (a .caffemodel passed by mistake) are refused early."""
    if not data.strip():
        raise UsageError(f"{name}: file is empty")
    if b"\x00" in data[:8192]:
        raise UsageError(f"{name}: binary data, not a text prototxt (a .caffemodel?)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise UsageError(
            f"{name}:{line}: not valid UTF-8 text (byte 0x{data[err.start]:02x} at offset "
            f"{err.start}); is this a binary file?"
        ) from None


def parse_net(source: Source) -> tuple[Any, Any]:
    """Parse text into a NetParameter with positions; syntax errors raise ParseError."""
    from prototxt_tool import caffe_pb2, textformat

    net = caffe_pb2.NetParameter()
    tree = textformat.parse(source.text, net, filename=source.filename)
    return net, tree


def load_net(source: Source, phase: str = "TEST", level: int = 0,
             stages: Sequence[str] = ()) -> LoadedNet:
    from prototxt_tool import netstate, upgrade

    raw, tree = parse_net(source)
    fmt = upgrade.detect_format(raw)
    up = upgrade.upgrade_net(raw)
    phase = phase.upper()
    kept = netstate.filter_net(up.net, phase=phase, level=level, stages=stages)
    net = up.net  # already a copy of `raw`: drop the other phase's layers in place
    if len(kept) != len(net.layer):
        keep = set(kept)
        for i in reversed(range(len(net.layer))):
            if i not in keep:
                del net.layer[i]
    trees = [_origin_tree(tree, up.origins[i]) for i in kept]
    return LoadedNet(source, raw, tree, fmt, net, trees, phase, list(up.notes))


def _origin_tree(tree: Any, origin: tuple[str, int]) -> Any:
    field, index = origin
    if field == "input":
        return tree
    return tree.nested(field, index)
