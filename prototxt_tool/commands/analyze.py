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
@click.option("--target", "targets", multiple=True, metavar="NAMES",
              help="Add a deployability verdict for these targets (comma-separated, e.g. "
                   "ncnn,rknn2; see 'dwsep targets').")
def analyze(file: str, phase: str, stages: tuple[str, ...], level: int,
            input_shapes: tuple[str, ...], blob_shapes: tuple[str, ...], batch: int | None,
            strict: bool, fmt: str, output: str, flops: bool, targets: tuple[str, ...]) -> None:
    """Report per-layer shapes, MACs, params and memory of FILE ('-' for stdin)."""
    from prototxt_tool import analysis, pipeline, report
    from prototxt_tool.targets import resolve

    chosen = resolve(targets)
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

    text = report.FORMATS[fmt](result, flops)
    if chosen:
        text = _with_verdicts(text, fmt, loaded, chosen)
    write_output(output, text, inputs=[file])


def _with_verdicts(text: str, fmt: str, loaded: object, chosen: tuple[str, ...]) -> str:
    """The report plus the targets section: appended to table/Markdown, a "targets" key in
    JSON, stderr for CSV (one row per layer leaves no room for it)."""
    import json

    from prototxt_tool.targets import verdict

    found = verdict.for_loaded(loaded, chosen)
    names = [layer.name for layer in loaded.net.layer]  # type: ignore[attr-defined]
    if fmt == "json":
        data = json.loads(text)
        data["targets"] = verdict.to_dicts(found, names)
        return json.dumps(data) + "\n"
    section = verdict.to_text(found, names, markdown=fmt == "markdown")
    if fmt == "csv":
        click.echo(section.lstrip("\n"), err=True, nl=False)
        return text
    return text + section
