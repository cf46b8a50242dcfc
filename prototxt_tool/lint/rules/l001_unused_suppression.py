"""L001 unused-suppression: a `# dwsep: disable=` that silences nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator

from prototxt_tool.lint.config import LintConfig
from prototxt_tool.lint.context import LintContext
from prototxt_tool.lint.registry import Edit, Issue, all_rules, fixer, rule
from prototxt_tool.lint.rules._parse import _Point
from prototxt_tool.lint.suppress import DIRECTIVE, Suppression, comment_start


@rule(
    "L001", "unused-suppression", "warning", stage="suppress", kinds=("net", "solver"),
    summary="Suppression comment that silences no finding, or names an unknown code.",
    why="""
        Suppressions outlive the problem they hid; once the net is fixed a stale one would
        hide the next, real finding on that layer. A misspelt code suppresses nothing at all.""",
    bad="""
        layer { name: "relu1" type: "ReLU" bottom: "c" top: "c" }  # dwsep: disable=D006""",
    good="""
        layer { name: "relu1" type: "ReLU" bottom: "c" top: "c" }""",
)
def check(ctx: LintContext, suppressions: list[Suppression],
          config: LintConfig) -> Iterator[Issue]:
    known = {r.code for r in all_rules()}
    for s in suppressions:
        if s.used:
            continue
        if s.code not in known:
            yield Issue(_Point(s.line, s.column), f"suppression names unknown rule '{s.code}'")
        elif config.enabled(s.code) and not (ctx.parse_error and s.code[0] != "P"):
            yield Issue(_Point(s.line, s.column), f"{UNUSED}{s.code}")


UNUSED = "unused suppression for "
UNKNOWN = re.compile(r"^suppression names unknown rule '(.*)'$")


def _code(message: str) -> str:
    if message.startswith(UNUSED):
        return message[len(UNUSED):]
    m = UNKNOWN.match(message)
    return m.group(1) if m else ""


@fixer("L001")
def fix(ctx: LintContext, findings: list) -> list[Edit]:
    """Drop the stale codes from their directive; a directive left empty goes, and so does a
    line that held nothing else."""
    lines = ctx.source.text.split("\n")
    stale: dict[int, set[str]] = {}
    for f in findings:
        stale.setdefault(f.line, set()).add(_code(f.message))
    edits = []
    for number, codes in sorted(stale.items()):
        text = lines[number - 1]
        hash_at = comment_start(text)
        m = DIRECTIVE.search(text, hash_at) if hash_at >= 0 else None
        if m is None:
            continue
        written = [c for c in re.split(r"[,\s]+", m.group(2).strip()) if c]
        keep = [c for c in written if c.upper() not in codes]
        if keep:
            start, stop = m.start(2), m.start(2) + len(m.group(2).rstrip())
            edits.append(Edit(number, start + 1, number, stop, ",".join(keep)))
        elif (text[hash_at + 1:m.start()] + text[m.start(2) + len(m.group(2).rstrip()):]).strip():
            # the comment says more than the directive (`# why ... dwsep: disable=X`, or a
            # reason after it): only the directive goes
            cut = len(text[:m.start()].rstrip())
            stop = m.start(2) + len(m.group(2).rstrip())
            edits.append(Edit(number, cut + 1, number, stop, ""))
        elif text[:hash_at].strip() or number == len(lines):
            cut = len(text[:hash_at].rstrip())
            edits.append(Edit(number, cut + 1, number, len(text.rstrip("\r")), ""))
        else:
            edits.append(Edit(number, 1, number + 1, 0, ""))
    return edits
