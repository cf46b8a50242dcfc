"""Sorting a text-format ParseError into the schema problem it reports.

The parser stops at the first problem, so each file gets at most one of P001-P005; the
message wording is protobuf's (our textformat reproduces it), which is what we classify on.
"""

from __future__ import annotations

import re

from prototxt_tool.errors import ParseError
from prototxt_tool.lint.registry import Issue

KINDS: list[tuple[str, re.Pattern[str]]] = [
    ("unknown-field", re.compile(r"has no field named|does not have extensions|"
                                 r"Extension .* not registered|unknown field", re.I)),
    ("enum", re.compile(r"Enum type .* has no value|unknown enum|invalid enum", re.I)),
    ("duplicate", re.compile(r"should not have multiple|duplicate|multiple .* fields", re.I)),
    ("type", re.compile(r"Couldn't parse|Expected (integer|double|float|string|\"true\"|bool)|"
                        r"Value out of range|Integer out of range|Invalid value|"
                        r"Expected .* but found|expects a message", re.I)),
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
