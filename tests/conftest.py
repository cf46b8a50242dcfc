"""Shared fixtures: where the public corpus is, and a runner for the real `dwsep` CLI."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("DWSEP_CORPUS", REPO.parent / "shared" / "corpus"))
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def invoke(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    """Run the real `dwsep` command in-process: (exit code, stdout, stderr). An exception other
    than the command's own exit is raised, so a traceback fails the test that met it."""
    from click.testing import CliRunner

    from prototxt_tool.cli import COMMANDS
    from prototxt_tool.commands import build_cli

    result = CliRunner().invoke(build_cli(COMMANDS), list(args), input=stdin)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def assert_one_line_layer_error(path: Path, layer: str, words: str) -> None:
    """`dwsep analyze path` fails as bad input must: exit 2, one line `path:line:col: ...`
    naming the layer and saying `words`."""
    code, out, err = invoke("analyze", str(path))
    assert code == 2, out + err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert f"'{layer}'" in lines[0] and words in lines[0], lines[0]
    assert lines[0].startswith(f"{path}:")


def corpus_or_skip() -> Path:
    if not (CORPUS / "expected").is_dir():
        pytest.skip(f"corpus not found at {CORPUS} (set DWSEP_CORPUS to its directory)")
    return CORPUS


@pytest.fixture
def corpus() -> Path:
    return corpus_or_skip()
