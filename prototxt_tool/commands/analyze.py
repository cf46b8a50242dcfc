"""`dwsep analyze`: per-layer shapes, MACs, params and memory of a Caffe net."""

from __future__ import annotations

import click

from prototxt_tool.commands import diagnostic
from prototxt_tool.commands.options import net_options, parse_shape_flags, strict_option


@click.command(epilog="""\b
Examples:
  dwsep analyze mobilenet_deploy.prototxt
  dwsep analyze train_val.prototxt --phase train --input-shape data=_,3,227,227
  dwsep analyze net.prototxt --format json -o net.json
  cat net.prototxt | dwsep analyze - --format csv
  dwsep analyze yolov3_deploy.prototxt --strict    # unknown fields are errors
  dwsep analyze trained.caffemodel --input-shape data=1,3,224,224

FILE may also be a Caffe binary model (.caffemodel, recognised by its content): its params
are counted from the stored blobs.

MACs count multiply-accumulates of Convolution, Deconvolution and InnerProduct layers (the
MobileNet paper's mult-adds); element-wise work (BatchNorm, ReLU, pooling, ...) is reported
apart as 'ops'. Exit status: 0 ok, 2 bad input (syntax, shapes, missing file).""")
@click.argument("file", metavar="FILE")
@net_options
@strict_option
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv", "markdown"]),
              default="table", show_default=True, help="Output format.")
@click.option("-o", "--output", metavar="FILE", default="-",
              help="Write to FILE (atomically) instead of stdout.")
@click.option("--flops", is_flag=True,
              help="Report FLOPs = 2 x MACs (multiply and add counted apart).")
def analyze(file: str, phase: str, stages: tuple[str, ...], level: int,
            input_shapes: tuple[str, ...], blob_shapes: tuple[str, ...], batch: int | None,
            strict: bool, fmt: str, output: str, flops: bool) -> None:
    """Report per-layer shapes, MACs, params and memory of FILE ('-' for stdin)."""
    from prototxt_tool import analysis, pipeline, report

    inputs = parse_shape_flags(input_shapes, "--input-shape")
    blobs = parse_shape_flags(blob_shapes, "--blob-shape")
    try:
        source = pipeline.read_source(file)
    except pipeline.BinaryInput as binary:  # a .caffemodel is a net too
        from prototxt_tool.weights.netview import analyze_binary

        result = analyze_binary(binary, phase, level, stages, inputs, blobs, batch)
    else:
        loaded = pipeline.load_net(source, phase=phase, level=level, stages=stages,
                                   strict=strict)
        result = analysis.analyze(loaded, inputs, blobs, batch=batch)
    for warning in result.warnings:
        diagnostic("warning", warning)
    from prototxt_tool.outputs import write_output

    write_output(output, report.FORMATS[fmt](result, flops), inputs=[file])
