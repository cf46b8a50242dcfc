"""`dwsep check`: will a .caffemodel load into a net the way Caffe's CopyTrainedLayersFrom
loads it? The findings are lint's W rules (plus S001 shape errors, which leave blobs
unknown), so output formats, configuration, suppressions and exit codes are lint's."""

from __future__ import annotations

import click

from prototxt_tool.commands.lint import FORMATS


@click.command(epilog="""\b
Examples:
  dwsep check deploy.prototxt mobilenet.caffemodel
  dwsep check train_val.prototxt net.caffemodel --input-shape data=_,3,224,224
  dwsep check deploy.prototxt net.caffemodel --format github --fail-on warning

\b
Findings (see 'dwsep rule CODE'):
  W001 error    blob count differs ("Incompatible number of blobs")
  W002 error    blob shape differs ("Cannot copy param N weights ... shape mismatch")
  W003 error    a blob's values do not fill its shape
  W004 warning  a net layer with blobs has no weights: it keeps its fillers
  W005 info     weights for a layer the net does not have: ignored
  W006 warning  BatchNorm statistics missing, or a moving-average factor of 0
  W007 info     weights for a layer of another phase only
  W008 info     layers not checked: input shape unknown (use --input-shape)

Exit status: 0 loads cleanly, 1 findings at or above --fail-on (default error), 2 unusable
input (unreadable or broken prototxt, not a Caffe binary model).""")
@click.argument("net", metavar="NET.prototxt")
@click.argument("weights", metavar="WEIGHTS.caffemodel")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="Output format (as dwsep lint's).")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info"]), default="error",
              show_default=True, help="Lowest severity that makes the exit status 1.")
@click.option("--phase", type=click.Choice(["test", "train", "all"], case_sensitive=False),
              default="all", show_default=True,
              help="Phase(s) whose net receives the weights ('all': TEST, and TRAIN when some "
                   "layer has a phase rule).")
@click.option("--input-shape", "input_shapes", multiple=True, metavar="NAME=D0,D1,..",
              help="Shape of an input or data-layer top (needed for nets fed by Data layers).")
@click.option("--blob-shape", "blob_shapes", multiple=True, metavar="NAME=D0,D1,..",
              help="Shape of a blob no rule can know (e.g. a Python layer's top).")
@click.option("--ignore", multiple=True, metavar="CODES", help="Finding codes to skip.")
def check(net: str, weights: str, fmt: str, fail_on: str, phase: str,
          input_shapes: tuple[str, ...], blob_shapes: tuple[str, ...],
          ignore: tuple[str, ...]) -> None:
    """Check that WEIGHTS.caffemodel loads into NET.prototxt, layer by layer."""
    from prototxt_tool import pipeline
    from prototxt_tool.commands.options import parse_shape_flags
    from prototxt_tool.lint import LintOptions, fails, lint_source
    from prototxt_tool.lint.config import config_for, split_codes
    from prototxt_tool.lint.output import RENDERERS
    from prototxt_tool.lint.rules._weights import model

    options = LintOptions(
        phases=() if phase.lower() == "all" else (phase.upper(),),
        input_shapes=parse_shape_flags(input_shapes, "--input-shape"),
        blob_shapes=parse_shape_flags(blob_shapes, "--blob-shape"),
        weights=weights,
    )
    model(weights)  # a file that is not a Caffe model: one line, exit 2, before anything else
    source = pipeline.read_source(net)
    pipeline.upgrade_parsed(source, *pipeline.parse_net(source))  # syntax errors: exit 2
    config = config_for(net).with_flags(select=("W", "S001"), ignore=split_codes(ignore))
    findings = lint_source(source, config, options)
    click.echo(RENDERERS[fmt](findings, 1, 0), nl=False)
    if fails(findings, fail_on):
        raise SystemExit(1)
