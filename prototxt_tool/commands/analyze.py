"""`dwsep analyze`: per-layer shapes, MACs, params and memory of a Caffe net."""

from __future__ import annotations

import click

from prototxt_tool.commands import diagnostic
from prototxt_tool.commands.options import (
    fork_option,
    net_options,
    parse_shape_flags,
    report_options,
    strict_option,
    target_option,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from prototxt_tool.budgets import Budgets
    from prototxt_tool.many import NetRow, Options
    from prototxt_tool.report import View

Figures = tuple  # (macs, learnable params, memory bytes), each int or None


@click.command(epilog="""\b
Examples:
  dwsep analyze mobilenet_deploy.prototxt
  dwsep analyze ResNet-152-deploy.prototxt --summary
  dwsep analyze ResNet-152-deploy.prototxt --top 10 --sort macs
  dwsep analyze ResNet-152-deploy.prototxt --group-by block
  dwsep analyze train_val.prototxt --phase train --input-shape data=_,3,227,227
  dwsep analyze net.prototxt --format json -o net.json
  cat net.prototxt | dwsep analyze - --format csv
  dwsep analyze yolov3_deploy.prototxt --strict    # unknown fields are errors
  dwsep analyze face_deploy.prototxt --fork happynear   # its bare Normalize layers
  dwsep analyze models/ a.prototxt -j 4           # one row per net
  dwsep analyze net.prototxt --max-macs 600M --max-params 5M --max-memory 50MiB
  dwsep analyze trained.caffemodel --input-shape data=1,3,224,224

FILE may also be a Caffe binary model (.caffemodel, recognised by its content): its params
are counted from the stored blobs.

\b
MACs count multiply-accumulates of Convolution, Deconvolution and InnerProduct layers (the
MobileNet paper's mult-adds); element-wise work (BatchNorm, ReLU, pooling, ...) is reported
apart as 'ops'. Unknown figures: '?' in the table and Markdown, null in JSON, empty in CSV.
Several files or a directory: one summary row per net, failures listed after them.
Budgets (also max-macs/max-params/max-memory in [tool.dwsep.lint]): params are learnable
params, memory is params + all activations (float32).
Exit status: 0 ok, 1 a budget exceeded, 2 bad input (syntax, shapes, missing file).""")
@click.argument("files", metavar="FILE...", nargs=-1, required=True)
@net_options
@strict_option
@fork_option
@report_options
@click.option("--summary", is_flag=True,
              help="Header, totals and breakdown only: no per-layer rows.")
@click.option("--top", type=click.IntRange(min=1), default=None, metavar="K",
              help="Only the K heaviest rows (by --sort, default macs).")
@click.option("--sort", type=click.Choice(["macs", "params", "activations", "name", "order"]),
              default=None, help="Row order: heaviest first, by name, or file order (default).")
@click.option("--group-by", "group_by", type=click.Choice(["kind", "prefix", "block"]),
              default=None, help="One row per kind, per name prefix (before the last '/') or "
                                 "per residual/inception block found from the graph.")
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto",
              show_default=True, help="Colour the table (auto: on a terminal, unless NO_COLOR).")
@target_option("Add a deployability verdict for these targets (comma-separated, e.g. "
               "ncnn,rknn2; see 'dwsep targets').")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None, metavar="N",
              help="Processes for several files (default: all cores).")
@click.option("--max-macs", metavar="N", default=None,
              help="Exit 1 when MACs exceed N (600M, 1.5G, ...).")
@click.option("--max-params", metavar="N", default=None,
              help="Exit 1 when learnable params exceed N (5M, ...).")
@click.option("--max-memory", metavar="SIZE", default=None,
              help="Exit 1 when params + activations exceed SIZE (50MiB, 1GB, ...).")
def analyze(files: tuple[str, ...], phase: str, stages: tuple[str, ...], level: int,
            input_shapes: tuple[str, ...], blob_shapes: tuple[str, ...], batch: int | None,
            strict: bool, fork: str | None, fmt: str, output: str, flops: bool,
            summary: bool, top: int | None,
            sort: str | None, group_by: str | None, color: str, targets: tuple[str, ...],
            jobs: int | None, max_macs: str | None, max_params: str | None,
            max_memory: str | None) -> None:
    """Report per-layer shapes, MACs, params and memory of FILE ('-' for stdin).

    With several files or a directory (searched for *.prototxt): one row per net.
    """
    from prototxt_tool import budgets, report, tables

    chosen = targets  # checked names (target_option)
    inputs = parse_shape_flags(input_shapes, "--input-shape")
    blobs = parse_shape_flags(blob_shapes, "--blob-shape")
    flags = budgets.Budgets(
        None if max_macs is None else budgets.parse_count(max_macs, "--max-macs"),
        None if max_params is None else budgets.parse_count(max_params, "--max-params"),
        None if max_memory is None else budgets.parse_bytes(max_memory, "--max-memory"))
    terminal = tables.stdout_is_terminal(output)
    view = report.View(flops=flops, summary=summary, top=top,
                       sort=sort or ("macs" if top is not None else "order"), group_by=group_by,
                       width=tables.output_width(terminal),
                       color=fmt == "table" and tables.color_enabled(color, terminal))
    from prototxt_tool import many

    options = many.Options(phase, level, stages, inputs, blobs, batch, strict, fork)
    if len(files) == 1 and not _is_dir(files[0]):
        over = _one(files[0], options, fmt, view, output, chosen)
        failed = False
        checked = [(files[0], over)]
    else:
        if chosen:
            raise click.UsageError("--target verdicts are for one net at a time")
        rows, failed = _many(files, options, fmt, view, output, jobs)
        checked = [(r.file, (r.macs, r.learnable, r.memory_bytes)) for r in rows
                   if r.error is None]
    if _over_budget(checked, flags):
        click.get_current_context().exit(1)
    if failed:
        click.get_current_context().exit(2)


def _is_dir(path: str) -> bool:
    import os

    return path != "-" and os.path.isdir(path)


def _one(file: str, o: Options, fmt: str, view: View, output: str,
         chosen: tuple[str, ...] = ()) -> Figures:
    from prototxt_tool import analysis, pipeline, report
    from prototxt_tool.outputs import write_output

    loaded = None
    try:
        source = pipeline.read_source(file)
    except pipeline.BinaryInput as binary:  # a .caffemodel is a net too
        from prototxt_tool.weights.netview import analyze_binary

        result = analyze_binary(binary, o.phase, o.level, o.stages, dict(o.input_shapes),
                                dict(o.blob_shapes), o.batch, o.fork)
    else:
        loaded = pipeline.load_net(source, phase=o.phase, level=o.level, stages=o.stages,
                                   strict=o.strict, read_only=True)
        result = analysis.analyze(loaded, o.input_shapes, o.blob_shapes, batch=o.batch,
                                  fork=o.fork)
    for warning in result.warnings:
        diagnostic("warning", warning)
    if fmt == "csv":  # CSV has no place for them
        for note in result.notes:
            diagnostic("note", note)
    text = report.FORMATS[fmt](result, view)
    if chosen and loaded is not None:
        text = _with_verdicts(text, fmt, loaded, chosen)
    write_output(output, text, inputs=[file])
    t = result.total
    return t.macs, t.learnable, t.param_bytes + t.activation_bytes


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


def _many(files: tuple[str, ...], options: Options, fmt: str, view: View, output: str,
          jobs: int | None) -> tuple[list[NetRow], bool]:
    from prototxt_tool import many, report
    from prototxt_tool.errors import UsageError
    from prototxt_tool.outputs import write_output
    from prototxt_tool.pipeline import collect_files

    paths, problems = collect_files(files)
    if not paths:  # nothing to show a table of: the one-line error of a single bad path
        raise UsageError("; ".join(problems))
    rows = many.analyze_many(paths, options, jobs)
    rows += [many.NetRow(p.partition(":")[0], error=p) for p in problems]
    write_output(output, report.MANY_FORMATS[fmt](rows, view), inputs=paths)
    return rows, any(r.error is not None for r in rows)


def _over_budget(checked: list[tuple[str, Figures]], flags: Budgets) -> bool:
    """One stderr line per exceeded budget; flags first, then each file's configuration."""
    from prototxt_tool import budgets
    from prototxt_tool.lint.config import config_for

    over = False
    for path, (macs, learnable, memory) in checked:
        chosen = flags.merged(config_for(path).budgets)
        for line in budgets.exceeded(chosen, macs, learnable, memory):
            diagnostic("budget", f"{path}: {line}")
            over = True
    return over
