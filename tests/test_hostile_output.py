"""Hostile names through every human-readable output: nothing reaches a terminal or file raw."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FIXTURES

from prototxt_tool.cli import COMMANDS
from prototxt_tool.commands import build_cli

NAMES = FIXTURES / "hostile" / "names.prototxt"
RAW = ["\x1b", "\x07", "\r", "\u202e"]  # must never appear in human-readable output
CONV = "=cmd|' /C calc'!A0"
SCRIPT = "</script><script>alert(1)</script>"


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(build_cli(COMMANDS), list(args))
    return result.exit_code, result.stdout, result.stderr


def assert_inert(text: str) -> None:
    for raw in RAW:
        assert raw not in text, repr(raw)


@pytest.mark.parametrize("fmt", ["table", "markdown", "csv"])
def test_analyze_outputs_are_inert(fmt: str) -> None:
    code, out, err = invoke("analyze", str(NAMES), "--format", fmt)
    assert code == 0, err
    assert_inert(out)
    assert_inert(err)
    # Each warning is one line (the ReLU name holds a newline).
    assert all(line.startswith("dwsep: warning: ") for line in err.splitlines())
    assert "Evil\\x1b[2JType" in err


def test_table_cells_are_escaped_before_their_width() -> None:
    out = invoke("analyze", str(NAMES))[1]
    rows = [line for line in out.splitlines() if line.startswith(("relu", "bidi"))]
    assert len(rows) == 2
    # The type column starts at the same place whatever the (escaped) name held.
    head = next(line for line in out.splitlines() if line.startswith("layer "))
    assert rows[0].index("ReLU") == rows[1].index("Pooling") == head.index("type")
    assert "relu\\n::error" in rows[0] and "bidi\\u202eexe.txt" in rows[1]
    assert "net\\x1b]0;owned\\x07" in out.splitlines()[0]


def test_markdown_cannot_forge_rows_or_html() -> None:
    out = invoke("analyze", str(NAMES), "--format", "markdown")[1]
    # Every row of a table has exactly as many unescaped pipes as the table's header.
    pipes = None
    for line in out.splitlines():
        if not line.startswith("|"):
            pipes = None
            continue
        count = len(re.findall(r"(?<!\\)\|", line))
        pipes = pipes or count
        assert count == pipes, line
    assert "<script>" not in out and "\\<script\\>" not in out.replace("\\</script\\>", "")
    assert "| x \\| forged \\| row \\|\\\\n\\| a | Evil\\\\x1b\\[2JType |" in out


def test_csv_defuses_formulas_and_keeps_the_text() -> None:
    out = invoke("analyze", str(NAMES), "--format", "csv")[1]
    rows = list(csv.DictReader(io.StringIO(out)))
    names = [r["name"] for r in rows]
    assert "'" + CONV in names
    assert "relu\\n::error file=src/app.py,line=1::pwned" in names
    pool = next(r for r in rows if r["type"] == "Pooling")
    assert pool["tops"] == "'@SUM(A1)"
    assert all(not cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r.values())


def test_json_stays_exact() -> None:
    out = invoke("analyze", str(NAMES), "--format", "json")[1]
    layers = json.loads(out)["layers"]
    assert [x["name"] for x in layers][1:3] == [CONV, "relu\n::error file=src/app.py,line=1::pwned"]
    assert layers[4]["name"] == "bidi\u202eexe.txt"


def test_lint_text_lines_all_start_with_the_path() -> None:
    code, out, _ = invoke("lint", "--extend-select", "G,D", str(NAMES))
    assert code == 0
    assert_inert(out)
    lines = out.splitlines()
    assert len(lines) >= 4
    for line in lines[:-1]:
        assert re.match(rf"{re.escape(str(NAMES))}:\d+:\d+: [A-Z]+\d+ ", line), line
    assert lines[-1].startswith("Found ")
    assert not any(line.startswith("::") for line in lines)


def test_lint_text_path_that_looks_like_a_workflow_command(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    hostile = tmp_path / "::error file=a.py::x\x1b[2J.prototxt"
    hostile.write_text(NAMES.read_text())
    monkeypatch.chdir(tmp_path)
    out = invoke("lint", hostile.name)[1]
    assert_inert(out)
    assert out.startswith("./::error file=a.py::x\\x1b[2J.prototxt:")


def test_lint_github_format_has_one_command_per_line() -> None:
    out = invoke("lint", "--format", "github", "--extend-select", "G,D", str(NAMES))[1]
    assert_inert(out)
    for line in out.splitlines():
        assert re.match(r"::(error|warning|notice) file=[^:,]+,line=\d+,col=\d+,title=\w+::",
                        line), line


def test_lint_sarif_stays_exact() -> None:
    out = invoke("lint", "--format", "sarif", "--extend-select", "G,D", str(NAMES))[1]
    texts = [r["message"]["text"] for r in json.loads(out)["runs"][0]["results"]]
    assert any("relu\n::error" in t for t in texts)


def test_one_line_errors_with_hostile_names(tmp_path: Path) -> None:
    net = tmp_path / "bad.prototxt"
    net.write_text('layer { name: "a\\n\\x1b[31mb" type: "ReLU" bottom: "nowhere\\rX" '
                   'top: "t" }\n')
    code, out, err = invoke("analyze", str(net))
    assert code == 2 and out == ""
    assert_inert(err)
    assert len(err.splitlines()) == 1 and "a\\n\\x1b[31mb" in err
    syntax = tmp_path / "syn.prototxt"
    syntax.write_text('name: "x"\nlayer { name: "q" type: "ReLU\\x1b]0;t\\x07" } bogus\x1b: 1\n')
    code, out, err = invoke("lint", str(syntax))
    assert_inert(out + err)
    assert code in (1, 2) and re.match(rf"{re.escape(str(syntax))}:2:\d+: P\d+ ", out + err)


def test_separate_summary_is_inert() -> None:
    code, _, err = invoke("separate", str(NAMES))
    assert code == 0, err
    assert_inert(err)
    assert "=cmd|' /C calc'!A0" in err
