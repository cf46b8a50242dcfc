"""Errors that reach the user as one line and exit code 2, never as a traceback.

Every failure caused by the input (a file, an option value, a net) is raised as a
DwsepError subclass; the CLI catches DwsepError alone, so a bug in dwsep still
shows its traceback instead of being disguised as bad input.
"""

from __future__ import annotations


class DwsepError(Exception):
    """Base class: `str(err)` is the complete line shown to the user."""

    exit_code = 2


class ParseError(DwsepError):
    """Text-format syntax or schema error at a position (1-based line and column)."""

    def __init__(self, message: str, line: int = 0, column: int = 0, filename: str = "<string>"):
        self.message = message
        self.line = line
        self.column = column
        self.filename = filename
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.line:
            return f"{self.filename}:{self.line}:{self.column}: {self.message}"
        return f"{self.filename}: {self.message}"


class NetError(DwsepError):
    """A structural or shape problem in a net, optionally tied to a layer."""

    def __init__(self, message: str, layer: str | None = None, layer_type: str | None = None,
                 filename: str | None = None, line: int = 0, column: int = 0):
        self.message = message
        self.layer = layer
        self.layer_type = layer_type
        self.filename = filename
        self.line = line
        self.column = column
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ""
        if self.filename:
            where = f"{self.filename}: "
            if self.line:
                where = f"{self.filename}:{self.line}:{self.column}: "
        who = ""
        if self.layer is not None:
            kind = f" ({self.layer_type})" if self.layer_type else ""
            who = f"layer '{self.layer}'{kind}: "
        return f"{where}{who}{self.message}"


class ShapeError(NetError):
    """Shapes that cannot work out (mismatch, non-positive dim, group not dividing C, ...)."""


class UpgradeError(NetError):
    """A legacy net Caffe's upgrade refuses (or would read past the end of).

    upgrade.py works on the message alone; `where` names the NetParameter field as written
    and its index (`("input_dim", 0)`, `("layers", 3)`) so that the pipeline, which has the
    ParseTree, can give the error its file:line:col.
    """

    def __init__(self, message: str, where: tuple[str, int] | None = None, **who: str | None):
        self.where = where
        super().__init__(message, **who)  # type: ignore[arg-type]


class InputShapeNeeded(ShapeError):
    """A top only the user can shape: a data layer reads it from disk at run time.

    `analyze` reports it as an error (it cannot go on); lint treats it as unknown, not wrong.
    """


class UsageError(DwsepError):
    """A bad option value or an unreadable path."""


class SolverGiven(UsageError):
    """A solver file where a net was expected: one line saying so (`analyze`, `upgrade`)."""
