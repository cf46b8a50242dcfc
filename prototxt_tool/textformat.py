"""A protobuf text-format parser that also remembers where everything was written.

Why not `google.protobuf.text_format.Parse`? It forgets positions (lint must point at the
`group:` line of a layer, not just at the file), and it is slow on big nets (a 10,000-layer
chain takes over a second). This parser builds the very same message, rejects the very same
inputs at the same line and column, and returns a `ParseTree` of positions, like C++'s
`TextFormat::ParseInfoTree`.

How it stays both exact and fast:

* The schema comes from the compiled descriptors: one lookup table per message type, built on
  first use and cached (field name -> what to do with it). No field list is kept by hand.
* A single compiled regex (`_FAST`) recognises a whole common item at once: `name: value`,
  `name {` / `name <`, `}` / `>`, a separator. Its token and whitespace sub-patterns are
  protobuf's own (identifier, number and quoted-string tokens; whitespace and `#` comments),
  so whenever it matches, it splits the text exactly as protobuf's tokenizer would.
* The fast loop never raises. Anything unusual (list syntax, escapes, adjacent strings, an
  unknown field, a bad value, a duplicate, a stray token) hands that one statement to the
  general path, which walks protobuf's grammar token by token and is the single place where
  errors are produced. Then the fast loop resumes.
* Positions are character offsets. Parsing records only where nested messages start and
  stop; scalar fields are located, and offsets turned into lines and columns, only when asked.

Positions follow protobuf's Python tokenizer: lines are split on "\\n" only, columns count
characters (a tab is one column), both 1-based.
"""

from __future__ import annotations

import bisect
import math
import re
import warnings
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor
from google.protobuf.message import Message

from prototxt_tool.errors import ParseError

__all__ = ["ParseTree", "Span", "UnknownField", "parse"]


# ---------------------------------------------------------------------------------------------
# Positions


@dataclass(slots=True)
class Span:
    """A region of the text: 1-based; end_* point at the last character (inclusive)."""

    line: int
    column: int
    end_line: int
    end_column: int


class _LineIndex:
    """Turns character offsets into (line, column) pairs.

    Most parses never ask for a position, so nothing is computed during parsing. Offsets
    asked for in increasing order (the analyzer asks every layer's line, in order) are
    answered by counting the newlines since the previous answer, which reads the text once
    and allocates nothing (lint locates its findings' spans so, 2-5% of linting a 100,000-layer
    net against building the table); the first request that goes backwards builds the line
    table (one entry per line) and bisects it from then on. `lines` answers a whole list of
    offsets without a call per offset (the analyzer's line of every layer).
    """

    __slots__ = ("_at", "_line", "_line_start", "_starts", "text")

    def __init__(self, text: str):
        self.text = text
        self._starts: array[int] | None = None
        self._at = self._line_start = 0  # the last offset answered, and its line's start
        self._line = 1

    def locate(self, offset: int) -> tuple[int, int]:
        starts = self._starts
        if starts is None:
            if offset >= self._at:
                text = self.text
                newlines = text.count("\n", self._at, offset)
                if newlines:
                    self._line += newlines
                    self._line_start = text.rfind("\n", 0, offset) + 1
                self._at = offset
                return self._line, offset - self._line_start + 1
            # Line i starts after lines 0..i-1 and their newlines (kept in C: no Python loop).
            # An array, not a list: 8 bytes a line instead of an int object (40 bytes).
            lengths = map((1).__add__, map(len, self.text.split("\n")))
            starts = self._starts = array("q", [0])
            starts.extend(accumulate(lengths))
        row = bisect.bisect_right(starts, offset) - 1
        return row + 1, offset - starts[row] + 1

    def lines(self, offsets: list[int]) -> list[int]:
        """The line of each offset; offsets in increasing order take one pass over the text,
        without a call per offset (the analyzer asks every layer's line)."""
        if self._starts is None:
            count = self.text.count
            out: list[int] = []
            line, at = 1, 0
            for offset in offsets:
                if offset < at:
                    break
                line += count("\n", at, offset)
                at = offset
                out.append(line)
            else:
                return out
        return [self.locate(o)[0] for o in offsets]

    def span(self, start: int, stop: int) -> Span:
        """Span of text[start:stop] (stop exclusive)."""
        line, column = self.locate(start)
        end_line, end_column = self.locate(stop - 1) if stop > start else (line, column - 1)
        return Span(line, column, end_line, end_column)


@dataclass(slots=True)
class UnknownField:
    """A field the schema does not know, skipped as protobuf's `allow_unknown_field` skips it.

    `path` names it from the top message, with element indices of repeated fields
    (`layer[3].data_param.shuffle`); `message` is the full name of the type that lacks it;
    `value` is how it was written: "scalar", "list" or "message".
    """

    path: str
    message: str
    name: str
    span: Span
    value: str


# What parsing records for each message, as a list (cheap to build):
#   [start, stop, field, at, children, table]
# start: offset of its "{" or "<" (of the first token, for the top level); stop: offset just
# past its closing brace (past the last token); field: the field it is the value of (None for
# the top level); at: where its location starts (the field name, or the element in a list);
# children: its nested messages' nodes, in order; table: its type's lookup table.
_Node = list[Any]
START, STOP, FIELD, AT, CHILDREN, TABLE = range(6)

# A scalar's record: (start offset, stop offset), stop exclusive.
_Record = tuple[int, int]


class ParseTree:
    """Where a message and each of its fields were written (like TextFormat::ParseInfoTree).

    `location(field, i)` spans the field's name token to the end of its value (for list syntax
    `dim: [1, 2]`, each element's own value); `nested(field, i)` is the tree of a message
    field; `span` covers the message itself (`{ ... }` for nested ones, the first to the last
    token for the top level).

    Parsing records only the nested messages (where each starts and stops). Scalar fields are
    located on first use by re-reading this message's own text, jumping over the nested ones:
    cheap for one layer, and it keeps parsing fast.
    """

    __slots__ = ("_index", "_kids", "_named", "_node", "_recs")

    def __init__(self, index: _LineIndex, node: _Node):
        self._index = index
        self._node = node
        self._kids: list[ParseTree] | None = None  # nested messages, in order
        self._named: dict[str, list[ParseTree]] | None = None  # the same, by field
        self._recs: dict[str, list[_Record | ParseTree]] | None = None

    @property
    def span(self) -> Span:
        return self._index.span(self._node[START], self._node[STOP])

    @property
    def line(self) -> int:
        """span.line without locating the end too."""
        return self._index.locate(self._node[START])[0]

    def fields(self) -> list[str]:
        """Names of the fields written in this message, in order of first appearance."""
        return list(self._records())

    def count(self, field: str) -> int:
        """How many values of `field` were written (elements, for a repeated field)."""
        return len(self._values(field))

    def location(self, field: str, index: int = 0) -> Span | None:
        values = self._values(field)
        if not 0 <= index < len(values):
            return None
        value = values[index]
        if isinstance(value, ParseTree):
            return self._index.span(value._node[AT], value._node[STOP])
        return self._index.span(*value)

    def nested(self, field: str, index: int = 0) -> ParseTree | None:
        kids = self._children().get(field, ())
        return kids[index] if 0 <= index < len(kids) else None

    def nested_all(self, field: str) -> list[ParseTree]:
        """Every message written for `field`, in order (nested(field, i) for each i)."""
        return list(self._children().get(field, ()))

    def _values(self, field: str) -> list[_Record | ParseTree] | list[ParseTree]:
        entry = self._node[TABLE].get(field)
        if entry is not None and entry[4].message_type is not None:
            return self._children().get(field, [])
        return self._records().get(field, [])

    def _children(self) -> dict[str, list[ParseTree]]:
        if self._named is None:
            self._named = {}
            for kid in self._in_order():
                self._named.setdefault(kid._node[FIELD], []).append(kid)
        return self._named

    def _in_order(self) -> list[ParseTree]:
        if self._kids is None:
            self._kids = [ParseTree(self._index, node) for node in self._node[CHILDREN]]
        return self._kids

    def _records(self) -> dict[str, list[_Record | ParseTree]]:
        if self._recs is None:
            self._recs = _scan_fields(self)
        return self._recs

    def __repr__(self) -> str:
        return f"ParseTree({self.span}, fields={self.fields()})"


def lines_of(trees: Sequence[ParseTree | None]) -> list[int]:
    """ParseTree.line of each tree (0 for None): one pass over the text for trees of one
    file in order, such as a net's layers (a 10,000-layer net asks 10,000 times)."""
    present = [t for t in trees if t is not None]
    if not present:
        return [0] * len(trees)
    index = present[0]._index
    if any(t._index is not index for t in present):
        return [0 if t is None else t.line for t in trees]
    found = iter(index.lines([t._node[START] for t in present]))
    return [0 if t is None else next(found) for t in trees]


def _scan_fields(tree: ParseTree) -> dict[str, list[_Record | ParseTree]]:
    """Re-read the text of a message that parsed to find where each of its fields is.

    The text is known to be valid, so syntax alone tells the cases apart: after a name and an
    optional ":", a brace opens a message (the next nested one, whose end is known), "[" opens
    a list, anything else is one scalar value (adjacent strings included). Common statements
    are read with the parser's statement regex, the others token by token.
    """
    node, text = tree._node, tree._index.text
    kids = iter(tree._in_order())
    table = node[TABLE]
    pos = 0 if node[FIELD] is None else node[START] + 1
    recs: dict[str, list[_Record | ParseTree]] = {}
    while True:
        m = _FAST.match(text, pos)
        name, value, brace, close, sep = m.groups()  # type: ignore[union-attr]
        if value is not None:
            if name in table:
                recs.setdefault(table[name][0], []).append((m.start(1), m.end(2)))  # type: ignore
            pos = m.end()  # type: ignore[union-attr]
        elif brace is not None and name not in table:  # a skipped unknown message field
            cur = _Cursor(text, m.start(1))  # type: ignore[union-attr]
            _skip_field(cur)
            pos = cur.prev_end
        elif brace is not None:
            kid = next(kids)
            recs.setdefault(table[name][0], []).append(kid)
            pos = kid._node[STOP]
        elif sep is not None:
            pos = m.end()  # type: ignore[union-attr]
        elif close is not None or m.end() == len(text):  # type: ignore[union-attr]
            return recs
        else:
            pos = _scan_statement(_Cursor(text, pos), table, kids, recs)


def _scan_statement(cur: _Cursor, table: dict[str, _Entry], kids: Iterator[ParseTree],
                    recs: dict[str, list[_Record | ParseTree]]) -> int:
    """Token by token, one statement the regex does not cover; returns where it ends."""

    def value(start: int) -> _Record | ParseTree:
        tok = cur.tok
        if tok == "{" or tok == "<":
            kid = next(kids)
            cur.jump(kid._node[STOP])
            return kid
        cur.advance()
        if tok[0] in _QUOTES:
            while cur.tok[:1] in ("\"", "'"):
                cur.advance()  # adjacent strings are one value
        return start, cur.prev_end

    name_start = cur.start
    if cur.tok not in table:  # a skipped unknown field
        _skip_field(cur)
        return cur.prev_end
    found = recs.setdefault(table[cur.tok][0], [])
    cur.advance()
    if cur.tok == ":":
        cur.advance()
    if cur.tok == "[":
        cur.advance()
        while cur.tok != "]":
            found.append(value(cur.start))
            if cur.tok == ",":
                cur.advance()
        cur.advance()
    else:
        found.append(value(name_start))
    return cur.prev_end


# ---------------------------------------------------------------------------------------------
# Tokens: protobuf's own definitions, over the whole text instead of line by line


# Whitespace and comments. The lookahead after a comment forbids stopping inside it, so that a
# failed match can never backtrack into a comment and find a statement there.
_WS = r"\s*(?:#[^\n]*(?![^\n])\s*)*"
_IDENT = r"[A-Za-z_][0-9A-Za-z_+-]*"
_NUMBER = r"(?:[0-9+-]|\.[0-9])[0-9A-Za-z_.+-]*"
# A quoted string token; an unterminated one runs to the end of its line (protobuf then reports
# the missing quote).
_QUOTED = "|".join(
    rf"{q}[^{q}\n\\]*(?:(?:\\.)+[^{q}\n\\]*)*(?:{q}|\\?(?![^\n]))" for q in ("\"", "'")
)
_SKIP = re.compile(_WS)
_TOKEN = re.compile(f"{_IDENT}|{_NUMBER}|{_QUOTED}")
# What protobuf accepts as a field name token (ConsumeIdentifierOrNumber).
_NAME_TOKEN = re.compile(r"\w+")
_EXT_IDENT = re.compile(r"[^\d\W]\w*")

# One item of the common kinds. Groups: 1 field name, then 2 scalar value or 3 "{" / "<"; or
# 4 "}" / ">"; or 5 a separator; or nothing (an empty match: the general path takes over).
# Comments are expected between items only; one anywhere else (or unusual whitespace) simply
# sends that statement to the general path. A plain string value (no backslash) must not be
# followed by another string, which protobuf would concatenate (nor by a comment, which might
# hide one).
_PLAIN_STRING = r"""(?:"[^"\\\n]*"|'[^'\\\n]*')(?!\s*["'#])"""
_FAST = re.compile(
    f"{_WS}(?:"
    rf"({_IDENT})\s*(?::\s*({_PLAIN_STRING}|{_IDENT}|{_NUMBER})|(?::\s*)?([{{<]))"
    "|([}>])|([,;])|"
    ")"
)


class _Cursor:
    """Protobuf's tokenizer, one token of lookahead, starting at any offset of the text.

    `tok` is the current token ('' at the end), `start`/`end` its offsets; `prev_start` is
    the start of the last consumed token (-1 if this cursor has consumed none yet), which is
    where protobuf reports errors about something already read.
    """

    __slots__ = ("end", "prev_end", "prev_start", "start", "text", "tok")

    def __init__(self, text: str, pos: int):
        self.text = text
        self.prev_start = -1
        self.prev_end = pos
        self._scan(pos)

    def _scan(self, pos: int) -> None:
        text = self.text
        pos = _SKIP.match(text, pos).end()  # type: ignore[union-attr]
        self.start = pos
        if pos >= len(text):
            self.tok, self.end = "", pos
            return
        m = _TOKEN.match(text, pos)
        self.end = m.end() if m else pos + 1
        self.tok = text[pos:self.end]

    def advance(self) -> None:
        self.prev_start, self.prev_end = self.start, self.end
        self._scan(self.end)

    def jump(self, pos: int) -> None:
        """Continue at `pos`, skipping text already known to be valid."""
        self.prev_start, self.prev_end = -1, pos
        self._scan(pos)


def _show(tok: str) -> str:
    return f'"{tok}"' if tok else "end of input"


# ---------------------------------------------------------------------------------------------
# Skipping an unknown field: protobuf's _SkipField / _SkipFieldContents / _SkipFieldMessage /
# _SkipFieldValue / _SkipRepeatedFieldValue (python/google/protobuf/text_format.py), which
# C++'s TextFormat::Parser::AllowUnknownField follows too. Without a schema the syntax alone
# decides: after the name, ":" and a value that does not open a brace is a scalar (or a "["
# list of scalars and messages), anything else must be a message body.


class _SkipError(Exception):
    """Where and why skipping failed (the parser turns it into a ParseError)."""

    def __init__(self, offset: int, message: str):
        super().__init__(message)
        self.offset = offset
        self.message = message


def _skip_field(cur: _Cursor) -> str:
    """Skip a whole field from its name; returns "scalar", "list" or "message"."""
    if not _NAME_TOKEN.match(cur.tok):
        raise _SkipError(cur.start, f"expected a field name, found {_show(cur.tok)}")
    cur.advance()
    kind = _skip_contents(cur)
    if cur.tok in (",", ";"):
        cur.advance()
    return kind


def _skip_contents(cur: _Cursor) -> str:
    if cur.tok == ":":
        cur.advance()
        if cur.tok not in ("{", "<"):
            if cur.tok != "[":
                _skip_value(cur)
                return "scalar"
            cur.advance()
            if cur.tok == "]":
                cur.advance()
                return "list"
            while True:
                if cur.tok in ("{", "<"):
                    _skip_message(cur)
                else:
                    _skip_value(cur)
                if cur.tok == "]":
                    cur.advance()
                    return "list"
                if cur.tok != ",":
                    raise _SkipError(cur.start, f'expected "," or "]", found {_show(cur.tok)}')
                cur.advance()
    _skip_message(cur)
    return "message"


def _skip_message(cur: _Cursor) -> None:
    if cur.tok not in ("{", "<"):
        raise _SkipError(cur.start, f'expected "{{" or ":" after an unknown field name, found '
                                    f"{_show(cur.tok)}")
    closer = ">" if cur.tok == "<" else "}"
    cur.advance()
    while cur.tok not in (">", "}"):
        if not cur.tok:
            raise _SkipError(cur.start, f'expected "{closer}", found end of input')
        _skip_field(cur)
    if cur.tok != closer:
        raise _SkipError(cur.start, f'expected "{closer}", found {_show(cur.tok)}')
    cur.advance()


def _skip_value(cur: _Cursor) -> None:
    """A string (adjacent ones too), an identifier, a 64-bit integer or a float."""
    tok = cur.tok
    if tok[:1] in ("\"", "'"):
        while cur.tok[:1] in ("\"", "'"):
            t = cur.tok
            if len(t) < 2 or t[-1] != t[0]:
                raise _SkipError(cur.start, f"string is missing its closing quote: {t}")
            try:
                _unescape(t[1:-1])
            except ValueError as err:
                raise _SkipError(cur.start, f"invalid string {t}: {err}") from None
            cur.advance()
        return
    if not _skippable_value(tok):
        raise _SkipError(cur.start, f"invalid value for an unknown field: {_show(tok)}")
    cur.advance()


def _skippable_value(tok: str) -> bool:
    if _EXT_IDENT.match(tok):
        return True
    try:
        return -(1 << 63) <= _parse_int(tok) < (1 << 64)
    except ValueError:
        pass
    try:
        _float(tok)
    except ValueError:
        return False
    return True


# ---------------------------------------------------------------------------------------------
# Scalar values: the same accepted spellings and ranges as protobuf's text_format

FD = FieldDescriptor
_INT_TYPES: dict[int, tuple[str, int, int]] = {
    FD.TYPE_INT32: ("int32", -(1 << 31), (1 << 31) - 1),
    FD.TYPE_SINT32: ("sint32", -(1 << 31), (1 << 31) - 1),
    FD.TYPE_SFIXED32: ("sfixed32", -(1 << 31), (1 << 31) - 1),
    FD.TYPE_INT64: ("int64", -(1 << 63), (1 << 63) - 1),
    FD.TYPE_SINT64: ("sint64", -(1 << 63), (1 << 63) - 1),
    FD.TYPE_SFIXED64: ("sfixed64", -(1 << 63), (1 << 63) - 1),
    FD.TYPE_UINT32: ("uint32", 0, (1 << 32) - 1),
    FD.TYPE_FIXED32: ("fixed32", 0, (1 << 32) - 1),
    FD.TYPE_UINT64: ("uint64", 0, (1 << 64) - 1),
    FD.TYPE_FIXED64: ("fixed64", 0, (1 << 64) - 1),
}
_C_OCTAL = re.compile(r"(-?)0(\d+)$")
_OCTAL_FLOAT = re.compile(r"-?0[0-9]+")
_INFINITY = re.compile(r"-?inf(?:inity)?f?$", re.IGNORECASE)
_NAN = re.compile(r"nanf?$", re.IGNORECASE)
_BOOLS = {"true": True, "t": True, "1": True, "True": True,
          "false": False, "f": False, "0": False, "False": False}
_QUOTES = "\"'"

Converter = Callable[[str], Any]


def _parse_int(tok: str) -> int:
    """Python literal syntax (0x1F, 0o17, -5) plus C octal (017), as text_format accepts."""
    try:
        return int(tok, 0)
    except ValueError:
        pass
    m = _C_OCTAL.match(tok)
    if m:
        try:
            return int(f"{m.group(1)}0o{m.group(2)}", 0)
        except ValueError:
            pass
    raise ValueError(f"expected an integer, found {_show(tok)}")


def _int_converter(type_name: str, lo: int, hi: int) -> Converter:
    def convert(tok: str) -> int:
        try:
            value = int(tok, 0)
        except ValueError:
            value = _parse_int(tok)
        if lo <= value <= hi:
            return value
        raise ValueError(f"{value} is out of range for {type_name}")

    return convert


def _float(tok: str) -> float:
    """Decimal, exponent, inf/infinity/nan (any case), and a C-style trailing `f`."""
    if tok[:1] in "0-" and _OCTAL_FLOAT.match(tok):
        raise ValueError(f"{_show(tok)} is not a valid number (leading zero)")
    try:
        return float(tok)
    except ValueError:
        pass
    if _INFINITY.match(tok):
        return float("-inf") if tok[0] == "-" else float("inf")
    if _NAN.match(tok):
        return float("nan")
    try:
        return float(tok.rstrip("fF"))
    except ValueError:
        raise ValueError(f"expected a number, found {_show(tok)}") from None


def _bool(tok: str) -> bool:
    value = _BOOLS.get(tok)
    if value is None:
        raise ValueError(f"expected true or false, found {_show(tok)}")
    return value


def _enum_converter(enum: EnumDescriptor) -> Converter:
    by_name = {v.name: v.number for v in enum.values}
    numbers = frozenset(by_name.values())
    closed = enum.is_closed

    def convert(tok: str) -> int:
        number = by_name.get(tok)
        if number is not None:
            return number
        try:
            number = int(tok, 0)
        except ValueError:
            raise ValueError(f"enum {enum.full_name} has no value named {_show(tok)}") from None
        if closed and number not in numbers:
            raise ValueError(f"enum {enum.full_name} has no value numbered {number}")
        if not -(1 << 31) <= number < (1 << 31):  # an open enum still stores an int32
            raise ValueError(f"{number} is out of range for enum {enum.full_name}")
        return number

    return convert


def _unescape(body: str) -> bytes:
    """The bytes a quoted string stands for.

    Escapes go through protobuf's own text_encoding.CUnescape, because text_format's escape
    handling has Python-specific corners (an octal escape above \\377 is an error, `\\q` stays
    as written, `\\u005c` starts a new escape) that must be reproduced exactly, and the
    reference implementation is already in our dependency.
    """
    if "\\" not in body:
        return body.encode("utf-8", "surrogateescape")  # raw non-UTF-8 bytes of the file
    from google.protobuf import text_encoding

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # "invalid escape sequence '\q'"
        return text_encoding.CUnescape(body)


def _converter(fd: FieldDescriptor) -> Converter | None:
    if fd.type in _INT_TYPES:
        return _int_converter(*_INT_TYPES[fd.type])
    if fd.type in (FD.TYPE_FLOAT, FD.TYPE_DOUBLE):
        return _float
    if fd.type == FD.TYPE_BOOL:
        return _bool
    if fd.type == FD.TYPE_ENUM:
        return _enum_converter(fd.enum_type)
    return None  # strings and bytes are read by _Parser._string


def _type_name(fd: FieldDescriptor) -> str:
    if fd.type == FD.TYPE_ENUM:
        return f"enum {fd.enum_type.full_name}"
    if fd.message_type is not None:
        return fd.message_type.full_name
    names = {FD.TYPE_FLOAT: "float", FD.TYPE_DOUBLE: "double", FD.TYPE_BOOL: "bool",
             FD.TYPE_STRING: "string", FD.TYPE_BYTES: "bytes"}
    return names.get(fd.type) or _INT_TYPES[fd.type][0]


# ---------------------------------------------------------------------------------------------
# Per-message-type lookup tables

# Entry kinds: bit 0 = repeated; MESSAGE and STRING mark the value kind; SLOW is added for
# fields whose semantics need the general path (oneof members, fields without presence, map
# entries, bytes). The fast loop handles the kinds below SLOW.
SCALAR, SCALARS, MESSAGE, MESSAGES, STRING, STRINGS, SLOW = 0, 1, 2, 3, 4, 5, 8

# name -> (field name, kind, converter, message descriptor, field descriptor)
_Entry = tuple[str, int, Converter | None, Descriptor | None, FieldDescriptor]
_TABLES: dict[Descriptor, dict[str, _Entry]] = {}


def _table(desc: Descriptor) -> dict[str, _Entry]:
    table = _TABLES.get(desc)
    if table is None:
        table = _TABLES[desc] = _build_table(desc)
    return table


def _is_map(fd: FieldDescriptor) -> bool:
    # has_options first: GetOptions() imports descriptor_pb2 (2-8 ms at every start), and a
    # map's entry message is the only kind that carries an option here.
    mt = fd.message_type
    return mt is not None and mt.has_options and mt.GetOptions().map_entry


def _group_like(fd: FieldDescriptor) -> bool:
    """A proto2 group, which text format may also name by its type name (`MyGroup { }`)."""
    mt = fd.message_type
    return (fd.type == FD.TYPE_GROUP and fd.name == mt.name.lower() and mt.file == fd.file
            and mt.containing_type == fd.containing_type)


def _entry(fd: FieldDescriptor) -> _Entry:
    is_message = fd.message_type is not None
    kind = MESSAGE if is_message else STRING if fd.type == FD.TYPE_STRING else SCALAR
    kind += 1 if fd.is_repeated else 0
    if (fd.containing_oneof is not None or (not fd.is_repeated and not fd.has_presence)
            or (is_message and _is_map(fd)) or fd.type == FD.TYPE_BYTES):
        kind += SLOW
    return fd.name, kind, _converter(fd), fd.message_type, fd


def _build_table(desc: Descriptor) -> dict[str, _Entry]:
    table = {fd.message_type.name: _entry(fd) for fd in desc.fields if _group_like(fd)}
    table.update((fd.name, _entry(fd)) for fd in desc.fields)
    return table


# ---------------------------------------------------------------------------------------------
# The parser

# A frame is one open message:
#   [message, table, node, closing token, on_close, field name, seen]
# on_close: None, or (list entry | None, map target | None) when closing needs more work:
#   reading "," / "]" after an element of `[{...}, {...}]`, or storing a map entry.
# seen: names of the singular fields already given (protobuf's "should not have multiple").
_Frame = list[Any]


# A byte of the file that is not UTF-8, as pipeline.decode keeps it (surrogateescape).
_RAW_BYTES = re.compile("[\udc80-\udcff]")


def _utf8_ok(value: str) -> bool:
    """False for lone surrogates, which a protobuf string field cannot hold."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class _Parser:
    def __init__(self, text: str, message: Message, filename: str,
                 unknown: list[UnknownField] | None = None):
        self.text = text
        self.unknown = unknown  # None: an unknown field is an error
        self.filename = filename
        self.index = _LineIndex(text)
        table = _table(message.DESCRIPTOR)
        self.root: _Node = [0, 0, None, 0, [], table]
        # Parse() does not clear the message: singular fields already set count as given.
        seen = {fd.name for fd, _ in message.ListFields() if not fd.is_repeated}
        self.stack: list[_Frame] = [[message, table, self.root, None, None, None, seen]]
        self.applied: re.Match[str] | None = None  # the fast loop's last applied item

    def run(self) -> ParseTree:
        pos = end = 0
        while pos >= 0:
            end = self._fast(pos)
            pos = self._general(end)
        root = self.root
        root[START] = root[AT] = min(_SKIP.match(self.text).end(), end)  # type: ignore[union-attr]
        root[STOP] = end
        return ParseTree(self.index, root)

    # -- the fast loop ------------------------------------------------------------------------

    def _fast(self, pos: int) -> int:
        """Apply common items from `pos` on; return where the general path must look.

        Never raises for bad input: a check that fails leaves its item untouched and returns
        its offset, so that the general path reports it exactly. This is the hot loop, hence
        the inlining and the local variables.
        """
        stack = self.stack
        tables = _TABLES
        msg, table, node, closer, on_close, _, seen = stack[-1]
        sep_ok = False  # protobuf takes one "," or ";" right after a field's value only
        m = applied = None
        for m in _FAST.finditer(self.text, pos):
            name, value, brace, close, sep = m.groups()
            if value is not None:
                entry = table.get(name)
                if entry is None:
                    break
                fname, kind, convert, _, _ = entry
                first = value[0]
                if first == '"' or first == "'":
                    if kind != STRING and kind != STRINGS:
                        break
                    value = value[1:-1]
                    if not value.isascii() and not _utf8_ok(value):
                        break
                    kind -= STRING
                elif kind > SCALARS:
                    break
                else:
                    try:
                        value = convert(value)  # type: ignore[misc]
                    except ValueError:
                        break
                if kind == SCALAR:
                    if fname in seen:
                        break
                    seen.add(fname)
                    setattr(msg, fname, value)
                else:
                    getattr(msg, fname).append(value)
                sep_ok = True
            elif brace is not None:
                entry = table.get(name)
                if entry is None:
                    break
                fname, kind, _, sub, _ = entry
                if kind == MESSAGE:
                    if fname in seen:
                        break
                    seen.add(fname)
                    msg = getattr(msg, fname)
                    msg.SetInParent()
                elif kind == MESSAGES:
                    msg = getattr(msg, fname).add()
                else:
                    break
                table = tables.get(sub) or _table(sub)  # type: ignore[arg-type]
                child = [m.start(3), 0, fname, m.start(1), [], table]
                node[CHILDREN].append(child)
                node = child
                closer = ">" if brace == "<" else "}"
                on_close = None
                seen = set()
                stack.append([msg, table, node, closer, None, fname, seen])
                sep_ok = False
            elif close is not None:
                if close != closer or on_close is not None:
                    break
                node[STOP] = m.end(4)
                stack.pop()
                msg, table, node, closer, on_close, _, seen = stack[-1]
                sep_ok = True
            elif sep is not None and sep_ok:
                sep_ok = False
            else:
                break
            applied = m
        self.applied = applied
        # The last match always fails a check or is the empty one: resume where it starts.
        return m.start() if m is not None else pos

    # -- the general path ---------------------------------------------------------------------

    def _general(self, pos: int) -> int:
        """Handle one item at `pos` exactly as protobuf would; -1 at the end of the input."""
        cur = _Cursor(self.text, pos)
        frame = self.stack[-1]
        closer = frame[3]
        if cur.tok == "":
            if closer is None:
                return -1
            raise self._error_prev(cur, f'expected "{closer}" to close "{frame[5]}", '
                                        "found end of input")
        if cur.tok == closer:
            self._close(cur)
        else:
            self._field(cur, frame)
        return cur.prev_end

    def _field(self, cur: _Cursor, frame: _Frame) -> None:
        msg, table = frame[0], frame[1]
        desc = msg.DESCRIPTOR
        if cur.tok == "[":
            self._extension(cur, desc)
        name = cur.tok
        if not _NAME_TOKEN.match(name):
            raise self._error(cur.start, f"expected a field name, found {_show(name)}")
        name_start = cur.start
        cur.advance()
        entry = table.get(name)
        if entry is None:
            if self.unknown is None:
                raise self._error_prev(cur, f'message type "{desc.full_name}" has no field '
                                            f'named "{name}"')
            self._skip_unknown(cur, name, name_start, desc)
            return
        fname, _, _, _, fd = entry
        oneof = fd.containing_oneof
        if oneof is not None:
            other = msg.WhichOneof(oneof.name)
            if other is not None and other != fname:
                raise self._error_prev(cur, f'field "{fname}" is given along with "{other}", '
                                            f'both in oneof "{oneof.name}"')
        is_message = fd.message_type is not None
        if cur.tok == ":":
            cur.advance()
        elif not is_message:
            raise self._error(cur.start, f'expected ":" after field name "{fname}", found '
                                         f"{_show(cur.tok)}")
        if fd.is_repeated and cur.tok == "[":
            cur.advance()
            if cur.tok == "]":
                cur.advance()
            elif is_message:
                self._open(cur, frame, entry, cur.start, in_list=True)
                return  # "," / "]" are read when the element closes
            else:
                self._scalar_list(cur, frame, entry)
        elif is_message:
            self._open(cur, frame, entry, name_start, in_list=False)
            return  # separators are read after the closing brace
        else:
            self._scalar(cur, frame, entry)
        self._separator(cur)

    def _extension(self, cur: _Cursor, desc: Descriptor) -> None:
        """`[pkg.ext]` names: reported where protobuf reports them; dwsep schemas have none."""
        if desc.full_name == "google.protobuf.Any":
            raise self._error(cur.start, "expanded google.protobuf.Any is not supported")
        cur.advance()
        parts = []
        while True:
            if not _EXT_IDENT.match(cur.tok):
                raise self._error(cur.start, f"expected an identifier, found {_show(cur.tok)}")
            parts.append(cur.tok)
            cur.advance()
            if cur.tok != ".":
                break
            cur.advance()
        if not desc.is_extendable:
            raise self._error_prev(cur, f'message type "{desc.full_name}" has no extensions')
        raise self._error_prev(cur, f'extension "{".".join(parts)}" is not supported')

    def _skip_unknown(self, cur: _Cursor, name: str, start: int, desc: Descriptor) -> None:
        """Skip an unknown field (its name already read) and record what was skipped."""
        try:
            kind = _skip_contents(cur)
        except _SkipError as err:
            raise self._error(err.offset, err.message) from None
        assert self.unknown is not None
        self.unknown.append(UnknownField(self._path(name), desc.full_name, name,
                                         self.index.span(start, cur.prev_end), kind))
        self._separator(cur)

    def _path(self, name: str) -> str:
        """`layer[3].data_param.shuffle`: open messages from the top, with list indices."""
        parts = []
        for parent, frame in zip(self.stack, self.stack[1:], strict=False):
            fname = frame[5]
            fd = parent[0].DESCRIPTOR.fields_by_name.get(fname)
            if fd is not None and fd.is_repeated and not _is_map(fd):
                parts.append(f"{fname}[{len(getattr(parent[0], fname)) - 1}]")
            else:
                parts.append(fname)
        return ".".join([*parts, name])

    @staticmethod
    def _separator(cur: _Cursor) -> None:
        if cur.tok in (",", ";"):
            cur.advance()

    def _scalar_list(self, cur: _Cursor, frame: _Frame, entry: _Entry) -> None:
        while True:
            self._scalar(cur, frame, entry)
            if cur.tok == "]":
                cur.advance()
                return
            if cur.tok != ",":
                raise self._error(cur.start, f'expected "," or "]" in the list of "{entry[0]}", '
                                             f"found {_show(cur.tok)}")
            cur.advance()

    def _scalar(self, cur: _Cursor, frame: _Frame, entry: _Entry) -> None:
        msg, seen = frame[0], frame[6]
        fname, _, convert, _, fd = entry
        if fd.type in (FD.TYPE_STRING, FD.TYPE_BYTES):
            value = self._string(cur, fd)
        else:
            try:
                value = convert(cur.tok)  # type: ignore[misc]
            except ValueError as err:
                raise self._error(cur.start, f'field "{fname}" ({_type_name(fd)}): {err}') from None
            cur.advance()
        if fd.is_repeated:
            getattr(msg, fname).append(value)
            return
        if fd.has_presence:
            duplicate = fname in seen
        else:  # implicit presence: like protobuf, all one can tell is "not the default value"
            old = getattr(msg, fname)
            duplicate = bool(old) or (isinstance(old, float) and math.copysign(1.0, old) < 0)
        if duplicate:
            raise self._error_prev(cur, self._duplicate(msg, fname))
        seen.add(fname)
        setattr(msg, fname, value)

    def _string(self, cur: _Cursor, fd: FieldDescriptor) -> str | bytes:
        """One or more adjacent quoted tokens, concatenated, then (string fields) UTF-8."""
        start = cur.start
        pieces = []
        while True:
            tok = cur.tok
            if not tok or tok[0] not in _QUOTES:
                if pieces:
                    break
                raise self._error(cur.start, f'field "{fd.name}" ({_type_name(fd)}): expected '
                                             f"a quoted string, found {_show(tok)}")
            if len(tok) < 2 or tok[-1] != tok[0]:
                raise self._error(cur.start, f"string is missing its closing quote: {tok}")
            try:
                pieces.append(_unescape(tok[1:-1]))
            except ValueError as err:
                raise self._error(cur.start, f"invalid string {tok}: {err}") from None
            cur.advance()
        data = b"".join(pieces)
        if fd.type == FD.TYPE_BYTES:
            return data
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as err:
            if _RAW_BYTES.search(self.text, start, cur.prev_end):
                # Non-UTF-8 bytes written as such in the file (GBK names): Caffe's proto2
                # parser only logs them. Kept distinct and visible as \xNN escapes.
                return data.decode("utf-8", "backslashreplace")
            raise self._error(cur.start, f'field "{fd.name}" (string): not valid UTF-8: {err}'
                              ) from None

    def _open(self, cur: _Cursor, frame: _Frame, entry: _Entry, start: int,
              in_list: bool) -> None:
        """Read "{" or "<" and push the frame of the message it opens."""
        fname, _, _, sub, fd = entry
        if cur.tok == "<":
            closer = ">"
        elif cur.tok == "{":
            closer = "}"
        else:
            raise self._error(cur.start, f'expected "{{" after field name "{fname}", found '
                                         f"{_show(cur.tok)}")
        brace = cur.start
        cur.advance()
        msg, seen = frame[0], frame[6]
        map_target = None
        if fd.is_repeated and _is_map(fd):
            child = getattr(msg, fname).GetEntryClass()()
            map_target = (msg, fname)
        elif fd.is_repeated:
            child = getattr(msg, fname).add()
        else:
            if fname in seen:
                raise self._error_prev(cur, self._duplicate(msg, fname))
            seen.add(fname)
            child = getattr(msg, fname)
            child.SetInParent()
        table = _table(sub)  # type: ignore[arg-type]
        node = [brace, 0, fname, start, [], table]
        frame[2][CHILDREN].append(node)
        on_close = (entry if in_list else None, map_target)
        self.stack.append([child, table, node, closer,
                           None if on_close == (None, None) else on_close, fname, set()])

    def _close(self, cur: _Cursor) -> None:
        """Read the closing brace of the innermost message, then what may follow it."""
        frame = self.stack.pop()
        frame[2][STOP] = cur.end
        cur.advance()
        on_close = frame[4]
        if on_close is None:
            self._separator(cur)
            return
        list_entry, map_target = on_close
        if map_target is not None:
            self._store_map_entry(map_target, frame[0])
        if list_entry is None:
            self._separator(cur)
        elif cur.tok == "]":
            cur.advance()
            self._separator(cur)
        elif cur.tok == ",":
            cur.advance()
            self._open(cur, self.stack[-1], list_entry, cur.start, in_list=True)
        else:
            raise self._error(cur.start, f'expected "," or "]" in the list of "{list_entry[0]}", '
                                         f"found {_show(cur.tok)}")

    @staticmethod
    def _store_map_entry(target: tuple[Message, str], entry: Message) -> None:
        msg, fname = target
        container = getattr(msg, fname)
        if entry.DESCRIPTOR.fields_by_name["value"].message_type is not None:
            container[entry.key].CopyFrom(entry.value)  # type: ignore[attr-defined]
        else:
            container[entry.key] = entry.value  # type: ignore[attr-defined]

    # -- errors -------------------------------------------------------------------------------

    @staticmethod
    def _duplicate(msg: Message, fname: str) -> str:
        return (f'field "{fname}" of {msg.DESCRIPTOR.full_name} is given twice '
                "(it is not repeated)")

    def _error(self, offset: int, message: str) -> ParseError:
        line, column = self.index.locate(offset)
        return ParseError(message, line, column, self.filename)

    def _error_prev(self, cur: _Cursor, message: str) -> ParseError:
        """An error about the token read last, which is where protobuf reports it."""
        offset = cur.prev_start
        if offset < 0:  # read by the fast loop: its last item, or (rarely) the text again
            m = self.applied
            if m is not None and m.end() == cur.prev_end:
                offset = max(m.start(2), m.start(3), m.start(4), m.start(5))
            else:
                offset = self._token_before(cur.start)
        return self._error(offset, message)

    def _token_before(self, limit: int) -> int:
        """Start of the last token before `limit`, found by re-reading the text."""
        last = 0
        cur = _Cursor(self.text, 0)
        while cur.tok and cur.start < limit:
            last = cur.start
            cur.advance()
        return last


def parse(text: str, message: Message, filename: str = "<string>",
          unknown: list[UnknownField] | None = None) -> ParseTree:
    """Merge `text` into `message` as `text_format.Parse(text, message)` would.

    Returns the positions of everything read. Raises errors.ParseError at the line and column
    protobuf reports, with a message that names the field and what was expected.

    With a list as `unknown`, fields the schema does not know are skipped as
    `text_format.Parse(..., allow_unknown_field=True)` skips them, and each is appended to the
    list as an UnknownField. Extensions (`[pkg.ext]`) stay errors, as they do in protobuf.
    """
    if not isinstance(text, str):
        raise TypeError("textformat.parse() takes str; decode the file first")
    return _Parser(text, message, filename, unknown).run()
