"""PNG and PDF through optional tools, found at run time: cairosvg first, then Graphviz.

cairosvg renders dwsep's own SVG (same layout as `--format svg`); Graphviz `dot` lays the DOT
out itself. Neither is a dependency: `pip install dwsep` gives SVG, DOT and HTML, and asking
for PNG/PDF without either tool is one line saying what to install. Only a program dwsep
chooses (`dot` on PATH) is ever run, never anything a net names.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from typing import Any

from prototxt_tool.errors import UsageError
from prototxt_tool.escape import visible

FORMATS = ("png", "pdf")


def _cairosvg() -> Any | None:
    try:
        import cairosvg  # type: ignore[import-not-found]
    except (ImportError, OSError):  # OSError: the package is there but libcairo is not
        return None
    return cairosvg


def convert(fmt: str, svg: Callable[[], str], dot: Callable[[], str]) -> bytes:
    """`fmt` (png/pdf) bytes of the picture; svg() and dot() give the sources on demand."""
    cairo = _cairosvg()
    if cairo is not None:
        render = cairo.svg2png if fmt == "png" else cairo.svg2pdf
        return render(bytestring=svg().encode("utf-8"))
    exe = shutil.which("dot")
    if exe is None:
        raise UsageError(f"--format {fmt} needs cairosvg (pip install cairosvg) or Graphviz's "
                         "'dot' on PATH; neither was found (svg, dot and html need nothing)")
    try:
        done = subprocess.run([exe, f"-T{fmt}"], input=dot().encode("utf-8"),
                              capture_output=True, timeout=600, check=False)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise UsageError(f"--format {fmt}: running {exe} failed: {err}") from None
    if done.returncode != 0 or not done.stdout:
        why = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UsageError(f"--format {fmt}: {exe} failed: "
                         f"{visible(why[0]) if why else f'exit {done.returncode}'}")
    return done.stdout
