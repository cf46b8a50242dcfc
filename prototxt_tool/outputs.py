"""Writing results: stdout for '-', otherwise atomically (temp file + rename).

A failed run must never leave a half-written file behind, so output goes to a temporary file
in the destination directory (same filesystem, so os.replace is atomic) and is renamed only
once complete. tempfile is imported only when a file is written: start-up time counts.
"""

from __future__ import annotations

import contextlib
import os
import sys

from prototxt_tool.errors import UsageError


def write_output(path: str | None, text: str) -> None:
    if path is None or path == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    write_atomic(path, text)


def write_atomic(path: str, text: str) -> None:
    """Write via a temporary file in the same directory and os.replace it over `path`.

    A reader (or a crash) never sees half a file, and an existing file keeps its mode.
    """
    directory = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise UsageError(f"{path}: is a directory")
    if os.path.exists(path) and not os.path.isfile(path):
        # /dev/null, a FIFO, /dev/stdout: renaming over them would replace the device node
        # itself, so they are written in place (there is no half-written file to fear).
        _write_in_place(path, text)
        return
    import tempfile

    if not os.path.isdir(directory):
        raise UsageError(f"{path}: cannot write: directory {directory} does not exist")
    mode = _target_mode(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.",
                                   suffix=".tmp")
    except OSError as err:
        raise UsageError(f"{path}: cannot write: {err.strerror or err}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as err:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise UsageError(f"{path}: cannot write: {err.strerror or err}") from None


def _write_in_place(path: str, text: str) -> None:
    try:
        with open(path, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except OSError as err:
        raise UsageError(f"{path}: cannot write: {err.strerror or err}") from None


def _target_mode(path: str) -> int:
    """Keep an existing file's permissions; a new file gets the usual 0666 minus umask."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
