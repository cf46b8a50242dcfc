"""`dwsep diff A B`: matching by name and by position, deltas, every format, exit codes."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from click.testing import CliRunner

from prototxt_tool.cli import COMMANDS
from prototxt_tool.commands import build_cli

HEAD = ('name: "n"\nlayer { name: "data" type: "Input" top: "data"\n'
        '  input_param { shape { dim: 1 dim: 8 dim: 16 dim: 16 } } }\n')


def conv(name: str, bottom: str, n: int, k: int = 3) -> str:
    return (f'layer {{ name: "{name}" type: "Convolution" bottom: "{bottom}" top: "{name}"\n'
            f'  convolution_param {{ num_output: {n} kernel_size: {k} pad: {k // 2} }} }}\n')


def relu(name: str, blob: str) -> str:
    return f'layer {{ name: "{name}" type: "ReLU" bottom: "{blob}" top: "{blob}" }}\n'


A = HEAD + conv("c1", "data", 8) + relu("r1", "c1") + conv("c2", "c1", 16) + conv("c3", "c2", 4)
# c1 the same, r1 renamed to act1, c2 wider, c3 removed, p4 added (another type: no rename)
B = (HEAD + conv("c1", "data", 8) + relu("act1", "c1") + conv("c2", "c1", 32)
     + 'layer { name: "p4" type: "Pooling" bottom: "c2" top: "p4"\n'
       '  pooling_param { pool: MAX kernel_size: 2 stride: 2 } }\n')


def run(tmp_path: Path, a: str, b: str, *args: str) -> tuple[int, str, str]:
    pa, pb = tmp_path / "a.prototxt", tmp_path / "b.prototxt"
    pa.write_text(a)
    pb.write_text(b)
    result = CliRunner().invoke(build_cli(COMMANDS), ["diff", str(pa), str(pb), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    return result.exit_code, result.stdout, result.stderr


def analyze(tmp_path: Path, text: str) -> dict:
    path = tmp_path / "x.prototxt"
    path.write_text(text)
    result = CliRunner().invoke(build_cli(COMMANDS), ["analyze", str(path), "--format", "json"])
    return json.loads(result.stdout)


def test_json_matches_and_deltas(tmp_path: Path) -> None:
    code, out, _ = run(tmp_path, A, B, "--format", "json")
    assert code == 1
    got = json.loads(out)
    status = {(x["a"], x["b"]): (x["status"], x["fields"]) for x in got["layers"]}
    assert status == {("r1", "act1"): ("renamed", []),
                      ("c2", "c2"): ("changed", ["output", "params", "macs", "ops"]),
                      ("c3", None): ("removed", []), (None, "p4"): ("added", [])}
    assert got["counts"] == {"added": 1, "removed": 1, "changed": 1, "renamed": 1, "same": 2}
    ta, tb = analyze(tmp_path, A)["total"], analyze(tmp_path, B)["total"]
    macs = got["totals"]["macs"]
    assert (macs["a"], macs["b"], macs["delta"]) == (ta["macs"], tb["macs"],
                                                     tb["macs"] - ta["macs"])
    assert macs["percent"] == round(100 * (tb["macs"] - ta["macs"]) / ta["macs"], 4)
    c2 = next(x for x in got["layers"] if x["b"] == "c2")
    assert c2["params_delta"] == (32 * 8 * 9 + 32) - (16 * 8 * 9 + 16)
    c3 = next(x for x in got["layers"] if x["a"] == "c3")
    assert c3["macs_b"] is None and c3["macs_delta"] == -c3["macs_a"]


def test_table_csv_markdown(tmp_path: Path) -> None:
    _, table, _ = run(tmp_path, A, B)
    assert "1 added, 1 removed, 1 changed, 1 renamed, 2 the same" in table
    assert "r1 -> act1" in table and max(map(len, table.splitlines())) <= 100
    row = next(line for line in table.splitlines() if line.startswith("c2 "))
    assert "changed" in row and "+" in row
    _, out, _ = run(tmp_path, A, B, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["status"] for r in rows[:4]] == ["renamed", "changed", "removed", "added"]
    assert rows[-6]["status"] == "total" and rows[-6]["name"] == "macs"
    _, md, _ = run(tmp_path, A, B, "--format", "markdown")
    assert "| layer | change |" in md and "| total | A | B | delta | % |" in md


def test_same_nets_exit_0(tmp_path: Path) -> None:
    code, out, _ = run(tmp_path, A, A)
    assert code == 0 and "0 added, 0 removed, 0 changed, 0 renamed, 5 the same" in out


def test_rewiring_is_a_change(tmp_path: Path) -> None:
    b = HEAD + conv("c1", "data", 8) + relu("r1", "c1") + conv("c2", "data", 16)
    a = HEAD + conv("c1", "data", 8) + relu("r1", "c1") + conv("c2", "c1", 16)
    code, out, _ = run(tmp_path, a, b, "--format", "json")
    assert code == 1
    assert [x["fields"] for x in json.loads(out)["layers"]] == [["bottoms"]]


def test_bad_input_is_one_line(tmp_path: Path) -> None:
    code, out, err = run(tmp_path, A, "layer {", "--format", "json")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    result = CliRunner().invoke(build_cli(COMMANDS), ["diff", "-", "-"])
    assert result.exit_code == 2
