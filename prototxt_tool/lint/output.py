"""Rendering findings: text for people, json for programs, github/sarif for CI annotations."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from prototxt_tool import __version__
from prototxt_tool.escape import github_data, github_prop, visible
from prototxt_tool.lint.engine import Finding
from prototxt_tool.lint.registry import all_rules

GITHUB_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}
SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
SARIF_SCHEMA = ("https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
                "sarif-schema-2.1.0.json")


def render_text(findings: list[Finding], files: int, unusable: int = 0) -> str:
    """One `path:line:col: CODE message` line per finding, then the summary.

    Paths and messages carry untrusted names: visible() keeps each finding one line, and a
    path that could be read as a GitHub workflow command (`::error ...`) gets a `./` prefix,
    so every line starts with a path and nothing else.
    """
    lines = [f"{text_path(f.path)}:{f.line}:{f.column}: {f.code} {visible(f.message)}"
             for f in findings]
    lines.append(summary(findings, files, unusable))
    return "\n".join(lines) + "\n"


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
