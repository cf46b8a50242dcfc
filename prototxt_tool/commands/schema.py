"""`dwsep schema`: print the caffe.proto dwsep reads nets with (BVLC Caffe's plus fork fields).

Users of a static tool want to know exactly which fields it accepts, and to compile the same
schema for their own scripts (`protoc --python_out=. caffe.proto`); the file ships inside the
package (`prototxt_tool/schema/caffe.proto`), so this works from any install.
"""

from __future__ import annotations

from pathlib import Path

import click


def schema_path() -> Path:
    """The installed copy (wheel: prototxt_tool/schema/), else the checkout's proto/."""
    import prototxt_tool

    package = Path(prototxt_tool.__file__).resolve().parent
    installed = package / "schema" / "caffe.proto"
    return installed if installed.is_file() else package.parent / "proto" / "caffe.proto"


@click.command(epilog="""\b
Examples:
  dwsep schema > caffe.proto                 the schema, to read or compile
  dwsep schema --path                        where the installed copy lies
  protoc --python_out=. caffe.proto          the same messages for your own scripts""")
@click.option("--path", "show_path", is_flag=True, help="Print the file's path instead.")
def schema(show_path: bool) -> None:
    """Print the caffe.proto schema dwsep parses nets with."""
    from prototxt_tool.outputs import write_output

    path = schema_path()
    write_output("-", f"{path}\n" if show_path else path.read_text(encoding="utf-8"))
