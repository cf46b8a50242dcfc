"""The library API: docs/api.md's examples run as doctests, plus what the page cannot show."""

from __future__ import annotations

import doctest
import json
import subprocess
import sys
from pathlib import Path

import pytest

import prototxt_tool
from prototxt_tool.errors import ParseError, UsageError

API_DOC = Path(__file__).resolve().parent.parent / "docs" / "api.md"


def test_api_page_examples_run() -> None:
    text = API_DOC.read_text(encoding="utf-8")
    test = doctest.DocTestParser().get_doctest(text, {}, "docs/api.md", str(API_DOC), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    assert test.examples and runner.failures == 0, f"{runner.failures} example(s) failed"


def test_import_is_cheap() -> None:
    """`import prototxt_tool` loads neither protobuf nor click (dwsep --version start-up)."""
    code = ("import sys, prototxt_tool; print(sorted(m for m in sys.modules if m.split('.')[0] "
            "in ('google', 'click', 'jinja2', 'typing')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_path_and_pathlike_and_text(tmp_path: Path) -> None:
    text = prototxt_tool.gen("mobilenet")
    path = tmp_path / "m.prototxt"
    path.write_text(text)
    by_text = prototxt_tool.analyze(text).total.macs
    assert prototxt_tool.analyze(str(path)).total.macs == by_text == 568_740_352
    assert prototxt_tool.analyze(path).filename == str(path)


def test_errors_are_dwsep_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        prototxt_tool.analyze(str(tmp_path / "missing.prototxt"))
    with pytest.raises(ParseError) as err:
        prototxt_tool.load('name: "x"\nlayer { name: "a" type: "ReLU" bogus: 1 }\n', strict=True)
    assert err.value.line == 2
    with pytest.raises(ParseError):
        prototxt_tool.load('name: "x"\nlayer { name: "a" type: "ReLU" ', strict=False)


def test_reads_as_the_command_does_unless_strict(tmp_path: Path) -> None:
    """Like `dwsep analyze`: a field the schema lacks is skipped with a warning, and the layer
    whose figures it may change is unknown; strict=True (--strict) refuses it."""
    path = tmp_path / "fork.prototxt"
    path.write_text('name: "x"\ninput: "data"\ninput_shape { dim: 1 dim: 3 dim: 4 dim: 4 }\n'
                    'layer { name: "a" type: "ReLU" bottom: "data" top: "a" '
                    'relu_param { negative_slop: 0.1 } }\n')
    loaded = prototxt_tool.load(path)
    assert [s.path for s in loaded.skipped] == ["layer[0].relu_param.negative_slop"]
    a = prototxt_tool.analyze(path)
    assert a.total.unknown == ["a"] and a.layers[1].ops is None
    assert any("negative_slop" in w for w in a.warnings)
    command = subprocess.run([sys.executable, "-m", "prototxt_tool", "analyze", str(path),
                              "--format", "json"], capture_output=True, text=True, check=True)
    printed, mine = json.loads(command.stdout), a.to_dict()
    assert {k: printed[k] for k in mine} == mine  # the command adds its view's sections
    with pytest.raises(ParseError, match="negative_slop"):
        prototxt_tool.analyze(path, strict=True)
