"""`dwsep lint` and `dwsep rule`: the CI gate over prototxt files."""

from __future__ import annotations

import click

from prototxt_tool.commands import complete, diagnostic
from prototxt_tool.errors import UsageError

FORMATS = ("text", "json", "github", "sarif")


@click.command(help="""\
Check prototxt files for errors and convention problems (for CI).

PATHS are files or directories (searched for *.prototxt); '-' reads stdin; default '.'.
Exit status: 0 clean, 1 findings at or above --fail-on, 2 usage error or unusable path.
Rules are configured in pyproject.toml [tool.dwsep.lint] or .dwsep.toml [lint];
see 'dwsep lint --list-rules' and 'dwsep rule CODE'.
""")
@click.argument("paths", nargs=-1, metavar="[PATHS]...")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="Output format.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info"]), default=None,
              help="Lowest severity that makes the exit status 1 [default: error].")
@click.option("--select", multiple=True, shell_complete=complete.rule_codes,
              metavar="CODES",
              help="Only these rule codes or prefixes (comma-separated; replaces the config).")
@click.option("--extend-select", multiple=True, shell_complete=complete.rule_codes,
              metavar="CODES",
              help="Rule codes or prefixes to enable in addition.")
@click.option("--ignore", multiple=True, shell_complete=complete.rule_codes, metavar="CODES",
              help="Rule codes or prefixes to skip.")
@click.option("--phase", type=click.Choice(["test", "train", "all"], case_sensitive=False),
              default="all", show_default=True,
              help="Phase(s) whose net the graph/shape rules check ('all': TEST, and TRAIN "
                   "when some layer has a phase rule).")
@click.option("--input-shape", "input_shapes", multiple=True, metavar="NAME=D0,D1,..",
              help="Shape of an input or data-layer top, so nets fed by Data layers get "
                   "shape checks (e.g. data=64,1,28,28).")
@click.option("--blob-shape", "blob_shapes", multiple=True, metavar="NAME=D0,D1,..",
              help="Shape of a blob no rule can know (e.g. a Python layer's top).")
@click.option("--list-rules", is_flag=True, help="List every rule and exit.")
def lint(paths: tuple[str, ...], fmt: str, fail_on: str | None, select: tuple[str, ...],
         extend_select: tuple[str, ...], ignore: tuple[str, ...], phase: str,
         input_shapes: tuple[str, ...], blob_shapes: tuple[str, ...], list_rules: bool) -> None:
    from prototxt_tool.commands.options import parse_shape_flags
    from prototxt_tool.lint import LintOptions, all_rules, fail_level, fails, lint_paths
    from prototxt_tool.lint.config import split_codes
    from prototxt_tool.lint.output import RENDERERS

    if list_rules:
        for r in all_rules():  # one line each, cut to fit a 100-column terminal
            line = f"{r.code}  {r.severity:<7}  {r.name:<28}  {r.summary}"
            click.echo(line if len(line) <= 100 else line[:99] + "…")
        return
    options = LintOptions(
        phases=() if phase.lower() == "all" else (phase.upper(),),
        input_shapes=parse_shape_flags(input_shapes, "--input-shape"),
        blob_shapes=parse_shape_flags(blob_shapes, "--blob-shape"),
    )
    result = lint_paths(paths or (".",), options, split_codes(select),
                        split_codes(extend_select), split_codes(ignore))
    for line in result.problems:
        diagnostic("error", line)
    click.echo(RENDERERS[fmt](result.findings, result.files, len(result.problems)), nl=False)
    if result.problems:
        raise SystemExit(2)
    if fails(result.findings, fail_level(fail_on)):
        raise SystemExit(1)


@click.command(help="Show the documentation of a lint rule: what it finds, why, examples.")
@click.argument("code", shell_complete=complete.rule_codes)
def rule(code: str) -> None:
    from prototxt_tool.lint import all_rules, get_rule

    info = get_rule(code)
    if info is None:
        codes = ", ".join(r.code for r in all_rules())
        raise UsageError(f"unknown rule '{code}' (rules: {codes})")
    click.echo(info.doc(), nl=False)
