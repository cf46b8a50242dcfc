"""Writing results: stdout for '-', otherwise atomically (temp file + rename).

A failed run must never leave a half-written file behind, so output goes to a temporary file
in the destination directory (same filesystem, so os.replace is atomic) and is renamed only
once complete. tempfile is imported only when a file is written: start-up time counts.

The standard streams can fail too (`> /dev/full`, `| head -1`, `>&-`): the console script
wraps them in GuardedStream, which turns any such failure into one StreamError that cli.main
reports in one line, instead of an OSError or AttributeError traceback from wherever the
write happened (click's help, a renderer, the final flush).
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
from collections.abc import Iterator, Sequence
from typing import Any, BinaryIO, TextIO

from prototxt_tool.errors import UsageError


class StreamError(Exception):
    """Writing stdout or stderr failed: the disk is full, the reader left, or it is closed.

    Not a DwsepError: it is neither the input's fault nor something a command can recover
    from, so only cli.main handles it (after which nothing more is written to that stream).
    """

    def __init__(self, stream: str, err: OSError | None):
        self.stream = stream
        self.broken_pipe = isinstance(err, BrokenPipeError) or (
            err is not None and err.errno == errno.EPIPE)
        reason = "it is closed" if err is None else (err.strerror or str(err))
        super().__init__(f"cannot write to {stream}: {reason}")


class GuardedStream:
    """A text stream that raises StreamError where the real one raises OSError or is None.

    Python sets sys.stdout to None when the process starts with file descriptor 1 closed;
    this stands in for it so that the first write reports that instead of an AttributeError.
    Everything else (encoding, isatty, buffer, ...) is the real stream's.
    """

    def __init__(self, name: str, stream: TextIO | None):
        self._name = name
        self._stream = stream
        self.encoding = stream.encoding if stream is not None else "utf-8"
        self.errors = stream.errors if stream is not None else "strict"

    def write(self, text: str) -> int:
        if self._stream is None:
            raise StreamError(self._name, None)
        try:
            return self._stream.write(text)
        except OSError as err:
            raise StreamError(self._name, err) from None

    def flush(self) -> None:
        if self._stream is None:
            return
        try:
            self._stream.flush()
        except OSError as err:
            raise StreamError(self._name, err) from None

    def isatty(self) -> bool:
        return self._stream is not None and self._stream.isatty()

    def __getattr__(self, attr: str) -> Any:
        if self._stream is None:
            raise AttributeError(attr)
        return getattr(self._stream, attr)


def guard_standard_streams() -> None:
    """Make stream faults of stdout/stderr one catchable StreamError (console script only)."""
    if not isinstance(sys.stdout, GuardedStream):
        sys.stdout = GuardedStream("stdout", sys.stdout)  # type: ignore[assignment]
    if not isinstance(sys.stderr, GuardedStream):
        sys.stderr = GuardedStream("stderr", sys.stderr)  # type: ignore[assignment]


def write_output(path: str | None, text: str | bytes, inputs: Sequence[str] = ()) -> None:
    """Write `text` to stdout ('-' or None) or atomically to `path`; bytes (PNG, PDF) as is.

    `inputs` are the files the command read: an output that is one of them (by name, through
    a symlink or a hard link) is refused, since replacing the net with its own report loses
    the net. Commands that rewrite in place on purpose (`upgrade -o`) do not pass them.
    """
    if path is None or path == "-":
        if isinstance(text, bytes):
            sys.stdout.flush()
            sys.stdout.buffer.write(text)
            sys.stdout.buffer.flush()
            return
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    for source in inputs:
        if source != "-" and same_file(path, source):
            raise UsageError(f"{path}: is the input file; refusing to overwrite it "
                             "(write the output elsewhere)")
    write_atomic(path, text)


def same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # the output does not exist yet (or cannot be looked at)
        return os.path.realpath(a) == os.path.realpath(b)


def write_atomic(path: str, text: str | bytes) -> None:
    """Write via a temporary file in the same directory and os.replace it over `path`.

    A reader (or a crash) never sees half a file, and an existing file keeps its mode. A
    symlink is followed: its target is replaced and the link stays a link. Text is written
    as UTF-8 with \\n line ends, bytes unchanged.
    """
    with atomic_binary(path) as handle:
        if isinstance(text, bytes):
            handle.write(text)
            return
        # Encoded a megabyte at a time: a 10,000-layer JSON report is megabytes, and a copy
        # of all of it at once costs more in fresh memory than the writing itself.
        step = 1 << 20
        for start in range(0, len(text), step):
            handle.write(text[start:start + step].encode("utf-8"))


def _target_mode(path: str) -> int:
    """Keep an existing file's permissions; a new file gets the usual 0666 minus umask."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextlib.contextmanager
def atomic_binary(path: str) -> Iterator[BinaryIO]:
    """A binary file handle whose contents appear at `path` only if the block completes.

    write_atomic's one implementation, and for outputs too big to build in memory first (a
    .caffemodel is written layer by layer). '-' is stdout.
    """
    if path == "-":
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    path = os.path.realpath(path) if os.path.islink(path) else path
    if os.path.isdir(path):
        raise UsageError(f"{path}: is a directory")
    if os.path.exists(path) and not os.path.isfile(path):
        # /dev/null, a FIFO, /dev/stdout: renaming over them would replace the device node
        # itself, so they are written in place (there is no half-written file to fear).
        try:
            with open(path, "wb") as handle:
                yield handle
        except OSError as err:
            raise UsageError(f"{path}: cannot write: {err.strerror or err}") from None
        return
    import tempfile

    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise UsageError(f"{path}: cannot write: directory {directory} does not exist")
    mode = _target_mode(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.",
                                   suffix=".tmp")
    except OSError as err:
        raise UsageError(f"{path}: cannot write: {err.strerror or err}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException as err:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(err, OSError):
            raise UsageError(f"{path}: cannot write: {err.strerror or err}") from None
        raise
