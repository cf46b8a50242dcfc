"""`dwsep lint --fix` / `--diff`: each fixable rule's fixture is fixed, idempotently, to the
intended message; on every corpus net the fix changes nothing but the fixed fields."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import invoke
from google.protobuf import text_format

from prototxt_tool import caffe_pb2
from prototxt_tool.lint import all_rules, lint_paths
from prototxt_tool.lint.config import LintConfig
from prototxt_tool.lint.fix import fix_source, fixable_codes
from prototxt_tool.lint.registry import Edit
from prototxt_tool.pipeline import Source
from prototxt_tool.upgrade import upgrade_net

FIXTURES = Path(__file__).parent / "fixtures" / "lint"
CAFFE = caffe_pb2.ConvolutionParameter.CAFFE


run = invoke


def parsed(text: str) -> caffe_pb2.NetParameter:
    return upgrade_net(text_format.Parse(text, caffe_pb2.NetParameter())).net


def test_fixable_rules() -> None:
    assert fixable_codes() == ["D006", "D008", "H002", "L001", "P007"]


# What each fixture's fix must leave in the message (beyond the finding being gone).
INTENDED = {
    "D006": lambda net: not net.layer[1].convolution_param.bias_term,
    "D008": lambda net: net.layer[1].convolution_param.engine == CAFFE,
    "H002": lambda net: net.layer[1].name == "relu_1",
    "L001": lambda net: len(net.layer) == 2,
    "P007": lambda net: [la.type for la in net.layer] == ["Input", "ReLU"],
}


@pytest.mark.parametrize("code", sorted(INTENDED))
def test_fix_removes_the_finding_and_a_second_fix_changes_nothing(code: str,
                                                                  tmp_path: Path) -> None:
    path = tmp_path / f"{code}.prototxt"
    shutil.copy(FIXTURES / f"{code}.prototxt", path)
    before = path.read_text()
    _status, out, _ = run("lint", "--fix", "-j", "1", str(path))
    after = path.read_text()
    assert after != before and "Fixed 1 problem(s) in 1 file." in out
    assert code not in [f.code for f in lint_paths([str(path)]).findings]
    assert INTENDED[code](parsed(after))
    if code != "P007":  # every other line is kept byte for byte
        kept = set(after.splitlines())
        changed = [line for line in before.splitlines() if line not in kept]
        assert len(changed) == 1, changed
    run("lint", "--fix", str(path))
    assert path.read_text() == after


def test_diff_writes_nothing_and_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "D008.prototxt"
    shutil.copy(FIXTURES / "D008.prototxt", path)
    before = path.read_text()
    status, out, err = run("lint", "--diff", str(path))
    assert status == 1 and path.read_text() == before
    assert out.startswith(f"--- {path}\n+++ {path}\n@@")
    assert "-    engine: CUDNN }\n+    engine: CAFFE }\n" in out
    assert err == "Would fix 1 problem(s) in 1 file.\n"
    clean = tmp_path / "clean.prototxt"
    clean.write_text('layer { name: "r" type: "ReLU" bottom: "x" top: "x" }\n')
    assert run("lint", "--diff", str(clean))[0:2] == (0, "")


def test_fix_adds_bias_term_in_the_block_layout_and_drops_the_bias_param() -> None:
    text = """\
layer { name: "data" type: "Input" top: "data"
        input_param { shape { dim: 1 dim: 8 dim: 8 dim: 8 } } }
layer {
  name: "conv1"  # keep this comment
  type: "Convolution" bottom: "data" top: "conv1"
  param { lr_mult: 1 }
  param { lr_mult: 2 }
  convolution_param {
    num_output: 8
    kernel_size: 1
  }
}
layer { name: "bn1" type: "BatchNorm" bottom: "conv1" top: "conv1" }
layer { name: "sc1" type: "Scale" bottom: "conv1" top: "conv1" scale_param { bias_term: true } }
"""
    fixed = fix_source(Source("t.prototxt", text), LintConfig())
    assert fixed.text == text.replace("  param { lr_mult: 2 }\n", "").replace(
        "    kernel_size: 1\n", "    kernel_size: 1\n    bias_term: false\n")
    assert fix_source(Source("t.prototxt", fixed.text), LintConfig()).changed is False


BIAS_NET = (
    'layer { name: "data" type: "Input" top: "data"\n'
    '  input_param { shape { dim: 1 dim: 8 dim: 8 dim: 8 } } }\n'
    'layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"\n'
    '  convolution_param {num_output: 8 kernel_size: 1} }\n'
    'layer { name: "bn1" type: "BatchNorm" bottom: "conv1" top: "conv1" }\n'
    'layer { name: "sc1" type: "Scale" bottom: "conv1" top: "conv1"\n'
    '  scale_param { bias_term: true } }\n')


def test_fix_adds_bias_term_apart_from_a_brace_written_tight() -> None:
    fixed = fix_source(Source("t.prototxt", BIAS_NET), LintConfig())
    assert fixed.text == BIAS_NET.replace("kernel_size: 1}", "kernel_size: 1 bias_term: false }")
    assert fixed.fixed == {"D006": 1}


def test_fix_keeps_crlf_line_ends() -> None:
    text = BIAS_NET.replace("{num_output: 8 kernel_size: 1} }",
                            "{\n    num_output: 8\n  }\n}").replace("\n", "\r\n")
    fixed = fix_source(Source("t.prototxt", text), LintConfig())
    assert fixed.text == text.replace("    num_output: 8\r\n",
                                      "    num_output: 8\r\n    bias_term: false\r\n")


def test_a_fix_that_breaks_the_file_is_undone(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever a fixer writes, --fix never leaves a file that no longer parses."""
    from prototxt_tool.lint.rules import d006_bias_before_bn

    def broken(lines, block, field, touched):  # type: ignore[no-untyped-def]
        return Edit(block.end_line, block.end_column, block.end_line, block.end_column - 1,
                    "bias_term: { ", touched)

    monkeypatch.setattr(d006_bias_before_bn, "_add_field", broken)
    fixed = fix_source(Source("t.prototxt", BIAS_NET), LintConfig())
    assert fixed.text == BIAS_NET and not fixed.changed and not fixed.fixed


@pytest.mark.parametrize(("comment", "left"), [
    ("# why it was needed dwsep: disable=H002", "# why it was needed"),
    ("# dwsep: disable=H002 -- was needed once", "# -- was needed once"),
    ("# dwsep: disable=H002", ""),
])
def test_unused_suppression_fix_keeps_the_comments_own_words(comment: str, left: str) -> None:
    text = f'layer {{ name: "r" type: "ReLU" bottom: "x" top: "x" }}  {comment}\nname: "n"\n'
    fixed = fix_source(Source("t.prototxt", text), LintConfig(ignore=("G002",)))
    line = fixed.text.splitlines()[0]
    assert line == 'layer { name: "r" type: "ReLU" bottom: "x" top: "x" }' + \
        (f"  {left}" if left else "")


def test_unused_suppression_fix_keeps_the_used_codes() -> None:
    text = ('layer { name: "r" type: "ReLU" bottom: "x" top: "x" }  '
            '# dwsep: disable=G004,H001, G002\n')
    fixed = fix_source(Source("t.prototxt", text), LintConfig())
    # The layer reads a blob nothing earlier wrote: G002 is the finding the comment silences.
    assert fixed.text == text.replace("G004,H001, G002", "G002")
    assert fixed.fixed == {"L001": 2}


def test_name_fix_only_when_unambiguous() -> None:
    text = ('layer { name: "a b" type: "ReLU" bottom: "x" top: "x" }\n'
            'layer { name: "a_b" type: "ReLU" bottom: "x" top: "x" }\n')
    assert fix_source(Source("t.prototxt", text), LintConfig()).changed is False


def test_fix_refuses_stdin_and_rules_say_fixable() -> None:
    code, _, err = run("lint", "--fix", "-", stdin='name: "n"\n')
    assert code == 2 and "--fix writes files back" in err
    listing = run("lint", "--list-rules")[1]
    assert [line[:4] for line in listing.splitlines() if "  fix  " in line] == fixable_codes()
    assert "(warning, fixable with --fix)" in run("rule", "D008")[1]
    assert "fixable" not in run("rule", "G002")[1]


def _clear(net: caffe_pb2.NetParameter, touched: list[tuple[int, str]]) -> None:
    for index, path in touched:
        msg = net.layer[index]
        *parents, leaf = path.split(".")
        for part in parents:
            msg = getattr(msg, part)
        msg.ClearField(leaf)


def test_fix_on_every_corpus_net_changes_only_the_fixed_fields(corpus: Path) -> None:
    codes = {r.code for r in all_rules()}
    assert codes  # the rules are loaded
    fixed_any = 0
    for path in sorted(corpus.rglob("*.prototxt")):
        text = path.read_text()
        try:
            original = parsed(text)
        except Exception:
            continue
        result = fix_source(Source(str(path), text), LintConfig())  # pure: nothing written
        if not result.changed:
            continue
        fixed_any += 1
        fixed = parsed(result.text)  # both as Caffe sees them, after its upgrade
        _clear(original, result.touched)
        _clear(fixed, result.touched)
        assert fixed == original, path
        again = fix_source(Source(str(path), result.text), LintConfig())
        assert again.changed is False, path
    assert fixed_any >= 2
