"""Legacy nets as Caffe's UpgradeNetAsNeeded takes them (BVLC src/caffe/util/upgrade_proto.cpp).

UpgradeNetInput gives input i input_shape(i), else input_dim(4i..4i+3), with no bounds check:
extra values are ignored (dwsep goes on and warns), too few would be read past the end
(dwsep refuses, at the place in the file). Mixed `layer` + `layers`: UpgradeV0Net drops the
`layer` entries, UpgradeV1Net aborts; every refusal names the file and line:col.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from prototxt_tool.cli import COMMANDS
from prototxt_tool.commands import build_cli

RELU = 'layer { name: "r" type: "ReLU" bottom: "data" top: "r" }\n'
# A V0 net: legacy input fields and one `layers` entry with a nested V0 `layer` (lines 1-6).
V0_HEAD = ('input: "x"\ninput_dim: 1\ninput_dim: 1\ninput_dim: 1\ninput_dim: 1\n'
           'layers { layer { name: "a" type: "relu" } bottom: "x" top: "y" }\n')


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(build_cli(COMMANDS), list(args))
    return result.exit_code, result.stdout, result.stderr


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "legacy.prototxt"
    path.write_text(text)
    return str(path)


def test_five_input_dims_for_one_input(tmp_path: Path) -> None:
    net = write(tmp_path, 'input: "data"\n' + "".join(f"input_dim: {d}\n" for d in (1, 3, 8, 8, 9))
                + RELU)
    code, out, err = invoke("analyze", net, "--format", "json")
    assert code == 0
    assert json.loads(out)["inputs"] == [{"name": "data", "shape": [1, 3, 8, 8]}]
    assert err == (f"dwsep: warning: {net}:6:1: 5 input_dim values for 1 input(s): Caffe takes "
                   "4 per input and ignores the rest (9)\n")
    code, out, err = invoke("upgrade", "-q", net)
    assert code == 0 and "dim: 9" not in out and "dim: 8" in out
    assert err.startswith(f"dwsep: warning: {net}:6:1: 5 input_dim values")


def test_two_input_shapes_for_one_input(tmp_path: Path) -> None:
    net = write(tmp_path, 'input: "data"\ninput_shape { dim: 1 dim: 3 dim: 4 dim: 4 }\n'
                'input_shape { dim: 2 }\n' + RELU)
    code, out, err = invoke("analyze", net, "--format", "json")
    assert code == 0
    assert json.loads(out)["inputs"] == [{"name": "data", "shape": [1, 3, 4, 4]}]
    assert err == (f"dwsep: warning: {net}:3:1: 2 input_shape entries for 1 input(s): Caffe "
                   "uses the first 1 and ignores the rest\n")


@pytest.mark.parametrize(("text", "where", "message"), [
    ('input: "data"\ninput_dim: 1\ninput_dim: 3\n', "2:1",
     "1 input(s) need 4 input_dim values (N, C, H, W each), found 2"),
    ('input: "a"\ninput: "data"\ninput_shape { dim: 1 }\n', "2:1",
     "2 input(s) but 1 input_shape entries: Caffe needs one input_shape per input"),
])
def test_too_few_input_values_are_refused_with_a_position(tmp_path: Path, text: str, where: str,
                                                          message: str) -> None:
    net = write(tmp_path, text + RELU)
    for command in ("analyze", "upgrade"):
        code, out, err = invoke(command, net)
        assert (code, out, err) == (2, "", f"{net}:{where}: {message}\n")
    code, out, _ = invoke("lint", net)
    assert code == 1
    assert out.startswith(f"{net}:{where}: P008 [error] cannot upgrade the legacy net: ")


def test_v1_layers_mixed_with_layer(tmp_path: Path) -> None:
    net = write(tmp_path, 'layers { name: "a" type: RELU bottom: "x" top: "y" }\n'
                'layer { name: "r" type: "ReLU" bottom: "y" top: "r" }\n')
    code, _, err = invoke("analyze", net)
    assert code == 2
    assert err == (f"{net}:2:1: the net mixes 1 'layer' (current format) and 1 'layers' (legacy "
                   "V1) entries; Caffe refuses to upgrade such a net (\"inconsistent "
                   "NetParameter\"): write all layers in one format\n")


def test_v0_layers_mixed_with_layer(tmp_path: Path) -> None:
    net = write(tmp_path, V0_HEAD +
                'layer { name: "r" type: "ReLU" bottom: "y" top: "r" }\n')
    code, _, err = invoke("upgrade", net)
    assert code == 2
    assert err.startswith(f"{net}:7:1: the net mixes 1 'layer' (current format) and 1 'layers' "
                          "(legacy V0) entries; Caffe's V0 upgrade would silently drop the "
                          "'layer' ones")


def test_v0_upgrade_error_names_the_layer_and_its_place(tmp_path: Path) -> None:
    net = write(tmp_path, V0_HEAD +
                'layers { layer { name: "b" type: "no_such" } bottom: "y" top: "z" }\n')
    code, _, err = invoke("analyze", net)
    assert code == 2
    assert err.startswith(f"{net}:7:1: layer 'b': unknown V0 layer type 'no_such'")


def test_include_and_exclude_error_has_a_position(tmp_path: Path) -> None:
    net = write(tmp_path, 'layer { name: "d" type: "Input" top: "x" input_param { shape { dim: 1 '
                '} }\n  include { phase: TEST }\n  exclude { phase: TRAIN } }\n')
    code, _, err = invoke("analyze", net)
    assert code == 2 and err.startswith(f"{net}:3:3: layer 'd' (Input): has both include and "
                                        "exclude rules")
