"""Per-layer-type shape and cost rules, found through a registry keyed by Caffe type name.

Like Caffe's own LayerRegistry (and ONNX shape inference), each layer type has one small
function. It receives the layer's (upgraded, V2) LayerParameter and the shapes of its bottoms,
and returns a LayerCost: the top shapes Caffe's Reshape() would compute, the learnable blob
shapes its LayerSetUp() allocates, and the work it does. Modules in this package register
rules on import; `rule_for()` imports them all once.

A rule raises ShapeError for inputs Caffe would reject (it names the problem; the caller adds
the layer's name and position). It returns None for a top it cannot know (never a guess).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from prototxt_tool.errors import ShapeError

Shape = tuple[int, ...]


@dataclass(slots=True)
class LayerCost:
    """What one layer produces and costs; plain data, formatting happens elsewhere.

    macs: multiply-accumulates against learned weights (Convolution, Deconvolution,
        InnerProduct, ...), the MobileNet paper's "mult-adds". None when unknown.
    ops: other arithmetic (element-wise ops, comparisons in pooling, exp in softmax, ...),
        counted as documented in the rule; kept apart so headline MACs match the papers.
    kind: a coarse category used for the breakdown ("depthwise conv", "pointwise conv", ...).
    stats: how many of the trailing `params` blobs are running statistics, not learned
        (BatchNorm's mean/variance/factor); published parameter counts leave them out.
        `stats_at` lists statistics elsewhere among the blobs (by index).
    data_dependent: the layer's work (and the tops it leaves None) depends on the values
        flowing through it, which no static analysis and not even Caffe's net init can
        know: boxes kept by NMS, the size of each region of interest. Its params and MACs
        are still exact; its ops are None.
    setup_tops: the tops given are the shapes the layer's setup gives them, which its forward
        pass resizes at run time (py-faster-rcnn's proposal layer: rois 1x5 until NMS has
        run); the figures of the layers after it use them, and analyze says so in a note.
    """

    tops: list[Shape | None]
    params: list[Shape] | None = field(default_factory=list)  # None: unknown
    macs: int | None = 0
    ops: int | None = 0
    kind: str = "other"
    stats: int = 0
    data_dependent: bool = False
    # Further running-statistics blobs by index, where a fork interleaves them with learned
    # ones (DenseBlock with use_BC); `stats` still counts the trailing ones.
    stats_at: tuple[int, ...] = ()
    setup_tops: bool = False


@dataclass(slots=True)
class LayerContext:
    """Everything a rule may look at. `layer` is a caffe_pb2.LayerParameter (V2)."""

    layer: Any
    bottoms: list[Shape | None]
    # Shapes forced from the command line (--input-shape/--blob-shape), by top name.
    overrides: dict[str, Shape] = field(default_factory=dict)
    top_count: int = -1  # len(layer.top) when the caller has it already (-1: read it)
    # The fork a type with several fork meanings is read as (a key of forks.FORKS); None:
    # the layer's own telltale fields decide, else BVLC's or the best-known fork's meaning.
    fork: str | None = None
    # The forks that define fields tolerant reading skipped in the file: it was written for
    # one of them (this decides a type several forks define, before `fork`).
    written_for: frozenset[str] = frozenset()
    # The fork analysis fitted the net to (analysis._fit_fork) for the types only the net as
    # a whole tells apart (PriorBox, Pooling, DetectionOutput); `fork` still decides the rest.
    fitted: str | None = None

    @property
    def tops(self) -> int:
        """How many tops the layer has (read from the message only if not given)."""
        return self.top_count if self.top_count >= 0 else len(self.layer.top)

    @property
    def name(self) -> str:
        return self.layer.name

    @property
    def read_as(self) -> str | None:
        """The fork a type only the whole net tells apart is read as: the fitted one, else
        --fork's (analysis never fits when --fork names one of those forks)."""
        return self.fitted or self.fork

    def bottom(self, i: int = 0) -> Shape:
        """The i-th bottom shape; a rule that needs it known calls this."""
        if i >= len(self.bottoms):
            raise ShapeError(f"needs at least {i + 1} bottom(s), has {len(self.bottoms)}")
        shape = self.bottoms[i]
        if shape is None:
            raise UnknownShape()
        return shape


class UnknownShape(Exception):
    """Raised inside a rule when an input shape is unknown; the tops become unknown too."""


class AmbiguousType(Exception):
    """Raised by the rule of a type several forks define when nothing tells which one the
    layer is for: the layer is unknown, and the message (a hint naming --fork) is a warning."""


Rule = Callable[[LayerContext], LayerCost]
_RULES: dict[str, Rule] = {}


def register(*type_names: str) -> Callable[[Rule], Rule]:
    """Register a rule under one or more Caffe layer type names (V2 names, case-sensitive)."""

    def deco(fn: Rule) -> Rule:
        for name in type_names:
            if name in _RULES:
                raise RuntimeError(f"layer type {name!r} registered twice")
            _RULES[name] = fn
        return fn

    return deco


# The rule modules most nets need are imported first; the others only once a type is not
# found among those (an unknown type, or `known_types()`, imports them all). Importing all
# twenty-odd modules is most of a small net's analysis.
_FIRST = ("data", "conv", "activation", "norm", "pooling", "inner_product", "structure", "loss")
_pending: list[str] | None = None  # modules not imported yet, in the order to import them


def _next_module() -> bool:
    """Import the next rule module; False when every one is imported."""
    global _pending
    if _pending is None:
        import pkgutil

        names = [m.name for m in pkgutil.iter_modules(__path__)]
        _pending = [n for n in _FIRST if n in names] + [n for n in names if n not in _FIRST]
    if not _pending:
        return False
    import importlib

    importlib.import_module(f"{__name__}.{_pending.pop(0)}")
    return True


def _load_all() -> None:
    while _next_module():
        pass


def rule_for(type_name: str) -> Rule | None:
    rule = _RULES.get(type_name)
    while rule is None and _next_module():
        rule = _RULES.get(type_name)
    return rule


def known_types() -> list[str]:
    _load_all()
    return sorted(_RULES)


def count(shape: Shape | None) -> int | None:
    """Number of elements of a shape (1 for a scalar `()`), None when unknown."""
    return None if shape is None else math.prod(shape)


def canonical_axis(axis: int, num_axes: int) -> int:
    """Caffe's Blob::CanonicalAxisIndex: negative axes count from the end."""
    if not -num_axes <= axis < num_axes:
        raise ShapeError(f"axis {axis} out of range for a {num_axes}-D blob")
    return axis + num_axes if axis < 0 else axis
