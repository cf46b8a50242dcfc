"""`dwsep draw` (SVG/DOT/HTML picture of a net) and `dwsep report` (self-contained HTML page)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from prototxt_tool.commands.options import (
    fork_option,
    net_options,
    parse_shape_flags,
    strict_option,
)
from prototxt_tool.errors import UsageError

F = TypeVar("F", bound=Callable[..., Any])


def picture_options(fn: F) -> F:
    """--rankdir / --no-fold / --heat, shared by draw and report."""
    decorators = [
        click.option("--rankdir", type=click.Choice(["TB", "LR"], case_sensitive=False),
                     default="TB", show_default=True,
                     help="Direction of the graph: top to bottom or left to right."),
        click.option("--no-fold", is_flag=True,
                     help="Give in-place layers (ReLU, BatchNorm, Scale, ...) their own nodes "
                          "instead of folding them into the layer that wrote the blob."),
        click.option("--heat", type=click.Choice(["macs", "params", "activations"]),
                     default=None, help="Colour nodes by their share of this cost instead of "
                                        "by kind."),
    ]
    for deco in reversed(decorators):
        fn = deco(fn)
    return fn


def _analyze(file: str, phase: str, stages: tuple[str, ...], level: int,
             input_shapes: tuple[str, ...], blob_shapes: tuple[str, ...],
             batch: int | None, strict: bool, fork: str | None) -> Any:
    from prototxt_tool import analysis, pipeline

    loaded = pipeline.load_net(pipeline.read_source(file), phase=phase, level=level,
                               stages=stages, strict=strict, read_only=True)
    result = analysis.analyze(loaded, parse_shape_flags(input_shapes, "--input-shape"),
                              parse_shape_flags(blob_shapes, "--blob-shape"), batch=batch,
                              fork=fork)
    for warning in result.warnings:
        click.echo(f"dwsep: warning: {warning}", err=True)
    return result


@click.command(epilog="""\b
Examples:
  dwsep draw mobilenet_deploy.prototxt -o mobilenet.svg
  dwsep draw net.prototxt --rankdir LR --heat macs -o net.svg
  dwsep draw net.prototxt --format dot | dot -Tpdf -o net.pdf
  dwsep draw net.prototxt --format png -o net.png     (needs cairosvg or Graphviz)
  dwsep gen mobilenet | dwsep draw - --format html -o mobilenet.html

One node per layer; in-place layers (ReLU, BatchNorm, Scale, Dropout on the same blob) are
folded into the node that wrote the blob (--no-fold shows them). Edges carry the blob's shape.
Nodes are coloured by kind, or with --heat by their share of a cost. A layer of unknown type is
drawn dashed with '?' costs. The layout is dwsep's own (no Graphviz needed); --format dot
leaves the layout to Graphviz. png/pdf use cairosvg (dwsep's layout) if installed, else
Graphviz's dot on PATH. Exit status: 0 ok, 2 bad input.""")
@click.argument("file", metavar="FILE")
@net_options
@strict_option
@fork_option
@picture_options
@click.option("--format", "fmt", type=click.Choice(["svg", "dot", "html", "png", "pdf"]),
              default="svg", show_default=True,
              help="svg picture, Graphviz dot source, the HTML report; png/pdf need cairosvg "
                   "or Graphviz's dot (optional, found at run time).")
@click.option("-o", "--output", metavar="FILE", default="-",
              help="Write to FILE (atomically) instead of stdout.")
def draw(file: str, phase: str, stages: tuple[str, ...], level: int,
         input_shapes: tuple[str, ...], blob_shapes: tuple[str, ...], batch: int | None,
         strict: bool, fork: str | None, rankdir: str, no_fold: bool, heat: str | None,
         fmt: str, output: str) -> None:
    """Draw FILE's layer graph ('-' for stdin) as SVG, DOT or an HTML report."""
    from prototxt_tool.draw.model import build
    from prototxt_tool.outputs import write_output

    result = _analyze(file, phase, stages, level, input_shapes, blob_shapes, batch, strict,
                      fork)
    graph = build(result, fold=not no_fold)
    rankdir = rankdir.upper()
    if fmt == "dot":
        from prototxt_tool.draw.dot import render_dot

        text = render_dot(graph, rankdir)
    elif fmt == "html":
        from prototxt_tool.draw.html import render_report

        text = render_report([graph], rankdir, heat)
    elif fmt in ("png", "pdf"):
        from prototxt_tool.draw.convert import convert
        from prototxt_tool.draw.dot import render_dot
        from prototxt_tool.draw.svg import arrange, render_svg

        data = convert(fmt, lambda: render_svg(arrange(graph, rankdir), heat),
                       lambda: render_dot(graph, rankdir))
        if output == "-" and sys.stdout.isatty():
            raise UsageError(f"--format {fmt} is binary; give -o FILE or redirect stdout")
        write_output(output, data, inputs=[file])
        return
    else:
        from prototxt_tool.draw.svg import arrange, render_svg

        text = render_svg(arrange(graph, rankdir), heat)
    write_output(output, text, inputs=[file])


@click.command(epilog="""\b
Examples:
  dwsep report mobilenet_deploy.prototxt -o mobilenet.html
  dwsep report vgg16.prototxt vgg16_dw.prototxt -o compare.html
  dwsep separate vgg16.prototxt -o vgg16_dw.prototxt --report before-after.html

The page is one self-contained file: no network access, all script and style inline under a
strict Content-Security-Policy. It holds the graph (drag to pan, wheel to zoom, hover for a
layer's shapes and costs, click to find its row), the per-layer table (click a heading to
sort, type to filter, click a row to find its node), the totals, the breakdown by kind, the
heaviest layers and the depthwise-separable what-if of each standard convolution. With two
nets, both are shown side by side with what changed; the net options (--input-shape, --batch,
--phase, ...) apply to both, so that they are compared on the same input.""")
@click.argument("files", metavar="FILE [FILE2]", nargs=-1, required=True)
@net_options
@strict_option
@fork_option
@picture_options
@click.option("-o", "--output", metavar="FILE", default="-",
              help="Write to FILE (atomically) instead of stdout.")
def report(files: tuple[str, ...], phase: str, stages: tuple[str, ...], level: int,
           input_shapes: tuple[str, ...], blob_shapes: tuple[str, ...], batch: int | None,
           strict: bool, fork: str | None, rankdir: str, no_fold: bool,
           heat: str | None, output: str) -> None:
    """Write an HTML report of FILE, or of FILE and FILE2 side by side ('-' for stdin)."""
    from prototxt_tool.draw.html import render_report
    from prototxt_tool.draw.model import build
    from prototxt_tool.outputs import write_output

    if len(files) > 2:
        raise UsageError(f"report takes one or two nets, got {len(files)}")
    if files.count("-") > 1:
        raise UsageError("only one of the nets can come from stdin ('-')")
    graphs = [build(_analyze(f, phase, stages, level, input_shapes, blob_shapes, batch, strict,
                             fork), fold=not no_fold) for f in files]
    write_output(output, render_report(graphs, rankdir.upper(), heat), inputs=list(files))
