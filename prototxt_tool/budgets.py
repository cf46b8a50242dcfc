"""Cost budgets for CI: `--max-macs 600M --max-params 5M --max-memory 50MiB`, or the same keys
(`max-macs`, `max-params`, `max-memory`) in `[tool.dwsep.lint]` / `.dwsep.toml`.

Counts take decimal suffixes (K, M, G, T: 10^3 ...), as the reports print them; memory takes
bytes with binary (KiB, MiB, GiB) or decimal (KB, MB, GB) units. The memory a budget limits is
the parameters plus every activation blob in float32: what Caffe allocates for the net.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from prototxt_tool.errors import UsageError

COUNT_UNITS = {"": 1, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}
BYTE_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
              "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}
_NUMBER = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*")


def _parse(text: object, units: dict[str, int], what: str) -> int:
    if isinstance(text, int) and not isinstance(text, bool) and text >= 0:
        return text
    m = _NUMBER.fullmatch(str(text))
    unit = m.group(2).upper() if m else ""
    if m is None or unit not in units:
        known = ", ".join(u for u in units if u)
        raise UsageError(f"{what} {text!r}: expected a number with an optional unit ({known})")
    return round(float(m.group(1)) * units[unit])


def parse_count(text: object, what: str = "budget") -> int:
    """'600M' -> 600000000, '5M', '1.5G', '25000'."""
    return _parse(text, COUNT_UNITS, what)


def parse_bytes(text: object, what: str = "budget") -> int:
    """'50MiB' -> 52428800, '50MB' -> 50000000, '4096'."""
    return _parse(text, BYTE_UNITS, what)


@dataclass(frozen=True, slots=True)
class Budgets:
    macs: int | None = None
    params: int | None = None  # learnable parameters (the published convention)
    memory: int | None = None  # bytes: parameters + activations, float32
    origin: str = ""  # the configuration file they come from ("" for flags)

    def __bool__(self) -> bool:
        return any(x is not None for x in (self.macs, self.params, self.memory))

    def merged(self, fallback: Budgets) -> Budgets:
        """These budgets, with `fallback`'s for the ones not set (flags over configuration)."""
        if not fallback:
            return self
        if not self:
            return fallback
        return Budgets(self.macs if self.macs is not None else fallback.macs,
                       self.params if self.params is not None else fallback.params,
                       self.memory if self.memory is not None else fallback.memory,
                       fallback.origin)


def exceeded(budgets: Budgets, macs: int | None, learnable: int | None,
             memory: int | None) -> list[str]:
    """One message per budget the figures exceed (unknown figures exceed nothing)."""
    out = []
    where = f" ({budgets.origin})" if budgets.origin else ""
    for name, flag, value, limit, mib in (
            ("MACs", "max-macs", macs, budgets.macs, False),
            ("learnable params", "max-params", learnable, budgets.params, False),
            ("memory", "max-memory", memory, budgets.memory, True)):
        if limit is not None and value is not None and value > limit:
            over = 100.0 * (value - limit) / max(limit, 1)
            out.append(f"{name} {_show(value, mib)} > {flag} {_show(limit, mib)} "
                       f"(+{over:.1f}%){where}")
    return out


def _show(n: int, mib: bool) -> str:
    return f"{n / 2**20:.1f} MiB" if mib else f"{n:,}"


NO_BUDGETS = Budgets()
