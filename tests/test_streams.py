"""Standard-stream faults of the real console script: a full disk, a reader that left, a closed fd.

Each must end with at most one line on stderr and exit 2, never a traceback (an EPIPE from
`| head -1` ends quietly). These run `dwsep` as a subprocess: only there are the streams real.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES

DWSEP = shutil.which("dwsep", path=str(Path(sys.executable).parent)) or "dwsep"
NET = str(FIXTURES / "separate" / "small_v1.prototxt")  # no warnings of its own on stderr

# Every command, and the outputs click writes by itself (help, version).
COMMANDS = [
    ["analyze", NET], ["analyze", NET, "--format", "csv"], ["lint", NET], ["upgrade", NET],
    ["separate", NET, "-q"], ["gen", "mobilenet"], ["rule", "G007"], ["--help"],
    ["analyze", "--help"], ["--version"], ["lint", "--list-rules"],
]


def shell(args: list[str], redirect: str) -> subprocess.CompletedProcess:
    return subprocess.run(["sh", "-c", f'"$0" "$@" {redirect}', DWSEP, *args],
                          capture_output=True, text=True, timeout=60)


def run_all(stdout: object = None, shell_suffix: str = "") -> list[tuple[list[str], int, str]]:
    """Run every command at once (they are independent; this keeps the wall time small)."""
    procs = []
    for args in COMMANDS:
        cmd = [DWSEP, *args]
        if shell_suffix:
            cmd = ["sh", "-c", f'"$0" "$@" {shell_suffix}', *cmd]
        procs.append((args, subprocess.Popen(cmd, stdout=stdout, stderr=subprocess.PIPE,
                                             text=True)))
    results = []
    for args, proc in procs:
        _, err = proc.communicate(timeout=120)
        results.append((args, proc.returncode, err))
    return results


def assert_one_line_error(results: list[tuple[list[str], int, str]], reason: str) -> None:
    for args, code, err in results:
        assert "Traceback" not in err, args
        *before, last = err.splitlines()  # notes (CSV's go to stderr) may come first
        assert last == f"dwsep: error: cannot write to stdout: {reason}", (args, err)
        assert all(x.startswith(("dwsep: note: ", "dwsep: warning: ")) for x in before), err
        assert code == 2, args


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full on this system")
def test_disk_full() -> None:
    with open("/dev/full", "w") as full:
        assert_one_line_error(run_all(full), "No space left on device")


def test_closed_stdout() -> None:
    assert_one_line_error(run_all(shell_suffix=">&-"), "it is closed")


def test_reader_that_left_ends_quietly() -> None:
    read, write = os.pipe()
    os.close(read)  # nobody reads: the first write fails with EPIPE, as after `| head` exits
    try:
        results = run_all(write)
    finally:
        os.close(write)
    for args, code, err in results:
        assert code == 2, args
        # Nothing about the pipe; notes and warnings written before it are no error.
        assert all(x.startswith(("dwsep: note: ", "dwsep: warning: "))
                   for x in err.splitlines()), (args, err)


def test_closed_stdout_with_output_file_is_fine(tmp_path: Path) -> None:
    out = tmp_path / "report.txt"
    done = shell(["analyze", str(FIXTURES / "hostile" / "names.prototxt"), "-o", str(out)], ">&-")
    assert done.returncode == 0 and "Traceback" not in done.stderr
    assert out.read_text().startswith("net\\x1b")


def test_closed_stderr_still_exits_2() -> None:
    done = shell(["analyze", "/nonexistent.prototxt"], "2>&-")
    assert done.returncode == 2


def test_closed_stdin() -> None:
    done = shell(["analyze", "-"], "<&-")
    assert done.returncode == 2
    assert done.stderr == "dwsep: error: <stdin>: standard input is closed\n"


def test_head_of_a_big_report(tmp_path: Path) -> None:
    net = tmp_path / "big.prototxt"
    net.write_text('input: "data" input_shape { dim: 1 dim: 3 dim: 8 dim: 8 }\n' + "".join(
        f'layer {{ name: "r{i}" type: "ReLU" bottom: "data" top: "data" }}\n'
        for i in range(3000)))
    for args in (["analyze", str(net)], ["upgrade", "-q", str(net)]):
        done = subprocess.run(["sh", "-c", '"$0" "$@" | head -1', DWSEP, *args],
                              capture_output=True, text=True, timeout=60)
        assert done.stderr == "" and done.stdout.count("\n") == 1
