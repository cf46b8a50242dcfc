"""dwsep: static analysis, generation and linting of Caffe network definitions.

The library API (docs/api.md)::

    import prototxt_tool
    a = prototxt_tool.analyze("mobilenet_deploy.prototxt")   # -> analysis.Analysis
    a.total.macs, a.to_dict()
    net = prototxt_tool.load(text)                            # -> pipeline.LoadedNet
    findings = prototxt_tool.lint("net.prototxt")             # -> list[lint.Finding]
    text = prototxt_tool.gen("mobilenet", alpha=0.5)          # -> prototxt text

Kept import-free on purpose: `dwsep --version` must not pay for protobuf or click, so each
function imports what it needs when it is called.
"""

from __future__ import annotations

import importlib
import os
import sys
import types

__version__ = "0.1.0"

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up time)
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from prototxt_tool.analysis import Analysis
    from prototxt_tool.lint.engine import Finding
    from prototxt_tool.pipeline import LoadedNet, Source

    PathOrText = str | os.PathLike[str]
    Dims = Sequence[int]

__all__ = ["__version__", "analyze", "gen", "lint", "load"]


def _source(path_or_text: PathOrText) -> Source:
    """A path (str or PathLike) is read from disk; a str holding a newline or `{` is the text.

    A prototxt always has a `{` or a newline once it holds a layer, and a file name never
    holds either in practice, so `analyze("net.prototxt")` and `analyze(text)` both do what
    they say. Read errors are prototxt_tool.errors.UsageError, as on the command line.
    """
    from prototxt_tool.pipeline import Source, read_source

    if isinstance(path_or_text, os.PathLike):
        return read_source(os.fspath(path_or_text))
    if "\n" in path_or_text or "{" in path_or_text:
        return Source("<string>", path_or_text)
    return read_source(path_or_text)


def load(path_or_text: PathOrText, *, phase: str = "TEST", level: int = 0,
         stages: Sequence[str] = (), strict: bool = False) -> LoadedNet:
    """Parse, upgrade (V0/V1 -> current) and filter by NetState, as Caffe's Net::Init does.

    Read as the commands read by default: a field dwsep's schema lacks (a fork's) is skipped
    and listed in `LoadedNet.skipped`; `strict=True` (the commands' --strict) refuses it.
    Raises errors.ParseError (with line and column) for text Caffe could not read.
    """
    from prototxt_tool.pipeline import load_net

    return load_net(_source(path_or_text), phase=phase.upper(), level=level, stages=stages,
                    strict=strict)


def analyze(path_or_text: PathOrText, *, phase: str = "TEST", level: int = 0,
            stages: Sequence[str] = (), input_shapes: Mapping[str, Dims] | None = None,
            blob_shapes: Mapping[str, Dims] | None = None,
            batch: int | None = None, fork: str | None = None,
            strict: bool = False) -> Analysis:
    """Shapes, MACs, params and memory of every layer, exactly as `dwsep analyze` reports them.

    `input_shapes` / `blob_shapes` / `batch` are the command's --input-shape / --blob-shape /
    --batch (-1 in a dimension keeps the net's own value), `fork` its --fork (the fork whose
    meaning a type several forks define has: forks.SHARED_TYPES) and `strict` its --strict
    (a field the schema lacks is an error, not a skipped field with a warning in
    `Analysis.warnings`). The result is plain dataclasses; `Analysis.to_dict()` is the JSON
    document of `dwsep analyze --format json`.
    """
    from prototxt_tool import analysis

    loaded = load(path_or_text, phase=phase, level=level, stages=stages, strict=strict)
    return analysis.analyze(loaded, _shapes(input_shapes), _shapes(blob_shapes), batch=batch,
                            fork=fork)


def _shapes(given: Mapping[str, Dims] | None) -> dict[str, tuple[int, ...]]:
    return {name: tuple(int(d) for d in dims) for name, dims in (given or {}).items()}


def _lint(path_or_text: PathOrText, *, select: Sequence[str] = (),
         ignore: Sequence[str] = (), input_shapes: Mapping[str, Dims] | None = None,
         blob_shapes: Mapping[str, Dims] | None = None) -> list[Finding]:
    """The findings `dwsep lint` reports for one file or text, sorted by position.

    A path picks up its `[tool.dwsep.lint]` configuration as the command does; `select` and
    `ignore` are the command's --select / --ignore on top of it.
    """
    from prototxt_tool.lint import LintOptions, lint_source
    from prototxt_tool.lint.config import config_for
    from prototxt_tool.lint.registry import all_rules

    source = _source(path_or_text)
    where = source.filename if source.filename != "<string>" else "-"
    config = config_for(where).with_flags(tuple(select), (), tuple(ignore))
    config.validate(r.code for r in all_rules())
    options = LintOptions(input_shapes=_shapes(input_shapes), blob_shapes=_shapes(blob_shapes))
    return lint_source(source, config, options)


def _gen(model: str, **options: object) -> str:
    """Prototxt text of a generated net (`dwsep gen --list`), e.g. gen("mobilenet", alpha=0.5)."""
    from prototxt_tool.gen import generate

    return generate(model, **options)


class _Entry:
    """A function that is also its subpackage: `prototxt_tool.lint(...)` runs the function,
    `prototxt_tool.lint.lint_paths` is the subpackage's attribute (imported when first used).
    """

    def __init__(self, fn: object, module: str):
        self._fn = fn
        self._module = module
        self.__doc__ = fn.__doc__
        self.__wrapped__ = fn

    def __call__(self, *args: object, **kwargs: object) -> object:
        return self._fn(*args, **kwargs)  # type: ignore[operator]

    def __getattr__(self, name: str) -> object:
        return getattr(importlib.import_module(self._module), name)

    def __repr__(self) -> str:
        return f"<function prototxt_tool.{self._module.rsplit('.', 1)[1]}>"


lint = _Entry(_lint, "prototxt_tool.lint")
gen = _Entry(_gen, "prototxt_tool.gen")


class _Package(types.ModuleType):
    """Importing a subpackage sets it as an attribute of its parent; for `lint` and `gen`
    that would hide the functions above, so the functions stay."""

    def __setattr__(self, name: str, value: object) -> None:
        if name in ("lint", "gen") and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
