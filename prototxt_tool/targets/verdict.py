"""`dwsep analyze --target`: is this net deployable, and if not, which layers block it.

Plain data first (Verdict), formatting apart (text, Markdown, JSON-ready dicts), like
analysis/report. The net judged is the one analyze reports on: the phase's layers after
Caffe's upgrade, the same messages `dwsep lint --target` prints.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from prototxt_tool.targets import load
from prototxt_tool.targets.check import Violation, check_net


@dataclass
class Verdict:
    target: str
    title: str
    doc: str
    blocking: list[Violation] = field(default_factory=list)
    notes: list[Violation] = field(default_factory=list)

    @property
    def deployable(self) -> bool:
        return not self.blocking

    def blocking_layers(self, layer_names: Sequence[str]) -> list[str]:
        """Names of the layers with at least one blocking violation, in net order."""
        hit = sorted({v.layer for v in self.blocking if v.layer is not None})
        return [layer_names[i] for i in hit]


def verdicts(net_format: str, layers: Sequence[Any], from_fields: Sequence[bool],
             targets: Sequence[str]) -> list[Verdict]:
    out = []
    for name in targets:
        profile = load(name)
        found = check_net(profile, net_format, layers, from_fields)
        out.append(Verdict(name, profile.title, profile.doc,
                           [v for v in found if v.blocking], [v for v in found if not v.blocking]))
    return out


def for_loaded(loaded: Any, targets: Sequence[str]) -> list[Verdict]:
    """Verdicts for a pipeline.LoadedNet (the Input layer Caffe builds from legacy input
    fields is the upgraded net's first layer, named 'input')."""
    layers = list(loaded.net.layer)
    legacy = bool(len(loaded.raw.input))
    from_fields = [legacy and i == 0 and layer.type == "Input" for i, layer in enumerate(layers)]
    return verdicts(loaded.format, layers, from_fields, targets)


def to_text(found: Sequence[Verdict], layer_names: Sequence[str], markdown: bool = False) -> str:
    """The section appended to analyze's table (or Markdown) output; lines fit 100 columns."""
    from prototxt_tool import escape

    esc = escape.markdown if markdown else escape.visible
    head = "## Deployment targets" if markdown else "Deployment targets:"
    lines = ["", head]
    bullet = "- " if markdown else "  "
    for v in found:
        blocked = v.blocking_layers(layer_names)
        if v.deployable:
            state = "deployable"
        else:
            n = len(blocked)
            fmt = " (and its format)" if any(b.layer is None for b in v.blocking) else ""
            state = (f"NOT deployable: {n} blocking layer{'s' if n != 1 else ''}{fmt}"
                     if n else "NOT deployable: its format")
        rewritten = len({n.layer for n in v.notes})
        notes = f"; {rewritten} rewritten by the converter" if rewritten else ""
        lines.append(_cut(f"{bullet}{v.target}: {state}{notes}"))
        sub = "  - " if markdown else "    "
        groups: dict[tuple[str, str, str], list[str]] = {}
        for b in v.blocking:  # one entry per kind of problem, not per layer
            who = "the file" if b.layer is None else layer_names[b.layer]
            groups.setdefault((b.code, b.layer_type, b.detail), []).append(who)
        for (code, layer_type, detail), who in groups.items():
            what = f"{code} {esc(layer_type)}" if layer_type else code
            count = f" x{len(who)}" if len(who) > 1 else ""
            lines.append(_cut(f"{sub}{what}{count}: {', '.join(esc(w) for w in who)}"))
            lines.append(textwrap.fill(esc(detail), 100, initial_indent=sub + "  ",
                                       subsequent_indent=sub + "  "))
        if v.blocking:
            lines.append(_cut(f"{sub}see {esc(v.doc)}"))
    return "\n".join(lines) + "\n"


def to_dicts(found: Sequence[Verdict], layer_names: Sequence[str]) -> list[dict[str, Any]]:
    """JSON-ready: one object per target (field names are part of analyze's stable JSON)."""
    return [{"target": v.target, "title": v.title, "doc": v.doc, "deployable": v.deployable,
             "blocking_layers": v.blocking_layers(layer_names),
             "findings": [{"code": x.code, "blocking": x.blocking, "message": x.message,
                           "layer": layer_names[x.layer] if x.layer is not None else None}
                          for x in (*v.blocking, *v.notes)]}
            for v in found]


def _cut(line: str, width: int = 100) -> str:
    return line if len(line) <= width else line[: width - 1] + "…"
