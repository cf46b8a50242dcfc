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
A net already in the current format is written out unchanged, comments and all (with -o
onto FILE itself: not touched), unless --force asks for protobuf's text format anyway.
The rewritten text is protobuf's own printing: comments and layout are not kept.

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
@click.option("--force", is_flag=True,
              help="Rewrite a net that is already in the current format too.")
def upgrade(file: str, output: str | None, quiet: bool, force: bool) -> None:
    from google.protobuf import text_format

    from prototxt_tool import pipeline
    from prototxt_tool.outputs import same_file, write_output
    source = pipeline.read_source(file)
    raw, tree = pipeline.parse_net(source)
    parsed = pipeline.upgrade_parsed(source, raw, tree)
    result = parsed.upgraded
    current = result.net == raw
    if current and not force:
        # Nothing to upgrade: the user's text (comments, order, number spelling) stays.
        if not (output and output != "-" and file != "-" and same_file(output, file)):
            write_output(output, source.text)
    else:
        write_output(output, text_format.MessageToString(result.net))
    # Notes come last so that a failed write leaves exactly one (error) line on stderr.
    for warning in pipeline.upgrade_warnings(parsed):
        diagnostic("warning", warning)
    if quiet:
        return
    if current and not force:
        diagnostic("note", f"{source.filename}: already in the current format; left unchanged "
                           "(--force rewrites it)")
        return
    for note in result.notes:
        diagnostic("note", f"{source.filename}: {note}")
    diagnostic("note", f"{source.filename}: rewritten in protobuf's text format: comments and "
                       "layout are not kept")
