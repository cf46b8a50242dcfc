"""Rendering findings: text for people, json for programs, github/sarif for CI annotations."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click

from prototxt_tool import __version__
from prototxt_tool.escape import github_data, github_prop, visible
from prototxt_tool.lint.engine import Finding
from prototxt_tool.lint.registry import all_rules

GITHUB_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}
SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
SARIF_SCHEMA = ("https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
                "sarif-schema-2.1.0.json")


SEVERITY_COLOR = {"error": "red", "warning": "yellow", "info": "blue"}


@dataclass(frozen=True)
class TextStyle:
    """How `--format text` looks: source context under each finding, and ANSI colour (only
    for a terminal; the CLI decides, honouring NO_COLOR)."""

    show_source: bool = False
    color: bool = False


def finding_line(f: Finding, style: TextStyle = TextStyle()) -> str:
    """`path:line:col: CODE [severity] message`.

    Paths and messages carry untrusted names: visible() keeps each finding one line, and a
    path that could be read as a GitHub workflow command (`::error ...`) gets a `./` prefix
    (text_path), so every line starts with a path and nothing else.
    """
    where = f"{text_path(f.path)}:{f.line}:{f.column}:"
    code = f"{f.code} [{f.severity}]"
    if style.color:
        where = click.style(where, bold=True)
        code = click.style(code, fg=SEVERITY_COLOR[f.severity], bold=True)
    return f"{where} {code} {visible(f.message)}"


def source_context(f: Finding, lines: dict[int, str], style: TextStyle = TextStyle()) -> str:
    """The line a finding points at with a caret under its span (ruff's --show-source)."""
    text = lines.get(f.line)
    if text is None:
        return ""
    number = str(f.line)
    gutter = " " * len(number) + " |"
    start = max(f.column - 1, 0)
    stop = f.end_column if f.end_line == f.line and f.end_column >= f.column else len(text)
    stop = max(stop, start + 1)
    shown = visible(text)
    pad = len(visible(text[:start]))
    width = max(len(visible(text[start:stop])), 1)
    caret = "^" * width
    if style.color:
        caret = click.style(caret, fg=SEVERITY_COLOR[f.severity], bold=True)
    return f"{gutter}\n{number} | {shown}\n{gutter} {' ' * pad}{caret}\n"


def render_findings(findings: list[Finding], lines: dict[int, str] | None = None,
                    style: TextStyle = TextStyle()) -> str:
    """One file's findings as text lines (with context when style.show_source)."""
    out = []
    for f in findings:
        out.append(finding_line(f, style) + "\n")
        if style.show_source and lines is not None:
            out.append(source_context(f, lines, style))
    return "".join(out)


def render_text(findings: list[Finding], files: int, unusable: int = 0) -> str:
    return render_findings(findings) + summary(findings, files, unusable) + "\n"


def render_statistics(findings: list[Finding]) -> str:
    """`--statistics`: how many findings of each code, most frequent first (as ruff)."""
    counts = Counter(f.code for f in findings)
    if not counts:
        return ""
    rules = {r.code: r for r in all_rules()}
    width = len(str(max(counts.values())))
    rows = []
    for code, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        r = rules[code]
        rows.append(f"{n:>{width}}  {code}  {'[' + r.severity + ']':<10} {r.name}")
    return "\n".join(rows) + "\n"


def text_path(path: str) -> str:
    shown = visible(path)
    return "./" + shown if shown[:1] in (":", " ", "") else shown


def summary(findings: list[Finding], files: int, unusable: int = 0) -> str:
    noun = "file" if files == 1 else "files"
    # "All checks passed" would be false comfort when some paths could not be read at all.
    skipped = f"; {unusable} path(s) could not be checked" if unusable else ""
    if not findings:
        return (f"No problems in {files} {noun}{skipped}." if unusable
                else f"All checks passed ({files} {noun}).")
    by = Counter(f.severity for f in findings)
    parts = ", ".join(f"{by[s]} {s}{'s' if by[s] > 1 and s != 'info' else ''}"
                      for s in ("error", "warning", "info") if by[s])
    return f"Found {len(findings)} problem(s) in {files} {noun} ({parts}){skipped}."


def render_json(findings: list[Finding], files: int, unusable: int = 0) -> str:
    return json.dumps([f.as_dict() for f in findings], indent=2) + "\n"


def render_github(findings: list[Finding], files: int, unusable: int = 0) -> str:
    """GitHub Actions workflow commands; values escaped as the runner expects."""
    out = []
    for f in findings:
        props = (f"file={github_prop(f.path)},line={f.line},col={f.column},"
                 f"title={github_prop(f.code)}")
        out.append(f"::{GITHUB_LEVEL[f.severity]} {props}::{github_data(f.message)}")
    return "\n".join(out) + ("\n" if out else "")


def render_sarif(findings: list[Finding], files: int, unusable: int = 0) -> str:
    """One SARIF 2.1.0 run; rules carry their docs so code scanning can show them."""
    rules = all_rules()
    index = {r.code: i for i, r in enumerate(rules)}
    driver = {
        "name": "dwsep",
        "version": __version__,
        "informationUri": "https://pypi.org/project/dwsep/",
        "rules": [{
            "id": r.code,
            "name": r.name,
            "shortDescription": {"text": r.summary},
            "fullDescription": {"text": r.why},
            "help": {"text": r.doc()},
            "defaultConfiguration": {"level": SARIF_LEVEL[r.severity]},
        } for r in rules],
    }
    results = [{
        "ruleId": f.code,
        "ruleIndex": index[f.code],
        "level": SARIF_LEVEL[f.severity],
        "message": {"text": f.message},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": _uri(f.path)},
            "region": {"startLine": f.line, "startColumn": f.column, "endLine": f.end_line},
        }}],
    } for f in findings]
    log = {"$schema": SARIF_SCHEMA, "version": "2.1.0",
           "runs": [{"tool": {"driver": driver}, "results": results}]}
    return json.dumps(log, indent=2) + "\n"


def _uri(path: str) -> str:
    """Relative paths stay relative (code scanning resolves them against the checkout)."""
    p = Path(path)
    return p.as_uri() if p.is_absolute() else p.as_posix()


RENDERERS: dict[str, Callable[[list[Finding], int, int], str]] = {
    "text": render_text,
    "json": render_json,
    "github": render_github,
    "sarif": render_sarif,
}
