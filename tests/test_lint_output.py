"""lint's output flags: --show-source, colour, --statistics, --exit-zero, -o, -q,
--stdin-filename, -j (byte-identical to -j 1), streaming and progress."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_lint_cli import MIXED  # one error (G002) and one warning (D007)

from prototxt_tool.cli import COMMANDS
from prototxt_tool.commands import build_cli

FIXTURES = Path(__file__).parent / "fixtures" / "lint"


def run(*args: str, stdin: str | None = None, env: dict[str, str] | None = None
        ) -> tuple[int, str, str]:
    result = CliRunner(env=env).invoke(build_cli(COMMANDS), list(args), input=stdin)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def mixed(tmp_path: Path) -> str:
    path = tmp_path / "m.prototxt"
    path.write_text(MIXED)
    return str(path)


def test_line_format_has_severity(mixed: str) -> None:
    _, out, _ = run("lint", mixed)
    assert out.splitlines()[1] == (f"{mixed}:5:53: G002 [error] layer 'acc': bottom 'label' is "
                                   "not produced by any layer in phase TEST")


def test_show_source_puts_a_caret_under_the_span(mixed: str) -> None:
    _, out, _ = run("lint", "--show-source", "--select", "G002", mixed)
    lines = out.splitlines()
    source = 'layer { name: "acc" type: "Accuracy" bottom: "data" bottom: "label" top: "acc" }'
    assert lines[1:4] == ["  |", f"5 | {source}", "  | " + " " * 52 + "^" * len('bottom: "label"')]


def test_show_source_escapes_control_characters(tmp_path: Path) -> None:
    path = tmp_path / "c.prototxt"
    path.write_text('layer { name: "a\\x1b" type: "Relu" }\n'.replace("\\x1b", "\x1b"))
    _, out, _ = run("lint", "--show-source", "--select", "G009", str(path))
    assert "\x1b" not in out and "\\x1b" in out


def test_no_colour_off_a_terminal_and_with_no_color(mixed: str) -> None:
    assert "\x1b[" not in run("lint", mixed)[1]
    # On a real terminal: colour, unless NO_COLOR is set.
    for env, coloured in (({}, True), ({"NO_COLOR": "1"}, False)):
        out = _on_tty(["lint", "-j", "1", mixed], env)
        assert ("\x1b[" in out) is coloured, out


def _on_tty(args: list[str], env: dict[str, str]) -> str:
    leader, follower = pty.openpty()
    full = {k: v for k, v in os.environ.items() if k != "NO_COLOR"} | env
    proc = subprocess.Popen([sys.executable, "-m", "prototxt_tool", *args], stdout=follower,
                            stderr=subprocess.DEVNULL, env=full)
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait()
    os.close(leader)
    return b"".join(chunks).decode()


def test_statistics(tmp_path: Path, mixed: str) -> None:
    other = tmp_path / "n.prototxt"
    other.write_text(MIXED)
    code, out, _ = run("lint", "--statistics", mixed, str(other))
    assert code == 1
    assert out.splitlines() == [
        "2  D007  [warning]  batchnorm-without-scale",
        "2  G002  [error]    undefined-bottom",
        "Found 4 problem(s) in 2 files (2 errors, 2 warnings).",
    ]
    assert run("lint", "--statistics", "-q", mixed)[1].splitlines()[0].startswith("1  D007")


def test_exit_zero_and_quiet(mixed: str) -> None:
    code, out, _ = run("lint", "--exit-zero", "-q", mixed)
    assert code == 0
    assert len(out.splitlines()) == 2 and "Found" not in out
    assert run("lint", "--exit-zero", "/no/such/file.prototxt")[0] == 2


def test_output_file(tmp_path: Path, mixed: str) -> None:
    target = tmp_path / "report.txt"
    code, out, _ = run("lint", "-o", str(target), mixed)
    assert code == 1 and out == ""
    assert target.read_text() == run("lint", mixed)[1]
    code, _, _ = run("lint", "--format", "json", "--output-file", str(target), mixed)
    assert target.read_text().startswith("[")


def test_stdin_filename(tmp_path: Path) -> None:
    (tmp_path / ".dwsep.toml").write_text('[lint]\nignore = ["G002"]\n')
    name = str(tmp_path / "net.prototxt")
    _, out, _ = run("lint", "-", "--stdin-filename", name, stdin=MIXED)
    assert out.startswith(f"{name}:3:9: D007 [warning]")
    assert "G002" not in out  # the configuration next to NAME applies


def test_jobs_output_is_byte_identical(tmp_path: Path) -> None:
    args = [str(FIXTURES), "--show-source"]
    one = subprocess.run([sys.executable, "-m", "prototxt_tool", "lint", "-j", "1", *args],
                         capture_output=True)
    two = subprocess.run([sys.executable, "-m", "prototxt_tool", "lint", "-j", "2", *args],
                         capture_output=True)
    assert one.returncode == two.returncode == 1
    assert one.stdout == two.stdout and one.stderr == two.stderr
    assert len(one.stdout.splitlines()) > 100


def test_streaming_prints_each_file_before_the_next_is_done(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from prototxt_tool.lint import runner

    for name in ("a.prototxt", "b.prototxt"):
        (tmp_path / name).write_text(MIXED)
    real = runner.run_job
    calls = []

    def second_one_breaks(job, *args):  # type: ignore[no-untyped-def]
        calls.append(job.path)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(job, *args)

    monkeypatch.setattr(runner, "run_job", second_one_breaks)
    result = CliRunner().invoke(build_cli(COMMANDS), ["lint", "-j", "1", str(tmp_path)])
    assert isinstance(result.exception, KeyboardInterrupt) or result.exit_code == 1
    # a.prototxt's findings were out before b.prototxt was even started.
    assert result.stdout.splitlines()[0].startswith(f"{tmp_path / 'a.prototxt'}:3:9: D007")
    assert "b.prototxt" not in result.stdout


def test_progress_on_a_terminal_only_and_erased(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from prototxt_tool.commands import lint as lint_cmd

    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.setattr(lint_cmd.Progress, "DELAY_S", 0.0)
    progress = lint_cmd.Progress(3, enabled=True)
    progress.step("a.prototxt")
    assert err.getvalue() == "\r\x1b[K[1/3] a.prototxt"
    progress.clear()
    assert err.getvalue().endswith("\r\x1b[K")
    quiet = lint_cmd.Progress(3, enabled=False)
    quiet.step("b.prototxt")
    assert "b.prototxt" not in err.getvalue()


def test_jobs_output_is_byte_identical_on_the_corpus(corpus: Path) -> None:
    runs = [subprocess.run([sys.executable, "-m", "prototxt_tool", "lint", "-j", jobs,
                            "--show-source", str(corpus)], capture_output=True)
            for jobs in ("1", "2")]
    assert runs[0].stdout == runs[1].stdout and runs[0].stderr == runs[1].stderr
    assert runs[0].returncode == runs[1].returncode
