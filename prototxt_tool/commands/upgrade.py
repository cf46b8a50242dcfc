"""`dwsep upgrade`: print a legacy (V0/V1, input_dim) net in the current text format.

Caffe's own tool for this (upgrade_net_proto_text) needs a Caffe build; this gives the same
rewrite from prototxt_tool.upgrade. What changed goes to stderr as notes so stdout stays a
clean prototxt that can be piped or redirected.
"""

from __future__ import annotations

import contextlib
import os
import tempfile

import click

from prototxt_tool.errors import UsageError

HELP = """\
Rewrite a V0/V1 (legacy) prototxt in the current format, as Caffe upgrades it.

\b
FILE may be '-' for stdin. Notes about what changed (folded padding layers, fields
Caffe drops, the Input layer made from input/input_dim) are printed on stderr.

\b
Examples:
  dwsep upgrade old_deploy.prototxt > deploy.prototxt
  dwsep upgrade old_deploy.prototxt -o deploy.prototxt
"""


@click.command("upgrade", help=HELP, short_help="Rewrite a legacy prototxt in the current format.")
@click.argument("file", metavar="FILE")
@click.option("-o", "--output", metavar="OUT", default=None,
              help="Write the result to OUT (replaced atomically) instead of stdout; '-' = stdout.")
@click.option("-q", "--quiet", is_flag=True, help="Do not print notes on stderr.")
def upgrade(file: str, output: str | None, quiet: bool) -> None:
    from google.protobuf import text_format

    from prototxt_tool import pipeline
    from prototxt_tool.upgrade import detect_format, upgrade_net

    source = pipeline.read_source(file)
    raw, _tree = pipeline.parse_net(source)
    fmt = detect_format(raw)
    result = upgrade_net(raw)
    text = text_format.MessageToString(result.net)
    if output is None or output == "-":
        click.echo(text, nl=False)
    else:
        write_atomically(output, text)
    # Notes come last so that a failed write leaves exactly one (error) line on stderr.
    if not quiet:
        _print_notes(source.filename, fmt, result.notes)


def _print_notes(filename: str, fmt: str, notes: list[str]) -> None:
    if fmt == "V2" and not notes:
        click.echo(f"dwsep: note: {filename}: already in the current format", err=True)
    for note in notes:
        click.echo(f"dwsep: note: {filename}: {note}", err=True)


def write_atomically(path: str, text: str) -> None:
    """Write via a temporary file in the same directory and os.replace it over `path`.

    A reader (or a crash) never sees half a file, and an existing file keeps its mode.
    """
    directory = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise UsageError(f"{path}: is a directory")
    if not os.path.isdir(directory):
        raise UsageError(f"{path}: directory {directory} does not exist")
    mode = _target_mode(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.",
                                   suffix=".tmp")
    except OSError as err:
        raise UsageError(f"{path}: cannot write: {err.strerror or err}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as err:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise UsageError(f"{path}: cannot write: {err.strerror or err}") from None


def _target_mode(path: str) -> int:
    """Keep an existing file's permissions; a new file gets the usual 0666 minus umask."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
