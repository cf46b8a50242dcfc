"""The `dwsep` command: a thin click group whose subcommands live in prototxt_tool.commands.

Start-up time matters (pre-commit runs dwsep on every save), so nothing heavy is imported
here: `--version` is answered before click is imported, and each subcommand's module (and with
it protobuf, jinja2, ...) is imported only when that subcommand runs or its help is shown.
"""

from __future__ import annotations

import sys

from prototxt_tool import __version__

# name -> (module, attribute, one-line help). The help is repeated here so that
# `dwsep --help` can list commands without importing them.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "analyze": ("prototxt_tool.commands.analyze", "analyze",
                "Per-layer shapes, MACs, params and memory of a net."),
    "diff": ("prototxt_tool.commands.diff", "diff",
             "Compare two nets: layers added, removed, changed; cost deltas."),
    "gen": ("prototxt_tool.commands.gen", "gen",
            "Generate a net (MobileNet v1/v2, ...) as prototxt."),
    "separate": ("prototxt_tool.commands.separate", "separate",
                 "Rewrite standard KxK convolutions as depthwise-separable pairs."),
    "lint": ("prototxt_tool.commands.lint", "lint",
             "Check prototxt files for errors and convention problems (for CI)."),
    "rule": ("prototxt_tool.commands.lint", "rule", "Show the documentation of a lint rule."),
    "check": ("prototxt_tool.commands.check", "check",
              "Check that a .caffemodel's weights load into a net (blob counts, shapes)."),
    "fold-bn": ("prototxt_tool.commands.fold_bn", "fold_bn",
                "Fold BatchNorm (+ Scale) into the conv/FC before it: prototxt and weights."),
    "targets": ("prototxt_tool.commands.targets", "targets",
                "List deployment target profiles (ncnn, rknn2, ...) or print one."),
    "upgrade": ("prototxt_tool.commands.upgrade", "upgrade",
                "Rewrite a V0/V1 (legacy) prototxt in the current format."),
    "schema": ("prototxt_tool.commands.schema", "schema",
               "Print the caffe.proto schema dwsep reads nets with."),
    "draw": ("prototxt_tool.commands.draw", "draw",
             "Draw the layer graph as SVG (or DOT / HTML), edges labelled with shapes."),
    "report": ("prototxt_tool.commands.draw", "report",
               "Self-contained HTML report: graph, sortable table, costs; two nets compared."),
}


def version_text() -> str:
    """dwsep's version, and what a bug report needs besides: protobuf's version and backend.

    The backend (upb, cpp or python) decides speed and, in corner cases, behaviour; importing
    api_implementation costs a few milliseconds, not the schema's forty. The line starts with
    `dwsep X.Y.Z` so scripts can still read the version from its second word.
    """
    try:
        from google.protobuf import __version__ as pb_version
        from google.protobuf.internal import api_implementation

        protobuf = f"protobuf {pb_version}, {api_implementation.Type()} backend"
    except ImportError:  # a broken install: still answer; the line says what is wrong
        protobuf = "protobuf not installed"
    python = ".".join(map(str, sys.version_info[:3]))
    return f"dwsep {__version__} ({protobuf}; Python {python})\n"


def main(argv: list[str] | None = None) -> None:
    """Run dwsep. Called without argv (the console script), it ends the process itself."""
    args = sys.argv[1:] if argv is None else argv
    if argv is not None:
        _run(args)
        return
    from prototxt_tool.outputs import StreamError, guard_standard_streams

    guard_standard_streams()
    _tune_gc()
    try:
        _run(args)
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except StreamError as err:
        _stream_fault(err)
        code = 2
    _exit_now(code)


def _tune_gc() -> None:
    """Collect garbage rarely: a command is one short burst of allocation, then os._exit.

    Analysing a net allocates a few objects per layer and frees almost none until the end, so
    CPython's default young-generation threshold (700) runs a collection every few layers and
    finds nothing: about a tenth of `analyze` on a 10,000-layer net, and still 2% at 50,000.
    At 200,000 a 10,000-layer net sees about one; cycles are still collected, so a long lint
    run's memory stays bounded. The library API leaves the caller's settings alone; only the
    console script does this.
    """
    import gc

    gc.set_threshold(200_000, 20, 100)


def _run(args: list[str]) -> None:
    if args == ["--version"] or args == ["-V"]:
        sys.stdout.write(version_text())
        sys.stdout.flush()
        return
    from prototxt_tool.commands import build_cli

    build_cli(COMMANDS).main(args=args, prog_name="dwsep")


def _stream_fault(err: Exception) -> None:
    """One line on stderr for a failed write, if stderr itself still works.

    A reader that left (`| head -1`) is normal Unix life: exit quietly, as cat and grep do.
    """
    if getattr(err, "broken_pipe", False) or getattr(err, "stream", "") == "stderr":
        return
    from prototxt_tool.outputs import StreamError

    try:
        sys.stderr.write(f"dwsep: error: {err}\n")
        sys.stderr.flush()
    except StreamError:
        pass


def _exit_now(code: int) -> None:
    """Exit without interpreter teardown.

    Freeing every protobuf message and report object of a 10,000-layer net takes a quarter
    of a second and serves nothing when the process ends anyway; output files are already
    closed (outputs.py), so only the standard streams need flushing.
    """
    import os

    from prototxt_tool.outputs import StreamError

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except StreamError as err:  # output still buffered when the stream failed
            if code == 0:
                _stream_fault(err)
                code = 2
    os._exit(code)
