"""Seeded mutation campaign over the project's own fixtures: analyze and lint, in process.

Each case mutates one fixture (a character span deleted, a line duplicated or moved, a
hostile token or a bad number put in, the file cut short) and runs `dwsep analyze` (every
format) and `dwsep lint` (text) through the real click commands. Whatever the text, the run
must end in exit 0/1/2 with no exception but DwsepError escaping, every stderr line one
`dwsep: ...` or `file:line:col: ...` line, and every lint text line `path:line:col: CODE`.

The budget is small by default; DWSEP_FUZZ_CASES=5000 (and DWSEP_FUZZ_SEED) run a campaign.
"""

from __future__ import annotations

import os
import random
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FIXTURES

from prototxt_tool.cli import COMMANDS
from prototxt_tool.commands import build_cli

CASES = int(os.environ.get("DWSEP_FUZZ_CASES", "60"))
SEED = int(os.environ.get("DWSEP_FUZZ_SEED", "14"))
SOURCES = sorted(p for p in FIXTURES.rglob("*.prototxt"))

TOKENS = [
    "{", "}", ":", '"', "#", "\n", "layer {", "layers {", 'bottom: "data"', 'top: "data"',
    'bottom: "nowhere"', "num_output: 0", "group: 3", "kernel_size: 0", "stride: 0", "pad: -1",
    "dim: 0", "dim: -5", "dim: 4294967296", "axis: -9", 'type: "Convolution"', 'type: "Clip"',
    "clip_param { min: 0 }", "input_dim: 1", 'input: "x"', "include { phase: TRAIN }",
    'name: "\\x1b]0;t\\x07\\n::error::x"', 'name: "=cmd|\' /C calc\'!A0"', '"\\x00"', "1e999",
    "-0", "0x7fffffffffffffff", "nan", "inf", "pool: AVE", "engine: CUDNN", "\ufeff", "\u202e",
]
NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?")


def mutate(text: str, rng: random.Random) -> str:
    lines = text.splitlines(keepends=True) or [text]
    op = rng.randrange(6)
    if op == 0 and text:  # delete a span
        at = rng.randrange(len(text))
        return text[:at] + text[at + rng.randint(1, 12):]
    if op == 1:  # duplicate a line
        i = rng.randrange(len(lines))
        return "".join(lines[:i + 1] + [lines[i]] + lines[i + 1:])
    if op == 2 and len(lines) > 1:  # move a line
        line = lines.pop(rng.randrange(len(lines)))
        lines.insert(rng.randrange(len(lines) + 1), line)
        return "".join(lines)
    if op == 3:  # a bad number where a number was
        numbers = list(NUMBER.finditer(text))
        if numbers:
            m = rng.choice(numbers)
            new = rng.choice(["0", "-1", "3", "65536", "2147483648", "1.5", "-7"])
            return text[:m.start()] + new + text[m.end():]
    if op == 4 and text:  # cut short
        return text[:rng.randrange(len(text))]
    at = rng.randrange(len(text) + 1)  # insert a token
    return text[:at] + " " + rng.choice(TOKENS) + " " + text[at:]


def _cases() -> list[tuple[int, Path]]:
    rng = random.Random(SEED)
    return [(rng.randrange(2**32), rng.choice(SOURCES)) for _ in range(CASES)]


LINT_LINE = re.compile(r"^(?P<path>[^\n]+?):\d+:\d+: [A-Z]\d{3} ")


def run(args: list[str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(build_cli(COMMANDS), args)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # a traceback: exactly what must never happen
    return result.exit_code, result.stdout, result.stderr


def check_stderr(err: str, code: int, path: Path) -> None:
    """One line per message: `dwsep: KIND: ...` or the net's own `file:line:col: ...`."""
    own = re.compile(rf"^(dwsep: (error|warning|note): |{re.escape(str(path))}(:\d+:\d+)?: )")
    lines = err.splitlines()
    assert all(own.match(line) for line in lines), err
    assert not any("\x1b" in line or "\r" in line for line in lines), err
    if code == 2:
        assert len([x for x in lines if not x.startswith("dwsep: warning: ")]) == 1, err


@pytest.mark.parametrize(("seed", "source"), _cases(),
                         ids=[f"{i}" for i in range(CASES)])
def test_mutated_fixture(seed: int, source: Path, tmp_path: Path) -> None:
    rng = random.Random(seed)
    text = source.read_text()
    for _ in range(rng.randint(1, 3)):
        text = mutate(text, rng)
    net = tmp_path / "m.prototxt"
    net.write_text(text)
    for fmt in ("table", "json", "csv", "markdown"):
        code, out, err = run(["analyze", str(net), "--format", fmt])
        assert code in (0, 2), (code, err)
        check_stderr(err, code, net)
        if code == 2:
            assert out == ""
            break
    code, out, err = run(["lint", str(net)])
    assert code in (0, 1, 2), (code, err)
    check_stderr(err, code, net)
    body = out.splitlines()[:-1]  # the last line is the summary
    for line in body:
        m = LINT_LINE.match(line)
        assert m and m["path"] == str(net), line
