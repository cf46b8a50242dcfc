"""`dwsep lint` and `dwsep rule`: the CI gate over prototxt files."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from prototxt_tool.commands import complete, diagnostic
from prototxt_tool.commands.options import fork_option, target_option
from prototxt_tool.errors import UsageError
from prototxt_tool.escape import visible

FORMATS = ("text", "json", "github", "sarif")


@click.command(help="""\
Check prototxt files (nets and solvers) for errors and convention problems (for CI).

PATHS are files or directories (searched for *.prototxt); '-' reads stdin; default '.'.
Each finding is one line: path:line:col: CODE [severity] message.
Exit status: 0 clean, 1 findings at or above --fail-on, 2 usage error or unusable path.
Rules are configured in pyproject.toml [tool.dwsep.lint] or .dwsep.toml [lint];
see 'dwsep lint --list-rules' and 'dwsep rule CODE'.
""", epilog="""\b
Examples:
  dwsep lint models/                        # every *.prototxt below models/
  dwsep lint --show-source net.prototxt     # each finding with its line and a caret
  dwsep lint --statistics -q .              # how many findings of each rule
  dwsep lint --format sarif -o lint.sarif . # for GitHub code scanning
  cat net.prototxt | dwsep lint - --stdin-filename models/net.prototxt
""")
@click.argument("paths", nargs=-1, metavar="[PATHS]...")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="Output format.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info"]), default=None,
              help="Lowest severity that makes the exit status 1 [default: error].")
@click.option("--exit-zero", is_flag=True,
              help="Exit 0 even when there are findings (2 still means unusable input).")
@click.option("--select", multiple=True, shell_complete=complete.rule_codes, metavar="CODES",
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
@fork_option
@click.option("--force-shapes", is_flag=True,
              help="Apply --input-shape/--blob-shape also to blobs a net shapes itself (Input, "
                   "DummyData, MemoryData); by default those keep the net's own shape.")
@click.option("--show-source", is_flag=True,
              help="Show the source line of each finding with a caret under it (text format).")
@click.option("--statistics", is_flag=True,
              help="Print how many findings each rule has instead of the findings.")
@click.option("-o", "--output-file", metavar="FILE", default=None,
              help="Write the report to FILE (atomically) instead of stdout.")
@click.option("-q", "--quiet", is_flag=True,
              help="Print the findings only: no summary line, no progress.")
@click.option("--stdin-filename", metavar="NAME", default=None,
              help="Name findings of '-' (stdin) carry; its configuration is looked up there.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None, metavar="N",
              help="Worker processes [default: all cores]; the output does not depend on it.")
@click.option("--weights", metavar="FILE.caffemodel", default=None,
              help="Also check that these weights load into each net (W rules, as dwsep check).")
@target_option("Deployment targets whose converter must take the net (comma-separated, "
               "e.g. ncnn,rknn2): enables the T rules. See 'dwsep targets'.")
@click.option("--fix", is_flag=True,
              help="Fix what is mechanical (see --list-rules), in place; report what is left.")
@click.option("--diff", is_flag=True,
              help="Print what --fix would change as a unified diff; write nothing, also "
                   "with --fix (exit 1 if something would change).")
@click.option("--list-rules", is_flag=True, help="List every rule and exit.")
def lint(paths: tuple[str, ...], fmt: str, fail_on: str | None, exit_zero: bool,
         select: tuple[str, ...], extend_select: tuple[str, ...], ignore: tuple[str, ...],
         phase: str, input_shapes: tuple[str, ...], blob_shapes: tuple[str, ...],
         fork: str | None, force_shapes: bool, show_source: bool, statistics: bool,
         output_file: str | None,
         quiet: bool, stdin_filename: str | None, jobs: int | None, weights: str | None,
         targets: tuple[str, ...], fix: bool, diff: bool,
         list_rules: bool) -> None:
    from prototxt_tool.commands.options import parse_shape_flags
    from prototxt_tool.lint import LintOptions, all_rules, collect_files, fail_level, fails
    from prototxt_tool.lint.config import split_codes
    from prototxt_tool.lint.runner import plan, run_jobs
    from prototxt_tool.parallel import usable_cores
    if list_rules:
        for r in all_rules():  # one line each, cut to fit a 100-column terminal
            mark = "fix" if r.fix is not None else "   "
            line = f"{r.code}  {r.severity:<7}  {mark}  {r.name:<28}  {r.summary}"
            click.echo(line if len(line) <= 100 else line[:99] + "…")
        return
    mode = "diff" if diff else "fix" if fix else None
    options = LintOptions(
        phases=() if phase.lower() == "all" else (phase.upper(),),
        input_shapes=parse_shape_flags(input_shapes, "--input-shape"),
        blob_shapes=parse_shape_flags(blob_shapes, "--blob-shape"),
        weights=weights,
        targets=targets,
        force_shapes=force_shapes,
        fork=fork,
    )
    if weights is not None:
        from prototxt_tool.lint.rules._weights import model

        model(weights)  # not a Caffe model: one line and exit 2 before any file is linted
    files, problems = collect_files(paths or (".",))
    if mode == "fix" and "-" in files:
        raise UsageError("--fix writes files back; stdin has nowhere to go (use --diff)")
    work = plan(files, split_codes(select), split_codes(extend_select), split_codes(ignore),
                stdin_filename)
    for line in problems:
        diagnostic("error", line)
    report = Report(fmt, show_source, statistics, quiet, output_file, mode)
    progress = Progress(len(work), enabled=not quiet and _is_tty(sys.stderr))
    for done in run_jobs(work, options, jobs or usable_cores(), mode):
        progress.clear()
        if done.problem is not None:
            problems.append(done.problem)
            diagnostic("error", done.problem)
        else:
            report.add(done)
        progress.step(done.path)
    progress.clear()
    report.finish(len(problems))
    if problems:
        raise SystemExit(2)
    if mode == "diff":
        raise SystemExit(1 if report.fixed and not exit_zero else 0)
    if not exit_zero and fails(report.findings, fail_level(fail_on)):
        raise SystemExit(1)


def _is_tty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def use_color(stream: Any) -> bool:
    """ANSI colour only on a terminal, and never when NO_COLOR is set (no-color.org)."""
    return _is_tty(stream) and not os.environ.get("NO_COLOR")


class Report:
    """Collects results; text goes out file by file as it arrives (unless -o, --statistics
    or a whole-document format needs everything first)."""

    def __init__(self, fmt: str, show_source: bool, statistics: bool, quiet: bool,
                 output_file: str | None, mode: str | None = None):
        from prototxt_tool.lint.output import TextStyle

        self.mode = mode  # None, "fix" or "diff"
        self.fixed = 0
        self.fixed_files = 0
        self.fmt = fmt
        self.statistics = statistics
        self.quiet = quiet
        self.output_file = output_file if output_file not in (None, "-") else None
        self.stream = fmt == "text" and not statistics and self.output_file is None
        color = self.output_file is None and use_color(sys.stdout)
        self.style = TextStyle(show_source=show_source, color=color)
        self.findings: list[Any] = []
        self.files = 0
        self.parts: list[str] = []

    def add(self, done: Any) -> None:
        from prototxt_tool.lint.output import render_findings

        self.files += 1
        if done.fix is not None and done.fix.changed:
            self.fixed += sum(done.fix.fixed.values())
            self.fixed_files += 1
        if self.mode == "diff":
            if done.fix is not None and done.fix.diff:
                self._out(done.fix.diff)
            return
        self.findings.extend(done.findings)
        if self.fmt == "text" and not self.statistics:
            self._out(render_findings(done.findings, done.lines, self.style))

    def _out(self, text: str) -> None:
        if self.stream:
            click.echo(text, nl=False)
        else:
            self.parts.append(text)

    def _fixed(self, verb: str) -> str:
        noun = "file" if self.fixed_files == 1 else "files"
        return f"{verb} {self.fixed} problem(s) in {self.fixed_files} {noun}."

    def finish(self, unusable: int) -> None:
        from prototxt_tool.lint.output import RENDERERS, render_statistics, summary

        if self.mode == "diff":
            if not self.quiet:
                diagnostic(None, self._fixed("Would fix") if self.fixed else "Nothing to fix.")
            click.echo("".join(self.parts), nl=False)
            return
        if self.statistics:
            self.parts.append(render_statistics(self.findings))
        elif self.fmt != "text":
            self.parts.append(RENDERERS[self.fmt](self.findings, self.files, unusable))
        if self.fmt == "text" and not self.quiet:
            if self.mode == "fix" and self.fixed:
                self.parts.append(self._fixed("Fixed") + "\n")
            self.parts.append(summary(self.findings, self.files, unusable) + "\n")
        text = "".join(self.parts)
        if self.output_file is not None:
            from prototxt_tool.outputs import write_output

            write_output(self.output_file, text)
        else:
            click.echo(text, nl=False)


class Progress:
    """`[12/170] path` on stderr while a long run goes on, only on a terminal; it starts
    after half a second (short runs never show it) and is erased before any other output."""

    DELAY_S = 0.5

    def __init__(self, total: int, enabled: bool):
        import time

        self.total = total
        self.enabled = enabled and total > 1
        self.done = 0
        self.start = time.monotonic()
        self.shown = False

    def step(self, path: str) -> None:
        import time

        self.done += 1
        if not self.enabled or self.done >= self.total:
            return
        if time.monotonic() - self.start < self.DELAY_S:
            return
        line = f"[{self.done}/{self.total}] {visible(path)}"
        sys.stderr.write("\r\x1b[K" + line[:99])
        sys.stderr.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
            self.shown = False


@click.command(help="Show the documentation of a lint rule: what it finds, why, examples.")
@click.argument("code", shell_complete=complete.rule_codes)
def rule(code: str) -> None:
    from prototxt_tool.lint import all_rules, get_rule

    info = get_rule(code)
    if info is None:
        codes = ", ".join(r.code for r in all_rules())
        raise UsageError(f"unknown rule '{code}' (rules: {codes})")
    click.echo(info.doc(), nl=False)
