"""Inline suppressions: `# dwsep: disable=CODE[,CODE]`, `# dwsep: disable-next-line=CODE` and
`# dwsep: disable-file=CODE`.

Scopes, chosen so a comment silences only what its author could see when writing it:
- a comment after a field silences that line;
- a comment on its own line inside a layer block, or on the block's opening line, silences
  the whole layer (findings usually sit on the layer's `name` or field lines);
- a comment on its own line outside any layer silences the next line that is not a comment,
  and when that line opens a layer (`layer {`), the whole layer;
- `disable-next-line` silences the next line that is not a comment (the whole layer when it
  opens one), wherever the comment is;
- `disable-file` silences the code in the whole file.
A suppression that silences nothing is reported (L001), so stale ones do not pile up.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

DIRECTIVE = re.compile(
    r"dwsep:\s*(disable-file|disable-next-line|disable)\s*=\s*([A-Za-z0-9_, \t]*)")


@dataclass(slots=True)
class Suppression:
    code: str
    line: int  # position of the directive, for the unused-suppression report
    column: int
    first: int  # lines silenced, inclusive; 0..0 means the whole file
    last: int
    used: bool = False

    def covers(self, code: str, line: int) -> bool:
        if code != self.code:
            return False
        return self.first == 0 or self.first <= line <= self.last


def comment_start(line: str) -> int:
    """Index of a `#` that starts a comment (not one inside a quoted string), or -1."""
    quote = ""
    escaped = False
    for i, ch in enumerate(line):
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            return i
    return -1


def parse_suppressions(lines: list[str],
                       blocks: Iterable[tuple[int, int]]) -> list[Suppression]:
    """Every directive in the text; `blocks` are the (first, last) lines of each layer."""
    spans = sorted(blocks)
    out: list[Suppression] = []
    for number, text in enumerate(lines, start=1):
        hash_at = comment_start(text)
        if hash_at < 0:
            continue
        match = DIRECTIVE.search(text, hash_at)
        if not match:
            continue
        first, last = _scope(match.group(1), number, text[:hash_at].strip(), lines, spans)
        column = match.start(2) + 1
        for code in re.split(r"[,\s]+", match.group(2).strip()):
            if code:
                out.append(Suppression(code.upper(), number, column, first, last))
    return out


def _scope(kind: str, number: int, before: str, lines: list[str],
           spans: list[tuple[int, int]]) -> tuple[int, int]:
    if kind == "disable-file":
        return 0, 0
    if kind == "disable-next-line":
        return _next_scope(number, lines, spans)
    block = _innermost(number, spans)
    if block and (not before or number == block[0]):
        return block
    if before:
        return number, number
    return _next_scope(number, lines, spans)


def _next_scope(number: int, lines: list[str], spans: list[tuple[int, int]]) -> tuple[int, int]:
    """The next code line, or the whole layer when that line is where a layer block starts."""
    nxt = _next_code_line(number, lines)
    starting = [s for s in spans if s[0] == nxt]
    if starting and nxt != number:
        return max(starting, key=lambda s: s[1] - s[0])
    return nxt, nxt


def _innermost(line: int, spans: list[tuple[int, int]]) -> tuple[int, int] | None:
    inside = [s for s in spans if s[0] <= line <= s[1]]
    return min(inside, key=lambda s: s[1] - s[0]) if inside else None


def _next_code_line(number: int, lines: list[str]) -> int:
    for n in range(number + 1, len(lines) + 1):
        stripped = lines[n - 1].strip()
        if stripped and not stripped.startswith("#"):
            return n
    return number
