"""Writing results: stdout for '-', otherwise atomically (temp file + rename).

A failed run must never leave a half-written file behind, so output goes to a temporary file
in the destination directory (same filesystem, so os.replace is atomic) and is renamed only
once complete.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path

from prototxt_tool.errors import UsageError


def write_output(path: str | None, text: str) -> None:
    if path is None or path == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    write_atomic(path, text)


def write_atomic(path: str, text: str) -> None:
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise UsageError(f"{path}: is a directory")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as err:
        raise UsageError(f"{path}: cannot write: {err.strerror or err}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.replace(tmp, target)
    except BaseException as err:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(err, OSError):
            raise UsageError(f"{path}: cannot write: {err.strerror or err}") from None
        raise
