"""`dwsep upgrade`: V2 text on stdout or atomically into -o, notes on stderr, errors as one line."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from google.protobuf import text_format

from prototxt_tool import caffe_pb2
from prototxt_tool.cli import COMMANDS
from prototxt_tool.commands import build_cli
from prototxt_tool.upgrade import detect_format

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "upgrade"
V0 = FIXTURES / "v0_padded.prototxt"


def run(*args: str, stdin: str | None = None):
    result = CliRunner().invoke(build_cli(COMMANDS), ["upgrade", *args], input=stdin)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def as_net(text: str):
    return text_format.Parse(text, caffe_pb2.NetParameter())


def test_prints_current_format_and_notes_on_stderr():
    result = run(str(V0))
    assert result.exit_code == 0
    net = as_net(result.stdout)
    assert detect_format(net) == "V2"
    assert [layer.name for layer in net.layer][:2] == ["input", "conv1"]
    assert list(net.layer[1].convolution_param.pad) == [2]
    assert "folded padding layer 'pad1'" in result.stderr
    assert "layers {" not in result.stdout


def test_quiet_suppresses_notes():
    result = run(str(V0), "-q")
    assert result.exit_code == 0 and result.stderr == ""


def test_reads_stdin():
    result = run("-", stdin=V0.read_text())
    assert result.exit_code == 0
    assert as_net(result.stdout) == as_net(run(str(V0)).stdout)


def test_output_file_is_written_whole_and_no_temp_file_is_left(tmp_path: Path):
    out = tmp_path / "new.prototxt"
    result = run(str(V0), "-o", str(out))
    assert result.exit_code == 0 and result.stdout == ""
    assert as_net(out.read_text()) == as_net(run(str(V0)).stdout)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.prototxt"]


def test_output_keeps_existing_file_mode(tmp_path: Path):
    out = tmp_path / "new.prototxt"
    out.write_text("old")
    os.chmod(out, 0o640)
    assert run(str(V0), "-o", str(out)).exit_code == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    assert "old" not in out.read_text()


def test_new_output_file_is_not_private(tmp_path: Path):
    out = tmp_path / "fresh.prototxt"
    assert run(str(V0), "-o", str(out)).exit_code == 0
    old = os.umask(0)
    os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~old


def test_already_current_file_is_echoed_unchanged_with_one_note():
    path = FIXTURES / "v2_plain.prototxt"
    result = run(str(path))
    assert result.exit_code == 0
    assert result.stdout == path.read_text()  # byte for byte: comments, `1` not `1.0`
    assert result.stderr == (f"dwsep: note: {path}: already in the current format; left "
                             "unchanged (--force rewrites it)\n")


def test_current_file_in_place_is_not_touched_and_force_rewrites(tmp_path: Path):
    net = tmp_path / "net.prototxt"
    text = '# keep me\nname: "n"\nlayer { name: "r" type: "ReLU" bottom: "x" top: "x" }\n'
    net.write_text(text)
    os.utime(net, (1_000_000, 1_000_000))
    assert run(str(net), "-o", str(net)).exit_code == 0
    assert net.read_text() == text and net.stat().st_mtime == 1_000_000
    result = run(str(net), "--force")
    assert result.exit_code == 0 and "# keep me" not in result.stdout
    assert as_net(result.stdout) == as_net(text)
    assert "comments and layout are not kept" in result.stderr


def test_rewrite_says_comments_are_dropped():
    result = run(str(V0))
    assert result.stderr.splitlines()[-1] == (
        f"dwsep: note: {V0}: rewritten in protobuf's text format: comments and layout are "
        "not kept")


def one_line_error(result) -> str:
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


@pytest.mark.parametrize(("make", "fragment"), [
    (lambda d: d / "missing.prototxt", "no such file"),
    (lambda d: d, "is a directory"),
    (lambda d: _write(d / "empty.prototxt", b""), "empty"),
    (lambda d: _write(d / "w.caffemodel", b"\x0a\x00\x12\x00binary"), "binary"),
])
def test_unreadable_input_is_one_line(tmp_path: Path, make, fragment):
    assert fragment in one_line_error(run(str(make(tmp_path))))


def test_net_error_is_one_line(tmp_path: Path):
    bad = _write(tmp_path / "bad.prototxt",
                 b'input: "x" input_dim: 1 input_dim: 3\nlayers { name: "r" type: RELU }\n')
    assert "input_dim" in one_line_error(run(str(bad)))


def test_output_into_missing_directory_is_one_line(tmp_path: Path):
    line = one_line_error(run(str(V0), "-o", str(tmp_path / "nope" / "out.prototxt")))
    assert "does not exist" in line


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
