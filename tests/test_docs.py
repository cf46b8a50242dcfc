"""Every command shown in README.md and docs/*.md runs, and prints what the page says.

A page's examples are sessions in fenced blocks: lines starting with `$ ` are commands (a
trailing backslash continues one), the lines after a command are what it prints (stdout and
stderr together, as a terminal shows them); a line `...` stands for any number of lines. A
command shown without output must exit 0 or 1 (lint's "findings") without a traceback.

The commands of one page run in order in one scratch directory that holds the public corpus
nets by file name (`mobilenet_deploy.prototxt`), by their corpus folder (`bvlc/...`) and all
together in `models/`, so the pages can use the names a user would. Blocks that show
commands only as illustration (placeholders like `net.prototxt`) carry the marker
`<!-- illustrative -->` on the line before the fence; a block that looks like commands but is
neither a session nor marked fails the test, so no example escapes checking by accident.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import CORPUS, REPO

PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
MARKER = "<!-- illustrative -->"
# Fences whose content is data or code, not a shell session.
DATA_FENCES = {"json", "yaml", "toml", "python", "py", "text", "csv", "markdown", "md", "xml",
               "html", "svg", "dot", "proto", "protobuf", "prototxt", "ini", "diff"}


@dataclass
class Command:
    line: int
    text: str
    output: list[str] = field(default_factory=list)


@dataclass
class Block:
    page: Path
    line: int
    info: str
    lines: list[str]
    illustrative: bool

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(REPO)}:{self.line}"


def blocks(page: Path) -> list[Block]:
    found, current, previous = [], None, ""
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("```"):
            if current is None:
                current = Block(page, number, line[3:].strip().lower(), [],
                                previous.strip() == MARKER)
            else:
                found.append(current)
                current = None
            continue
        if current is not None:
            current.lines.append(line)
        elif line.strip():
            previous = line
    return found


def is_session(block: Block) -> bool:
    first = next((x for x in block.lines if x.strip()), "")
    return block.info in ("console", "shell-session") or (
        block.info not in DATA_FENCES and first.startswith("$ "))


def looks_like_commands(block: Block) -> bool:
    return block.info not in DATA_FENCES and any(
        re.match(r"\s*(\$ |dwsep |\.venv/bin/|python3? )", x) for x in block.lines)


def commands(block: Block) -> list[Command]:
    out: list[Command] = []
    lines = iter(enumerate(block.lines, block.line + 1))
    for number, line in lines:
        if line.startswith("$ "):
            text = line[2:]
            while text.endswith("\\"):  # bash joins backslash-newline itself
                text += "\n" + next(lines)[1]
            out.append(Command(number, text))
        elif out:
            out[-1].output.append(line)
    return out


def _pattern(expected: list[str]) -> re.Pattern[str]:
    while expected and not expected[-1].strip():
        expected = expected[:-1]
    parts = [r"(?:[^\n]*\n)*?" if x.strip() == "..." else re.escape(x.rstrip()) + r"\n"
             for x in expected]
    return re.compile("".join(parts))


def _scratch(tmp: Path) -> Path:
    models = tmp / "models"
    models.mkdir()
    for net in sorted(CORPUS.rglob("*.prototxt")):
        (tmp / net.name).symlink_to(net)
        (models / net.name).symlink_to(net)
    for folder in sorted(p for p in CORPUS.iterdir() if p.is_dir()):
        (tmp / folder.name).symlink_to(folder, target_is_directory=True)
    return tmp


def _run(command: Command, cwd: Path) -> tuple[int, str]:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "100",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(["bash", "-o", "pipefail", "-c", command.text + " 2>&1"], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=300)
    out = "\n".join(x.rstrip() for x in (done.stdout + done.stderr).splitlines())
    return done.returncode, out + "\n" if out else ""


SESSIONS = [p for p in PAGES if any(is_session(b) for b in blocks(p))]


@pytest.mark.parametrize("page", SESSIONS, ids=lambda p: str(p.relative_to(REPO)))
def test_every_shown_command_prints_what_the_page_says(page: Path, tmp_path: Path) -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"the pages' examples use the corpus nets; corpus not found at {CORPUS}")
    cwd = _scratch(tmp_path)
    for block in (b for b in blocks(page) if is_session(b) and not b.illustrative):
        for command in commands(block):
            status, out = _run(command, cwd)
            where = f"{page.relative_to(REPO)}:{command.line}: `{command.text}`"
            assert "Traceback (most recent call last)" not in out, f"{where} crashed:\n{out}"
            expected = [x for x in command.output]
            if not any(x.strip() for x in expected):
                assert status in (0, 1), f"{where} exited {status}:\n{out}"
                continue
            assert _pattern(expected).fullmatch(out), (
                f"{where} printed something else than the page shows. Paste the real output "
                f"('...' elides lines) or mark the block {MARKER}.\n--- page:\n"
                + "\n".join(expected) + f"\n--- real:\n{out}")


def test_no_command_block_escapes_checking() -> None:
    unchecked = [b.where for p in PAGES for b in blocks(p)
                 if looks_like_commands(b) and not is_session(b) and not b.illustrative
                 and b.info not in ("sh", "bash")]
    assert not unchecked, (f"blocks that show commands but are neither `$ ` sessions nor marked "
                           f"{MARKER}: {unchecked}")


def test_install_block_is_what_ci_runs() -> None:
    """README's two setup commands are the two lines .ci/run starts with."""
    sh = next(b for b in blocks(REPO / "README.md") if b.info == "sh")
    shown = [x.split("#")[0].strip() for x in sh.lines if x.strip()]
    ci = (REPO / ".ci" / "run").read_text()
    for command in shown:
        assert command.replace(" -e '", " -q -e '") in ci or command in ci, command
