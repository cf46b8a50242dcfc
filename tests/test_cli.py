"""The installed command as users meet it: --version, --help, python -m, stdin, NetState flags."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import invoke

from prototxt_tool import __version__
from prototxt_tool.cli import COMMANDS, main

NET = """name: "tiny"
layer { name: "data" type: "Input" top: "data"
  input_param { shape { dim: 2 dim: 3 dim: 8 dim: 8 } } }
layer { name: "conv" type: "Convolution" bottom: "data" top: "conv"
  convolution_param { num_output: 4 kernel_size: 3 pad: 1 } }
layer { name: "train_only" type: "ReLU" bottom: "conv" top: "conv"
  include { phase: TRAIN } }
layer { name: "deep" type: "Pooling" bottom: "conv" top: "pool"
  pooling_param { pool: MAX kernel_size: 2 stride: 2 } include { min_level: 2 } }
layer { name: "staged" type: "Sigmoid" bottom: "conv" top: "sig" include { stage: "extra" } }
"""




def layer_names(out: str) -> list[str]:
    return [x["name"] for x in json.loads(out)["layers"]]


def test_version_without_importing_click(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--version"])
    out = capsys.readouterr().out
    assert out.startswith(f"dwsep {__version__} (protobuf ")
    assert " backend; Python " in out and out.count("\n") == 1


def test_python_dash_m_and_help() -> None:
    for args in (["--version"], ["--help"], ["analyze", "--help"]):
        done = subprocess.run([sys.executable, "-m", "prototxt_tool", *args],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert max(map(len, done.stdout.splitlines())) <= 100
    assert "analyze" in done.stdout and "--input-shape" in done.stdout


def test_top_level_help_lists_every_command() -> None:
    code, out, _ = invoke("--help")
    assert code == 0
    for name in COMMANDS:
        assert name in out


def test_stdin_and_phase_filtering() -> None:
    code, out, _ = invoke("analyze", "-", "--format", "json", stdin=NET)
    assert code == 0
    assert layer_names(out) == ["data", "conv"]
    code, out, _ = invoke("analyze", "-", "--format", "json", "--phase", "train", stdin=NET)
    assert layer_names(out) == ["data", "conv", "train_only"]
    code, out, _ = invoke("analyze", "-", "--format", "json", "--level", "2", "--stage",
                          "extra", stdin=NET)
    assert layer_names(out) == ["data", "conv", "deep", "staged"]
    assert json.loads(out)["layers"][2]["tops"][0]["shape"] == [2, 4, 4, 4]


def test_batch_and_input_shape_overrides() -> None:
    code, out, _ = invoke("analyze", "-", "--format", "json", "--batch", "5", stdin=NET)
    got = json.loads(out)
    assert got["inputs"] == [{"name": "data", "shape": [5, 3, 8, 8]}]
    assert got["layers"][1]["macs"] == 5 * 4 * 8 * 8 * 3 * 9
    code, out, _ = invoke("analyze", "-", "--format", "json", "--input-shape",
                          "data=_,3,16,16", stdin=NET)
    assert code == 0
    assert json.loads(out)["layers"][1]["tops"][0]["shape"] == [2, 4, 16, 16]


@pytest.mark.parametrize("fmt, probe", [("csv", "name,type,kind"), ("markdown", "| layer |"),
                                        ("table", "Total MACs")])
def test_formats(fmt: str, probe: str) -> None:
    code, out, _ = invoke("analyze", "-", "--format", fmt, stdin=NET)
    assert code == 0 and probe in out


def test_flops_in_every_format() -> None:
    _, out, _ = invoke("analyze", "-", "--format", "csv", "--flops", stdin=NET)
    header, conv = out.splitlines()[0], out.splitlines()[2]
    assert header.endswith(",flops")
    assert conv.endswith(str(2 * 2 * 4 * 8 * 8 * 3 * 9))


def test_output_file(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    code, out, _ = invoke("analyze", "-", "--format", "csv", "-o", str(target), stdin=NET)
    assert code == 0 and out == ""
    assert target.read_text().startswith("name,type")


def test_output_to_a_device_keeps_the_device() -> None:
    # Atomic rename over /dev/null would replace the device node with a regular file.
    code, _, _ = invoke("analyze", "-", "--format", "json", "-o", os.devnull, stdin=NET)
    assert code == 0
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)
