"""`dwsep lint`: check prototxt files and report findings (see docs/lint.md).

`lint_paths` is the library entry point: it expands files and directories, lints each file
on its own (one unreadable or broken file never hides findings in the others) and returns
the findings plus one line for every path that could not be used.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prototxt_tool.lint.context import LintOptions
    from prototxt_tool.lint.engine import Finding

__all__ = ["Finding", "LintOptions", "LintResult", "RuleInfo", "all_rules", "collect_files",
           "fail_level", "fails", "get_rule", "lint_paths", "lint_source"]

# The package's names, each imported from its module on first use (PEP 562): `analyze`
# reads budgets through prototxt_tool.lint.config and must not pay for the rule engine.
_LAZY = {"Finding": "engine", "fails": "engine", "lint_source": "engine",
         "LintOptions": "context", "RuleInfo": "registry", "all_rules": "registry",
         "get_rule": "registry", "config_for": "config"}


def __getattr__(name: str) -> Any:
    if name == "collect_files":
        from prototxt_tool.pipeline import collect_files

        return collect_files
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


@dataclass
class LintResult:
    findings: list[Finding] = field(default_factory=list)
    files: int = 0
    problems: list[str] = field(default_factory=list)  # unusable paths: exit code 2


def lint_paths(paths: Sequence[str], options: LintOptions | None = None,
               select: Sequence[str] = (), extend_select: Sequence[str] = (),
               ignore: Sequence[str] = (), jobs: int = 1) -> LintResult:
    """Lint every file under `paths`; `jobs` > 1 uses that many worker processes."""
    from prototxt_tool.lint.runner import plan, run_jobs
    from prototxt_tool.pipeline import collect_files

    files, problems = collect_files(paths)
    result = LintResult(problems=problems)
    for done in run_jobs(plan(files, select, extend_select, ignore), options, jobs):
        if done.problem is not None:
            result.problems.append(done.problem)
            continue
        result.files += 1
        result.findings.extend(done.findings)
    return result


def fail_level(cli_value: str | None) -> str:
    """--fail-on, else the configuration found from the working directory, else error."""
    from prototxt_tool.lint.config import config_for

    return cli_value or config_for("-").fail_on or "error"

