"""`-o` onto the input is refused; `-o` through a symlink replaces the target and keeps the link."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FIXTURES

from prototxt_tool.cli import COMMANDS
from prototxt_tool.commands import build_cli

V1 = FIXTURES / "separate" / "small_v1.prototxt"


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(build_cli(COMMANDS), list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def net(tmp_path: Path) -> Path:
    path = tmp_path / "t.prototxt"
    shutil.copy(V1, path)
    return path


def _aliases(net: Path) -> list[Path]:
    """The input under other names: itself, a relative spelling, a symlink, a hard link."""
    link = net.with_name("link.prototxt")
    link.symlink_to(net.name)
    hard = net.with_name("hard.prototxt")
    os.link(net, hard)
    return [net, net.parent / "." / net.name, link, hard]


@pytest.mark.parametrize("command", [["analyze"], ["separate", "-q"]])
def test_output_onto_the_input_is_refused(net: Path, command: list[str]) -> None:
    before = net.read_text()
    for alias in _aliases(net):
        code, out, err = invoke(*command, str(net), "-o", str(alias))
        assert code == 2 and out == ""
        assert err == (f"dwsep: error: {alias}: is the input file; refusing to overwrite it "
                       "(write the output elsewhere)\n")
        assert net.read_text() == before
    assert sorted(p.name for p in net.parent.iterdir()) == ["hard.prototxt", "link.prototxt",
                                                             "t.prototxt"]


def test_separate_report_onto_the_net_output_is_refused(net: Path, tmp_path: Path) -> None:
    out = tmp_path / "dw.prototxt"
    code, _, err = invoke("separate", str(net), "-o", str(out), "--report", str(out))
    assert (code, err) == (2, f"dwsep: error: {out}: --report and -o name the same file\n")
    assert not out.exists()
    code, _, err = invoke("separate", str(net), "-o", str(out), "--report", str(net))
    assert code == 2 and "is the input file" in err


def test_upgrade_in_place_is_allowed(net: Path) -> None:
    code, _, err = invoke("upgrade", "-q", str(net), "-o", str(net))
    assert code == 0, err
    assert "layer {" in net.read_text() and "layers {" not in net.read_text()


def test_output_through_a_symlink_keeps_the_link(net: Path, tmp_path: Path) -> None:
    target = tmp_path / "reports" / "r.txt"
    target.parent.mkdir()
    target.write_text("old\n")
    target.chmod(0o640)
    link = tmp_path / "r.txt"
    link.symlink_to(target)
    code, _, err = invoke("analyze", str(net), "-o", str(link))
    assert code == 0, err
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert "MACs" in target.read_text()
    assert target.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in target.parent.iterdir()) == ["r.txt"]  # no temp file left


def test_output_through_a_dangling_symlink_creates_the_target(net: Path, tmp_path: Path) -> None:
    link = tmp_path / "new.txt"
    link.symlink_to("made.txt")
    assert invoke("analyze", str(net), "-o", str(link))[0] == 0
    assert link.is_symlink() and "MACs" in (tmp_path / "made.txt").read_text()
