"""Click plumbing shared by all subcommands: lazy loading and turning DwsepError into exit 2."""

from __future__ import annotations

import importlib
from typing import Any

import click

from prototxt_tool import __version__
from prototxt_tool.errors import DwsepError

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
            click.echo(f"dwsep: error: {err.format_message()} (see '{sub} --help')", err=True)
            ctx.exit(2)
        except DwsepError as err:
            click.echo(f"dwsep: error: {err}" if not _positioned(err) else str(err), err=True)
            ctx.exit(err.exit_code)
        except BrokenPipeError:
            ctx.exit(1)


def _positioned(err: DwsepError) -> bool:
    return bool(getattr(err, "filename", None))


def build_cli(lazy: dict[str, tuple[str, str, str]]) -> click.Group:
    @click.group(cls=LazyGroup, lazy=lazy, help=HELP,
                 context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
    @click.version_option(__version__, "-V", "--version", prog_name="dwsep")
    def cli() -> None:
        pass

    return cli
