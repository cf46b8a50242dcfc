"""Shell completion of the values dwsep knows by name: models, rule codes, target profiles.

click completes commands, options and `Choice` values (formats, phases) by itself; these
functions add what only dwsep knows. They are imported by the commands that use them and run
only when the shell asks (`_DWSEP_COMPLETE=bash_source dwsep`, see the README), so their
imports cost nothing at normal start-up. Each returns plain strings: click turns them into
CompletionItems.
"""

from __future__ import annotations

from typing import Any


def _starting(words: list[str], incomplete: str) -> list[str]:
    return [w for w in words if w.startswith(incomplete)]


def models(_ctx: Any, _param: Any, incomplete: str) -> list[str]:
    from prototxt_tool.gen import MODELS

    return _starting(sorted(MODELS), incomplete)


def rule_codes(_ctx: Any, _param: Any, incomplete: str) -> list[str]:
    """Codes for `dwsep rule`, and for --select/--ignore lists: completes the last item of a
    comma-separated value (`--select G001,D0<TAB>`)."""
    from prototxt_tool.lint import all_rules

    head, _, last = incomplete.rpartition(",")
    prefix = f"{head}," if head else ""
    return [prefix + r.code for r in all_rules() if r.code.startswith(last.upper())]


def target_names() -> list[str]:
    """Target profiles shipped in the package (one data file each), if any."""
    from importlib import resources

    try:
        folder = resources.files("prototxt_tool") / "targets"
        return sorted(p.name.rsplit(".", 1)[0] for p in folder.iterdir()
                      if p.name.endswith(".toml"))
    except (FileNotFoundError, NotADirectoryError):
        return []


def targets(_ctx: Any, _param: Any, incomplete: str) -> list[str]:
    head, _, last = incomplete.rpartition(",")
    prefix = f"{head}," if head else ""
    return [prefix + name for name in target_names() if name.startswith(last)]
