"""Bad input to `dwsep analyze`: one clear line on stderr, exit 2, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from prototxt_tool.cli import COMMANDS
from prototxt_tool.commands import build_cli

HEAD = 'name: "t"\nlayer { name: "data" type: "Input" top: "data"\n' \
       '  input_param { shape { dim: 1 dim: 8 dim: 16 dim: 16 } } }\n'


def conv(name: str, bottom: str, n: int, k: int = 3, extra: str = "") -> str:
    return (f'layer {{ name: "{name}" type: "Convolution" bottom: "{bottom}" top: "{name}"\n'
            f'  convolution_param {{ num_output: {n} kernel_size: {k} {extra} }} }}\n')


def run_text(tmp_path: Path, text: str | bytes, *args: str) -> tuple[int, str, str]:
    path = tmp_path / "net.prototxt"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    result = CliRunner().invoke(build_cli(COMMANDS), ["analyze", str(path), *args])
    assert not isinstance(result.exception, Exception) or isinstance(result.exception,
                                                                     SystemExit), result.exc_info
    return result.exit_code, result.stdout, result.stderr


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize("text, words", [
    (HEAD + "layer { name: 'c' type: 'Convolution' convolution_param { num_output: 4 }\n", "}"),
    (HEAD + 'layer { name: "x" type: "ReLU" bogus_field: 1 }\n', "bogus_field"),
    (HEAD + 'layer { name: "p" type: "Pooling" pooling_param { pool: MEDIAN } }\n', "MEDIAN"),
    (HEAD + 'layer { name: "x" type: "ReLU" name: "y" }\n', "name"),
    (HEAD + 'layer { name: "c" type: "Convolution" convolution_param { num_output: "four" } }\n',
     "num_output"),
])
def test_syntax_errors_have_file_line_col(tmp_path: Path, text: str, words: str) -> None:
    """The position is protobuf's own: google.protobuf.text_format reports the same line:col."""
    from google.protobuf import text_format

    from prototxt_tool import caffe_pb2

    with pytest.raises(text_format.ParseError) as reference:
        text_format.Parse(text, caffe_pb2.NetParameter())
    position = f":{reference.value.GetLine()}:{reference.value.GetColumn()}: "
    code, out, err = run_text(tmp_path, text, "--strict")  # unknown fields are errors
    line = one_line(err)
    assert code == 2 and out == ""
    assert line.startswith(str(tmp_path / "net.prototxt") + position), line
    assert words in line


@pytest.mark.parametrize("body, words", [
    # a bottom nobody produced
    (conv("c1", "nothere", 4), ["c1", "nothere"]),
    # group does not divide the input channels (8 % 3)
    (conv("c1", "data", 6, extra="group: 3"), ["c1", "group"]),
    # kernel larger than the padded input: non-positive output dims
    (conv("c1", "data", 4, k=17), ["c1", "non-positive"]),
    # Concat of 16x16 and 14x14 maps
    (conv("a", "data", 4) + conv("b", "data", 4, k=1)
     + 'layer { name: "cat" type: "Concat" bottom: "a" bottom: "b" top: "cat" }\n',
     ["cat", "14", "16"]),
    # Eltwise of 4 and 6 channels
    (conv("a", "data", 4, k=1) + conv("b", "data", 6, k=1)
     + 'layer { name: "sum" type: "Eltwise" bottom: "a" bottom: "b" top: "sum" }\n',
     ["sum", "4", "6"]),
])
def test_shape_errors_name_the_layer(tmp_path: Path, body: str, words: list[str]) -> None:
    code, out, err = run_text(tmp_path, HEAD + body)
    line = one_line(err)
    assert code == 2 and out == ""
    for w in words:
        assert w in line, line
    assert "layer '" in line


def test_shape_error_points_at_the_layer(tmp_path: Path) -> None:
    code, _, err = run_text(tmp_path, HEAD + conv("c1", "nothere", 4))
    assert code == 2
    assert f"{tmp_path / 'net.prototxt'}:4:" in err


@pytest.mark.parametrize("make, words", [
    (lambda p: p / "missing.prototxt", "no such file"),
    (lambda p: p, "no .prototxt files in this directory"),  # a directory: many nets, if any
])
def test_unusable_paths(tmp_path: Path, make, words: str) -> None:
    result = CliRunner().invoke(build_cli(COMMANDS), ["analyze", str(make(tmp_path))])
    assert result.exit_code == 2
    assert words in one_line(result.stderr)


@pytest.mark.parametrize("data, words", [
    (b"", "empty"),
    (b"  \n\n", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    (bytes(range(256)) * 4, "binary"),
])
def test_unreadable_content(tmp_path: Path, data: bytes, words: str) -> None:
    code, out, err = run_text(tmp_path, data)
    assert code == 2 and out == ""
    assert words in one_line(err)


def test_non_utf8_bytes_as_caffe_reads_them(tmp_path: Path) -> None:
    """Caffe's tokenizer reads bytes: GBK in a comment or a string loads; elsewhere it is a
    syntax error at its position (lines stay right)."""
    net = HEAD.encode() + (b'# \xd6\xd0\xce\xc4\n'
                           b'layer { name: "r\xe9" type: "ReLU" bottom: "data" top: "r" }\n')
    code, out, err = run_text(tmp_path, net, "--format", "json")
    assert code == 0, err
    assert json.loads(out)["layers"][1]["name"] == "r\\xe9"  # kept distinct, visible
    code, out, err = run_text(tmp_path, HEAD.encode() + b"\n\n\xe9 layer { }\n", "--strict")
    assert code == 2 and out == ""
    assert one_line(err).startswith(str(tmp_path / "net.prototxt") + ":6:1: ")


def test_unknown_input_shape_name(tmp_path: Path) -> None:
    code, _, err = run_text(tmp_path, HEAD, "--input-shape", "image=1,3,8,8")
    assert code == 2
    assert "image" in one_line(err) and "data" in err


@pytest.mark.parametrize("flag", ["data", "data=", "data=1,x,3", "data=1,0,3", "=1,2"])
def test_bad_shape_flags(tmp_path: Path, flag: str) -> None:
    code, _, err = run_text(tmp_path, HEAD, "--input-shape", flag)
    assert code == 2
    assert "--input-shape" in one_line(err)


def test_unknown_layer_type_warns_and_marks_unknown(tmp_path: Path) -> None:
    text = HEAD + ('layer { name: "m" type: "MysteryOp" bottom: "data" top: "m" }\n'
                   + conv("c", "m", 4) + conv("d", "data", 4)
                   + 'layer { name: "ip" type: "InnerProduct" bottom: "m" top: "ip"\n'
                     '  inner_product_param { num_output: 10 } }\n')
    code, out, err = run_text(tmp_path, text, "--format", "json")
    assert code == 0
    assert "MysteryOp" in err and "'m'" in err
    import json

    got = json.loads(out)
    by_name = {x["name"]: x for x in got["layers"]}
    assert by_name["m"]["tops"][0]["shape"] is None and by_name["m"]["macs"] is None
    assert by_name["c"]["tops"][0]["shape"] is None and by_name["c"]["macs"] is None
    assert by_name["d"]["tops"][0]["shape"] == [1, 4, 14, 14]
    assert by_name["d"]["macs"] == 4 * 14 * 14 * 8 * 9
    # An InnerProduct on an unknown input has unknown weights: null, never 0.
    assert by_name["ip"]["params"] is None and by_name["ip"]["param_shapes"] is None
    assert by_name["d"]["params"] == 4 * 8 * 9 + 4
    assert got["total"]["complete"] is False
    assert set(got["total"]["unknown_layers"]) == {"m", "c", "ip"}
    assert got["total"]["params"] == by_name["d"]["params"]


def test_output_file_is_atomic(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    code, _, _ = run_text(tmp_path, HEAD + conv("c1", "nothere", 4), "-o", str(out))
    assert code == 2 and not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["net.prototxt"]
    code, _, _ = run_text(tmp_path, HEAD + conv("c1", "data", 4), "-o", str(out),
                          "--format", "json")
    assert code == 0 and out.read_text().startswith("{")


def test_collect_mode_treats_data_shapes_as_unknown_not_wrong() -> None:
    """lint runs the analyzer with errors="collect": a Data layer's shape, which only the
    user can give, is unknown there, while a real shape error is still recorded."""
    from prototxt_tool import analysis, pipeline

    text = ('layer { name: "d" type: "Data" top: "data" data_param { batch_size: 4 } }\n'
            + conv("c", "data", 4)
            + HEAD.split("\n", 1)[1] + conv("bad", "data", 6, extra="group: 4"))
    loaded = pipeline.load_net(pipeline.Source("t.prototxt", text))
    with pytest.raises(Exception, match="shape unknown"):
        analysis.analyze(loaded)
    got = {r.name: r for r in analysis.analyze(loaded, errors="collect").layers}
    assert got["d"].error is None and got["d"].tops[0].shape is None
    assert got["c"].error is None and got["c"].macs is None
    assert "group" in (got["bad"].error or "")
