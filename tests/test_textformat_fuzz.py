"""Differential fuzzing of textformat.parse against protobuf's text_format.

Hypothesis writes random LayerParameter-rich NetParameter texts from the schema itself, in
random spellings (comments, separators, list syntax, quoting and escapes, `<>` or `{}`,
optional colons, number formats), then mutates some of them. Whatever the text, both parsers
must build the same message, or both reject it at the same line and column. The budget is
fixed (derandomized) so the file runs in well under a minute.
"""

from __future__ import annotations

import math
import re

import pytest
from google.protobuf import text_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prototxt_tool import caffe_pb2
from prototxt_tool.errors import ParseError
from prototxt_tool.textformat import ParseTree, parse

# Mutations write odd escapes ("\\q"), on which protobuf's CUnescape warns.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

FD = FieldDescriptor
FUZZ = settings(max_examples=250, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

INT_RANGES = {
    FD.TYPE_INT32: (-(1 << 31), (1 << 31) - 1), FD.TYPE_INT64: (-(1 << 63), (1 << 63) - 1),
    FD.TYPE_UINT32: (0, (1 << 32) - 1), FD.TYPE_UINT64: (0, (1 << 64) - 1),
}

# Between statements: whitespace of several kinds and comments (always at least one blank).
GAP = st.sampled_from([" ", "\n", "  ", "\t", "\n\n  ", " # note\n", "\r\n", " #\n\t",
                       "\n# full-line comment with \"quotes\" and { braces\n"])
# Inside a statement (may be empty).
TIGHT = st.sampled_from(["", "", " ", "\n", "\t", " # c\n"])
SEPARATOR = st.sampled_from(["", "", "", ",", ";", " ;"])
BOOLS = ["true", "false", "t", "f", "1", "0", "True", "False"]


def quote(value: str, draw: st.DrawFn) -> str:
    """A string literal for `value`, possibly split into adjacent literals, with escapes."""
    mark = draw(st.sampled_from(["\"", "'"]))
    out = []
    for ch in value:
        code = ord(ch)
        if ch in (mark, "\\"):
            out.append("\\" + ch)
        elif ch == "\n":
            out.append(draw(st.sampled_from(["\\n", "\\012", "\\x0a", "\\u000a"])))
        elif code < 0x20 or code == 0x7F:
            out.append(draw(st.sampled_from([f"\\{code:03o}", f"\\x{code:02x}"])))
        elif code > 0x7F and draw(st.booleans()):
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
        else:
            out.append(ch)
    cut = draw(st.integers(0, len(out)))
    if cut and cut < len(out) and draw(st.booleans()):
        return (f"{mark}{''.join(out[:cut])}{mark}{draw(TIGHT)} "
                f"{mark}{''.join(out[cut:])}{mark}")
    return f"{mark}{''.join(out)}{mark}"


def spell_int(value: int, draw: st.DrawFn) -> str:
    sign = "-" if value < 0 else ""
    magnitude = abs(value)
    style = draw(st.sampled_from(["dec", "dec", "hex", "oct", "plus"]))
    if style == "hex":
        return f"{sign}0x{magnitude:x}"
    if style == "oct" and magnitude:
        return f"{sign}0{magnitude:o}"
    if style == "plus" and not sign:
        return f"+{magnitude}"
    return str(value)


def spell_float(value: float, draw: st.DrawFn) -> str:
    if math.isnan(value):
        return draw(st.sampled_from(["nan", "NaN", "nanf", "-nan"]))
    if math.isinf(value):
        word = draw(st.sampled_from(["inf", "Infinity", "INF", "inff", "infinity"]))
        return ("-" if value < 0 else "") + word
    text = draw(st.sampled_from([repr(value), f"{value:.3e}", f"{value:g}"]))
    if draw(st.integers(0, 3)) == 0 and ("." in text or "e" in text):
        text += draw(st.sampled_from(["f", "F"]))
    return text


@st.composite
def scalar_text(draw: st.DrawFn, fd: FieldDescriptor) -> str:
    if fd.type in INT_RANGES:
        lo, hi = INT_RANGES[fd.type]
        if draw(st.integers(0, 15)) == 0:  # one past the range: both parsers must refuse
            return spell_int(draw(st.sampled_from([lo - 1, hi + 1])), draw)
        return spell_int(draw(st.integers(lo, hi) | st.integers(max(lo, -5), 300)), draw)
    if fd.type in (FD.TYPE_FLOAT, FD.TYPE_DOUBLE):
        width = 32 if fd.type == FD.TYPE_FLOAT else 64
        return spell_float(draw(st.floats(width=width)), draw)
    if fd.type == FD.TYPE_BOOL:
        return draw(st.sampled_from(BOOLS))
    if fd.type == FD.TYPE_ENUM:
        values = list(fd.enum_type.values)
        value = draw(st.sampled_from(values))
        return draw(st.sampled_from([value.name, str(value.number), value.name]))
    text = draw(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=8)
                | st.sampled_from(["conv1", "data", "a/b_c-1", ""]))
    return quote(text, draw)


@st.composite
def message_body(draw: st.DrawFn, desc: Descriptor, depth: int) -> str:
    """The fields of one message, in random order and spelling."""
    fields = [fd for fd in list(desc.fields)
              if depth > 0 or fd.message_type is None]
    # distinct fields (a second singular one is an error, tested in test_textformat.py)
    chosen = draw(st.lists(st.sampled_from(fields), max_size=5 if depth else 4,
                           unique_by=lambda fd: fd.name))
    parts = []
    for fd in chosen:
        count = draw(st.integers(1, 3)) if fd.is_repeated else 1
        parts.append(draw(statement(fd, depth, count)) + draw(SEPARATOR) + draw(GAP))
    return "".join(parts)


@st.composite
def block(draw: st.DrawFn, fd: FieldDescriptor, depth: int) -> str:
    opener, closer = draw(st.sampled_from([("{", "}"), ("{", "}"), ("<", ">")]))
    body = draw(message_body(fd.message_type, depth - 1))
    return f"{opener}{draw(GAP)}{body}{closer}"


@st.composite
def statement(draw: st.DrawFn, fd: FieldDescriptor, depth: int, count: int) -> str:
    is_message = fd.message_type is not None
    colon = (draw(st.sampled_from(["", ":", ": "])) if is_message
             else draw(st.sampled_from([":", ": ", " : "])))
    value = (lambda: draw(block(fd, depth))) if is_message else (
        lambda: draw(scalar_text(fd)))
    if fd.is_repeated and draw(st.booleans()):
        items = ", ".join(value() for _ in range(count - 1))
        return f"{fd.name}{colon}{draw(TIGHT)}[{items}]"
    texts = [f"{fd.name}{draw(TIGHT)}{colon}{draw(TIGHT)}{value()}" for _ in range(count)]
    return draw(GAP).join(texts)


@st.composite
def net_text(draw: st.DrawFn) -> str:
    """A NetParameter with a few top-level fields and LayerParameter-rich layers."""
    net = caffe_pb2.NetParameter.DESCRIPTOR
    top = draw(message_body(net, 0))
    layer = net.fields_by_name["layer"]
    layers = [f"layer{draw(st.sampled_from(['', ':']))} {draw(block(layer, 3))}"
              for _ in range(draw(st.integers(0, 3)))]
    return top + draw(GAP).join(layers)


def run_both(text: str) -> None:
    want, got = caffe_pb2.NetParameter(), caffe_pb2.NetParameter()
    want_err = got_err = None
    try:
        text_format.Parse(text, want)
    except text_format.ParseError as err:
        want_err = (err.GetLine(), err.GetColumn())
    tree = None
    try:
        tree = parse(text, got)
    except ParseError as err:
        got_err = (err.line, err.column)
    assert got_err == want_err, text
    if want_err is None:
        assert got.SerializePartialToString(deterministic=True) == \
            want.SerializePartialToString(deterministic=True), text
        assert tree is not None
        check_positions(text, tree, got)


def check_positions(text: str, tree: ParseTree, message: object) -> None:
    """Each field's span starts at its name, or at an element inside `[...]`."""
    for name in tree.fields():
        for i in range(tree.count(name)):
            span = tree.location(name, i)
            assert span is not None
            offset = offset_of(text, span.line, span.column)
            if not text.startswith(name, offset):
                before = re.sub(r"(\s|#[^\n]*\n)*$", "", text[:offset])
                assert before[-1:] in ("[", ","), (name, i, text)
            sub = tree.nested(name, i)
            if sub is not None:
                assert text[offset_of(text, sub.span.line, sub.span.column)] in "{<"
                check_positions(text, sub, None)


def offset_of(text: str, line: int, column: int) -> int:
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    return starts[line - 1] + column - 1


@FUZZ
@given(net_text())
def test_random_nets_match_text_format(text: str) -> None:
    run_both(text)


MUTATION_CHARS = st.sampled_from(list("{}<>[]:;,\"'#\\ \n\t.-+0123456789xefinatlyr_é"))


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(net_text())
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["delete", "insert", "replace", "cut"]))
        if action == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 3)):]
        elif action == "insert":
            text = text[:at] + draw(MUTATION_CHARS) + text[at:]
        elif action == "replace":
            text = text[:at] + draw(MUTATION_CHARS) + text[at + 1:]
        else:
            text = text[:at]
    return text


@FUZZ
@given(mutated())
def test_mutated_nets_fail_at_the_same_place(text: str) -> None:
    run_both(text)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.text(alphabet=st.sampled_from(list("layer{}<>[]:;,\"'#\\ \n.-0123456789name_é")),
               max_size=40))
def test_arbitrary_text(text: str) -> None:
    run_both(text)
