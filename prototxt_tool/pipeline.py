"""File -> parsed -> upgraded -> filtered net: the front half every command shares.

Each step is Caffe's own (text-format parse, UpgradeNetAsNeeded, Net::FilterNet), done
statically: nothing a net names (data sources, mean files, Python modules) is ever opened.
"""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prototxt_tool.errors import NetError, ParseError, SolverGiven, UpgradeError, UsageError


@dataclass(slots=True)
class Source:
    filename: str
    text: str


@dataclass(slots=True)
class SkippedField:
    """A field tolerant reading skipped because the schema does not know it.

    `layer` is the index in the loaded net's `layer` list of the layer it was written in
    (None outside layers, or for a layer this phase leaves out); `fork` the key of
    forks.FORKS that defines it, when known; `neutral` whether skipping it provably leaves
    every figure of that layer exact (else the layer's figures are unknown).
    """

    path: str  # e.g. "layer[3].data_param.shuffle", as written in the file
    message: str  # full name of the message type that lacks it, e.g. "caffe.DataParameter"
    name: str
    line: int
    column: int
    value: str  # "scalar", "list" or "message"
    layer: int | None = None
    fork: str | None = None
    neutral: bool = False

    def describe(self, filename: str) -> str:
        """The one warning line for it."""
        from prototxt_tool import forks

        return (f"{filename}:{self.line}:{self.column}: skipped unknown field '{self.path}' "
                f"({forks.describe(self.message, self.name)})")


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
    # fields skipped by tolerant reading (every one in the file; `layer` set for this view's)
    skipped: list[SkippedField] = field(default_factory=list)
    # `file:line:col: what Caffe ignores` of a legacy net it accepts (upgrade.Upgraded.warnings)
    warnings: list[str] = field(default_factory=list)


@dataclass(slots=True)
class UpgradedNet:
    """A parsed and upgraded net before phase filtering: lint views it in several phases."""

    source: Source
    raw: Any
    tree: Any
    format: str
    upgraded: Any  # upgrade.Upgraded: the V2 net (all phases), origins, notes
    skipped: list[Any] = field(default_factory=list)  # textformat.UnknownField, in file order


SNIFF = 8192  # bytes looked at to tell a binary file from text
BINARY = "binary data, not a text prototxt (a .caffemodel?)"


class BinaryInput(UsageError):
    """The file is not text. Commands that also read Caffe binary models (analyze) catch it and
    look at `head`; `data` is the whole content when it was read already (stdin)."""

    def __init__(self, message: str, name: str, head: bytes, data: bytes | None):
        super().__init__(message)
        self.name = name
        self.head = head
        self.data = data


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
        with read_errors(path):
            if p.is_dir():
                raise UsageError(f"{path}: is a directory, not a prototxt file")
            with p.open("rb") as handle:
                data = handle.read(SNIFF)
                if b"\x00" in data:  # binary: do not read a 550 MB caffemodel as text
                    raise BinaryInput(f"{path}: {BINARY}", path, data, None)
                if len(data) == SNIFF and handle.seekable():  # one piece: no copy of it
                    handle.seek(0)
                    data = handle.read()
                elif len(data) == SNIFF:  # a pipe (`<(...)`)
                    data += handle.read()
    return Source(name, decode(data, name))


@contextlib.contextmanager
def read_errors(path: str) -> Iterator[None]:
    """Every way opening or reading `path` can fail, as one UsageError line."""
    try:
        yield
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except PermissionError:
        raise UsageError(f"{path}: permission denied") from None
    except OSError as err:
        raise UsageError(f"{path}: cannot read: {err.strerror or err}") from None


def decode(data: bytes, name: str) -> str:
    """Text format is UTF-8; binary files (a .caffemodel passed by mistake) are refused early.

    Bytes that are not UTF-8 (GBK-encoded Chinese comments are common) are kept as lone
    surrogates (Python's surrogateescape), one character per byte: Caffe's C++ tokenizer reads
    bytes, so such a file loads when they sit in a comment or a string, and the parser
    accepts them there too (see textformat); anywhere else they are a syntax error at their
    position.
    """
    if not data or data.isspace():  # (strip() would copy the whole file)
        raise UsageError(f"{name}: file is empty")
    if b"\x00" in data[:SNIFF]:
        raise BinaryInput(f"{name}: {BINARY}", name, data[:SNIFF], data)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        if _BINARY_BYTES.search(data, 0, SNIFF):  # control bytes: a binary protobuf
            line = data.count(b"\n", 0, err.start) + 1
            raise BinaryInput(
                f"{name}:{line}: not valid UTF-8 text (byte 0x{data[err.start]:02x} at offset "
                f"{err.start}); is this a binary file?", name, data[:SNIFF], data
            ) from None
        return data.decode("utf-8", "surrogateescape")


# Bytes no text file holds (C0 controls but tab, newlines, form feed, vertical tab, escape):
# binary protobuf is full of them (field tags 0x08, 0x12, 0x1a, ...).
_BINARY_BYTES = re.compile(rb"[\x01-\x08\x0e-\x1a\x1c-\x1f]")


def parse_net(source: Source, skipped: list[Any] | None = None) -> tuple[Any, Any]:
    """Parse text into a NetParameter with positions; syntax errors raise ParseError.

    Strict (Caffe's own reading: an unknown field is an error) unless a list is given as
    `skipped`: then fields the schema does not know are skipped the way protobuf's
    `allow_unknown_field` skips them and recorded there (textformat.UnknownField).
    """
    from prototxt_tool import caffe_pb2, textformat

    net = caffe_pb2.NetParameter()
    try:
        tree = textformat.parse(source.text, net, filename=source.filename, unknown=skipped)
    except ParseError:
        _refuse_solver(source)
        raise
    if skipped and any("." not in s.path for s in skipped):  # solver fields skipped?
        _refuse_solver(source)
    from prototxt_tool.required import check_required

    check_required(net, tree, source.filename, source.text)
    return net, tree


def _refuse_solver(source: Source) -> None:
    from prototxt_tool.solver import looks_like_solver

    if looks_like_solver(source.text):
        raise SolverGiven(f"{source.filename}: a Caffe solver (SolverParameter), not a net; "
                          "give the net file its `net:` field names") from None


def upgrade_parsed(source: Source, raw: Any, tree: Any,
                   skipped: list[Any] | None = None, read_only: bool = False) -> UpgradedNet:
    """Caffe's UpgradeNetAsNeeded on a parsed net (NetError for a legacy net it refuses).

    Errors and warnings of the upgrade get the file and line:col of what they are about.
    read_only: see upgrade.upgrade_net (the upgraded net may be `raw` itself).
    """
    from prototxt_tool import upgrade

    try:
        upgraded = upgrade.upgrade_net(raw, read_only=read_only)
    except UpgradeError as err:
        err.filename = source.filename
        err.line, err.column = _where(tree, err.where)
        raise
    return UpgradedNet(source, raw, tree, upgrade.detect_format(raw), upgraded,
                       list(skipped or ()))


def upgrade_warnings(parsed: UpgradedNet) -> list[str]:
    """The upgrade's warnings as one-line `file:line:col: message` texts."""
    out = []
    for message, where in parsed.upgraded.warnings:
        line, column = _where(parsed.tree, where)
        place = f"{line}:{column}: " if line else ""
        out.append(f"{parsed.source.filename}:{place}{message}")
    return out


def _where(tree: Any, where: tuple[str, int] | None) -> tuple[int, int]:
    """Line and column of a field of the file's top-level message (0, 0 when not written)."""
    span = tree.location(*where) if where is not None and tree is not None else None
    return (span.line, span.column) if span is not None else (0, 0)


def select_phase(parsed: UpgradedNet, phase: str = "TEST", level: int = 0,
                 stages: Sequence[str] = ()) -> LoadedNet:
    """The net Caffe's FilterNet builds for this NetState; `parsed` is left unchanged."""
    from prototxt_tool import netstate

    up = parsed.upgraded
    phase = phase.upper()
    try:
        if parsed.tree is not None and not _may_have_rules(parsed.source.text):
            kept = list(range(len(up.net.layer)))  # no NetState rules: FilterNet keeps all
        else:
            kept = netstate.filter_net(up.net, phase=phase, level=level, stages=stages)
    except NetError as err:  # include + exclude: at the first layer that mixes them
        bad = next(i for i, layer in enumerate(up.net.layer) if netstate.mixes_rules(layer))
        tree = origin_tree(parsed.tree, up.origins[bad])
        span = (tree.location("exclude") or tree.span) if tree is not None else None
        err.filename = parsed.source.filename
        err.line, err.column = (span.line, span.column) if span is not None else (0, 0)
        raise
    net = up.net
    if len(kept) != len(net.layer):
        net = type(up.net)()
        net.CopyFrom(up.net)
        del net.layer[:]
        net.layer.extend(up.net.layer[i] for i in kept)
    trees = _layer_trees(parsed, kept)
    return LoadedNet(parsed.source, parsed.raw, parsed.tree, parsed.format, net, trees, phase,
                     list(up.notes), kept, _skipped_in_view(parsed, kept),
                     upgrade_warnings(parsed))


def _may_have_rules(text: str) -> bool:
    """Whether a net's text can hold an include/exclude rule: text format writes field names
    as they are, so a file that never says either word has none, and FilterNet need not read
    every layer (a tenth of a millisecond per thousand layers). Saying it (in a comment, a
    name) only takes the exact path."""
    return "include" in text or "exclude" in text


def load_net(source: Source, phase: str = "TEST", level: int = 0,
             stages: Sequence[str] = (), strict: bool = True,
             read_only: bool = False) -> LoadedNet:
    """File -> parsed -> upgraded -> this phase's net. strict=False skips unknown fields.

    read_only: the caller changes neither `net` nor `raw`, so they may be one message (a
    current-format net is then not copied; see upgrade.upgrade_net).
    """
    skipped: list[Any] | None = None if strict else []
    raw, tree = parse_net(source, skipped)
    return select_phase(upgrade_parsed(source, raw, tree, skipped, read_only=read_only), phase,
                        level, stages)


def _skipped_in_view(parsed: UpgradedNet, kept: list[int]) -> list[SkippedField]:
    """Each skipped field, tied to the layer of this view it was written in (if any)."""
    if not parsed.skipped:
        return []
    from prototxt_tool import forks

    where = {origin: i for i, origin in enumerate(parsed.upgraded.origins)}
    view = {index: i for i, index in enumerate(kept)}
    out = []
    for unknown in parsed.skipped:
        layer = None
        head, _, rest = unknown.path.partition(".")
        if rest and head.endswith("]") and "[" in head:
            name, _, number = head[:-1].partition("[")
            layer = view.get(where.get((name, int(number)), -1))
        known = forks.lookup(unknown.message, unknown.name)
        out.append(SkippedField(unknown.path, unknown.message, unknown.name, unknown.span.line,
                                unknown.span.column, unknown.value, layer,
                                known.fork if known else None, bool(known and known.neutral)))
    return out


def _layer_trees(parsed: UpgradedNet, kept: list[int]) -> list[Any]:
    """Where each kept layer is written; a current-format net's layers are the file's `layer`
    blocks in order, taken in one piece (a 10,000-layer net is not looked up 10,000 times)."""
    origins = parsed.upgraded.origins
    if parsed.tree is not None and origins == list(zip(["layer"] * len(origins),
                                                       range(len(origins)), strict=True)):
        blocks = parsed.tree.nested_all("layer")
        return [blocks[i] if i < len(blocks) else None for i in kept]
    return [origin_tree(parsed.tree, origins[i]) for i in kept]


def origin_tree(tree: Any, origin: tuple[str, int]) -> Any:
    """Where an upgraded layer is written: its block, or the file for legacy input fields."""
    field, index = origin
    if tree is None:  # a net read from a binary model has no text positions
        return None
    if field == "input":
        return tree
    return tree.nested(field, index)


SKIP_DIRS = frozenset({".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__"})


def collect_files(paths: Sequence[str]) -> tuple[list[str], list[str]]:
    """Files to read (directories searched for *.prototxt) and one line per unusable path."""
    files: list[str] = []
    problems: list[str] = []
    for path in paths:
        p = Path(path)
        if path == "-" or p.is_file():
            files.append(path)
        elif p.is_dir():
            found = _prototxts(p)
            if not found:
                problems.append(f"{path}: no .prototxt files in this directory")
            files.extend(found)
        elif p.exists():
            problems.append(f"{path}: not a regular file or directory")
        else:
            problems.append(f"{path}: no such file or directory")
    return list(dict.fromkeys(files)), problems


def _prototxts(root: Path) -> list[str]:
    out = []
    for f in sorted(root.rglob("*.prototxt")):
        rel = f.relative_to(root).parts[:-1]
        if f.is_file() and not any(part in SKIP_DIRS or part.startswith(".") for part in rel):
            out.append(str(f))
    return out
