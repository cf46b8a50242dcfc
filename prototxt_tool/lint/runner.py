"""Running lint over many files: in order, one file at a time or in worker processes.

Files are linted in path order and each file's result is handed back as soon as it and every
file before it are done, so output streams while the run goes on and is byte-identical
whatever the number of workers (`-j`). A worker gets a path (or the text read from stdin by
the parent) and returns plain data: findings, the source lines they point at, and any fix.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from dataclasses import astuple, dataclass, field
from typing import Any

from prototxt_tool.errors import UsageError
from prototxt_tool.lint.config import check_selectors, config_for
from prototxt_tool.lint.context import LintOptions
from prototxt_tool.lint.engine import Finding, lint_source
from prototxt_tool.pipeline import Source


@dataclass(frozen=True)
class Job:
    """One file to lint: its path as the user gave it, and the selection flags."""

    path: str
    display: str  # the name findings carry (--stdin-filename for '-')
    select: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    text: str | None = None  # stdin, read by the parent process


@dataclass
class FileResult:
    path: str
    findings: list[Finding] = field(default_factory=list)
    problem: str | None = None  # why the file could not be read (exit status 2)
    lines: dict[int, str] = field(default_factory=dict)  # source lines findings point at
    fix: Any = None  # fix.FixResult when --fix or --diff asked for one


def plan(files: Sequence[str], select: Sequence[str] = (), extend_select: Sequence[str] = (),
         ignore: Sequence[str] = (), stdin_filename: str | None = None) -> list[Job]:
    """Jobs in output order (by the name findings carry). The configuration of every file is
    checked here, before any work, so a bad selector is one usage error, not one per file."""
    from prototxt_tool.lint.registry import all_rules

    codes = [r.code for r in all_rules()]
    for flag, values in (("--select", select), ("--extend-select", extend_select),
                         ("--ignore", ignore)):
        check_selectors(flag, values, codes)
    jobs = []
    for path in files:
        display = stdin_filename if path == "-" and stdin_filename else path
        config_for(display if path == "-" and stdin_filename else path).validate(codes)
        text = None
        if path == "-":
            text = _read_stdin()
        jobs.append(Job(path, "<stdin>" if display == "-" else display, tuple(select),
                        tuple(extend_select), tuple(ignore), text))
    return sorted(jobs, key=lambda j: j.display)


def _read_stdin() -> str | None:
    from prototxt_tool.pipeline import read_source

    try:
        return read_source("-").text
    except UsageError:
        return None  # reported by the job, as for a file


def run_job(job: Job, options: LintOptions | None = None, fix: str | None = None) -> FileResult:
    """Lint one file (in whatever process runs it); never raises for a bad file."""
    from prototxt_tool.pipeline import read_source

    config = config_for(job.display if job.path == "-" else job.path).with_flags(
        job.select, job.extend_select, job.ignore)
    try:
        if job.path == "-":
            if job.text is None:
                read_source("-")  # raises the same UsageError the parent saw
            source = Source(job.display, str(job.text))
        else:
            source = read_source(job.path)
    except UsageError as err:
        return FileResult(job.display, problem=str(err))
    fixed = None
    if fix is not None:  # "fix": write the fixed text back; "diff": only say what would change
        from prototxt_tool.lint.fix import fix_source

        fixed = fix_source(source, config, options)
        if fixed.changed and fix == "fix":
            from prototxt_tool.outputs import write_atomic

            try:
                write_atomic(job.path, fixed.text)
            except OSError as err:
                return FileResult(job.display, problem=f"{job.display}: cannot write the fix: "
                                                       f"{err.strerror or err}")
        if fixed.changed:
            source = Source(source.filename, fixed.text)
    findings = lint_source(source, config, options)
    lines = source.text.splitlines()
    wanted = {f.line for f in findings if 0 < f.line <= len(lines)}
    return FileResult(job.display, findings, None, {n: lines[n - 1] for n in sorted(wanted)},
                      fixed)


def _run_packed(job: Job, options: LintOptions | None, fix: str | None) -> tuple[Any, ...]:
    """Worker side: results travel as tuples (frozen slotted dataclasses do not unpickle on
    Python 3.10)."""
    r = run_job(job, options, fix)
    return (r.path, [astuple(f) for f in r.findings], r.problem, r.lines, r.fix)


def _unpack(packed: tuple[Any, ...]) -> FileResult:
    path, findings, problem, lines, fix = packed
    return FileResult(path, [Finding(*f) for f in findings], problem, lines, fix)


def run_jobs(jobs: Sequence[Job], options: LintOptions | None = None, workers: int = 1,
             fix: str | None = None) -> Iterator[FileResult]:
    """Results in the order of `jobs`, each as soon as it and those before it are done."""
    from prototxt_tool import parallel

    if min(workers, len(jobs)) > 1:
        _warm_up()

    def one(job: Job) -> tuple[Any, ...]:
        return _run_packed(job, options, fix)

    for packed in parallel.ordered_map(one, jobs, workers, cost=_size):
        yield _unpack(packed)


def _size(job: Job) -> int:
    from prototxt_tool.parallel import file_size

    return len(job.text) if job.text is not None else file_size(job.path)


def _warm_up() -> None:
    """Import what every worker needs once in the parent, so forked workers start warm."""
    from prototxt_tool import analysis, caffe_pb2, textformat, upgrade  # noqa: F401
    from prototxt_tool.lint.registry import all_rules
    from prototxt_tool.shapes import known_types

    all_rules()
    known_types()
    sys.stdout.flush()
