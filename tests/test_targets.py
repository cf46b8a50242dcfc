"""Target profiles (#16): each profile against its own fixtures, the corpus, gen and the docs.

tests/fixtures/targets/<target>.prototxt trips that target's rules; its `# expect: CODE L:C`
lines are every T finding it must give, exactly. ok_portable.prototxt uses only what every
profile accepts and must give no error for any target.
"""

from __future__ import annotations

import json
import re
import runpy
from pathlib import Path

import pytest

from prototxt_tool import caffe_pb2, targets
from prototxt_tool.lint import LintOptions, lint_paths, lint_source
from prototxt_tool.lint.config import LintConfig
from prototxt_tool.pipeline import Source, parse_net, upgrade_parsed
from prototxt_tool.shapes import known_types
from prototxt_tool.targets.check import FORK_FIELDS
from tests.conftest import corpus_or_skip
from tests.test_lint_cli import run, write

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "targets"
EXPECT = re.compile(r"#\s*expect:\s*(T\d{3})\s+(\d+):(\d+)")
NAMES = targets.names()
ISSUE_TARGETS = {"ncnn", "rknn", "rknn2", "openvino", "tensorrt", "nnie", "nncase", "armnn",
                 "mnn", "mace", "ncsdk", "atc", "bvlc", "portable"}


def t_findings(path: Path | str, *names: str, text: str | None = None) -> list:
    if text is not None:
        found = lint_source(Source(str(path), text), LintConfig(), LintOptions(targets=names))
    else:
        found = lint_paths([str(path)], LintOptions(targets=names)).findings
    return [f for f in found if f.code.startswith("T")]


def test_the_issue_targets_ship_and_cite_sources() -> None:
    assert set(NAMES) == ISSUE_TARGETS
    for name in NAMES:
        p = targets.load(name)
        assert p.sources and all(s.repo and s.file and s.version for s in p.sources), name
        assert p.title and p.doc and p.status


@pytest.mark.parametrize("name", [n for n in NAMES if n != "portable"])
def test_fixture_trips_every_constraint_and_note_at_its_place(name: str) -> None:
    path = FIXTURES / f"{name}.prototxt"
    expected = [(m[1], int(m[2]), int(m[3])) for m in EXPECT.finditer(path.read_text())]
    found = t_findings(path, name)
    assert [(f.code, f.line, f.column) for f in found] == expected
    profile = targets.load(name)
    messages = [f.message for f in found]
    for c in profile.constraints:
        label = c.test.field.removeprefix("conv.")
        assert any(f"{label}" in m and f"({c.test.describe()}" in m for m in messages), c
    for note in profile.notes:
        assert any(f"converts it: {note.text}" in m for m in messages), note.text
    assert all(f"by {name} " in m or f"{name} converts" in m or f"{name}'s caffe.proto" in m
               for m in messages)


def test_portable_fixture_and_its_composition() -> None:
    path = FIXTURES / "portable.prototxt"
    expected = [(m[1], int(m[2]), int(m[3])) for m in EXPECT.finditer(path.read_text())]
    found = t_findings(path, "portable")
    assert [(f.code, f.line, f.column) for f in found] == expected
    assert "not taken by armnn, nncase" in found[0].message
    portable = targets.load("portable")
    others = [targets.load(n) for n in NAMES if n != "portable"]
    assert portable.supported == frozenset.intersection(*(p.supported for p in others))
    assert portable.accepts == ("V2",) and portable.inputs == ("fields",)


@pytest.mark.parametrize("name", NAMES)
def test_a_net_every_target_takes_lints_clean(name: str) -> None:
    found = t_findings(FIXTURES / "ok_portable.prototxt", name)
    assert [f for f in found if f.severity != "info"] == []


@pytest.mark.parametrize("name", NAMES)
def test_gen_mobilenet_for_a_target_lints_clean_for_it(name: str, tmp_path: Path) -> None:
    out = tmp_path / "net.prototxt"
    code, _, err = run("gen", "mobilenet", "--target", name, "-o", str(out))
    assert code == 0, err
    found = lint_paths([str(out)], LintOptions(targets=(name,))).findings
    assert [f for f in found if f.severity != "info"] == []


def test_gen_picks_the_targets_form_and_refuses_what_it_rejects(tmp_path: Path) -> None:
    code, text, _ = run("gen", "mobilenet", "--target", "ncsdk")
    assert code == 0 and text.startswith(('name: "MOBILENET"\ninput: "data"', "input:"))
    assert 'type: "Input"' not in text
    code, _, err = run("gen", "mobilenet", "--target", "mnn",
                       "--depthwise-type", "ConvolutionDepthwise")
    assert code == 2
    assert ("--target mnn: the requested net would not convert: layer 'conv2_1/dw' "
            "(ConvolutionDepthwise): not supported by mnn (MNN converter: use Convolution "
            "with group)") in err
    code, text, _ = run("gen", "mobilenet-v2", "--relu6", "--target", "tensorrt")
    assert code == 0 and 'type: "Clip"' in text and "ReLU6" not in text
    code, text, _ = run("gen", "mobilenet-v2", "--relu6", "--target", "rknn2")
    assert code == 0 and 'type: "ReLU6"' in text
    code, _, err = run("gen", "mobilenet", "--target", "nope")
    assert code == 2 and "unknown target 'nope'" in err


def test_legacy_format_is_judged_per_target() -> None:
    v1 = (REPO / "tests" / "fixtures" / "lint" / "T003.prototxt").read_text()
    for name in NAMES:
        codes = {f.code for f in t_findings("v1.prototxt", name, text=v1)}
        assert ("T003" in codes) == ("V1" not in targets.load(name).accepts), name
    (portable,) = [f for f in t_findings("v1.prototxt", "portable", text=v1) if f.code == "T003"]
    assert "(not read by atc, mace, mnn, ncnn)" in portable.message


def test_bvlc_types_are_bvlc_types() -> None:
    table = (REPO / "docs" / "fork-layers.md").read_text()
    forks = set(re.findall(r"^\| `(\w+)`", table, re.M)) - {"Python"} | {  # Python is BVLC's
        "ConvolutionDepthwise", "DepthwiseConvolution", "ReLU6"}
    bvlc = targets.load("bvlc")
    assert forks <= set(known_types())
    assert not forks & bvlc.supported
    assert bvlc.supported <= set(known_types()) | {"HDF5Output"}  # no rule: it only writes


def test_bvlc_takes_every_type_real_bvlc_caffe_loaded() -> None:
    expected = corpus_or_skip() / "expected"
    bvlc = targets.load("bvlc")
    seen = set()
    for golden in expected.glob("*.json"):
        data = json.loads(golden.read_text())
        if "ssd" in golden.name.lower():  # loaded in weiliu89's SSD fork (corpus README)
            continue
        seen |= {layer["type"] for layer in data["layers"]}
    assert seen and seen - {"Input"} <= bvlc.supported


def test_fork_field_table_matches_the_schema_doc() -> None:
    schema = (REPO / "docs" / "schema.md").read_text()
    for path in FORK_FIELDS:
        message = caffe_pb2.LayerParameter.DESCRIPTOR
        *parents, last = path.split(".")
        for part in parents:
            message = message.fields_by_name[part].message_type
        assert last in message.fields_by_name, path
        assert last in schema, path


def test_fields_dwsep_skipped_are_judged_too() -> None:
    text = """layer { name: "data" type: "Input" top: "data"
  input_param { shape { dim: 1 dim: 8 dim: 16 dim: 16 } } }
layer { name: "pool1" type: "Pooling" bottom: "data" top: "pool1"
  pooling_param { pool: MAX kernel_size: 3 stride: 2 pad_type: 1 } }
layer { name: "yolo" type: "Yolov3DetectionOutput" bottom: "pool1" top: "det"
  yolov3_detection_output_param { num_classes: 2 } }
"""
    found = t_findings("sk.prototxt", "ncnn", "bvlc", text=text)
    t004 = sorted((f.line, f.column, f.message.split("not in ")[-1][:12]) for f in found
                  if f.code == "T004")
    assert t004 == [(4, 54, "bvlc's caffe"), (4, 54, "ncnn's caffe")]  # ncnn reads the yolo's
    assert [f.layer for f in found if f.code == "T001"] == ["yolo"]  # bvlc lacks the type


def test_messages_name_target_source_and_allowed_values() -> None:
    (f,) = t_findings(REPO / "tests" / "fixtures" / "lint" / "T001.prototxt", "mnn")
    assert f.message == ("layer 'conv2_1/dw' (ConvolutionDepthwise): not supported by mnn "
                         "(MNN converter: use Convolution with group); see alibaba/MNN "
                         "tools/converter/source/caffe")
    rknn2 = [f.message for f in t_findings(FIXTURES / "rknn2.prototxt", "rknn2")]
    assert any("kernel = 9 not supported by rknn2 (allowed: 1..8;" in m for m in rknn2)


def test_several_targets_report_apart_and_config_target(tmp_path: Path) -> None:
    net = FIXTURES / "rknn.prototxt"
    found = t_findings(net, "rknn", "bvlc")
    assert sorted(f.message.split(" (")[1].split(")")[0] for f in found if f.code == "T001") \
        == ["ReLU6", "ReLU6"]
    assert {f.message.split("by ")[1].split(" ")[0] for f in found} == {"rknn", "bvlc"}
    path = write(tmp_path, "m/net.prototxt", net.read_text())
    write(tmp_path, "m/.dwsep.toml", '[lint]\ntarget = ["rknn"]\n')
    code, out, _ = run("lint", path)
    assert code == 1 and "T001" in out and "by rknn " in out
    code, out, _ = run("lint", path, "--target", "tensorrt")
    assert "by tensorrt " in out and "by rknn " not in out
    bad = write(tmp_path, "b/net.prototxt", net.read_text())
    write(tmp_path, "b/.dwsep.toml", '[lint]\ntarget = ["rknn3"]\n')
    code, _, err = run("lint", bad)
    assert code == 2 and "unknown target 'rknn3'" in err
    code, out, _ = run("lint", str(net))  # no target: no T rule runs
    assert " T0" not in out


def test_no_target_no_unused_suppression_for_t_codes(tmp_path: Path) -> None:
    text = (FIXTURES / "rknn.prototxt").read_text().replace(
        'type: "ReLU6" bottom: "data" top: "data" }', 'type: "ReLU6" bottom: "data" top: "data" }'
        "  # dwsep: disable=T001")
    assert "disable=T001" in text
    path = write(tmp_path, "s.prototxt", text)
    _, out, _ = run("lint", path)
    assert "L001" not in out
    _, out, _ = run("lint", path, "--target", "rknn")
    assert "T001" not in out and "L001" not in out


def test_analyze_verdict_section_and_json(tmp_path: Path) -> None:
    net = str(FIXTURES / "rknn2.prototxt")
    code, out, _ = run("analyze", net, "--target", "rknn2,ncnn")
    assert code == 0
    section = out.split("Deployment targets:\n")[1]
    assert "  rknn2: NOT deployable: 2 blocking layers; 2 rewritten by the converter" in section
    assert "    T001 PriorBox: pb\n      not supported (not in the RKNN-Toolkit2 Caffe op list" \
        in section
    assert "  ncnn: deployable; 3 rewritten by the converter" in section
    assert all(len(line) <= 100 for line in out.splitlines())
    code, out, _ = run("analyze", net, "--target", "rknn2", "--format", "json")
    (v,) = json.loads(out)["targets"]
    assert v["target"] == "rknn2" and v["deployable"] is False
    assert v["blocking_layers"] == ["dw", "pb"]
    code, out, err = run("analyze", net, "--target", "rknn2", "--format", "csv")
    assert "Deployment targets:" in err and "Deployment targets" not in out
    code, _, err = run("analyze", net, "--target", "foo")
    assert code == 2 and "unknown target 'foo'" in err


def test_targets_command() -> None:
    code, out, _ = run("targets")
    assert code == 0
    assert [line.split()[0] for line in out.splitlines() if not line.startswith(" ")] == NAMES
    code, out, _ = run("targets", "rknn2")
    assert code == 0 and "ConvolutionDepthwise: conv.kernel allowed: 1..8" in out
    assert "source: rockchip-linux/rknn-toolkit2 doc/RKNN-Toolkit2_OP_Support-1.6.0.md" in out
    for name in NAMES:
        _, out, _ = run("targets", name)
        assert all(len(line) <= 100 for line in out.splitlines()), name
    code, _, err = run("targets", "zz")
    assert code == 2 and "unknown target 'zz'" in err


def test_docs_table_is_generated_from_the_profiles() -> None:
    render = runpy.run_path(str(REPO / "scripts" / "gen_targets_doc.py"))["render"]
    assert (REPO / "docs" / "targets.md").read_text() == render(), \
        "docs/targets.md is stale: run python scripts/gen_targets_doc.py"


# -- the corpus ----------------------------------------------------------------------------------

def test_corpus_findings_follow_the_profiles() -> None:
    corpus = corpus_or_skip()
    files = sorted(str(p) for p in corpus.rglob("*.prototxt"))
    result = lint_paths(files, LintOptions(targets=tuple(NAMES)), select=("T",))
    by_file: dict[str, list] = {}
    for f in result.findings:
        by_file.setdefault(f.path, []).append(f)
    fork_uses = 0
    for path in files:
        found = by_file.get(path, [])
        source = Source(path, Path(path).read_text())
        raw, tree = parse_net(source)
        parsed = upgrade_parsed(source, raw, tree)
        layers = list(parsed.upgraded.net.layer)
        for name in NAMES:
            flagged = {f.layer for f in found if f.code == "T001" and f"by {name} " in f.message}
            # independently of the profile code: the type list as the TOML file gives it
            supported = targets.load(name).supported
            expect = {la.name for la in layers if la.type != "Input" and la.type not in supported}
            assert flagged == expect, (path, name)
        bvlc = {f.layer for f in found if f.code == "T001" and "by bvlc " in f.message}
        raw = Path(path).read_text()
        for t in ("ShuffleChannel", "Interp", "PriorBox"):
            names = re.findall(r'name:\s*"([^"]+)"\s*type:\s*"' + t + '"', raw)
            fork_uses += len(names)
            assert set(names) <= bvlc, (path, t)
    assert fork_uses > 0
    ssd = str(corpus / "mobilenet-ssd" / "MobileNetSSD_deploy.prototxt")
    rknn2 = [f for f in by_file[ssd] if "by rknn2 " in f.message and f.code == "T001"]
    assert "detection_out" in {f.layer for f in rknn2}
    assert {f.message.split("(")[1].split(")")[0] for f in rknn2} == {"PriorBox",
                                                                      "DetectionOutput"}
