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

from prototxt_tool.errors import ParseError, SolverGiven, UsageError


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
    kept: list[int]  # parallel to net.layer: the layer's index in the upgraded, unfiltered net


@dataclass(slots=True)
class UpgradedNet:
    """A parsed and upgraded net before phase filtering: lint views it in several phases."""

    source: Source
    raw: Any
    tree: Any
    format: str
    upgraded: Any  # upgrade.Upgraded: the V2 net (all phases), origins, notes


def read_source(path: str) -> Source:
    """Read a prototxt as text; every way a path can be unusable becomes one UsageError line."""
    if path == "-":
        name = "<stdin>"
        if sys.stdin is None:  # started with file descriptor 0 closed (`<&-`)
            raise UsageError(f"{name}: standard input is closed")
        try:
            data = sys.stdin.buffer.read()
        except OSError as err:
            raise UsageError(f"{name}: cannot read: {err.strerror or err}") from None
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
    try:
        tree = textformat.parse(source.text, net, filename=source.filename)
    except ParseError:
        from prototxt_tool.solver import looks_like_solver

        if not looks_like_solver(source.text):
            raise
        raise SolverGiven(f"{source.filename}: a Caffe solver (SolverParameter), not a net; "
                          "give the net file its `net:` field names") from None
    return net, tree


def upgrade_parsed(source: Source, raw: Any, tree: Any) -> UpgradedNet:
    """Caffe's UpgradeNetAsNeeded on a parsed net (NetError for a legacy net it refuses)."""
    from prototxt_tool import upgrade

    return UpgradedNet(source, raw, tree, upgrade.detect_format(raw), upgrade.upgrade_net(raw))


def select_phase(parsed: UpgradedNet, phase: str = "TEST", level: int = 0,
                 stages: Sequence[str] = ()) -> LoadedNet:
    """The net Caffe's FilterNet builds for this NetState; `parsed` is left unchanged."""
    from prototxt_tool import netstate

    up = parsed.upgraded
    phase = phase.upper()
    kept = netstate.filter_net(up.net, phase=phase, level=level, stages=stages)
    net = up.net
    if len(kept) != len(net.layer):
        net = type(up.net)()
        net.CopyFrom(up.net)
        del net.layer[:]
        net.layer.extend(up.net.layer[i] for i in kept)
    trees = [origin_tree(parsed.tree, up.origins[i]) for i in kept]
    return LoadedNet(parsed.source, parsed.raw, parsed.tree, parsed.format, net, trees, phase,
                     list(up.notes), kept)


def load_net(source: Source, phase: str = "TEST", level: int = 0,
             stages: Sequence[str] = ()) -> LoadedNet:
    return select_phase(upgrade_parsed(source, *parse_net(source)), phase, level, stages)


def origin_tree(tree: Any, origin: tuple[str, int]) -> Any:
    """Where an upgraded layer is written: its block, or the file for legacy input fields."""
    field, index = origin
    if field == "input":
        return tree
    return tree.nested(field, index)
