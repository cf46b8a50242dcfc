"""Shape and cost analysis of a loaded net: plain data out, formatting lives in report.py.

The walk is Caffe's Net::Init in miniature: layers in order, each bottom looked up among the
blobs produced so far, each layer's rule (prototxt_tool.shapes) giving its tops. Nothing is
guessed: a layer whose inputs or type are unknown gets unknown (None) figures, and totals say
how many layers they leave out.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from json.encoder import encode_basestring_ascii
from typing import TYPE_CHECKING, Any, NoReturn

from prototxt_tool import __version__
from prototxt_tool.errors import InputShapeNeeded, ShapeError, UsageError
from prototxt_tool.pipeline import LoadedNet
from prototxt_tool.shapes import (
    AmbiguousType,
    LayerContext,
    LayerCost,
    Shape,
    UnknownShape,
    rule_for,
)
from prototxt_tool.shapes._util import blob_is_legacy, blob_proto_shape, fmt, shape_equals
from prototxt_tool.shapes.loss import AUTO_TOP, AUTO_TOP_TYPES
from prototxt_tool.textformat import lines_of

if TYPE_CHECKING:
    from fractions import Fraction

BYTES_PER_VALUE = 4  # float32, what Caffe stores blobs and weights in
INT_MAX = 2**31 - 1  # Blob::Reshape: "blob size exceeds INT_MAX" (caffe/src/caffe/blob.cpp)

# Kinds that multiply by learned weights; the MobileNet Table 2 breakdown is over these.
WEIGHTED_KINDS = ("standard conv", "depthwise conv", "pointwise conv", "grouped conv",
                  "deconvolution", "fully connected")


@dataclass(slots=True)
class Blob:
    name: str
    shape: Shape | None


@dataclass(slots=True)
class Separable:
    """What replacing a standard KxK convolution by depthwise KxK + pointwise 1x1 would cost.

    ratio is exactly 1/N + 1/K^2 (N = num_output, K^2 = kernel area), the MobileNet paper's
    reduction, since both new layers run on the conv's output resolution.
    """

    macs: int
    params: int
    conv_macs: int  # the standard convolution's own MACs, what `ratio` divides by

    @property
    def ratio(self) -> Fraction:
        """macs / conv_macs, exactly. Made when asked for: fractions imports decimal, a cost
        at every start of a run (`analyze` of many nets never asks)."""
        from fractions import Fraction

        return Fraction(self.macs, self.conv_macs)

    def ratio_text(self) -> str:
        """str(self.ratio) without making the Fraction: JSON writes one per conv, and a
        Fraction costs more than the rest of the conv's JSON."""
        g = math.gcd(self.macs, self.conv_macs)
        n, d = self.macs // g, self.conv_macs // g
        return str(n) if d == 1 else f"{n}/{d}"


@dataclass(slots=True)
class LayerReport:
    name: str
    type: str
    kind: str
    bottoms: list[Blob]
    tops: list[Blob]
    param_shapes: list[Shape] | None  # None when the layer's input shapes are unknown
    params: int | None  # every blob the layer owns (BatchNorm statistics included)
    learnable: int | None  # params less running statistics
    shared: int  # params owned through a named ParamSpec already counted by an earlier layer
    macs: int | None
    ops: int | None
    activations: int | None  # elements of the tops this layer writes
    separable: Separable | None = None
    error: str | None = None
    line: int = 0
    data_dependent: bool = False  # ops (and None tops) depend on run-time values: see LayerCost
    # A type several forks define, and nothing told which: the hint naming --fork (lint G010)
    ambiguous: str | None = None


@dataclass(slots=True)
class KindTotal:
    kind: str
    layers: int = 0
    macs: int = 0
    params: int = 0  # learnable, counted once


@dataclass(slots=True)
class Totals:
    macs: int = 0
    ops: int = 0
    params: int = 0  # all blobs, shared ones once (Caffe's memory for weights)
    learnable: int = 0  # without BatchNorm statistics: the published convention
    activations: int = 0  # elements of all blobs (in-place updates counted once)
    unknown: list[str] = field(default_factory=list)  # layers whose figures are unknown
    # Most elements alive at once when each blob is freed after its last consumer and an
    # in-place top shares its bottom's buffer (see peak_activations()); net outputs stay.
    peak_activations: int = 0
    peak_layer: str | None = None  # the layer during which that peak is reached

    @property
    def param_bytes(self) -> int:
        return self.params * BYTES_PER_VALUE

    @property
    def activation_bytes(self) -> int:
        return self.activations * BYTES_PER_VALUE

    @property
    def peak_activation_bytes(self) -> int:
        return self.peak_activations * BYTES_PER_VALUE


@dataclass(slots=True)
class Analysis:
    net: str
    filename: str
    phase: str
    format: str
    inputs: list[Blob]
    layers: list[LayerReport]
    total: Totals
    breakdown: list[KindTotal]
    warnings: list[str]
    # Figures that are right for the file but may mislead (batch 10 deploy nets, placeholder
    # inputs, where unknown shapes start); shown with the report, never on stderr alone.
    notes: list[str] = field(default_factory=list)

    def to_dict(self, flops: bool = False) -> dict[str, Any]:
        """The JSON document `dwsep analyze --format json` prints (stable: fields only added)."""
        return to_dict(self, flops)


def analyze(loaded: LoadedNet, input_shapes: Mapping[str, Shape] | None = None,
            blob_shapes: Mapping[str, Shape] | None = None, batch: int | None = None,
            errors: str = "raise", fork: str | None = None) -> Analysis:
    """Run every layer's shape/cost rule in order.

    input_shapes go to the layer producing that blob as an override of what the net declares
    (Input, DummyData, Data layers); blob_shapes fill in tops no rule can know (Python layers).
    errors="collect" records a layer's ShapeError in its report and carries on (lint).
    fork (a forks.FORKS key) reads the types several forks define as that fork's; without it
    their telltale fields decide and, for PriorBox and Pooling, the net (`_fit_fork`).
    """
    args = (loaded, dict(input_shapes or {}), dict(blob_shapes or {}), batch, errors)
    try:
        walk = _walk(*args, fork)
    except InputShapeNeeded:
        raise
    except ShapeError as err:
        failure = f"layer '{err.layer}': {err.message}" if err.layer else err.message
        fitted = _fit_fork(args, failure, fork) if _may_fit(fork) else None
        if fitted is None:
            raise
        return fitted.result()
    if walk.failed and _may_fit(fork):
        walk = _fit_fork(args, walk.failed, fork) or walk
    return walk.result()


def _walk(loaded: LoadedNet, input_shapes: dict[str, Shape], blob_shapes: dict[str, Shape],
          batch: int | None, errors: str, fork: str | None, fitted: str | None = None) -> _Walk:
    walk = _Walk(loaded, input_shapes, blob_shapes, batch, errors, fork, fitted)
    for i, layer in enumerate(loaded.net.layer):
        walk.layer(i, layer)
    walk.check_overrides_used()
    return walk


def _may_fit(fork: str | None) -> bool:
    """Whether `_fit_fork` may choose: not when --fork already decides the types it fits
    (`--fork happynear` says nothing about PriorBox or Pooling)."""
    from prototxt_tool.forks import SHARED_TYPES

    fitted = SHARED_TYPES["PriorBox"] + SHARED_TYPES["Pooling"] + SHARED_TYPES["DetectionOutput"]
    return fork is None or fork not in fitted


def _fit_fork(args: tuple[Any, ...], failure: str, chosen: str | None) -> _Walk | None:
    """BVLC's (or SSD's) reading of the net fails: read it as the one fork whose Caffe loads
    it, if exactly one of the forks that redefine a layer type it uses does. These forks
    change a type's meaning without a field of their own (MhLiao/TextBoxes' and
    sfzhang15/FaceBoxes' PriorBox, ChenYingpeng/caffe-yolov3's Pooling), so only the net can
    tell, and a net BVLC's reading loads is never read otherwise. `chosen` (--fork) still
    decides the other types it names (happynear's Normalize in a TextBoxes net)."""
    from prototxt_tool.forks import FORKS
    from prototxt_tool.shapes.detection import prior_box_forks
    from prototxt_tool.shapes.pooling import darknet_pooling_forks

    layers = args[0].net.layer
    fitting = []
    for fork, what in prior_box_forks(layers) + darknet_pooling_forks(layers):
        try:
            walk = _walk(*args, chosen, fork)
        except ShapeError:
            continue
        if not walk.failed:
            fitting.append((fork, what, walk))
    if len(fitting) != 1:
        return None
    fork, what, walk = fitting[0]
    walk.warnings.append(f"read as a {FORKS[fork].repo} net (its own {what}): as BVLC and "
                         f"SSD read it, {failure}")
    return walk


class _Walk:
    def __init__(self, loaded: LoadedNet, input_shapes: dict[str, Shape],
                 blob_shapes: dict[str, Shape], batch: int | None, errors: str,
                 fork: str | None = None, fitted: str | None = None):
        self.loaded = loaded
        self.fork = fork
        self.fitted = fitted  # the fork _fit_fork tries (LayerContext.fitted)
        self.failed = ""  # collect mode: the first error a layer's rule raised
        self.input_shapes = input_shapes
        self.blob_shapes = blob_shapes
        self.batch = batch
        self.collect = errors == "collect"
        self.made: dict[str, Blob] = {}  # blob name -> its latest version, as a layer wrote it
        self.reports: list[LayerReport] = []
        self.inputs: list[Blob] = []
        self.warnings: list[str] = []
        self.seen_params: set[str] = set()
        self.used: set[str] = set()
        self.total = Totals()
        # Tolerant reading: one warning per skipped field; a layer whose figures may depend on
        # one it skipped is unknown (never guessed).
        self.blind: dict[int, str] = {}
        self.warnings.extend(loaded.warnings)  # what Caffe ignores of a legacy net
        for skip in loaded.skipped:
            self.warnings.append(skip.describe(loaded.source.filename))
            if skip.layer is not None and not skip.neutral:
                self.blind.setdefault(skip.layer, skip.path.partition(".")[2])
        self.from_weights: list[str] = []  # layers whose param shapes only their blobs tell
        self.setup_sized: set[int] = set()  # reports whose tops are setup shapes (setup_tops)
        # Whether any layer may hold blobs: text format names the field, so a text without
        # the word has none, and no layer's `blobs` need be read (a binary net: look).
        self.has_blobs = loaded.tree is None or "blobs" in loaded.source.text
        self.lines = lines_of(loaded.layer_trees)  # each layer's line, in one pass
        # The forks whose fields the file uses: it was written for their Caffe (this tells a
        # type several forks define, see shapes/_forks.py).
        self.written_for = frozenset(s.fork for s in loaded.skipped if s.fork)

    # -- one layer ----------------------------------------------------------------------
    # This is the hot loop of `analyze` (a 10,000-layer net runs it 10,000 times), so it reads
    # each protobuf field once (field access goes through the upb wrappers and is slow in
    # Python), computes each top's element count once and keeps to plain loops: generator
    # expressions and context managers cost more than the arithmetic they wrap.
    def layer(self, index: int, layer: Any) -> None:
        top_names = list(layer.top)
        type_name = layer.type
        auto = not top_names and type_name in AUTO_TOP_TYPES
        if auto:  # Caffe's LossLayer::AutoTopBlobs: the loss still gets its top
            layer = type(layer)()
            layer.CopyFrom(self.loaded.net.layer[index])
            layer.top.append(AUTO_TOP)
            top_names = [AUTO_TOP]
        bottom_names = list(layer.bottom)
        specs = layer.param  # the ParamSpecs, read once
        report = LayerReport(layer.name, type_name, "other", [], [], [], 0, 0, 0, None, None,
                             None, line=self.lines[index])
        self.reports.append(report)
        made = self.made
        try:
            # A bottom is the very Blob its producer's report holds as a top (no copy).
            report.bottoms = bottoms = [made[b] if b in made else self._no_producer(b)
                                        for b in bottom_names]
            shapes = [b.shape for b in bottoms]
            cost = self._cost(layer, report, top_names, bottom_names, shapes, specs,
                              self.blind.get(index) if self.blind else None)
            counts = _top_counts(top_names, cost.tops)
        except ShapeError as err:
            if not self.collect:
                raise self._locate(err, layer, index) from None
            # Collecting (lint): a shape only the user can give is unknown, not wrong.
            report.error = None if isinstance(err, InputShapeNeeded) else str(err.message)
            if report.error and not self.failed:
                self.failed = f"layer '{layer.name}': {report.error}"
            cost = LayerCost(tops=[None] * len(top_names), params=None, macs=None, ops=None)
            counts = [None] * len(top_names)
        self._record(report, specs, cost, counts, top_names, bottom_names)
        if auto:  # AppendTop without available_blobs: no later layer can take it as a bottom
            self.made.pop(AUTO_TOP, None)

    def _no_producer(self, name: str) -> NoReturn:
        raise ShapeError(f"bottom '{name}' is not produced by any earlier layer "
                         f"(phase {self.loaded.phase})")

    def _cost(self, layer: Any, report: LayerReport, top_names: list[str],
              bottom_names: list[str], shapes: list[Shape | None], specs: Any,
              blind: str | None = None) -> LayerCost:
        overrides = {}
        if self.input_shapes:
            overrides = {t: self.input_shapes[t] for t in top_names if t in self.input_shapes}
            self.used.update(overrides)
        type_name = report.type
        rule = rule_for(type_name)
        cost = None
        ambiguous = False
        if blind is not None:  # written with a field dwsep skipped: never guess
            self.warnings.append(f"layer '{report.name}': its figures depend on the skipped "
                                 f"field '{blind}'; they are unknown (give its outputs with "
                                 "--blob-shape)")
        elif rule is None:
            self.warnings.append(_unknown_type(report.name, type_name))
        else:
            try:
                cost = rule(LayerContext(layer, shapes, overrides, len(top_names), self.fork,
                                         self.written_for, self.fitted))
            except AmbiguousType as err:  # e.g. a bare Normalize: SSD's or happynear's?
                self.warnings.append(f"layer '{report.name}': {err}")
                report.ambiguous = str(err)
                ambiguous = True
            except UnknownShape:
                pass
        if cost is None:
            # An InnerProduct on an unknown input has unknown weights too: nothing is known.
            cost = LayerCost(tops=[], params=None, macs=None, ops=None,
                             kind="unknown" if rule is None or blind or ambiguous else "other")
        if self.has_blobs and len(layer.blobs) and stored_params(layer, cost):
            self.from_weights.append(report.name)
        if cost.params is not None and len(specs) > len(cost.params):
            raise ShapeError(_too_many_specs(len(specs), len(cost.params)))
        tops = cost.tops
        if len(tops) < len(top_names):
            tops = [*tops, *[None] * (len(top_names) - len(tops))]
        if self.blob_shapes:
            self._given_blobs(report, top_names, bottom_names, tops, cost.data_dependent)
        if overrides and bottom_names and not self.collect:
            computed = [t for t in overrides if t not in bottom_names]
            if computed:
                raise UsageError(f"--input-shape {computed[0]}: layer '{report.name}' "
                                 f"({report.type}) computes this blob from its bottoms; "
                                 "--input-shape is for net inputs and data layers")
        if self.batch is not None and not bottom_names:
            tops = [(self.batch, *t[1:]) if t else t for t in tops]
        cost.tops = tops
        return cost

    def _given_blobs(self, report: LayerReport, top_names: list[str], bottom_names: list[str],
                     tops: list[Shape | None], data_dependent: bool) -> None:
        """--blob-shape fills a top no rule knows, or replaces a data-dependent layer's setup
        placeholder (py-faster-rcnn's rois 1x5); naming a blob the net computes is an error."""
        for j, name in enumerate(top_names):
            if name not in self.blob_shapes:
                continue
            if data_dependent and name not in bottom_names:
                tops[j] = None  # the run-time count is what the user gives
            if tops[j] is not None and not self.collect and name not in bottom_names:
                raise UsageError(
                    f"--blob-shape {name}: layer '{report.name}' ({report.type}) computes "
                    f"this blob ({'x'.join(map(str, tops[j]))}); --blob-shape only gives "  # type: ignore[arg-type]
                    "blobs no rule can know (use --input-shape for inputs)")
            if tops[j] is None:
                tops[j] = tuple(self.blob_shapes[name])
                self.used.add(name)

    def _record(self, report: LayerReport, specs: Any, cost: LayerCost,
                counts: list[int | None], top_names: list[str], bottom_names: list[str]) -> None:
        report.kind = cost.kind
        report.data_dependent = cost.data_dependent
        if cost.setup_tops:
            self.setup_sized.add(len(self.reports) - 1)  # this report, the last one
        report.macs, report.ops = cost.macs, cost.ops
        if cost.params is None:
            report.param_shapes = report.params = report.learnable = None
        elif cost.params:
            self._params(report, specs, cost)
        report.activations = None if None in counts else sum(counts)  # type: ignore[arg-type]
        made = self.made
        top_blobs = []
        written = 0  # elements of the new blobs: an in-place top is its bottom, counted already
        for name, shape, n in zip(top_names, cost.tops, counts, strict=False):
            made[name] = blob = Blob(name, shape)
            top_blobs.append(blob)
            if n is not None and name not in bottom_names:
                written += n
        report.tops = top_blobs
        if report.kind == "standard conv":
            report.separable = separable_cost(report)
        if not bottom_names and top_blobs:
            self.inputs.extend(top_blobs)
        # totals
        t = self.total
        macs, ops, params = report.macs, report.ops, report.params
        if macs is None or ops is None or params is None:
            t.unknown.append(report.name)
        if macs:
            t.macs += macs
        if ops:
            t.ops += ops
        if params:
            shared, learnable = report.shared, report.learnable or 0
            t.params += params - shared
            t.learnable += learnable - min(shared, learnable)
        t.activations += written

    def _params(self, report: LayerReport, specs: Any, cost: LayerCost) -> None:
        """Sizes of the layer's blobs; a blob named in a ParamSpec is counted once net-wide."""
        shapes: list[Shape] = []
        sizes: list[int] = []
        for s in cost.params or ():  # one loop: two comprehensions cost twice as much here
            shapes.append(tuple(s))
            sizes.append(math.prod(s))
        report.param_shapes = shapes
        report.params = total = sum(sizes)
        report.learnable = sum(sizes[:len(sizes) - cost.stats]) if cost.stats else total
        if cost.stats_at:
            report.learnable -= sum(sizes[i] for i in cost.stats_at)
        if not specs:
            return
        for size, spec in zip(sizes, specs, strict=False):
            key = spec.name
            if key and key in self.seen_params:
                report.shared += size
            elif key:
                self.seen_params.add(key)

    def _locate(self, err: ShapeError, layer: Any, index: int) -> ShapeError:
        """Attach the layer's name, type and position to a rule's bare message."""
        if err.layer is not None and err.filename:
            return err
        tree = self.loaded.layer_trees[index]
        span = tree.location("name") if tree is not None else None
        span = span or (tree.span if tree is not None else None)
        return type(err)(err.message, layer=layer.name, layer_type=layer.type,
                          filename=self.loaded.source.filename,
                          line=span.line if span else 0, column=span.column if span else 0)

    # -- the end ----------------------------------------------------------------------------
    def check_overrides_used(self) -> None:
        """A misspelt --input-shape name must not silently leave the net's own shape in place."""
        for flag, given in (("--input-shape", self.input_shapes),
                            ("--blob-shape", self.blob_shapes)):
            for name in sorted(set(given) - set(self.made)):
                inputs = ", ".join(b.name for b in self.inputs) or "none"
                raise UsageError(f"{flag} {name}: no blob of that name in phase "
                                 f"{self.loaded.phase} (net inputs: {inputs})")

    def result(self) -> Analysis:
        kinds: dict[str, KindTotal] = {}
        for r in self.reports:
            k = kinds.setdefault(r.kind, KindTotal(r.kind))
            k.layers += 1
            k.macs += r.macs or 0
            k.params += (r.learnable or 0) - min(r.shared, r.learnable or 0)
        order = {kind: i for i, kind in enumerate(WEIGHTED_KINDS)}
        breakdown = sorted(kinds.values(), key=lambda k: (order.get(k.kind, len(order)), -k.macs,
                                                          k.kind))
        if self.from_weights:
            names = ", ".join(f"'{n}'" for n in self.from_weights[:3])
            more = f" and {len(self.from_weights) - 3} more" if len(self.from_weights) > 3 else ""
            self.warnings.append(f"param shape(s) from weights for {names}{more}: their input "
                                 "shapes are unknown (give them with --input-shape)")
        net = self.loaded.net
        self.total.peak_activations, self.total.peak_layer = peak_activations(self.reports)
        return Analysis(net.name, self.loaded.source.filename, self.loaded.phase,
                        self.loaded.format, self.inputs, self.reports, self.total, breakdown,
                        self.warnings, self.notes())

    def notes(self) -> list[str]:
        """What makes right figures mislead: batch, placeholder inputs, where unknowns start."""
        notes = []
        given = set(self.input_shapes)
        declared = [b for b in self.inputs if b.name not in given and b.shape and len(b.shape) > 1]
        if self.batch is None and declared and declared[0].shape[0] > 1:  # type: ignore[index]
            n = declared[0].shape[0]  # type: ignore[index]
            notes.append(f"figures are for batch {n} (input '{declared[0].name}' declares it); "
                         "--batch 1 for per-image")
        for b in declared:
            if len(b.shape) == 4 and b.shape[2:] == (1, 1):  # type: ignore[arg-type,index]
                notes.append(f"input '{b.name}' is {'x'.join(map(str, b.shape))}: a 1x1 "  # type: ignore[arg-type]
                             "spatial size is usually a placeholder the runtime resizes; give "
                             f"the real one with --input-shape {b.name}=N,C,H,W")
        consumed: set[str] | None = None  # blobs some layer reads (made when first needed)
        given = set(self.blob_shapes)
        for i, r in enumerate(self.reports):
            # A layer whose rule gave its setup shapes (LayerCost.setup_tops) until the
            # forward pass resizes them: the figures after it use those shapes.
            if i in self.setup_sized:
                if consumed is None:
                    consumed = {b.name for r in self.reports for b in r.bottoms}
                held = [b for b in r.tops if b.shape is not None and b.name in consumed
                        and b.name not in given]
                if held:
                    flags = " ".join(f"--blob-shape {b.name}=" + ",".join(
                        ["N", *map(str, b.shape[1:])]) for b in held)  # type: ignore[index]
                    notes.append(f"layer '{r.name}' ({r.type}) sizes its top(s) at run time; "
                                 f"the figures after it use its setup shape "
                                 f"({', '.join('x'.join(map(str, b.shape)) for b in held)}); "  # type: ignore[arg-type]
                                 f"give the real one with {flags}")
            # (activations is None exactly when some top's shape is: a cheap first test)
            if not r.bottoms or r.activations is not None:
                continue
            if any(b.shape is None for b in r.bottoms):
                continue
            if consumed is None:
                consumed = {b.name for r in self.reports for b in r.bottoms}
            missing = [b.name for b in r.tops if b.shape is None and b.name in consumed]
            if missing:
                flags = " ".join(f"--blob-shape {m}=D0,D1,..." for m in missing)
                notes.append(f"shapes are unknown from layer '{r.name}' ({r.type}) on: its "
                             f"input shapes are known but not its top(s); give them with {flags}")
        return notes


def _top_counts(names: list[str], tops: list[Shape | None]) -> list[int | None]:
    """Elements of each top (None: unknown), checked as Blob::Reshape checks them."""
    counts: list[int | None] = []
    for i, shape in enumerate(tops):
        if shape is None:
            counts.append(None)
            continue
        n = math.prod(shape)
        if (n > INT_MAX or (shape and min(shape) <= 0)) and i < len(names):
            _check_blob(names[i], shape, n)
        counts.append(n)
    return counts


def _check_blob(name: str, shape: Shape, count: int) -> None:
    """Blob::Reshape's checks: positive dimensions, at most INT_MAX elements."""
    if min(shape) <= 0:
        raise ShapeError(f"top '{name}' would have non-positive dimensions {list(shape)}")
    raise ShapeError(f"top '{name}' {'x'.join(map(str, shape))} has {count:,} elements; Caffe "
                     f"refuses blobs over INT_MAX ({INT_MAX:,}): \"blob size exceeds INT_MAX\"")


def peak_activations(reports: list[LayerReport]) -> tuple[int, str | None]:
    """Most blob elements alive at once, running the layers in order with buffer reuse.

    A buffer is allocated when a layer first writes a blob and freed after the last layer that
    reads it; an in-place top (top == bottom) writes into its bottom's buffer; blobs no layer
    reads (the net's outputs) stay to the end. During a layer both its bottoms and its tops are
    alive. This is what a deploy runtime that recycles memory needs; Caffe itself keeps every
    blob, which is the activations sum. Unknown shapes count 0 (see Totals.unknown).
    """
    # Buffers are numbered as they appear: per buffer, its elements, the layers that first
    # and last touch it, and whether no layer has read its latest contents yet.
    size: list[int] = []
    first: list[int] = []
    last: list[int] = []
    unread: list[bool] = []
    current: dict[str, int] = {}  # blob name -> buffer it lives in now
    for i, r in enumerate(reports):
        bottoms = r.bottoms
        for b in bottoms:
            buf = current.get(b.name)
            if buf is not None:
                last[buf] = i
                unread[buf] = False
        names = {b.name for b in bottoms} if bottoms else ()
        for b in r.tops:
            buf = current.get(b.name) if b.name in names else None
            if buf is None:
                buf = len(size)
                size.append(0)
                first.append(i)
                last.append(i)
                unread.append(True)
                current[b.name] = buf
            if b.shape is not None:
                n = math.prod(b.shape)
                if n > size[buf]:
                    size[buf] = n
            last[buf] = i
            unread[buf] = True
    end = len(reports) - 1
    delta = [0] * (len(reports) + 1)
    for buf, n in enumerate(size):
        # A buffer whose final contents no layer reads holds a net output: it stays.
        delta[first[buf]] += n
        delta[(end if unread[buf] else last[buf]) + 1] -= n
    peak, at, alive = 0, None, 0
    for i in range(len(reports)):
        alive += delta[i]
        if alive > peak:
            peak, at = alive, reports[i].name
    return peak, at


# -- plain-data view: the JSON document -------------------------------------------------------
JSON_SCHEMA_VERSION = 1


def share(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 4) if whole else None


def weighted_params(a: Analysis) -> int:
    return sum(k.params for k in a.breakdown if k.kind in WEIGHTED_KINDS)


def to_dict(a: Analysis, flops: bool = False, layers: bool = True) -> dict[str, Any]:
    """The JSON document; layers=False leaves `layers` an empty list (see layer_dict)."""
    weighted = weighted_params(a)
    t = a.total
    total: dict[str, Any] = {
        "macs": t.macs, "ops": t.ops, "params": t.params, "learnable_params": t.learnable,
        "activations": t.activations, "param_bytes": t.param_bytes,
        "activation_bytes": t.activation_bytes, "peak_activations": t.peak_activations,
        "peak_activation_bytes": t.peak_activation_bytes, "peak_layer": t.peak_layer,
        "complete": not t.unknown,
        "unknown_layers": list(t.unknown),
    }
    if flops:
        total["flops"] = 2 * t.macs
    return {
        "dwsep_version": __version__,
        "schema_version": JSON_SCHEMA_VERSION,
        "net": a.net,
        "file": a.filename,
        "phase": a.phase,
        "format": a.format,
        "inputs": [{"name": b.name, "shape": _list(b.shape)} for b in a.inputs],
        "layers": [layer_dict(r, flops) for r in a.layers] if layers else [],
        "total": total,
        "breakdown": [
            {"kind": k.kind, "layers": k.layers, "macs": k.macs,
             "macs_share": share(k.macs, t.macs), "params": k.params,
             "params_share": share(k.params, weighted) if k.kind in WEIGHTED_KINDS else None}
            for k in a.breakdown
        ],
        "warnings": list(a.warnings),
        "notes": list(a.notes),
    }


def _list(shape: Shape | None) -> list[int] | None:
    return None if shape is None else list(shape)


def layer_dict(r: LayerReport, flops: bool = False) -> dict[str, Any]:
    """One element of the document's `layers`."""
    d: dict[str, Any] = {
        "name": r.name, "type": r.type, "kind": r.kind, "line": r.line or None,
        "bottoms": [b.name for b in r.bottoms],
        "bottom_shapes": [_list(b.shape) for b in r.bottoms],
        "tops": [{"name": b.name, "shape": _list(b.shape)} for b in r.tops],
        "params": r.params, "learnable_params": r.learnable, "shared_params": r.shared,
        "param_shapes": (None if r.param_shapes is None
                         else [_list(s) for s in r.param_shapes]),
        "macs": r.macs, "ops": r.ops, "activations": r.activations,
        "data_dependent": r.data_dependent,
        "separable": None if r.separable is None else {
            "macs": r.separable.macs, "params": r.separable.params,
            "ratio": float(r.separable.ratio), "ratio_exact": str(r.separable.ratio)},
    }
    if flops:
        d["flops"] = None if r.macs is None else 2 * r.macs
    if r.error:
        d["error"] = r.error
    return d


def layer_json(r: LayerReport, flops: bool = False) -> str:
    """json.dumps(layer_dict(r, flops)), byte for byte, written as text directly.

    report.to_json writes a 10,000-layer net's layers this way: it takes a sixth less time
    than building each dict and encoding it. layer_dict stays the definition:
    tests/test_analyze_json.py checks every layer of the corpus and the fixtures (hostile
    names, unknown figures, errors) against json.dumps(layer_dict(...)), so a field added
    there and not here fails the suite.
    """
    sep = r.separable
    ps = r.param_shapes
    out = (f'{{"name": {_jstr(r.name)}, "type": {_jstr(r.type)}, "kind": {_jstr(r.kind)}, '
           f'"line": {r.line or "null"}, '
           f'"bottoms": [{", ".join([_jstr(b.name) for b in r.bottoms])}], '
           f'"bottom_shapes": [{", ".join([_jshape(b.shape) for b in r.bottoms])}], '
           f'"tops": [{", ".join([_jtop(b) for b in r.tops])}], '
           f'"params": {_jint(r.params)}, "learnable_params": {_jint(r.learnable)}, '
           f'"shared_params": {r.shared}, '
           f'"param_shapes": {"null" if ps is None else _jlist([_jshape(p) for p in ps])}, '
           f'"macs": {_jint(r.macs)}, "ops": {_jint(r.ops)}, '
           f'"activations": {_jint(r.activations)}, '
           f'"data_dependent": {"true" if r.data_dependent else "false"}, '
           f'"separable": {"null" if sep is None else _jseparable(sep)}')
    if flops:
        out += f', "flops": {"null" if r.macs is None else 2 * r.macs}'
    if r.error:
        out += f', "error": {_jstr(r.error)}'
    return out + "}"


# A JSON string, quotes included, exactly as json.dumps writes it (the same C function).
_jstr: Callable[[str], str] = encode_basestring_ascii


def _jint(n: int | None) -> str:
    return "null" if n is None else str(n)


def _jlist(items: list[str]) -> str:
    return "[" + ", ".join(items) + "]"


def _jshape(shape: Shape | None) -> str:
    # A list of ints prints as JSON writes it ("[1, 3, 224, 224]"), in one C call.
    return "null" if shape is None else str(list(shape))


def _jtop(b: Blob) -> str:
    return f'{{"name": {_jstr(b.name)}, "shape": {_jshape(b.shape)}}}'


def _jseparable(sep: Separable) -> str:
    # float(Fraction(a, b)) is a / b, correctly rounded either way.
    return (f'{{"macs": {sep.macs}, "params": {sep.params}, '
            f'"ratio": {sep.macs / sep.conv_macs!r}, "ratio_exact": "{sep.ratio_text()}"}}')


def incomplete(a: Analysis) -> list[str]:
    """Layers missing a figure that a static analysis can know (empty: complete figures).

    Every layer's params and MACs must be known, and its ops and tops too, except where the
    layer is data-dependent (its work depends on run-time values: NMS, region sizes), which
    Caffe itself cannot size before running the net.
    """
    return [r.name for r in a.layers if r.params is None or r.macs is None or (
        not r.data_dependent and (r.ops is None or any(t.shape is None for t in r.tops)))]


STORED_STATS = {"BatchNorm": 3}  # running statistics among a layer's blobs, rule not run


def stored_params(layer: Any, cost: LayerCost) -> bool:
    """Make `cost` use the blobs a layer carries (a net read from a .caffemodel).

    Caffe's Layer constructor loads a layer's `blobs`, and LayerSetUp checks them against the
    definition (Convolution/InnerProduct: "Incorrect weight shape"), so blobs that do not fit
    are a ShapeError. Where the rule could not know the shapes (an unknown input), the stored
    ones stand in; returns True then ("shape(s) from weights").
    """
    stored = [blob_proto_shape(b) for b in layer.blobs]
    if cost.params is None:
        cost.params = stored
        cost.stats = min(STORED_STATS.get(layer.type, 0), len(stored))
        return True
    legacy = [blob_is_legacy(b) for b in layer.blobs]
    if len(cost.params) != len(stored) or not all(
            shape_equals(tuple(want), got, old)
            for want, got, old in zip(cost.params, stored, legacy, strict=True)):
        raise ShapeError(f"its stored blobs ({_shapes_text(stored)}) do not fit its definition, "
                         f"which allocates {_shapes_text(cost.params)}")
    return False


def _too_many_specs(specs: int, blobs: int) -> str:
    """Net::Init CHECK_LE(param_size, num_param_blobs) (BVLC src/caffe/net.cpp): a `param {}`
    spec for a blob the layer does not have makes Caffe refuse the net."""
    return (f"{specs} param {{}} specs for its {blobs} blob(s): Caffe refuses it "
            "(\"Too many params specified for layer\")")


def _shapes_text(shapes: Any) -> str:
    return ", ".join(fmt(s) for s in shapes) or "no blobs"


def separable_cost(report: LayerReport) -> Separable | None:
    """Cost of depthwise KxK (group = M) + pointwise 1x1 (M -> N) at the conv's output size."""
    if not report.param_shapes or report.macs is None or not report.tops:
        return None
    weight = report.param_shapes[0]  # [N, M, kh, kw...]
    n, m, kernel = weight[0], weight[1], math.prod(weight[2:])
    out = report.tops[0].shape
    if out is None or kernel <= 1 or not report.macs:  # no work (an empty batch): no ratio
        return None
    positions = math.prod(out) // n  # batch x spatial output positions
    bias = n if len(report.param_shapes) > 1 else 0
    macs = positions * m * kernel + positions * m * n
    params = m * kernel + m * n + bias
    return Separable(macs, params, report.macs)


def _unknown_type(name: str, type_name: str) -> str:
    """The warning for a type without a rule; a near miss (`Relu`) gets lint G009's hint."""
    from prototxt_tool.shapes import known_types
    from prototxt_tool.typos import near_miss

    guess = near_miss(type_name, known_types())
    hint = f" (did you mean '{guess}'?)" if guess else ""
    return (f"layer '{name}': unknown layer type '{type_name}'{hint}; its outputs are unknown "
            "(give them with --blob-shape)")
