"""Text tables that fit a width: aligned columns, unambiguous shortening, optional colour.

Shared by every table dwsep prints for people (analyze, many-net summaries, diff). Cells
arrive already escaped (prototxt_tool.escape); this module only measures, pads, elides and
colours them. Widths are measured in code points: escaped names are ASCII.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

WIDTH = 100  # what the table fits when it is not written to a terminal
MIN_WIDTH = 60
ELLIPSIS = "~"

# ANSI SGR codes; only ever used when color_enabled() said so.
COLORS = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "blue": "34",
          "magenta": "35", "cyan": "36"}


@dataclass(slots=True)
class Column:
    head: str
    max_width: int | None = None  # None: as wide as its widest cell
    right: bool = False  # numbers are right-aligned
    elastic: bool = False  # takes whatever width the others leave (names)
    unique: bool = False  # shortened so that different values never print the same


def output_width(to_terminal: bool) -> int:
    """The terminal's width on a terminal (at least MIN_WIDTH), else WIDTH."""
    if not to_terminal:
        return WIDTH
    import shutil  # here: shutil pulls in bz2, lzma and zlib, which no pipe needs

    return max(MIN_WIDTH, shutil.get_terminal_size((WIDTH, 24)).columns)


def color_enabled(mode: str, to_terminal: bool) -> bool:
    """auto: only on a terminal and without NO_COLOR (https://no-color.org) or TERM=dumb."""
    if mode == "always":
        return True
    if mode == "never":
        return False
    return (to_terminal and not os.environ.get("NO_COLOR")
            and os.environ.get("TERM", "") != "dumb")


def stdout_is_terminal(output: str) -> bool:
    return output == "-" and sys.stdout.isatty()


def paint(text: str, style: str | None) -> str:
    if not style:
        return text
    codes = ";".join(COLORS[s] for s in style.split())
    return f"\x1b[{codes}m{text}\x1b[0m"


def fit(text: str, width: int) -> str:
    """Middle elision: keep the start and the end, which usually tell layers apart."""
    if len(text) <= width:
        return text
    if width <= 1:
        return text[:width]
    keep = width - 1
    return text[: keep // 2] + ELLIPSIS + text[len(text) - (keep - keep // 2):]


def fit_left(text: str, width: int) -> str:
    """Keep the end (a path's file name): '...' + tail."""
    if len(text) <= width:
        return text
    return "..." + text[len(text) - max(0, width - 3):] if width > 3 else text[:width]


def shorten_unique(values: Iterable[str], width: int) -> dict[str, str]:
    """Shortened form of each value, at most `width` long, no two different values alike.

    Tries middle elisions from the balanced one outwards (so the distinguishing part of
    `inception_a1_5x5_reduce_scale` vs `..._3x3_...` is kept), then two elisions around the
    first place the value differs from those it would collide with; as a last resort a
    numbered suffix, still unique.
    """
    distinct = list(dict.fromkeys(values))
    taken = {v for v in distinct if len(v) <= width}
    short = {v: v for v in taken}
    longs = [v for v in distinct if len(v) > width]
    plain = {}
    for v in longs:
        plain.setdefault(fit(v, width), []).append(v)
    for v in longs:
        first = fit(v, width)
        if len(plain[first]) == 1 and first not in taken:
            short[v] = first
            taken.add(first)
    for v in longs:
        if v in short:
            continue
        choice = next((c for c in _candidates(v, width, longs) if c not in taken), None)
        if choice is None:
            n = 2
            while (choice := fit(v, width - len(str(n)) - 1) + f"#{n}") in taken:
                n += 1
        short[v] = choice
        taken.add(choice)
    return short


def _candidates(v: str, width: int, others: Sequence[str]) -> Iterable[str]:
    keep = width - 1
    for shift in range(keep // 2 + 1):
        for head in {keep // 2 + shift, keep // 2 - shift}:
            if 0 < head < keep:
                yield v[:head] + ELLIPSIS + v[len(v) - (keep - head):]
    # Two elisions around the first character where v differs from any similar value.
    similar = [o for o in others if o != v and fit(o, width) == fit(v, width)] or others
    diff = min((_first_difference(v, o) for o in similar if o != v), default=0)
    for span in range(max(1, width // 3), 0, -1):
        middle = v[diff: diff + span]
        rest = width - 2 - len(middle)
        head, tail = rest // 2, rest - rest // 2
        if head > 0 and tail > 0 and head <= diff and diff + len(middle) <= len(v) - tail:
            yield v[:head] + ELLIPSIS + middle + ELLIPSIS + v[len(v) - tail:]


def _first_difference(a: str, b: str) -> int:
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return i
    return min(len(a), len(b))


def render(columns: Sequence[Column], rows: Sequence[Sequence[str]], width: int = WIDTH,
           styles: Sequence[Sequence[str | None]] | None = None) -> list[str]:
    """Header, rule and rows, two spaces apart, every line at most `width` columns."""
    widths = [len(c.head) for c in columns]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    for i, c in enumerate(columns):
        if c.max_width is not None and not c.elastic:
            widths[i] = min(widths[i], max(c.max_width, len(c.head)))
    elastic = [i for i, c in enumerate(columns) if c.elastic]
    room = width - 2 * (len(columns) - 1) - sum(w for i, w in enumerate(widths)
                                                 if i not in elastic)
    for i in elastic:
        widths[i] = max(len(columns[i].head), min(widths[i], max(8, room // len(elastic))))
    maps = {i: shorten_unique((r[i] for r in rows), widths[i])
            for i, c in enumerate(columns) if c.unique}

    def line(cells: Sequence[str], style: Sequence[str | None] | None) -> str:
        out = []
        for i, (cell, w) in enumerate(zip(cells, widths, strict=True)):
            cell = maps[i].get(cell, cell) if i in maps else fit(cell, w)
            padded = cell.rjust(w) if columns[i].right else cell.ljust(w)
            out.append(paint(padded, style[i]) if style else padded)
        return "  ".join(out).rstrip()

    lines = [line([c.head for c in columns], None), line(["-" * w for w in widths], None)]
    for j, row in enumerate(rows):
        lines.append(line(row, styles[j] if styles else None))
    return lines


def markdown(columns: Sequence[Column], rows: Sequence[Sequence[str]]) -> list[str]:
    """A GitHub table; numeric columns right-aligned (`---:`). Cells must be escaped already."""
    rule = "|" + "".join("---:|" if c.right else "---|" for c in columns)
    return (["| " + " | ".join(c.head for c in columns) + " |", rule]
            + ["| " + " | ".join(r) + " |" for r in rows])


def wrap(text: str, width: int, indent: str = "  ") -> list[str]:
    """Break a long line at its ', ' clauses (else between words): no line exceeds width."""
    if len(text) <= width:
        return [text]
    parts = text.split(", ")
    lines = [parts[0]]
    for part in parts[1:]:
        if len(lines[-1]) + 2 + len(part) <= width:
            lines[-1] += ", " + part
        else:
            lines[-1] += ","
            lines.append(indent + part)
    out = []
    import textwrap

    for line in lines:  # a clause longer than the width: break it between words
        out += textwrap.wrap(line, width, subsequent_indent=indent, break_on_hyphens=False,
                             drop_whitespace=True) if len(line) > width else [line]
    return out
