"""The escaping policy of prototxt_tool/escape.py against hostile names."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from xml.dom import minidom

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prototxt_tool import escape

HOSTILE = [
    "\x1b[2J\x1b[H",                          # clear screen, cursor home
    "\x1b]0;owned\x07",                       # OSC: set terminal title, BEL-terminated
    "\x1b]8;;http://evil/\x1b\\link\x1b]8;;\x1b\\",  # OSC 8 hyperlink
    "ok\rFAKE",                               # carriage return overwrites the line
    "a\nsrc/app.py:1:1: E999 forged",        # forged lint line
    "x\n::error file=src/app.py,line=1::pwned",  # GitHub workflow command
    "</script><script>alert(1)</script>",
    '" onload="alert(1)',
    "' onmouseover='alert(1)",
    "=cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3", "@SUM(A1)", "\t=1", "\r=1",
    "a|b\n|forged|row|",
    "safe\u202egnp.exe",                      # RIGHT-TO-LEFT OVERRIDE
    "\u2066isolate\u2069", "line\u2028sep\u2029par",
    "\x00nul\x7fdel\x85nel\x9bcsi",
    "\ud800lone",                             # lone surrogate (surrogateescape'd path)
    "dot\"];evil[label=\"x", "back\\slash\\l\\n\\N",
]
PLAIN = ["conv1", "conv2_1/dw", "relu-1.2", "Ünïcödé_层", "data", "a b", "名前"]

# Everything visible() must remove: C0, DEL, C1, bidi controls, line separators, surrogates.
FORBIDDEN = {c for c in range(0x20)} | {0x7F} | set(range(0x80, 0xA0)) | {
    0x061C, 0x200E, 0x200F, 0x2028, 0x2029, *range(0x202A, 0x202F), *range(0x2066, 0x206A),
    *range(0xD800, 0xE000)}


def _clean(s: str) -> bool:
    return not any(ord(c) in FORBIDDEN for c in s)


@pytest.mark.parametrize("name", HOSTILE)
def test_visible_leaves_no_control_character(name: str) -> None:
    out = escape.visible(name)
    assert _clean(out)
    assert out.isprintable()
    out.encode("utf-8")  # no lone surrogate left to crash a write to stdout


@pytest.mark.parametrize("name", PLAIN)
def test_plain_text_is_unchanged(name: str) -> None:
    assert escape.visible(name) == name
    assert escape.csv_cell(name) == name


def test_visible_spellings() -> None:
    assert escape.visible("a\nb\rc\td") == "a\\nb\\rc\\td"
    assert escape.visible("\x1b[31m\x07\x00\x7f\x9b") == "\\x1b[31m\\x07\\x00\\x7f\\x9b"
    assert escape.visible("x\u202ey\u2028z\u2066") == "x\\u202ey\\u2028z\\u2066"


@given(st.text())
@settings(max_examples=300, deadline=None)
def test_visible_is_one_printable_line(s: str) -> None:
    out = escape.visible(s)
    assert _clean(out)
    assert len(out.splitlines()) <= 1
    # Nothing else changes: removing the escapes of a clean string is the identity.
    if _clean(s):
        assert out == s


def _unescaped_markdown(s: str) -> str:
    """The characters of `s` that no backslash escapes (CommonMark's rule)."""
    bare, i = [], 0
    while i < len(s):
        if s[i] == "\\" and i + 1 < len(s):
            i += 2
            continue
        bare.append(s[i])
        i += 1
    return "".join(bare)


@pytest.mark.parametrize("name", HOSTILE + PLAIN + [
    "# head", "- item", "1. item", "*b* _i_", "-", "= =", "3)", "[x](javascript:alert(1))",
    "@user #12", "~~s~~ `code` $x$ &lt;"])
def test_markdown_is_inert(name: str) -> None:
    out = escape.markdown(name)
    assert _clean(out) and "\n" not in out
    bare = _unescaped_markdown(out)
    assert not set(bare) & set("\\`*_{}[]()<>#|~&!$@^")
    assert not re.match(r"[-+=]( |$)|[-+= ]+$", out)  # a list item, rule or underline
    assert not re.match(r"[0-9]+[.)]( |$)", out)  # an ordered list item


def test_markdown_cannot_forge_a_row_or_html() -> None:
    row = f"| {escape.markdown('a|b' + chr(10) + '|x|<script>')} | 1 |"
    assert row == "| a\\|b\\\\n\\|x\\|\\<script\\> | 1 |"
    assert escape.markdown("conv1_1") == "conv1\\_1"
    assert escape.markdown("1. x") == "1\\. x"
    assert escape.markdown("- x") == "\\- x" and escape.markdown("---") == "\\---"
    # Plain numbers and names stay as they are written.
    assert [escape.markdown(s) for s in ("-5", "1.5K", "+1", "a-b")] == ["-5", "1.5K", "+1", "a-b"]


@pytest.mark.parametrize("name", ["=cmd|' /C calc'!A0", "+1", "-1", "@A1", "\t=1", "\r=1",
                                  "\uff1d1+1"])
def test_csv_formula_cells_get_a_quote(name: str) -> None:
    cell = escape.csv_cell(name)
    assert cell.startswith("'")
    assert _clean(cell)
    buf = io.StringIO()
    csv.writer(buf).writerow([cell, "x"])
    assert next(csv.reader(io.StringIO(buf.getvalue()))) == [cell, "x"]


@pytest.mark.parametrize("name", HOSTILE)
def test_html_in_text_and_both_attribute_quotes(name: str) -> None:
    out = escape.html(name)
    assert not set(out) & set("<>\"'") and _clean(out)
    doc = minidom.parseString(f"<svg a=\"{out}\" b='{out}'><t>{out}</t></svg>")
    shown = escape.visible(name)
    root = doc.documentElement
    assert root.getAttribute("a") == shown == root.getAttribute("b")
    assert root.firstChild.firstChild.data == shown


def _dot_unquote(s: str) -> str:
    """What Graphviz shows for the inside of a quoted label: `\\x` -> x, `&amp;` -> &."""
    out, i = [], 0
    while i < len(s):
        if s[i] == "\\":
            assert i + 1 < len(s), "dangling backslash would escape the closing quote"
            out.append(s[i + 1])
            i += 2
        else:
            assert s[i] != '"', "unescaped quote ends the DOT string"
            out.append(s[i])
            i += 1
    return "".join(out).replace("&amp;", "&")


@pytest.mark.parametrize("name", HOSTILE + PLAIN + ["a\\", "&lt;", "\\l\\N\\G"])
def test_dot_string_shows_the_name_exactly(name: str) -> None:
    out = escape.dot(name)
    assert _clean(out)
    assert _dot_unquote(out) == escape.visible(name)


def test_github_workflow_command_values() -> None:
    assert escape.github_data("50%\n::error::x") == "50%25\\n::error::x"
    assert escape.github_prop("a:b,c%") == "a%3Ab%2Cc%25"
    msg = escape.github_data("x\r\n::warning file=a::b\x1b[2J")
    assert "\n" not in msg and "\r" not in msg and "\x1b" not in msg


def test_every_function_is_a_single_printable_line_for_hostile_names() -> None:
    for fn in (escape.visible, escape.markdown, escape.csv_cell, escape.html, escape.dot,
               escape.github_data, escape.github_prop):
        for name in HOSTILE:
            out = fn(name)
            assert _clean(out), (fn.__name__, name)
            assert all(unicodedata.category(c) != "Cc" for c in out)
