"""`dwsep fold-bn`: fold BatchNorm (+ Scale) into the conv/FC before it, prototxt and weights."""

from __future__ import annotations

import click

from prototxt_tool.commands import diagnostic


@click.command("fold-bn", epilog="""\b
Examples:
  dwsep fold-bn deploy.prototxt net.caffemodel -o folded.prototxt \\
      --weights-out folded.caffemodel
  dwsep fold-bn deploy.prototxt net.caffemodel --keep-unfoldable \\
      -o folded.prototxt --weights-out folded.caffemodel

Each BatchNorm that reads the only output of a Convolution or InnerProduct is folded into
that layer's weights and bias (a layer without bias gains one), with the Scale after it when
there is one; the folded layers are removed from both files. Every other layer, and its
weights, is kept byte for byte. The prototxt keeps the input's own text (comments, layout)
when the net is in the current format, else it is written out anew; stderr says which.
Exit status: 0 done, 2 bad input or a BatchNorm that cannot be folded (nothing written).""")
@click.argument("net", metavar="NET.prototxt")
@click.argument("weights", metavar="WEIGHTS.caffemodel")
@click.option("-o", "--output", metavar="FILE", default="-", show_default=True,
              help="Where the folded prototxt goes ('-': stdout).")
@click.option("--weights-out", metavar="FILE", required=True,
              help="Where the folded .caffemodel goes (written atomically).")
@click.option("--phase", type=click.Choice(["test", "train"], case_sensitive=False),
              default="test", show_default=True, help="Phase whose net is folded.")
@click.option("--keep-unfoldable", is_flag=True,
              help="Fold what can be folded and keep the other BatchNorms (default: refuse).")
def fold_bn(net: str, weights: str, output: str, weights_out: str, phase: str,
            keep_unfoldable: bool) -> None:
    """Fold BatchNorm (+ Scale) layers of NET.prototxt and WEIGHTS.caffemodel."""
    from google.protobuf import text_format

    from prototxt_tool import pipeline
    from prototxt_tool.errors import UsageError
    from prototxt_tool.escape import visible
    from prototxt_tool.outputs import same_file, write_output
    from prototxt_tool.weights import fold
    from prototxt_tool.weights.model import open_model, write_model

    for out in (output, weights_out):
        for source in (net, weights):
            if out != "-" and source != "-" and same_file(out, source):
                raise UsageError(f"{out}: is an input file; refusing to overwrite it")
    if output == "-" and weights_out == "-":
        raise UsageError("-o and --weights-out cannot both be stdout")
    model = open_model(weights)
    source = pipeline.read_source(net)
    parsed = pipeline.upgrade_parsed(source, *pipeline.parse_net(source))
    loaded = pipeline.select_phase(parsed, phase)
    folds, refused = fold.plan(loaded)
    kept = []
    for i, reason in refused:
        if not keep_unfoldable:
            raise fold.refuse(loaded, i, reason)
        kept.append(i)
        diagnostic("warning", f"layer '{visible(loaded.net.layer[i].name)}' kept: {reason}")
    records = fold.fold_weights(model, loaded, folds)
    expected = fold.folded_net(parsed, loaded, folds)
    text = fold.folded_text(parsed, loaded, folds, expected)
    how = "the input's text kept, folded layers cut out"
    if text is None:
        text = text_format.MessageToString(expected)
        how = "written anew from the upgraded net"
    write_model(model, weights_out, records)
    write_output(output, text)
    scales = sum(f.scale is not None for f in folds)
    click.echo(f"folded {len(folds)} BatchNorm and {scales} Scale layer(s) into "
               f"{len({f.target for f in folds})} layer(s); {len(kept)} BatchNorm kept; "
               f"prototxt: {how}", err=True)
