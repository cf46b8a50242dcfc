"""The one escaping policy for net-supplied text in every human-readable output.

A prototxt is untrusted input: layer, blob, type and net names (and file paths) are
attacker-controlled text that may hold terminal escapes (ESC, OSC, BEL), carriage returns that
overwrite a line, newlines that split a "one-line" error or forge a lint line, bidi controls
that reorder what a reviewer sees, Markdown/HTML markup, spreadsheet formulas or GitHub
workflow commands. Each output format calls exactly one function here for every such string;
no formatter does its own escaping, so a fix here fixes every output at once.

JSON and SARIF are not escaped here: `json.dumps` already makes any string inert and exact.

- `visible(s)`: control characters shown as `\\n`, `\\r`, `\\t`, `\\xNN`, `\\uNNNN`; the base of
  all the others. Backslashes themselves are left alone so that Windows paths stay readable;
  the price is that a name spelled with a literal backslash-n looks like one with a newline.
- `markdown(s)`, `csv_cell(s)`, `html(s)`, `dot(s)`: visible() plus the format's own rules.
- `github_data(s)`, `github_prop(s)`: GitHub Actions workflow-command values.
"""

from __future__ import annotations

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}

# Unicode characters that are not "control" in the C0/C1 sense but still change how a line
# reads: line/paragraph separators (a new line in many terminals and editors), the bidi
# embedding/override/isolate controls and marks (Trojan Source, CVE-2021-42574), and lone
# surrogates (os.fsdecode's surrogateescape; they would make writing to stdout fail).
_UNICODE_CONTROLS = (
    [0x061C, 0x200E, 0x200F, 0x2028, 0x2029]
    + list(range(0x202A, 0x202F))
    + list(range(0x2066, 0x206A))
    + list(range(0xD800, 0xE000))
)


def _build_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for code in [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)]:
        table[code] = _NAMED.get(chr(code), f"\\x{code:02x}")
    for code in _UNICODE_CONTROLS:
        table[code] = f"\\u{code:04x}"
    return table


_VISIBLE = _build_table()


def visible(s: str) -> str:
    """`s` with every control character replaced by a visible escape; plain text unchanged.

    Used for table cells, lint text, one-line errors and warnings: after it the string is a
    single line that cannot move the cursor, change the terminal or reorder its neighbours.
    """
    return s.translate(_VISIBLE)


# Every ASCII character that can open or close inline Markdown (CommonMark + GFM: emphasis,
# code, links, images, autolinks, raw HTML, entities, tables, strikethrough, math, mentions,
# issue references). CommonMark lets any ASCII punctuation be backslash-escaped, so the escaped
# text renders exactly as the original.
_MD_META = "\\`*_{}[]()<>#|~&!$@^"
_MD_TABLE = {ord(c): "\\" + c for c in _MD_META}
# A list item, thematic break or setext underline starts with one of these, followed by a
# space or the end of the line (or more of the same: `---`). Only a line's start can be one.
_MD_BLOCK = "-+="


def markdown(s: str) -> str:
    """`s` as inert Markdown text, safe in a table cell, a list item or a heading.

    A name can neither forge a table row (`|`, newlines), nor open markup or raw HTML
    (`<script>`), nor mention a user (`@`) or reference an issue (`#`), nor, at the start of
    a list item, open a nested list or a rule (`- x`, `1. x`, `---`).
    """
    out = visible(s).translate(_MD_TABLE)
    head = out[:1]
    if head and head in _MD_BLOCK and (out[1:2] in ("", " ") or not out.strip(head + " ")):
        return "\\" + out
    digits = len(out) - len(out.lstrip("0123456789"))
    if digits and out[digits:digits + 1] in (".", ")") and out[digits + 1:digits + 2] in ("", " "):
        return out[:digits] + "\\" + out[digits:]
    return out


# OWASP "CSV Injection": a cell whose first character is one of these is read as a formula by
# Excel, LibreOffice and Google Sheets. Full-width variants are included because some
# spreadsheet applications normalise them to the ASCII ones.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def csv_cell(s: str) -> str:
    """`s` as a CSV text cell: visible(), and a leading `'` when it could start a formula.

    This follows OWASP's CSV-injection advice: the `'` makes a spreadsheet show the cell as
    text instead of evaluating `=cmd|' /C calc'!A0`. Quoting of `,` and `"` is left to the
    `csv` module that writes the row. Only for text cells: numbers are written as numbers.
    """
    out = visible(s)
    if s.startswith(_FORMULA_START):
        out = "'" + out
    return out


def html(s: str) -> str:
    """`s` for HTML, SVG or XML text and attribute values (either quote style).

    visible() first also keeps XML well-formed: XML 1.0 forbids most control characters.
    """
    return visible(s).translate(_HTML)


# html.escape(s, quote=True), without importing html (and html.entities) at start-up.
_HTML = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"})


def dot(s: str) -> str:
    """`s` for inside a double-quoted Graphviz DOT string (label, id, tooltip).

    Graphviz gives backslash sequences in labels a meaning (`\\n`, `\\l`, `\\N`, `\\G`, ...)
    and reads `&...;` as an entity, so backslash, `"` and `&` are escaped: the label shows the
    name exactly, and the name can neither end the string nor add attributes or nodes.
    """
    return visible(s).replace("\\", "\\\\").replace('"', '\\"').replace("&", "&amp;")


def github_data(s: str) -> str:
    """`s` as the message of a GitHub Actions workflow command (`::error ...::MESSAGE`).

    The runner decodes `%25`, `%0D` and `%0A`; visible() first keeps other control characters
    out of the log, so CR/LF never reach the runner either way.
    """
    return visible(s).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github_prop(s: str) -> str:
    """`s` as a property value of a workflow command (`file=`, `title=`): also `:` and `,`."""
    return github_data(s).replace(":", "%3A").replace(",", "%2C")


_SCRIPT_JSON = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026",
                0x2028: "\\u2028", 0x2029: "\\u2029"}


def script_json(s: str) -> str:
    """JSON text (from json.dumps) for inside an HTML <script type="application/json"> block.

    `<`, `>` and `&` become JSON `\\u` escapes, so `</script>` or `<!--` in a name cannot end
    or alter the block; U+2028/U+2029 too, for readers that treat them as line ends. The
    result parses back (JSON.parse) to exactly the same value.
    """
    return s.translate(_SCRIPT_JSON)
