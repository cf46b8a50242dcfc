"""`dwsep targets`: the deployment target profiles and what each accepts."""

from __future__ import annotations

import textwrap

import click

from prototxt_tool.commands import complete


@click.command(epilog="""\b
Examples:
  dwsep targets                       every profile, with its source
  dwsep targets rknn2                 one profile: types, limits, rewrites
  dwsep lint --target ncnn,rknn2 models/
  dwsep analyze net.prototxt --target mnn

Profiles are data files (prototxt_tool/targets/*.toml), each citing the vendor document it
was read from; docs/targets.md has the table of targets x layer types.""")
@click.argument("name", required=False, shell_complete=complete.targets)
def targets(name: str | None) -> None:
    """List the deployment target profiles, or print profile NAME."""
    from prototxt_tool import targets as profiles

    if name is None:
        for n in profiles.names():
            p = profiles.load(n)
            click.echo(f"{n:<9} {p.title}")
            for s in p.sources:
                click.echo(_wrap(f"source: {s.cite()}", " " * 12, " " * 10))
        return
    click.echo(describe(profiles.load(profiles.resolve(name, "dwsep targets")[0])), nl=False)


def describe(p: object) -> str:
    """The text of `dwsep targets NAME`: everything the profile says, wrapped to 100 columns."""
    from prototxt_tool.targets import Profile

    assert isinstance(p, Profile)
    out = [f"{p.name}: {p.title}", f"status: {p.status}", f"see: {p.doc}", ""]
    for s in p.sources:
        out.append(_wrap(f"source: {s.cite()}", "  "))
        if s.note:
            out.append(_wrap(s.note, "  ", "  "))
    fmts = ", ".join(p.accepts) or "none"
    inputs = {"layer": "Input layer", "fields": "top-level input fields"}
    out += ["", f"formats: {fmts}",
            f"input declaration: {', '.join(inputs[i] for i in p.inputs) or 'none'}"]
    if p.fork_fields:
        out.append(_wrap("fork fields its caffe.proto has: " + ", ".join(sorted(p.fork_fields)),
                         "  "))
    out += ["", _wrap(f"layer types ({len(p.supported)}): " + ", ".join(sorted(p.supported)),
                      "  ")]
    for t, why in sorted(p.rejected.items()):
        out.append(_wrap(f"not {t}: {why}", "  "))
    if p.constraints:
        out += ["", "limits:"]
        for c in p.constraints:
            when = "".join(f" when {w.field} {w.describe().removeprefix('allowed: ')}"
                           for w in c.when)
            reason = f" ({c.reason})" if c.reason else ""
            out.append(_wrap(f"{'/'.join(c.types)}: {c.test.field} {c.test.describe()}{when}"
                             f"{reason}", "  ", "  "))
    if p.notes:
        out += ["", "rewrites:"]
        for n in p.notes:
            out.append(_wrap(f"{'/'.join(n.types)}: {n.text}", "  ", "  "))
    if p.gen:
        out += ["", "gen --target defaults: "
                + ", ".join(f"{k} = {v}" for k, v in sorted(p.gen.items()))]
    return "\n".join(out) + "\n"


def _wrap(text: str, indent: str, first: str = "") -> str:
    return textwrap.fill(text, 100, initial_indent=first, subsequent_indent=indent,
                         break_on_hyphens=False, break_long_words=False)
