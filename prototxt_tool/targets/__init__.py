"""Deployment target profiles: what each inference toolchain's Caffe converter accepts.

A profile is data, one TOML file per target in this package (`ncnn.toml`, `rknn2.toml`, ...),
read by the generic code here and in `targets/check.py`; adding a target is one file plus a
test, never code. Every profile cites the vendor document or source file (repository, path,
version) its facts were read from, in its `[[source]]` entries.

The constraint vocabulary (docs/targets.md has the full reference):

    name, title, doc             short name, one-line title, <doc> cited in every message
    status                       e.g. "deprecated in 8.0, removed in 9.0"
    unsupported                  why an unlisted type fails ("not in the ... op list")
    [[source]]                   repo, file, version, note: what was read
    [format]
      accepts = ["V2"]           net formats the converter reads (V0, V1, V2)
      input = ["layer", "fields"]  input declaration: an Input layer, or legacy input fields
      fork_fields = [...]        fork fields its caffe.proto has beyond its fork types' own
      reason = "..."             why a format is refused
    [layers]
      supported = [...]          layer types it converts ("*" = any: intersection targets)
      [layers.rejected]          TYPE = "reason", for types worth a specific hint
    [[constraint]]               a parameter value the converter cannot map
      types, field, one of: allowed / min / max / absent / max_count, when, reason
    [[note]]                     the converter rewrites a layer (info, not an error)
      types, when, text
    [gen]                        defaults `dwsep gen --target` uses
      depthwise_type, relu6, input
    derive = "intersection"      (portable only) the layer types every other profile accepts

`field` is a dotted path in the layer (`convolution_param.kernel_size`, `permute_param.order`,
`input_param.shape.dim[0]`) or a derived value: `conv.kernel`, `conv.stride`, `conv.pad`,
`conv.dilation` are the per-axis (H, W) values exactly as Caffe's convolution reads them.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from prototxt_tool.errors import UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

TEST_KEYS = ("allowed", "min", "max", "absent", "max_count")
FORMATS = ("V0", "V1", "V2")
INPUT_STYLES = ("layer", "fields")


@dataclass(frozen=True, slots=True)
class Test:
    """One condition on one field of a layer (see the module docstring)."""

    field: str
    allowed: tuple[Any, ...] | None = None
    min: float | None = None
    max: float | None = None
    absent: bool = False
    max_count: int | None = None

    def describe(self) -> str:
        """The allowed values in words, for messages: 'allowed: 1..8'."""
        if self.absent:
            return "must not be set"
        if self.max_count is not None:
            return f"at most {self.max_count} value(s)"
        if self.allowed is not None:
            return "allowed: " + ", ".join(_show(v) for v in self.allowed)
        low = _show(self.min) if self.min is not None else ""
        high = _show(self.max) if self.max is not None else ""
        return f"allowed: {low}..{high}"


@dataclass(frozen=True, slots=True)
class Constraint:
    types: tuple[str, ...]
    test: Test
    when: tuple[Test, ...]
    reason: str


@dataclass(frozen=True, slots=True)
class Note:
    types: tuple[str, ...]
    when: tuple[Test, ...]
    text: str


@dataclass(frozen=True, slots=True)
class Source:
    repo: str
    file: str
    version: str
    note: str = ""

    def cite(self) -> str:
        where = f"{self.repo} {self.file}".strip()
        return f"{where} ({self.version})" if self.version else where


@dataclass(frozen=True)
class Profile:
    name: str
    title: str
    doc: str
    status: str
    unsupported: str
    sources: tuple[Source, ...]
    supported: frozenset[str]
    rejected: dict[str, str]
    accepts: tuple[str, ...]
    inputs: tuple[str, ...]
    format_reason: str
    fork_fields: frozenset[str]
    constraints: tuple[Constraint, ...]
    notes: tuple[Note, ...]
    gen: dict[str, str] = field(default_factory=dict)
    derive: str = ""

    def supports(self, layer_type: str) -> bool:
        return "*" in self.supported or layer_type in self.supported

    def why_not(self, layer_type: str) -> str:
        return self.rejected.get(layer_type, self.unsupported)


def names() -> list[str]:
    """Every profile shipped in the package, sorted."""
    return sorted(p.name.removesuffix(".toml") for p in resources.files(__name__).iterdir()
                  if p.name.endswith(".toml"))


@cache
def load(name: str) -> Profile:
    """The profile called `name`; UsageError naming the known ones for anything else."""
    known = names()
    if name not in known:
        raise UsageError(f"unknown target '{name}' (targets: {', '.join(known)}; "
                         "see 'dwsep targets')")
    path = resources.files(__name__) / f"{name}.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    profile = _profile(name, data)
    if profile.derive == "intersection":
        profile = _intersection(profile, [load(n) for n in known if n != name])
    return profile


def resolve(values: Any, origin: str = "--target") -> tuple[str, ...]:
    """Target names from a flag (comma-separated, repeatable) or a config list, checked."""
    if isinstance(values, str):
        values = [values]
    out: list[str] = []
    for value in values:
        for part in str(value).split(","):
            part = part.strip().lower()
            if part:
                try:
                    load(part)
                except UsageError as err:
                    raise UsageError(f"{origin}: {err}") from None
                if part not in out:
                    out.append(part)
    return tuple(out)


def _intersection(profile: Profile, others: list[Profile]) -> Profile:
    """`portable`: what every other profile accepts (types, formats, inputs, fork fields).

    Computed, so that adding a target narrows `portable` without anyone editing it; the
    constraints of every other profile apply too (a value one target refuses is not portable).
    """
    concrete = [p for p in others if not p.derive]
    types = frozenset.intersection(*(p.supported for p in concrete))
    accepts = tuple(f for f in FORMATS if all(f in p.accepts for p in concrete))
    inputs = tuple(s for s in INPUT_STYLES if all(s in p.inputs for p in concrete))
    forks = frozenset.intersection(*(p.fork_fields for p in concrete))
    constraints = tuple(c for p in concrete for c in p.constraints)
    rejected = {t: "not taken by " + ", ".join(p.name for p in concrete if t not in p.supported)
                for t in frozenset.union(*(p.supported for p in concrete)) - types}
    reason = profile.format_reason or "not read by " + ", ".join(
        p.name for p in concrete if set(p.accepts) != set(FORMATS))
    return Profile(
        profile.name, profile.title, profile.doc, profile.status, profile.unsupported,
        profile.sources, types, rejected, accepts, inputs, reason, forks, constraints, (),
        profile.gen, profile.derive)


def _profile(name: str, data: dict[str, Any]) -> Profile:
    where = f"target profile {name}.toml"
    fmt = data.get("format", {})
    layers = data.get("layers", {})
    profile = Profile(
        name=data.get("name", name),
        title=_str(data, "title", where),
        doc=_str(data, "doc", where),
        status=data.get("status", ""),
        unsupported=data.get("unsupported", "not in its supported layer list"),
        sources=tuple(Source(s["repo"], s["file"], s.get("version", ""), s.get("note", ""))
                      for s in data.get("source", [])),
        supported=frozenset(layers.get("supported", [])),
        rejected=dict(layers.get("rejected", {})),
        accepts=tuple(fmt.get("accepts", FORMATS)),
        inputs=tuple(fmt.get("input", INPUT_STYLES)),
        format_reason=fmt.get("reason", ""),
        fork_fields=frozenset(fmt.get("fork_fields", [])),
        constraints=tuple(_constraint(c, where) for c in data.get("constraint", [])),
        notes=tuple(Note(_types(n), _tests(n.get("when", []), where), n["text"])
                    for n in data.get("note", [])),
        gen=dict(data.get("gen", {})),
        derive=data.get("derive", ""),
    )
    if profile.name != name:
        raise ValueError(f"{where}: name {profile.name!r} differs from the file name")
    if not profile.sources:
        raise ValueError(f"{where}: no [[source]]: every profile cites what it was read from")
    return profile


def _constraint(entry: dict[str, Any], where: str) -> Constraint:
    return Constraint(_types(entry), _test(entry, where), _tests(entry.get("when", []), where),
                      entry.get("reason", ""))


def _tests(entries: list[dict[str, Any]], where: str) -> tuple[Test, ...]:
    return tuple(_test(e, where) for e in entries)


def _test(entry: dict[str, Any], where: str) -> Test:
    kinds = [k for k in TEST_KEYS if k in entry]
    if "field" not in entry or not kinds or (len(kinds) > 1 and set(kinds) != {"min", "max"}):
        raise ValueError(f"{where}: a test needs 'field' and one of {', '.join(TEST_KEYS)} "
                         f"(min and max may go together): {entry}")
    allowed = entry.get("allowed")
    return Test(entry["field"], tuple(allowed) if allowed is not None else None,
                entry.get("min"), entry.get("max"), bool(entry.get("absent", False)),
                entry.get("max_count"))


def _types(entry: dict[str, Any]) -> tuple[str, ...]:
    types = entry.get("types", ["*"])
    return (types,) if isinstance(types, str) else tuple(types)


def _str(data: dict[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{where}: '{key}' is required")
    return value


def _show(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "(" + ",".join(_show(v) for v in value) + ")"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
