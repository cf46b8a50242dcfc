"""`dwsep lint` / `dwsep rule` end to end: formats, exit codes, selection, config, suppressions."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from conftest import invoke

FIXTURES = Path(__file__).parent / "fixtures" / "lint"
SARIF_SCHEMA = Path(__file__).parent / "data" / "sarif-2.1.0.json"

GOOD = """\
layer { name: "data" type: "Input" top: "data"
        input_param { shape { dim: 1 dim: 4 dim: 8 dim: 8 } } }
layer { name: "relu1" type: "ReLU" bottom: "data" top: "data" }
"""
# One error (G002) and one warning (D007) in a net that parses.
MIXED = """\
layer { name: "data" type: "Input" top: "data"
        input_param { shape { dim: 1 dim: 4 dim: 8 dim: 8 } } }
layer { name: "bn1" type: "BatchNorm" bottom: "data" top: "data" }
layer { name: "relu1" type: "ReLU" bottom: "data" top: "data" }
layer { name: "acc" type: "Accuracy" bottom: "data" bottom: "label" top: "acc" }
"""
WARN_ONLY = MIXED[:MIXED.index('layer { name: "acc"')]


run = invoke


def write(tmp: Path, name: str, text: str) -> str:
    path = tmp / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path)


# -- output formats -------------------------------------------------------------------------

def test_text_format_lines_sorted_with_summary(tmp_path: Path) -> None:
    b = write(tmp_path, "b.prototxt", MIXED)
    a = write(tmp_path, "a.prototxt", MIXED)
    code, out, _ = run("lint", b, a)
    lines = out.splitlines()
    assert code == 1
    assert lines[0] == f"{a}:3:9: D007 [warning] BatchNorm 'bn1' is followed by ReLU 'relu1', " \
                       "not by a Scale layer; Caffe's BatchNorm has no affine part"
    assert lines[1].startswith(f"{a}:5:53: G002 [error] layer 'acc': bottom 'label'")
    assert lines[2].startswith(f"{b}:3:9: D007")
    assert lines[-1] == "Found 4 problem(s) in 2 files (2 errors, 2 warnings)."


def test_json_format(tmp_path: Path) -> None:
    path = write(tmp_path, "m.prototxt", MIXED)
    code, out, _ = run("lint", "--format", "json", path)
    data = json.loads(out)
    assert code == 1
    assert [d["code"] for d in data] == ["D007", "G002"]
    assert data[1] == {"path": path, "line": 5, "column": 53, "end_line": 5, "code": "G002",
                       "severity": "error", "layer": "acc",
                       "message": "layer 'acc': bottom 'label' is not produced by any layer "
                                  "in phase TEST"}


def test_github_format(tmp_path: Path) -> None:
    path = write(tmp_path, "a,b.prototxt", MIXED)
    code, out, _ = run("lint", "--format", "github", "--extend-select", "G", path)
    lines = out.splitlines()
    assert code == 1
    esc = path.replace(",", "%2C")
    assert lines == [
        f"::warning file={esc},line=3,col=9,title=D007::BatchNorm 'bn1' is followed by ReLU "
        "'relu1', not by a Scale layer; Caffe's BatchNorm has no affine part",
        f"::error file={esc},line=5,col=53,title=G002::layer 'acc': bottom 'label' is not "
        "produced by any layer in phase TEST",
    ]
    info = write(tmp_path, "i.prototxt", (FIXTURES / "G007.prototxt").read_text())
    assert run("lint", "--format", "github", info)[1].startswith("::notice file=")


def test_sarif_validates_against_schema(tmp_path: Path) -> None:
    path = write(tmp_path, "m.prototxt", MIXED)
    info = write(tmp_path, "i.prototxt", (FIXTURES / "G007.prototxt").read_text())
    code, out, _ = run("lint", "--format", "sarif", path, info)
    log = json.loads(out)
    schema = json.loads(SARIF_SCHEMA.read_text())
    jsonschema.Draft4Validator.check_schema(schema)
    jsonschema.Draft4Validator(schema).validate(log)
    run0 = log["runs"][0]
    rules = run0["tool"]["driver"]["rules"]
    levels = sorted({r["level"] for r in run0["results"]})
    assert code == 1 and log["version"] == "2.1.0"
    assert levels == ["error", "note", "warning"]
    for r in run0["results"]:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
    g002 = next(r for r in run0["results"] if r["ruleId"] == "G002")
    assert g002["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 5, "startColumn": 53, "endLine": 5}


def test_sarif_schema_rejects_a_broken_log() -> None:
    # The vendored schema must really constrain: a result without a message is invalid.
    schema = json.loads(SARIF_SCHEMA.read_text())
    bad = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "dwsep"}},
                                         "results": [{"ruleId": "G002"}]}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(schema).validate(bad)


# -- exit codes and unusable input ------------------------------------------------------------

def test_exit_codes_and_fail_on(tmp_path: Path) -> None:
    good = write(tmp_path, "good.prototxt", GOOD)
    warn = write(tmp_path, "warn.prototxt", WARN_ONLY)
    assert run("lint", good)[0] == 0
    assert run("lint", good)[1] == "All checks passed (1 file).\n"
    assert run("lint", warn)[0] == 0
    assert run("lint", "--fail-on", "warning", warn)[0] == 1
    assert run("lint", "--fail-on", "info", good)[0] == 0


def test_unusable_paths_exit_2_but_others_are_still_reported(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.prototxt", MIXED)
    binary = tmp_path / "weights.prototxt"
    binary.write_bytes(b"\x00\x01\x02caffemodel")
    empty_dir = tmp_path / "empty"
    empty_dir.mkdir()
    code, out, err = run("lint", bad, str(binary), str(empty_dir),
                         str(tmp_path / "missing.prototxt"))
    assert code == 2
    assert "G002" in out and "D007" in out
    problems = err.strip().splitlines()
    assert len(problems) == 3 and all(p.startswith("dwsep: error: ") for p in problems)
    assert "binary" in err
    assert f"{empty_dir}: no .prototxt files" in err
    assert "missing.prototxt: no such file" in err
    assert "Traceback" not in out + err


def test_directory_recursion_and_broken_file_does_not_hide_others(tmp_path: Path) -> None:
    write(tmp_path, "models/a/syntax.prototxt", 'layer { name "x" }\n')
    write(tmp_path, "models/b/mixed.prototxt", MIXED)
    write(tmp_path, "models/.hidden/skip.prototxt", 'layer { name "x" }\n')
    write(tmp_path, "models/notes.txt", "not a net")
    code, out, _ = run("lint", str(tmp_path / "models"))
    assert code == 1
    assert "syntax.prototxt:1:14: P001" in out
    assert "mixed.prototxt:5:53: G002" in out
    assert "skip.prototxt" not in out
    assert out.splitlines()[-1].endswith("in 2 files (2 errors, 1 warning).")


def test_stdin(tmp_path: Path) -> None:
    code, out, _ = run("lint", "-", stdin=MIXED)
    assert code == 1 and out.startswith("<stdin>:3:9: D007")


# -- rule selection and configuration -----------------------------------------------------------

def test_select_ignore_prefixes_and_specificity(tmp_path: Path) -> None:
    path = write(tmp_path, "m.prototxt", MIXED)

    def codes(*flags: str) -> list[str]:
        out = run("lint", "--format", "json", *flags, path)[1]
        return [d["code"] for d in json.loads(out)]

    assert codes("--select", "G") == ["G002"]
    assert codes("--ignore", "G002") == ["D007"]
    assert codes("--select", "G", "--extend-select", "D007") == ["D007", "G002"]
    assert codes("--ignore", "D", "--extend-select", "D007") == ["D007", "G002"]
    assert codes("--select", "D007,G002", "--ignore", "G") == ["D007", "G002"]
    assert codes("--select", "D007,G", "--ignore", "G002") == ["D007"]
    code, _, err = run("lint", "--select", "X9", path)
    assert code == 2 and "unknown rule code or prefix 'X9'" in err


def test_config_found_upward_and_flags_on_top(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", '[tool.dwsep.lint]\nignore = ["D007"]\nfail-on = "warning"\n')
    path = write(tmp_path, "nets/deep/m.prototxt", MIXED)
    write(tmp_path, "other/.dwsep.toml", '[lint]\nselect = ["D"]\n')
    other = write(tmp_path, "other/m.prototxt", MIXED)
    out = json.loads(run("lint", "--format", "json", path, other)[1])
    assert [(Path(d["path"]).parent.name, d["code"]) for d in out] == [
        ("deep", "G002"), ("other", "D007")]
    out = json.loads(run("lint", "--format", "json", "--extend-select", "D007", path)[1])
    assert [d["code"] for d in out] == ["D007", "G002"]


def test_config_errors_are_usage_errors(tmp_path: Path) -> None:
    path = write(tmp_path, "m.prototxt", MIXED)
    write(tmp_path, ".dwsep.toml", "[lint]\nselekt = ['G']\n")
    code, _, err = run("lint", path)
    assert code == 2 and "unknown lint setting(s): selekt" in err
    write(tmp_path, ".dwsep.toml", "[lint\n")
    code, _, err = run("lint", path)
    assert code == 2 and "cannot read configuration" in err


def test_fail_on_from_config_in_working_directory(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    warn = write(tmp_path, "warn.prototxt", WARN_ONLY)
    write(tmp_path, ".dwsep.toml", '[lint]\nfail-on = "warning"\n')
    monkeypatch.chdir(tmp_path)
    assert run("lint", warn)[0] == 1
    assert run("lint", "--fail-on", "error", warn)[0] == 0


# -- suppressions ---------------------------------------------------------------------------------

def codes_of(text: str, tmp: Path) -> list[tuple[str, int]]:
    path = write(tmp, "s.prototxt", text)
    out = run("lint", "--format", "json", path)[1]
    return [(d["code"], d["line"]) for d in json.loads(out)]


def test_line_suppression(tmp_path: Path) -> None:
    text = MIXED.replace('bottom: "label" top: "acc" }', 'bottom: "label" top: "acc" }'
                         "  # dwsep: disable=G002")
    assert codes_of(text, tmp_path) == [("D007", 3)]


def test_layer_block_suppression(tmp_path: Path) -> None:
    text = MIXED.replace('layer { name: "bn1" type: "BatchNorm" bottom: "data" top: "data" }',
                         'layer {\n  # dwsep: disable=D007\n  name: "bn1" type: "BatchNorm"\n'
                         '  bottom: "data" top: "data"\n}')
    assert codes_of(text, tmp_path) == [("G002", 9)]


def test_file_suppression_and_unused_and_unknown(tmp_path: Path) -> None:
    text = "# dwsep: disable-file=D007\n" + MIXED
    assert codes_of(text, tmp_path) == [("G002", 6)]
    text = "# dwsep: disable-file=D007, H001 ,X123\n" + MIXED
    assert codes_of(text, tmp_path) == [("L001", 1), ("L001", 1), ("G002", 6)]
    out = json.loads(run("lint", "--format", "json", str(tmp_path / "s.prototxt"))[1])
    messages = sorted(d["message"] for d in out if d["code"] == "L001")
    assert messages == ["suppression names unknown rule 'X123'", "unused suppression for H001"]


def test_hash_inside_a_string_is_not_a_comment(tmp_path: Path) -> None:
    text = MIXED.replace('name: "acc"', 'name: "acc # dwsep: disable=G002"')
    assert ("G002", 5) in codes_of(text, tmp_path)


# -- rule documentation ------------------------------------------------------------------------

def test_list_rules_and_rule_doc() -> None:
    code, out, _ = run("lint", "--list-rules")
    assert code == 0
    rows = out.splitlines()
    assert rows[0].split()[:3] == ["D001", "warning", "depthwise-group-mismatch"]
    assert len(rows) == len(list(FIXTURES.glob("*.prototxt")))
    code, out, _ = run("rule", "d003")
    assert code == 0
    assert out.startswith("D003 depthwise-pad (warning)")
    for part in ("Why it matters:", "Bad:", "Good:"):
        assert part in out
    code, _, err = run("rule", "Z999")
    assert code == 2 and "unknown rule 'Z999'" in err


def test_unknown_selector_names_the_flag(tmp_path: Path) -> None:
    path = write(tmp_path, "m.prototxt", MIXED)
    for flag in ("--select", "--extend-select", "--ignore"):
        code, out, err = run("lint", flag, "X999", path)
        assert (code, out) == (2, "")
        assert err == (f"dwsep: error: {flag}: unknown rule code or prefix 'X999' "
                       "(see dwsep lint --list-rules)\n")


def test_comment_above_a_layer_covers_the_layer(tmp_path: Path) -> None:
    # The finding sits on the `bottom: "label"` line, two lines below the comment.
    acc = ('layer {\n  name: "acc" type: "Accuracy"\n  bottom: "data" bottom: "label"\n'
           '  top: "acc"\n}\n')
    base = MIXED[:MIXED.index('layer { name: "acc"')]
    for directive in ("disable", "disable-next-line"):
        text = base + f"# dwsep: {directive}=G002\n" + acc
        assert codes_of(text, tmp_path) == [("D007", 3)], directive


def test_disable_next_line(tmp_path: Path) -> None:
    text = MIXED.replace('layer { name: "acc"', '# dwsep: disable-next-line=G002\n'
                         'layer { name: "acc"')
    assert codes_of(text, tmp_path) == [("D007", 3)]
    # After a field it still means the next line, not its own.
    text = MIXED.replace('layer { name: "relu1" type: "ReLU" bottom: "data" top: "data" }',
                         'layer { name: "relu1" type: "ReLU" bottom: "data" top: "data" }'
                         '  # dwsep: disable-next-line=G002')
    assert codes_of(text, tmp_path) == [("D007", 3)]
    text = "# dwsep: disable-next-line=G002\n\n# another comment\n" + MIXED
    assert ("L001", 1) in codes_of(text, tmp_path)


def test_input_shape_leaves_declared_inputs_alone(tmp_path: Path) -> None:
    # A folder linted with one --input-shape: the Input-declared net keeps its 8x8 (clean),
    # the Data-fed net gets the flag's shape (and its real shape error).
    declared = write(tmp_path, "declared.prototxt", GOOD.replace(
        'layer { name: "relu1"',
        'layer { name: "p" type: "Pooling" bottom: "data" top: "p"\n'
        '        pooling_param { kernel_size: 8 } }\nlayer { name: "relu1"'))
    fed = write(tmp_path, "fed.prototxt", """\
layer { name: "o" type: "Input" top: "other" input_param { shape { dim: 1 dim: 4 dim: 8 dim: 8 } } }
layer { name: "d" type: "Data" top: "data" data_param { source: "x" batch_size: 1 } }
layer { name: "e" type: "Eltwise" bottom: "data" bottom: "other" top: "e" }
""")
    flags = ["--select", "S001", "--input-shape", "data=1,4,4,4"]
    _, out, _ = run("lint", "--format", "json", *flags, declared, fed)
    found = [(Path(d["path"]).name, d["code"]) for d in json.loads(out)]
    assert found == [("fed.prototxt", "S001")]
    _code, out, _ = run("lint", "--format", "json", *flags, "--force-shapes", declared, fed)
    found = [(Path(d["path"]).name, d["code"]) for d in json.loads(out)]
    assert found == [("declared.prototxt", "S001"), ("fed.prototxt", "S001")]
