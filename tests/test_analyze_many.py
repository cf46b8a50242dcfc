"""`dwsep analyze a b models/`: one row per net in every format, failures listed; budgets."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from prototxt_tool import budgets
from prototxt_tool.cli import COMMANDS
from prototxt_tool.commands import build_cli
from prototxt_tool.errors import UsageError

NET = ('name: "{name}"\nlayer {{ name: "data" type: "Input" top: "data"\n'
       '  input_param {{ shape {{ dim: 1 dim: 8 dim: 16 dim: 16 }} }} }}\n'
       'layer {{ name: "dw" type: "Convolution" bottom: "data" top: "dw"\n'
       '  convolution_param {{ num_output: 8 group: 8 kernel_size: 3 pad: 1 }} }}\n'
       'layer {{ name: "pw" type: "Convolution" bottom: "dw" top: "pw"\n'
       '  convolution_param {{ num_output: {n} kernel_size: 1 }} }}\n')


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(build_cli(COMMANDS), list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def models(tmp_path: Path) -> Path:
    d = tmp_path / "models"
    (d / "sub").mkdir(parents=True)
    (d / "small.prototxt").write_text(NET.format(name="small", n=16))
    (d / "sub" / "big.prototxt").write_text(NET.format(name="big", n=64))
    (d / "broken.prototxt").write_text('name: "x"\nlayer { name: "a" type: "ReLU" bottom: "nope" '
                                       'top: "a" }\n')
    return d


def single(path: Path) -> dict:
    code, out, _ = cli("analyze", str(path), "--format", "json")
    assert code == 0
    return json.loads(out)


def test_rows_match_single_analyses_and_failures_are_listed(models: Path) -> None:
    code, out, _ = cli("analyze", str(models), "--format", "json", "-j", "1")
    assert code == 2  # one file failed; the others are still reported
    got = json.loads(out)
    by_net = {r["net"]: r for r in got["nets"]}
    for name, path in (("small", models / "small.prototxt"),
                       ("big", models / "sub" / "big.prototxt")):
        one = single(path)["total"]
        row = by_net[name]
        for key in ("macs", "params", "learnable_params", "activations", "peak_activations"):
            assert row[key] == one[key], (name, key)
        assert row["memory_bytes"] == one["param_bytes"] + one["activation_bytes"]
        assert row["layers"] == 3
    # depthwise share: dw MACs / all MACs
    dw = 8 * 16 * 16 * 9
    assert by_net["small"]["depthwise_share"] == pytest.approx(100 * dw / (dw + 16 * 8 * 256),
                                                               abs=1e-3)
    assert [f["file"] for f in got["failures"]] == [str(models / "broken.prototxt")]
    assert "bottom 'nope'" in got["failures"][0]["error"]


def test_processes_give_the_same_rows(models: Path) -> None:
    one = cli("analyze", str(models), "--format", "json", "-j", "1")[1]
    two = cli("analyze", str(models), "--format", "json", "-j", "2")[1]
    assert json.loads(one) == json.loads(two)


def test_every_format(models: Path) -> None:
    files = [str(models / "small.prototxt"), str(models / "sub")]
    code, table, _ = cli("analyze", *files)
    assert code == 0
    assert table.splitlines()[0] == f"2 files in {models}/"
    assert any(line.startswith("small ") for line in table.splitlines())
    assert any(line.startswith("sub/big ") for line in table.splitlines())
    assert "2 net(s) analyzed" in table
    assert max(map(len, table.splitlines()[1:])) <= 100
    _, out, _ = cli("analyze", *files, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["net"] for r in rows] == ["small", "big"] and rows[0]["error"] == ""
    _, md, _ = cli("analyze", *files, "--format", "markdown")
    assert "| file | MACs |" in md and "---:|" in md
    _, top, _ = cli("analyze", *files, "--format", "json", "--top", "1")
    assert [r["net"] for r in json.loads(top)["nets"]] == ["big"]


def test_missing_path_is_a_failure_row(models: Path) -> None:
    code, out, _ = cli("analyze", str(models / "small.prototxt"), str(models / "none"),
                       "--format", "csv")
    assert code == 2
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows[0]["net"] == "small" and "no such file" in rows[1]["error"]


@pytest.mark.parametrize("text, value", [("600M", 600_000_000), ("1.5G", 1_500_000_000),
                                         ("25000", 25_000), ("5m", 5_000_000)])
def test_parse_count(text: str, value: int) -> None:
    assert budgets.parse_count(text) == value


@pytest.mark.parametrize("text, value", [("50MiB", 50 * 2**20), ("50MB", 50_000_000),
                                         ("1 GiB", 2**30), ("4096", 4096)])
def test_parse_bytes(text: str, value: int) -> None:
    assert budgets.parse_bytes(text) == value


def test_bad_budget_is_a_usage_error(models: Path) -> None:
    with pytest.raises(UsageError, match="--max-macs"):
        budgets.parse_count("lots", "--max-macs")
    code, _, err = cli("analyze", str(models / "small.prototxt"), "--max-memory", "5 parsecs")
    assert code == 2 and "--max-memory '5 parsecs'" in err


def test_budgets_exit_1_with_one_line_each(models: Path) -> None:
    path = str(models / "sub" / "big.prototxt")
    total = single(models / "sub" / "big.prototxt")["total"]
    code, _, err = cli("analyze", path, "--max-macs", str(total["macs"]))
    assert code == 0 and err == ""  # at the budget is within it
    code, out, err = cli("analyze", path, "--max-macs", "1K", "--max-params", "100",
                         "--max-memory", "1MiB", "--format", "json")
    assert code == 1
    assert json.loads(out)["total"]["macs"] == total["macs"]  # the report is still written
    lines = err.strip().splitlines()
    assert len(lines) == 2  # memory is within 1 MiB
    assert lines[0] == (f"dwsep: budget: {path}: MACs {total['macs']:,} > max-macs 1,000 "
                        f"(+{100 * (total['macs'] - 1000) / 1000:.1f}%)")
    assert "learnable params" in lines[1] and "> max-params 100 " in lines[1]


def test_budgets_on_many_nets(models: Path) -> None:
    code, _, err = cli("analyze", str(models / "small.prototxt"), str(models / "sub"),
                       "--max-macs", "100K")
    assert code == 1
    assert [line.split(": ")[2] for line in err.strip().splitlines()] == [
        str(models / "sub" / "big.prototxt")]


def test_budgets_from_the_lint_config(models: Path, tmp_path: Path) -> None:
    (models / "pyproject.toml").write_text('[tool.dwsep.lint]\nmax-macs = "100K"\n'
                                           'max-memory = "1MiB"\n')
    code, _, err = cli("analyze", str(models / "sub" / "big.prototxt"))
    assert code == 1 and "max-macs 100,000" in err and "pyproject.toml" in err
    code, _, err = cli("analyze", str(models / "sub" / "big.prototxt"), "--max-macs", "1G")
    assert code == 0, err  # the flag wins over the configuration
    other = tmp_path / "other"  # configurations are cached per directory
    other.mkdir()
    (other / "pyproject.toml").write_text('[tool.dwsep.lint]\nmax-macs = "many"\n')
    (other / "n.prototxt").write_text(NET.format(name="n", n=4))
    code, _, err = cli("analyze", str(other / "n.prototxt"))
    assert code == 2 and "max-macs 'many'" in err
