"""`dwsep lint`: check prototxt files and report findings (see docs/lint.md).

`lint_paths` is the library entry point: it expands files and directories, lints each file
on its own (one unreadable or broken file never hides findings in the others) and returns
the findings plus one line for every path that could not be used.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from prototxt_tool.lint.config import config_for
from prototxt_tool.lint.context import LintOptions
from prototxt_tool.lint.engine import Finding, fails, lint_source
from prototxt_tool.lint.registry import RuleInfo, all_rules, get_rule
from prototxt_tool.pipeline import collect_files

__all__ = ["Finding", "LintOptions", "LintResult", "RuleInfo", "all_rules", "collect_files",
           "fail_level", "fails", "get_rule", "lint_paths", "lint_source"]

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
    return cli_value or config_for("-").fail_on or "error"

