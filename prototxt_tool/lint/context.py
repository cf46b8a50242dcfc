"""What a lint rule can look at: the text, the parsed net with positions, and per-phase views.

The file is parsed once and upgraded once; each phase is a filter over the upgraded layers and
its shape analysis is computed only if a rule asks for it. That keeps `dwsep lint` of a whole
model zoo fast, and lets graph rules see exactly the net Caffe would build for a phase.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from prototxt_tool.errors import DwsepError, ParseError, SolverGiven
from prototxt_tool.pipeline import Source, UpgradedNet, origin_tree

Shape = tuple[int, ...]
PHASES = ("TEST", "TRAIN")


@dataclass(slots=True)
class Layer:
    """One V2 layer and where it is written (for legacy files: the old `layers` block)."""

    param: Any  # caffe_pb2.LayerParameter
    tree: Any  # textformat.ParseTree of its block, or of the whole file for legacy inputs
    origin: tuple[str, int]

    @property
    def name(self) -> str:
        return str(self.param.name)

    @property
    def type(self) -> str:
        return str(self.param.type)

    def anchor(self) -> Any:
        """Where a finding about the layer as a whole goes: its `name` line, else its block."""
        if self.tree is None:
            return None
        if self.origin[0] == "input":
            return self.tree.location("input") or self.tree.span
        return name_span(self.tree) or self.tree.span

    def where(self, *paths: str) -> Any:
        """The first of `paths` (dotted field paths, `field[i]` for an index) written in the
        layer, else the layer's anchor: findings point at the offending field when it exists."""
        for path in paths:
            span = find(self.tree, path)
            if span is not None:
                return span
        return self.anchor()


def name_span(tree: Any) -> Any:
    """The `name` field of a layer block; V0 keeps it one level down in `layer { name }`."""
    span = tree.location("name")
    if span is None:
        inner = tree.nested("layer")
        span = inner.location("name") if inner is not None else None
    return span


def find(tree: Any, path: str) -> Any:
    """Span of a dotted field path like `convolution_param.kernel_size[1]`, or None."""
    if tree is None:
        return None
    parts = path.split(".")
    node = tree
    for part in parts[:-1]:
        name, index = _split_index(part)
        node = node.nested(name, index)
        if node is None:
            return None
    name, index = _split_index(parts[-1])
    return node.location(name, index)


def _split_index(part: str) -> tuple[str, int]:
    if part.endswith("]") and "[" in part:
        name, _, idx = part[:-1].partition("[")
        return name, int(idx)
    return part, 0


@dataclass
class LintOptions:
    """Command-line choices that change what is checked (not which rules run)."""

    phases: tuple[str, ...] = ()  # empty: TEST, plus TRAIN when the net has phase rules
    input_shapes: Mapping[str, Shape] = field(default_factory=dict)
    blob_shapes: Mapping[str, Shape] = field(default_factory=dict)
    weights: str | None = None  # a .caffemodel the W rules check the net against
    targets: tuple[str, ...] = ()  # deployment target profiles: the T rules run only with one
    # Shapes given on the command line apply only to blobs the net does not shape itself
    # (one flag for a whole folder must not override each net's Input layer) unless forced.
    force_shapes: bool = False
    fork: str | None = None  # --fork: the meaning of types several forks define


class LintContext:
    """One file. `parse_error` is set (and `raw` is None) when the text does not parse."""

    def __init__(self, source: Source, options: LintOptions | None = None):
        self.source = source
        self.options = options or LintOptions()
        self.lines = source.text.splitlines()
        self.parse_error: ParseError | None = None
        self.raw: Any = None  # NetParameter, or SolverParameter when kind == "solver"
        self.tree: Any = None
        self.kind = "net"
        from prototxt_tool.pipeline import parse_net

        # Fields the schema does not know are skipped (P002 reports each) so that every other
        # rule still runs on the net, as `dwsep analyze` reads it.
        self.skipped: list[Any] = []  # textformat.UnknownField, in file order
        try:
            self.raw, self.tree = parse_net(source, self.skipped)
        except SolverGiven:
            from prototxt_tool.solver import parse_solver

            self.skipped = []
            self.kind = "solver"
            try:
                self.raw, self.tree = parse_solver(source.text, source.filename)
            except ParseError as err:
                self.parse_error = err
        except ParseError as err:
            self.parse_error = err
            self.skipped = []

    @cached_property
    def upgrade_error(self) -> DwsepError | None:
        """Why the parsed net cannot be upgraded (a broken V0/V1 file), else None."""
        if self.parse_error is not None:
            return None
        try:
            _ = self.layers
        except DwsepError as err:
            return err
        return None

    @cached_property
    def load_error(self) -> DwsepError | None:
        """Why per-net rules cannot run: a parse or upgrade error, or a layer Caffe's FilterNet
        rejects (include and exclude together, reported by P006). A solver has no layers:
        its rules need only the parse."""
        if self.kind == "solver":
            return self.parse_error
        if self.parse_error is not None or self.upgrade_error is not None:
            return self.parse_error or self.upgrade_error
        try:
            _ = self.phases
        except DwsepError as err:
            return err
        return None

    @property
    def path(self) -> str:
        return self.source.filename

    @cached_property
    def format(self) -> str:
        from prototxt_tool import upgrade

        return str(upgrade.detect_format(self.raw))

    @cached_property
    def parsed(self) -> UpgradedNet:
        """The shared pipeline's parse -> upgrade result; each PhaseView filters it."""
        from prototxt_tool.pipeline import upgrade_parsed

        return upgrade_parsed(self.source, self.raw, self.tree, self.skipped)

    @property
    def upgraded(self) -> Any:
        return self.parsed.upgraded

    @cached_property
    def layers(self) -> list[Layer]:
        """Every layer of the upgraded net, in order, whatever its phase."""
        up = self.upgraded
        return [Layer(param, origin_tree(self.tree, origin), origin)
                for param, origin in zip(up.net.layer, up.origins, strict=True)]

    def raw_layer_trees(self) -> Iterator[tuple[str, int, Any]]:
        """(field, index, tree) of every layer block as written, V2 `layer` or legacy `layers`."""
        for fname in ("layer", "layers"):
            for i in range(len(getattr(self.raw, fname))):
                yield fname, i, self.tree.nested(fname, i)

    @cached_property
    def phases(self) -> list[PhaseView]:
        wanted = self.options.phases or self._default_phases()
        return [PhaseView(self, p) for p in wanted]

    def _default_phases(self) -> tuple[str, ...]:
        """TRAIN is checked only when it can differ from TEST: some layer has a phase rule."""
        for layer in self.layers:
            for rule in (*layer.param.include, *layer.param.exclude):
                if rule.HasField("phase"):
                    return PHASES
        if self.upgraded.net.state.HasField("phase"):
            return PHASES
        return PHASES[:1]


class PhaseView:
    """The net Caffe would build for one phase, with lazily computed shapes."""

    def __init__(self, ctx: LintContext, phase: str):
        from prototxt_tool.pipeline import select_phase

        self.ctx = ctx
        self.phase = phase
        self.loaded = select_phase(ctx.parsed, phase)
        self.layers: list[Layer] = [ctx.layers[i] for i in self.loaded.kept]

    @cached_property
    def producers(self) -> dict[str, list[int]]:
        """Blob name -> positions (in self.layers) of the layers writing it, in order."""
        out: dict[str, list[int]] = {}
        for i, layer in enumerate(self.layers):
            for top in layer.param.top:
                out.setdefault(top, []).append(i)
        return out

    @cached_property
    def _readers(self) -> dict[tuple[int, str], list[int]]:
        """(writer, blob) -> layers reading that version of the blob, built in one pass.

        Rules ask for the readers of every top; scanning forward per question made lint
        quadratic (a 10,000-layer chain took minutes), one index keeps it linear.
        """
        out: dict[tuple[int, str], list[int]] = {}
        writer: dict[str, int] = {}
        for j, layer in enumerate(self.layers):
            for blob in layer.param.bottom:
                w = writer.get(blob)
                if w is not None:
                    readers = out.setdefault((w, blob), [])
                    if not readers or readers[-1] != j:
                        readers.append(j)
            for blob in layer.param.top:
                writer[blob] = j
                out.setdefault((j, blob), [])
        return out

    def readers(self, i: int, blob: str) -> list[int]:
        """Layers reading the version of `blob` that layer i writes (up to its next writer)."""
        found = self._readers.get((i, blob))
        if found is not None:
            return list(found)
        out = []  # a blob layer i does not write: only its later readers count
        for j in range(i + 1, len(self.layers)):
            param = self.layers[j].param
            if blob in param.bottom:
                out.append(j)
            if blob in param.top:
                break
        return out

    def defined_before(self, i: int, blob: str) -> bool:
        writers = self.producers.get(blob)
        return bool(writers) and writers[0] < i  # producers are in file order

    @cached_property
    def components(self) -> list[int]:
        """Strongly connected component of each layer in the "reads a blob written by" graph.

        Blobs are nodes of their own (layer -> bottom blob -> every layer writing it), so the
        graph has one edge per bottom and per top instead of one per (reader, writer) pair;
        800 in-place layers on one blob stay 1,600 edges, not 640,000. Iterative Tarjan: one
        pass, no recursion limit.
        """
        n = len(self.layers)
        blob_node = {blob: n + k for k, blob in enumerate(self.producers)}
        edges: list[list[int]] = [
            [blob_node[b] for b in layer.param.bottom if b in blob_node] for layer in self.layers]
        edges.extend(self.producers[blob] for blob in blob_node)
        return _strong_components(edges)[:n]

    @cached_property
    def analysis(self) -> Any:
        """analysis.analyze in collect mode: per-layer reports parallel to self.layers."""
        from prototxt_tool.analysis import analyze

        ctx = self.ctx
        tops = set(self.producers)
        if not ctx.options.force_shapes:
            tops -= self.declared_tops()
        inputs = {k: v for k, v in ctx.options.input_shapes.items() if k in tops}
        blobs = {k: v for k, v in ctx.options.blob_shapes.items() if k in tops}
        return analyze(self.loaded, input_shapes=inputs, blob_shapes=blobs, errors="collect",
                       fork=ctx.options.fork)

    def declared_tops(self) -> set[str]:
        """Tops whose shape the net itself writes down: Input layers (and the legacy input
        fields upgraded into one) with a shape, DummyData, MemoryData."""
        out: set[str] = set()
        for layer in self.layers:
            p = layer.param
            if ((layer.type == "Input" and len(p.input_param.shape))
                    or layer.type in ("DummyData", "MemoryData")):
                out.update(p.top)
        return out

    def bottom_shapes(self, i: int) -> list[Shape | None]:
        """Shapes of layer i's bottoms as the analyzer saw them (None: unknown)."""
        report = self.analysis.layers[i]
        if len(report.bottoms) != len(self.layers[i].param.bottom):
            return [None] * len(self.layers[i].param.bottom)
        return [b.shape for b in report.bottoms]

    def top_shapes(self, i: int) -> list[Shape | None]:
        return [b.shape for b in self.analysis.layers[i].tops]

    def in_channels(self, i: int) -> int | None:
        shapes = self.bottom_shapes(i)
        if not shapes or shapes[0] is None or len(shapes[0]) < 2:
            return None
        return shapes[0][1]


def _strong_components(edges: list[list[int]]) -> list[int]:
    """Tarjan's algorithm without recursion: the component number of every node."""
    count = len(edges)
    index = [-1] * count
    low = [0] * count
    on_stack = [False] * count
    component = [-1] * count
    stack: list[int] = []
    counter = found = 0
    for root in range(count):
        if index[root] != -1:
            continue
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack[root] = True
        work = [(root, 0)]
        while work:
            node, pos = work[-1]
            if pos < len(edges[node]):
                work[-1] = (node, pos + 1)
                nxt = edges[node][pos]
                if index[nxt] == -1:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack[nxt] = True
                    work.append((nxt, 0))
                elif on_stack[nxt]:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                while True:
                    member = stack.pop()
                    on_stack[member] = False
                    component[member] = found
                    if member == node:
                        break
                found += 1
    return component
