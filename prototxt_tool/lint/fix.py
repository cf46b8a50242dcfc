"""`dwsep lint --fix` / `--diff`: mechanical fixes edited into the text where the parser saw it.

Each fixable rule registers a fixer (`@fixer(CODE)` in its own module) that turns its findings
into Edits at the spans the ParseTree recorded, so comments, order and formatting of every
other line survive. Fixing runs in passes: lint, apply the edits that do not overlap, lint the
new text again, until nothing fixable is left (a second `--fix` then changes nothing). A
legacy net's fix (P007) is one edit of the whole text, the upgraded net as `dwsep upgrade`
prints it (comments are lost): it overlaps every other edit, so it is applied alone, and the
other fixes follow on the upgraded text in the next passes.
"""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass, field

from prototxt_tool.lint.config import LintConfig
from prototxt_tool.lint.context import LintOptions
from prototxt_tool.lint.engine import lint_context
from prototxt_tool.lint.registry import Edit, all_rules
from prototxt_tool.pipeline import Source

MAX_PASSES = 5


@dataclass
class FixResult:
    text: str
    changed: bool = False
    fixed: Counter[str] = field(default_factory=Counter)  # findings removed, per code
    touched: list[tuple[int, str]] = field(default_factory=list)
    diff: str = ""


def fixable_codes() -> list[str]:
    return [r.code for r in all_rules() if r.fix is not None]


def fix_source(source: Source, config: LintConfig,
               options: LintOptions | None = None) -> FixResult:
    """The text with every fixable finding fixed (FixResult.changed False when none was)."""
    fixers = {r.code: r.fix for r in all_rules() if r.fix is not None and config.enabled(r.code)}
    text = source.text
    result = FixResult(text)
    first: Counter[str] | None = None
    todo: list = []
    parsed: tuple[str, list] | None = None  # the last text that parsed, and its fixable findings
    for _ in range(MAX_PASSES + 1):
        ctx, findings = lint_context(Source(source.filename, text), config, options)
        todo = [f for f in findings if f.code in fixers]
        if ctx.parse_error is not None and parsed is not None:
            text, todo = parsed  # the last pass's edits broke the file: undo them, and stop
            break
        if ctx.parse_error is None:
            parsed = (text, todo)
        if first is None:
            first = Counter(f.code for f in todo)
        if not todo:
            break
        edits: list[Edit] = []
        for code in sorted({f.code for f in todo}):
            edits.extend(fixers[code](ctx, [f for f in todo if f.code == code]))  # type: ignore[misc]
        new, applied = apply_edits(text, edits)
        if not applied or new == text:
            break
        for i in applied:
            if edits[i].touched is not None:
                result.touched.append(edits[i].touched)  # type: ignore[arg-type]
        text = new
    # What was fixed: the fixable findings of the first pass that the last one no longer has.
    result.fixed = (first or Counter()) - Counter(f.code for f in todo)
    result.text = text
    result.changed = text != source.text
    if result.changed:
        result.diff = unified_diff(source.text, text, source.filename)
    return result


def unified_diff(old: str, new: str, name: str) -> str:
    """difflib's unified format, matched without its "popular lines are junk" heuristic: in a
    prototxt, `}` lines are popular, and the heuristic turns a one-line change into a block."""
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    out = [f"--- {name}\n", f"+++ {name}\n"]
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for group in matcher.get_grouped_opcodes(3):
        i1, i2, j1, j2 = group[0][1], group[-1][2], group[0][3], group[-1][4]
        out.append(f"@@ -{_range(i1, i2)} +{_range(j1, j2)} @@\n")
        for tag, a1, a2, b1, b2 in group:
            if tag == "equal":
                out.extend(" " + _nl(x) for x in a[a1:a2])
                continue
            out.extend("-" + _nl(x) for x in a[a1:a2])
            out.extend("+" + _nl(x) for x in b[b1:b2])
    return "".join(out)


def _range(start: int, stop: int) -> str:
    length = stop - start
    first = start + 1 if length else start
    return str(first) if length == 1 else f"{first},{length}"


def _nl(line: str) -> str:
    return line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"


def apply_edits(text: str, edits: list[Edit]) -> tuple[str, list[int]]:
    """Apply the edits that do not overlap an earlier-starting one; their indices."""
    starts = [0]
    for line in text.split("\n"):
        starts.append(starts[-1] + len(line) + 1)

    def offset(line: int, column: int) -> int:
        return starts[line - 1] + column - 1

    spans = sorted(((offset(e.line, e.column), offset(e.end_line, e.end_column) + 1, i)
                    for i, e in enumerate(edits)), key=lambda s: (s[0], s[1]))
    out: list[str] = []
    pos = 0
    applied: list[int] = []
    for start, stop, i in spans:
        if start < pos:
            continue  # overlaps: the next pass gets it
        out.append(text[pos:start])
        out.append(edits[i].text)
        pos = max(stop, start)
        applied.append(i)
    out.append(text[pos:])
    return "".join(out), applied
