"""Shared by the W rules: the weights file of --weights, compared once per phase view."""

from __future__ import annotations

import os
from collections.abc import Iterator
from functools import lru_cache
from typing import Any
from weakref import WeakKeyDictionary

from prototxt_tool.lint.context import PHASES, PhaseView
from prototxt_tool.lint.registry import Issue

_compared: WeakKeyDictionary[PhaseView, list[Any]] = WeakKeyDictionary()


def model(path: str) -> Any:
    """The weights file, opened once per run however many nets and phases are checked (and
    again if the file changes, for programs that lint in a loop)."""
    try:
        stat = os.stat(path)
        key: tuple[int, int] = (stat.st_mtime_ns, stat.st_size)
    except OSError:
        key = (0, 0)  # open_model says what is wrong with the path
    return _model(path, key)


@lru_cache(maxsize=4)
def _model(path: str, key: tuple[int, int]) -> Any:
    from prototxt_tool.weights.model import open_model

    return open_model(path)


def issues(view: PhaseView, code: str) -> Iterator[Issue]:
    """The findings of rule `code` for this phase (none without a weights file)."""
    path = view.ctx.options.weights
    if path is None:
        return
    found = _compared.get(view)
    if found is None:
        found = _compare(view, model(path))
        _compared[view] = found
    for w in found:
        if w.code == code:
            where = view.layers[w.net_index].anchor() if w.net_index is not None else None
            yield Issue(where, w.message, w.layer)


def _compare(view: PhaseView, weights: Any) -> list[Any]:
    from prototxt_tool import netstate
    from prototxt_tool.weights.check import compare

    here = {layer.name for layer in view.layers}
    others: dict[str, list[str]] = {}
    net = view.ctx.upgraded.net
    for phase in PHASES:
        if phase != view.phase:
            for i in netstate.filter_net(net, phase=phase):
                name = net.layer[i].name
                if name not in here and phase not in others.setdefault(name, []):
                    others[name].append(phase)
    shapes = [r.param_shapes for r in view.analysis.layers]
    return compare(weights, view.loaded.net, shapes, view.phase, others)
