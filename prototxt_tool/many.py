"""Analysis of many nets at once: one summary row per file, files spread over processes.

Each file is analyzed on its own (a file that fails is listed with its one-line error and
never hides the others). Workers send back only the summary row, not the whole Analysis, so
the parent does no more than collect rows; with one job everything runs in-process.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from prototxt_tool.errors import DwsepError
from prototxt_tool.shapes import Shape


@dataclass(frozen=True, slots=True)
class Options:
    """Which layers of a net are analysed (Caffe's NetState) and the shapes it cannot know."""

    phase: str = "TEST"
    level: int = 0
    stages: tuple[str, ...] = ()
    input_shapes: Mapping[str, Shape] = field(default_factory=dict)
    blob_shapes: Mapping[str, Shape] = field(default_factory=dict)
    batch: int | None = None
    strict: bool = False  # unknown fields are errors (else skipped, as `dwsep analyze` does)
    fork: str | None = None  # --fork: the meaning of types several forks define


@dataclass(slots=True)
class NetRow:
    """One net's totals (or its error). Figures are those of `dwsep analyze FILE`."""

    file: str
    net: str = ""
    macs: int | None = None
    ops: int | None = None
    params: int | None = None
    learnable: int | None = None
    activations: int | None = None
    peak_activations: int | None = None
    param_bytes: int | None = None
    activation_bytes: int | None = None
    peak_activation_bytes: int | None = None
    layers: int | None = None
    depthwise_share: float | None = None  # % of the MACs in depthwise convolutions
    complete: bool | None = None
    notes: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def memory_bytes(self) -> int | None:
        """Parameters plus every activation blob: what Caffe allocates for the net."""
        if self.param_bytes is None or self.activation_bytes is None:
            return None
        return self.param_bytes + self.activation_bytes

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["learnable_params"] = d.pop("learnable")
        d["memory_bytes"] = self.memory_bytes
        return d


def row_of(path: str, options: Options) -> NetRow:
    """Analyze one file into its summary row; input errors become the row's error."""
    from prototxt_tool import analysis, pipeline, views

    try:
        loaded = pipeline.load_net(pipeline.read_source(path), phase=options.phase,
                                   level=options.level, stages=options.stages,
                                   strict=options.strict, read_only=True)
        a = analysis.analyze(loaded, options.input_shapes, options.blob_shapes,
                             batch=options.batch, fork=options.fork)
    except DwsepError as err:
        return NetRow(path, error=str(err))
    t = a.total
    return NetRow(path, a.net, t.macs, t.ops, t.params, t.learnable, t.activations,
                  t.peak_activations, t.param_bytes, t.activation_bytes,
                  t.peak_activation_bytes, len(a.layers), views.depthwise_share(a),
                  not t.unknown, list(a.notes))


def analyze_many(paths: Sequence[str], options: Options, jobs: int | None = None
                 ) -> list[NetRow]:
    """Rows in the order of `paths`; `jobs` processes (default: the usable cores)."""
    from prototxt_tool import parallel

    jobs = min(jobs or parallel.usable_cores(), len(paths))
    if jobs > 1:
        import importlib

        from prototxt_tool import shapes

        # Everything a worker needs, imported once here: forked workers start with it loaded.
        for name in ("analysis", "caffe_pb2", "netstate", "required", "textformat",
                     "upgrade", "views"):
            importlib.import_module(f"prototxt_tool.{name}")
        shapes.known_types()  # every rule module, too
    return list(parallel.ordered_map(lambda p: row_of(p, options), paths, jobs,
                                    cost=parallel.file_size))
