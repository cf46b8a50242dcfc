"""Telling apart the forks that give one layer type different meanings (forks.SHARED_TYPES).

A net written for one fork must get that fork's figures, so the rule of a shared type first
asks what the layer itself shows: a field only one fork's caffe.proto has (the other fork
could not even parse the file), a top count or a `param {}` spec only one accepts; then the
file: a field tolerant reading skipped anywhere in it that one of them defines (the net is
written for that fork's Caffe; the other's could not parse it). Only when nothing does, the user's
`--fork NAME` (ctx.fork) decides; failing that the type's default, if it has one, else the layer is
unknown (AmbiguousType) with a hint naming the choices. Never a guess.
"""

from __future__ import annotations

from collections.abc import Mapping

from prototxt_tool import forks
from prototxt_tool.errors import ShapeError
from prototxt_tool.shapes import AmbiguousType, LayerContext


def which_fork(ctx: LayerContext, type_name: str, telltales: Mapping[str, str],
               default: str | None = None) -> str:
    """The key (forks.FORKS) of the fork whose `type_name` this layer is.

    telltales: fork key -> what in the layer shows that fork ("" when nothing does). Two
    forks shown at once is an error: neither fork would load such a layer.
    """
    candidates = forks.SHARED_TYPES[type_name]
    shown = [(key, telltales[key]) for key in candidates if telltales.get(key)]
    if len(shown) > 1:
        (a, why_a), (b, why_b) = shown[:2]
        raise ShapeError(f"{why_a} is {forks.FORKS[a].repo}'s {type_name}, {why_b} is "
                         f"{forks.FORKS[b].repo}'s: neither fork would load this layer")
    if shown:
        return shown[0][0]
    named = [key for key in candidates if key in ctx.written_for]
    if len(named) == 1:
        return named[0]
    if ctx.fork in candidates:
        return ctx.fork
    if default is not None:
        return default
    choices = " or ".join(f"--fork {key}" for key in candidates)
    repos = " and ".join(forks.FORKS[key].repo for key in candidates)
    raise AmbiguousType(f"type '{type_name}' is a different layer in {repos}, and nothing in "
                        f"the layer tells which; its figures are unknown (choose with "
                        f"{choices})")
