"""Rule metadata and the registry that finds rules (one module per rule, like ruff/yamllint).

A rule is a plain generator function plus its metadata. Keeping the documentation next to
the check means `dwsep rule CODE`, `--list-rules`, SARIF's rule table and docs/lint.md can
never drift from the code that produces the finding.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

SEVERITIES = ("error", "warning", "info")
STAGES = ("text", "net", "phase", "suppress")
KINDS = ("net", "solver")  # what a file is (see prototxt_tool.solver); rules say which they check


@dataclass(frozen=True, slots=True)
class Issue:
    """What a rule reports; the engine adds path, code and severity.

    `where` is a textformat Span (None means "the file as a whole", reported at 1:1).
    """

    where: Any
    message: str
    layer: str | None = None
    severity: str | None = None  # this finding's own severity, when not the rule's
    # Keeps apart issues of one rule at one place that are not repeats of each other
    # (the T rules report each --target separately); phase repeats share it.
    key: str | None = None


Check = Callable[..., Iterable[Issue]]


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace the text from (line, column) to (end_line, end_column), both 1-based and
    inclusive like a Span, with `text`; an empty range (end_column = column - 1 on the same
    line) inserts. `touched` names what the edit changes in the message, as (layer index in
    the upgraded net, dotted field), so tests can compare everything else; None when only
    comments change."""

    line: int
    column: int
    end_line: int
    end_column: int
    text: str
    touched: tuple[int, str] | None = None


# A fixer gets the file's context and the (unsuppressed) findings of its rule, and returns
# the edits that remove them; a finding it cannot fix safely gets no edit.
Fixer = Callable[..., list[Edit]]


@dataclass(frozen=True, slots=True)
class RuleInfo:
    code: str
    name: str
    severity: str
    summary: str
    why: str
    bad: str
    good: str
    check: Check
    # When the check runs and what it receives:
    #   "text"     - always, even on a syntax error: check(ctx: LintContext)
    #   "net"      - the file parsed and upgraded: check(ctx: LintContext)
    #   "phase"    - once per checked phase: check(view: PhaseView); repeats are merged
    #   "suppress" - after suppressions are applied: check(ctx, suppressions, config)
    stage: str = "net"
    kinds: tuple[str, ...] = ("net",)
    fix: Fixer | None = None  # set by @fixer: `dwsep lint --fix` can remove the finding

    def doc(self) -> str:
        """The text `dwsep rule CODE` prints."""
        fixable = ", fixable with --fix" if self.fix is not None else ""
        return (
            f"{self.code} {self.name} ({self.severity}{fixable})\n\n{self.summary}\n\n"
            f"Why it matters:\n{_indent(self.why)}\n\n"
            f"Bad:\n{_indent(self.bad)}\n\nGood:\n{_indent(self.good)}\n"
        )


_RULES: dict[str, RuleInfo] = {}
_loaded = False


def rule(code: str, name: str, severity: str, *, summary: str, why: str, bad: str, good: str,
         stage: str = "net", kinds: tuple[str, ...] = ("net",)) -> Callable[[Check], Check]:
    """Register the decorated check under `code`; metadata lives beside the code it documents."""
    if severity not in SEVERITIES:
        raise ValueError(f"bad severity {severity!r} for {code}")
    if stage not in STAGES:
        raise ValueError(f"bad stage {stage!r} for {code}")
    if not kinds or set(kinds) - set(KINDS):
        raise ValueError(f"bad kinds {kinds!r} for {code}")

    def deco(fn: Check) -> Check:
        if code in _RULES:
            raise RuntimeError(f"lint rule {code} registered twice")
        _RULES[code] = RuleInfo(code, name, severity, summary, _dedent(why), _dedent(bad),
                                _dedent(good), fn, stage, tuple(kinds))
        return fn

    return deco


def fixer(code: str) -> Callable[[Fixer], Fixer]:
    """Register the decorated function as the mechanical fix of rule `code` (same module)."""

    def deco(fn: Fixer) -> Fixer:
        import dataclasses

        _RULES[code] = dataclasses.replace(_RULES[code], fix=fn)
        return fn

    return deco


def all_rules() -> list[RuleInfo]:
    """Every registered rule, sorted by code; imports lint.rules' modules on first use."""
    global _loaded
    if not _loaded:
        from prototxt_tool.lint import rules

        for mod in pkgutil.iter_modules(rules.__path__):
            importlib.import_module(f"{rules.__name__}.{mod.name}")
        _loaded = True
    return [_RULES[c] for c in sorted(_RULES)]


def get_rule(code: str) -> RuleInfo | None:
    return {r.code: r for r in all_rules()}.get(code.upper())


def _dedent(text: str) -> str:
    import textwrap

    return textwrap.dedent(text).strip("\n")


def _indent(text: str) -> str:
    return "\n".join(("    " + line) if line else "" for line in text.splitlines())
