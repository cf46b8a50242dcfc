"""`dwsep separate`: depthwise-separable rewrite of a net (logic in prototxt_tool.gen.separate)."""

from __future__ import annotations

import click

from prototxt_tool.commands.options import net_options, parse_shape_flags
from prototxt_tool.errors import UsageError


@click.command(epilog="""\b
Examples:
  dwsep separate vgg16.prototxt > vgg16_dw.prototxt
  dwsep separate net.prototxt --layers 'conv[3-5]*' --min-channels 16 --bn -o net_dw.prototxt
  dwsep separate net.prototxt -o net_dw.prototxt --report -
  dwsep separate net.prototxt -o net_dw.prototxt --report before-after.html

Each standard KxK convolution (group 1, K > 1) becomes <name>/dw (depthwise KxK, group = input
channels, same stride/pad/dilation) + <name>/sep (1x1 to the original outputs, writing the
original top). The summary (to stderr, or --report FILE) gives MACs and params before and after;
each layer's MAC ratio is exactly 1/N + 1/K^2. A --report FILE ending in .html gets the HTML
report of both nets side by side (see 'dwsep report --help').""")
@click.argument("file", metavar="FILE")
@click.option("--layers", "patterns", multiple=True, metavar="GLOB",
              help="Rewrite only layers whose name matches (fnmatch, repeatable).")
@click.option("--min-channels", type=int, default=1, show_default=True,
              help="Rewrite only convolutions with at least this many input channels.")
@click.option("--bn", is_flag=True,
              help="Insert BatchNorm + Scale + ReLU between the depthwise and pointwise convs.")
@click.option("--report", metavar="FILE", default=None,
              help="Write the summary to FILE ('-' = stdout, then use -o for the net) "
                   "instead of stderr; FILE.html gets the before/after HTML report.")
@click.option("-q", "--quiet", is_flag=True, help="No summary on stderr.")
@click.option("-o", "--output", metavar="FILE", default="-",
              help="Write the net to FILE (atomically) instead of stdout.")
@net_options
def separate(file: str, patterns: tuple[str, ...], min_channels: int, bn: bool,
             report: str | None, quiet: bool, output: str, phase: str,
             stages: tuple[str, ...], level: int, input_shapes: tuple[str, ...],
             blob_shapes: tuple[str, ...], batch: int | None) -> None:
    """Rewrite FILE's standard convolutions as depthwise + pointwise pairs ('-' = stdin)."""
    from prototxt_tool import pipeline
    from prototxt_tool.gen.separate import NetState, Selection, summary
    from prototxt_tool.gen.separate import separate as rewrite
    from prototxt_tool.outputs import same_file, write_output

    if report == "-" and output == "-":
        raise UsageError("--report - and the net would both go to stdout; give -o FILE")
    if report not in (None, "-") and output != "-" and same_file(report, output):
        raise UsageError(f"{report}: --report and -o name the same file")
    state = NetState(phase.upper(), level, tuple(stages),
                     parse_shape_flags(input_shapes, "--input-shape"),
                     parse_shape_flags(blob_shapes, "--blob-shape"), batch)
    result = rewrite(pipeline.read_source(file), Selection(patterns, min_channels, bn), state)
    text = summary(result)
    write_output(output, result.text, inputs=[file])
    if report is not None and report.lower().endswith((".html", ".htm")) and result.analyses:
        from prototxt_tool.draw.html import render_report
        from prototxt_tool.draw.model import build

        write_output(report, render_report([build(a) for a in result.analyses]), inputs=[file])
    elif report is not None:
        write_output(report, text, inputs=[file])
    elif not quiet:
        click.echo(text, err=True, nl=False)
