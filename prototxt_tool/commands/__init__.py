"""Click plumbing shared by all subcommands: lazy loading and turning DwsepError into exit 2."""

from __future__ import annotations

import importlib
from typing import Any

import click

from prototxt_tool.errors import DwsepError
from prototxt_tool.escape import visible

HELP = """\
dwsep: analyze, generate and lint Caffe network definitions (.prototxt).

\b
Examples:
  dwsep analyze net.prototxt                  per-layer shapes, MACs, params
  dwsep analyze net.prototxt --format json    the same for programs
  dwsep gen mobilenet -a 0.5 -r 160 > mb.prototxt
  dwsep separate vgg16.prototxt > vgg16_dw.prototxt
  dwsep lint models/                          CI gate, exit 1 on errors

Use '-' for stdin/stdout. Run 'dwsep COMMAND --help' for a command's options.
"""


class LazyGroup(click.Group):
    """A group that imports a subcommand's module only when the subcommand is used."""

    def __init__(self, *args: Any, lazy: dict[str, tuple[str, str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.lazy)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.lazy:
            return None
        module, attr, _ = self.lazy[cmd_name]
        return getattr(importlib.import_module(module), attr)

    def resolve_command(self, ctx: click.Context,
                        args: list[str]) -> tuple[str | None, click.Command | None, list[str]]:
        # click suggests close option names but not command names; a typo of a command
        # ("analzye") deserves the same help.
        name = args[0] if args else ""
        if args and name not in self.lazy and not name.startswith("-"):
            import difflib

            close = difflib.get_close_matches(name, list(self.lazy), n=1, cutoff=0.6)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            raise click.UsageError(f"No such command '{name}'.{hint}", ctx)
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Uses the short help kept in cli.COMMANDS so `dwsep --help` imports no subcommand.
        rows = [(name, short) for name, (_, _, short) in self.lazy.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as err:
            # Click would print a usage block; CI logs and the contract want one line.
            sub = err.ctx.command_path if err.ctx is not None else "dwsep"
            diagnostic("error", f"{err.format_message()} (see '{sub} --help')")
            ctx.exit(2)
        except DwsepError as err:
            diagnostic(None if _positioned(err) else "error", str(err))
            ctx.exit(err.exit_code)
        except BrokenPipeError:
            ctx.exit(1)


def diagnostic(kind: str | None, text: str) -> None:
    """The one place that prints `dwsep: KIND: text` (or a bare `file:line:col: ...`) on stderr.

    Messages carry net-supplied names and paths; visible() keeps each one a single line that
    cannot move the cursor, retitle the terminal or forge a line of its own.
    """
    click.echo(visible(text) if kind is None else f"dwsep: {kind}: {visible(text)}", err=True)


def _positioned(err: DwsepError) -> bool:
    return bool(getattr(err, "filename", None))


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        from prototxt_tool.cli import version_text

        click.echo(version_text(), nl=False)
        ctx.exit()


def build_cli(lazy: dict[str, tuple[str, str, str]]) -> click.Group:
    @click.group(cls=LazyGroup, lazy=lazy, help=HELP,
                 context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
    @click.option("-V", "--version", is_flag=True, expose_value=False, is_eager=True,
                  callback=_print_version, help="Show dwsep's and protobuf's versions and exit.")
    def cli() -> None:
        pass

    return cli
