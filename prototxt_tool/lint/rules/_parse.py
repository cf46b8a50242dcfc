"""Sorting a text-format ParseError into the schema problem it reports.

The parser stops at the first problem, so each file gets at most one of P001-P005, P009. A
ParseError carries only a message, so the message wording is what we classify on.
"""

from __future__ import annotations

import re

from prototxt_tool.errors import ParseError
from prototxt_tool.lint.registry import Issue

# Both our textformat's wording and protobuf's are recognised, so the classification
# survives either parser; order matters (an enum error also names the field's type).
KINDS: list[tuple[str, re.Pattern[str]]] = [
    ("required", re.compile(r"missing required field", re.I)),
    ("unknown-field", re.compile(r"has no field named|has no extensions|does not have "
                                 r"extensions|extension .* (is )?not (supported|registered)",
                                 re.I)),
    ("enum", re.compile(r"enum .* has no value", re.I)),
    ("duplicate", re.compile(r"is given twice|should not have multiple|is given along with",
                             re.I)),
    ("type", re.compile(r'^field "[^"]*" \(|expected "\{" after field name|Couldn\'t parse|'
                        r"Expected (integer|double|float|string|\"true\")|Value out of range|"
                        r"Expected .* but found", re.I)),
]


def kind_of(err: ParseError) -> str:
    for kind, pattern in KINDS:
        if pattern.search(err.message):
            return kind
    return "syntax"


class _Point:
    """A one-character span for a ParseError position (parse errors carry no extent)."""

    __slots__ = ("column", "end_column", "end_line", "line")

    def __init__(self, line: int, column: int):
        self.line = self.end_line = max(line, 1)
        self.column = self.end_column = max(column, 1)


def parse_issue(err: ParseError | None, kind: str) -> list[Issue]:
    if err is None or kind_of(err) != kind:
        return []
    return [Issue(_Point(err.line, err.column), _clean(err.message))]


def _clean(message: str) -> str:
    """protobuf prefixes some messages with the offending line in quotes; drop that echo."""
    return re.sub(r"^'[^\n]*?': ", "", message).strip()
