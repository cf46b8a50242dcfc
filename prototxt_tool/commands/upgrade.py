"""`dwsep upgrade`: print a legacy (V0/V1, input_dim) net in the current text format.

Caffe's own tool for this (upgrade_net_proto_text) needs a Caffe build; this gives the same
rewrite from prototxt_tool.upgrade. What changed goes to stderr as notes so stdout stays a
clean prototxt that can be piped or redirected.
"""

from __future__ import annotations

import click

from prototxt_tool.commands import diagnostic

HELP = """\
Rewrite a V0/V1 (legacy) prototxt in the current format, as Caffe upgrades it.

\b
FILE may be '-' for stdin. Notes about what changed (folded padding layers, fields
Caffe drops, the Input layer made from input/input_dim) are printed on stderr.

\b
Examples:
  dwsep upgrade old_deploy.prototxt > deploy.prototxt
  dwsep upgrade old_deploy.prototxt -o deploy.prototxt
  dwsep upgrade deploy.prototxt -o deploy.prototxt     in place (the one -o allowed onto its input)
"""


@click.command("upgrade", help=HELP, short_help="Rewrite a legacy prototxt in the current format.")
@click.argument("file", metavar="FILE")
@click.option("-o", "--output", metavar="OUT", default=None,
              help="Write the result to OUT (replaced atomically) instead of stdout; '-' = stdout.")
@click.option("-q", "--quiet", is_flag=True, help="Do not print notes on stderr.")
def upgrade(file: str, output: str | None, quiet: bool) -> None:
    from google.protobuf import text_format

    from prototxt_tool import pipeline
    from prototxt_tool.outputs import write_output
    source = pipeline.read_source(file)
    parsed = pipeline.upgrade_parsed(source, *pipeline.parse_net(source))
    result = parsed.upgraded
    text = text_format.MessageToString(result.net)
    write_output(output, text)
    # Notes come last so that a failed write leaves exactly one (error) line on stderr.
    for warning in pipeline.upgrade_warnings(parsed):
        diagnostic("warning", warning)
    if not quiet:
        _print_notes(source.filename, parsed.format, result.notes)


def _print_notes(filename: str, fmt: str, notes: list[str]) -> None:
    if fmt == "V2" and not notes:
        diagnostic("note", f"{filename}: already in the current format")
    for note in notes:
        diagnostic("note", f"{filename}: {note}")
