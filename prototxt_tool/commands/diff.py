"""`dwsep diff A B`: what changed between two nets, layer by layer and in total."""

from __future__ import annotations

import click

from prototxt_tool.commands import diagnostic
from prototxt_tool.commands.options import (
    fork_option,
    net_options,
    parse_shape_flags,
    report_options,
    strict_option,
)


@click.command(epilog="""\b
Examples:
  dwsep diff mobilenet_deploy.prototxt mobilenet_v2_deploy.prototxt
  dwsep gen mobilenet -a 0.5 | dwsep diff mobilenet_deploy.prototxt -
  dwsep diff old.prototxt new.prototxt --format json -o changes.json

\b
Layers are matched by name, then (renamed layers) by position and type between two matched
layers; the others are added (B only) or removed (A only). A matched layer is changed when
its type, kind, output shape, params, MACs, ops or bottoms differ. The shape flags apply to
both nets. Exit status: 0 the nets cost and look the same, 1 they differ, 2 bad input.""")
@click.argument("a", metavar="A")
@click.argument("b", metavar="B")
@net_options
@strict_option
@fork_option
@report_options
def diff(a: str, b: str, phase: str, stages: tuple[str, ...], level: int,
         input_shapes: tuple[str, ...], blob_shapes: tuple[str, ...], batch: int | None,
         strict: bool, fork: str | None, fmt: str, output: str, flops: bool) -> None:
    """Compare the layers and costs of nets A and B ('-' for stdin, for one of them)."""
    from prototxt_tool import analysis, pipeline, report, tables
    from prototxt_tool import diff as netdiff
    from prototxt_tool.outputs import write_output

    if a == b == "-":
        raise click.UsageError("only one of A and B can be '-' (stdin)")
    inputs = parse_shape_flags(input_shapes, "--input-shape")
    blobs = parse_shape_flags(blob_shapes, "--blob-shape")
    results = []
    for path in (a, b):
        loaded = pipeline.load_net(pipeline.read_source(path), phase=phase, level=level,
                                   stages=stages, strict=strict, read_only=True)
        result = analysis.analyze(loaded, inputs, blobs, batch=batch, fork=fork)
        for warning in result.warnings:
            diagnostic("warning", warning)
        results.append(result)
    d = netdiff.diff(*results)
    terminal = tables.stdout_is_terminal(output)
    view = report.View(flops=flops, width=tables.output_width(terminal))
    write_output(output, report.DIFF_FORMATS[fmt](d, view), inputs=[a, b])
    if d.changes() or any(d.total_delta(k)[2] for k in netdiff.TOTAL_KEYS):
        click.get_current_context().exit(1)
