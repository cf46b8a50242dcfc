"""Which rules run: `[tool.dwsep.lint]` in pyproject.toml or `[lint]` in .dwsep.toml, plus flags.

Like ruff, the configuration that applies to a file is the nearest one found walking up from
the file's directory (a pyproject.toml without a `[tool.dwsep.lint]` table is skipped), so a
monorepo can relax rules for one model directory. Selectors are codes or code prefixes; when a
code matches both a select and an ignore entry, the longer (more specific) entry wins.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from prototxt_tool.budgets import NO_BUDGETS, Budgets, parse_bytes, parse_count
from prototxt_tool.errors import UsageError

FAIL_LEVELS = ("error", "warning", "info")
KEYS = {"select", "extend-select", "ignore", "fail-on", "target", "max-macs", "max-params",
        "max-memory"}


@dataclass(frozen=True, slots=True)
class LintConfig:
    select: tuple[str, ...] = ("ALL",)
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    fail_on: str | None = None
    target: tuple[str, ...] = ()  # deployment targets (prototxt_tool/targets) for the T rules
    origin: str = "defaults"
    budgets: Budgets = NO_BUDGETS  # max-macs / max-params / max-memory, used by analyze

    def enabled(self, code: str) -> bool:
        chosen = _best(code, (*self.select, *self.extend_select))
        dropped = _best(code, self.ignore)
        return chosen > dropped

    def with_flags(self, select: Sequence[str] = (), extend_select: Sequence[str] = (),
                   ignore: Sequence[str] = (), fail_on: str | None = None) -> LintConfig:
        """Command-line flags on top: --select replaces, --extend-select/--ignore add, and a
        code selected on the command line is no longer ignored by the file's configuration."""
        chosen = set(select) | set(extend_select)
        return replace(
            self,
            select=tuple(select) or self.select,
            extend_select=self.extend_select + tuple(extend_select),
            ignore=tuple(i for i in self.ignore if i not in chosen) + tuple(ignore),
            fail_on=fail_on or self.fail_on,
        )

    def validate(self, codes: Iterable[str]) -> None:
        check_selectors(self.origin, (*self.select, *self.extend_select, *self.ignore), codes)


def check_selectors(origin: str, selectors: Iterable[str], codes: Iterable[str]) -> None:
    """UsageError naming where an unknown selector came from (a file, or the flag)."""
    known = list(codes)
    for sel in selectors:
        if sel != "ALL" and not any(c.startswith(sel) for c in known):
            raise UsageError(f"{origin}: unknown rule code or prefix '{sel}' "
                             "(see dwsep lint --list-rules)")


def _best(code: str, selectors: Iterable[str]) -> int:
    """Length of the most specific selector matching code (ALL counts as 0, no match -1)."""
    best = -1
    for sel in selectors:
        if sel == "ALL":
            best = max(best, 0)
        elif code.startswith(sel):
            best = max(best, len(sel))
    return best


_cache: dict[Path, LintConfig] = {}


def config_for(path: str) -> LintConfig:
    """The configuration that applies to `path` ("-" = stdin: looked up from the cwd)."""
    start = Path.cwd() if path == "-" else Path(path).resolve().parent
    return _lookup(start)


def _lookup(directory: Path) -> LintConfig:
    if directory in _cache:
        return _cache[directory]
    found = _read_dir(directory)
    if found is None:
        parent = directory.parent
        found = LintConfig() if parent == directory else _lookup(parent)
    _cache[directory] = found
    return found


def _read_dir(directory: Path) -> LintConfig | None:
    dot = directory / ".dwsep.toml"
    if dot.is_file():
        data = _load_toml(dot)
        table = data.get("lint", data.get("tool", {}).get("dwsep", {}).get("lint", {}))
        return _from_table(table, str(dot))
    pyproject = directory / "pyproject.toml"
    if pyproject.is_file():
        table = _load_toml(pyproject).get("tool", {}).get("dwsep", {}).get("lint")
        if table is not None:
            return _from_table(table, f"{pyproject} [tool.dwsep.lint]")
    return None


def _load_toml(path: Path) -> dict[str, Any]:
    # Imported here: most runs find no configuration file and need no TOML parser.
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib

    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise UsageError(f"{path}: cannot read configuration: {err}") from None


def _from_table(table: Any, origin: str) -> LintConfig:
    if not isinstance(table, dict):
        raise UsageError(f"{origin}: lint settings must be a table")
    norm = {str(k).replace("_", "-"): v for k, v in table.items()}
    unknown = sorted(set(norm) - KEYS)
    if unknown:
        raise UsageError(f"{origin}: unknown lint setting(s): {', '.join(unknown)} "
                         f"(known: {', '.join(sorted(KEYS))})")
    fail_on = norm.get("fail-on")
    if fail_on is not None and fail_on not in FAIL_LEVELS:
        raise UsageError(f"{origin}: fail-on must be one of {', '.join(FAIL_LEVELS)}")
    cfg = LintConfig(
        select=_codes(norm, "select", origin) or ("ALL",),
        extend_select=_codes(norm, "extend-select", origin),
        ignore=_codes(norm, "ignore", origin),
        fail_on=fail_on,
        target=_targets(norm.get("target", []), origin),
        origin=origin,
        budgets=Budgets(*(None if norm.get(k) is None else parse(norm[k], f"{origin}: {k}")
                          for k, parse in (("max-macs", parse_count),
                                           ("max-params", parse_count),
                                           ("max-memory", parse_bytes))), origin=origin),
    )
    return cfg


def _targets(value: Any, origin: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UsageError(f"{origin}: target must be a list of target names, e.g. [\"ncnn\"]")
    from prototxt_tool.targets import resolve

    return resolve(value, f"{origin}: target")


def _codes(table: dict[str, Any], key: str, origin: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UsageError(f"{origin}: {key} must be a list of rule codes")
    return tuple(v.strip().upper() for v in value)


def split_codes(values: Iterable[str]) -> tuple[str, ...]:
    """Flag values may be repeated or comma-separated: --ignore D005,H003."""
    return tuple(c.strip().upper() for v in values for c in v.split(",") if c.strip())
