"""Options shared by the commands that load a net (analyze, lint, separate)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import click

from prototxt_tool.errors import UsageError

F = TypeVar("F", bound=Callable[..., Any])


def parse_shape_flags(values: Iterable[str], flag: str) -> dict[str, tuple[int, ...]]:
    """`NAME=D0,D1,...` (also `x`-separated); `_` keeps the net's own value for that dim."""
    shapes: dict[str, tuple[int, ...]] = {}
    for value in values:
        name, sep, dims = value.partition("=")
        if not sep or not name or not dims:
            raise UsageError(f"{flag} {value!r}: expected NAME=D0,D1,... e.g. data=1,3,224,224")
        out = []
        for d in dims.replace("x", ",").split(","):
            d = d.strip()
            if d == "_":
                out.append(-1)
            elif d.isdigit() and int(d) > 0:
                out.append(int(d))
            else:
                raise UsageError(f"{flag} {value!r}: dimension {d!r} is not a positive integer "
                                 "(or _ for the net's own value)")
        shapes[name] = tuple(out)
    return shapes


def net_options(fn: F) -> F:
    """--phase/--stage/--level/--input-shape/--blob-shape/--batch, as Caffe's NetState has them."""
    decorators = [
        click.option("--phase", type=click.Choice(["test", "train"], case_sensitive=False),
                     default="test", show_default=True,
                     help="Net phase: layers are kept by their include/exclude rules."),
        click.option("--stage", "stages", multiple=True, metavar="NAME",
                     help="NetState stage (repeatable)."),
        click.option("--level", type=int, default=0, show_default=True,
                     help="NetState level."),
        click.option("--input-shape", "input_shapes", multiple=True, metavar="NAME=D0,D1,..",
                     help="Shape of an input or data-layer top; overrides what the net declares. "
                          "'_' keeps the net's value, e.g. data=_,3,227,227 keeps batch_size."),
        click.option("--blob-shape", "blob_shapes", multiple=True, metavar="NAME=D0,D1,..",
                     help="Shape of a blob no rule can know (e.g. a Python layer's rois=300,5)."),
        click.option("--batch", type=click.IntRange(min=1), default=None, metavar="N",
                     help="Override the batch dimension of every input."),
    ]
    for deco in reversed(decorators):
        fn = deco(fn)
    return fn


def strict_option(fn: F) -> F:
    """--strict: read the net as Caffe does, an unknown field being an error (exit 2)."""
    return click.option(
        "--strict", is_flag=True,
        help="Refuse fields dwsep's schema does not know (as BVLC Caffe does). By default "
             "such a field is skipped with a warning naming it and its fork, and the layers "
             "that depend on it are reported as unknown.")(fn)


def fork_option(fn: F) -> F:
    """--fork NAME: the fork whose meaning a layer type several forks define has, where the
    layer does not tell (forks.SHARED_TYPES)."""
    from prototxt_tool import forks

    return click.option(
        "--fork", metavar="NAME", default=None,
        type=click.Choice(forks.fork_choices(), case_sensitive=False),
        help="The Caffe fork the net is written for: layer types several forks define "
             "differently are read as its, where the layer itself does not tell: "
             f"{forks.fork_help()}. Without it such a Normalize is unknown, a BN SegNet's, a "
             "PriorBox or Pooling SSD's or BVLC's (unless only another fork's loads the "
             "net).")(fn)


def target_option(help: str) -> Callable[[F], F]:
    """--target NAMES (repeatable, comma-separated), completed from the profiles and passed on
    as the checked names; the profiles (TOML files) are read only when some are given."""

    def resolve(_ctx: Any, _param: Any, values: tuple[str, ...]) -> tuple[str, ...]:
        if not values:
            return ()
        from prototxt_tool.targets import resolve as resolve_names

        return resolve_names(values)

    from prototxt_tool.commands import complete

    return click.option("--target", "targets", multiple=True, metavar="NAMES", help=help,
                        callback=resolve, shell_complete=complete.targets)


def report_options(fn: F) -> F:
    """--format/-o/--flops, as analyze and diff report them."""
    decorators = [
        click.option("--format", "fmt", type=click.Choice(["table", "json", "csv", "markdown"]),
                     default="table", show_default=True, help="Output format."),
        click.option("-o", "--output", metavar="FILE", default="-",
                     help="Write to FILE (atomically) instead of stdout."),
        click.option("--flops", is_flag=True,
                     help="Report FLOPs = 2 x MACs (multiply and add counted apart)."),
    ]
    for deco in reversed(decorators):
        fn = deco(fn)
    return fn
