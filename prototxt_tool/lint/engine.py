"""Run the enabled rules over one file and turn their issues into sorted, de-duplicated findings.

Each file is linted on its own: a file that does not parse yields its syntax finding and
nothing else, and never stops the other files. Per-phase rules run for every checked phase;
a finding seen in several phases is reported once (with "phase X only" when it is not in all).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from prototxt_tool.lint.config import LintConfig
from prototxt_tool.lint.context import LintContext, LintOptions
from prototxt_tool.lint.registry import Issue, RuleInfo, all_rules
from prototxt_tool.lint.suppress import Suppression, parse_suppressions
from prototxt_tool.pipeline import Source

SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}


@dataclass(frozen=True, slots=True)
class Finding:
    path: str
    line: int
    column: int
    end_line: int
    code: str
    severity: str
    message: str
    layer: str | None = None
    end_column: int = 0  # last column of the span on `end_line` (for --show-source carets)

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.column, self.code)

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "column": self.column,
                "end_line": self.end_line, "code": self.code, "severity": self.severity,
                "message": self.message, "layer": self.layer}


def lint_source(source: Source, config: LintConfig,
                options: LintOptions | None = None) -> list[Finding]:
    """All findings for one file's text, suppressions applied, sorted by position."""
    return lint_context(source, config, options)[1]


def lint_context(source: Source, config: LintConfig,
                 options: LintOptions | None = None) -> tuple[LintContext, list[Finding]]:
    """lint_source, plus the context the rules looked at (what --fix edits from)."""
    options = options or LintOptions()
    if config.target and not options.targets:
        options = replace(options, targets=config.target)
    if not options.targets:  # the T rules judge a net against a target: none given, none run
        config = replace(config, ignore=(*config.ignore, "T"))
    ctx = LintContext(source, options)
    rules = [r for r in all_rules() if config.enabled(r.code) and ctx.kind in r.kinds]
    findings = _run(ctx, [r for r in rules if r.stage != "suppress"])
    suppressions = parse_suppressions(ctx.lines, _layer_blocks(ctx))
    kept = [f for f in findings if not _suppressed(f, suppressions)]
    for rule in rules:
        if rule.stage == "suppress":
            issues = rule.check(ctx, suppressions, config)
            kept.extend(_finding(ctx, rule, issue) for issue in issues)
    return ctx, sorted(kept, key=Finding.sort_key)


def _run(ctx: LintContext, rules: list[RuleInfo]) -> list[Finding]:
    merged: dict[tuple[str, int, int, str | None, str | None], tuple[Finding, list[str]]] = {}
    nets = ctx.load_error is None and ctx.kind == "net"
    phase_names = [v.phase for v in ctx.phases] if nets else []
    for rule in rules:
        for phase, issue in _issues(ctx, rule):
            finding = _finding(ctx, rule, issue)
            key = (finding.code, finding.line, finding.column, finding.layer, issue.key)
            if key not in merged:
                merged[key] = (finding, [])
            if phase and phase not in merged[key][1]:
                merged[key][1].append(phase)
    out = []
    for finding, phases in merged.values():
        if phases and len(phase_names) > 1 and len(phases) < len(phase_names):
            only = ", ".join(phases)
            finding = _replace_message(finding, f"{finding.message} (phase {only} only)")
        out.append(finding)
    return out


def _issues(ctx: LintContext, rule: RuleInfo) -> list[tuple[str | None, Issue]]:
    if rule.stage == "text":
        return [(None, i) for i in rule.check(ctx)]
    if ctx.load_error is not None:
        return []
    if rule.stage == "net":
        return [(None, i) for i in rule.check(ctx)]
    return [(view.phase, i) for view in ctx.phases for i in rule.check(view)]


def _finding(ctx: LintContext, rule: RuleInfo, issue: Issue) -> Finding:
    span = issue.where
    if span is None:
        line, column, end_line, end_column = 1, 1, 1, 0
    else:
        line, column, end_line = span.line, span.column, span.end_line
        end_column = span.end_column
    return Finding(ctx.path, line, column, end_line, rule.code, issue.severity or rule.severity,
                   issue.message, issue.layer, end_column)


def _replace_message(f: Finding, message: str) -> Finding:
    return Finding(f.path, f.line, f.column, f.end_line, f.code, f.severity, message, f.layer,
                   f.end_column)


def _layer_blocks(ctx: LintContext) -> list[tuple[int, int]]:
    if ctx.parse_error is not None or ctx.kind != "net":
        return []
    return [(t.span.line, t.span.end_line) for _, _, t in ctx.raw_layer_trees() if t is not None]


def _suppressed(finding: Finding, suppressions: list[Suppression]) -> bool:
    hit = False
    for s in suppressions:
        if s.covers(finding.code, finding.line):
            s.used = True
            hit = True
    return hit


def fails(findings: list[Finding], fail_on: str) -> bool:
    """True when some finding is at or above the --fail-on threshold."""
    threshold = SEVERITY_RANK[fail_on]
    return any(SEVERITY_RANK[f.severity] >= threshold for f in findings)
