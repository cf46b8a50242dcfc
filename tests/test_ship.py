"""What a user installs around the commands: wheel contents, schema, versions, completion."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from prototxt_tool import __version__
from tests.conftest import REPO


@pytest.fixture
def dwsep_run():
    """The real command line in a fresh interpreter (python -m prototxt_tool)."""

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "prototxt_tool", *args],
                              capture_output=True, text=True, timeout=60)

    return run


def _check_wheel():
    spec = importlib.util.spec_from_file_location("check_wheel", REPO / "scripts/check_wheel.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _fake_wheel(path: Path, names: set[str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name in sorted(names):
            archive.writestr(name, "")
        archive.writestr("dwsep-0.dist-info/licenses/LICENSE", "MIT")
        archive.writestr("dwsep-0.dist-info/entry_points.txt",
                         "[console_scripts]\ndwsep = prototxt_tool.cli:main\n")
    return path


def test_wheel_check_accepts_a_complete_wheel(tmp_path: Path) -> None:
    check = _check_wheel()
    wanted = check.expected_files()
    assert "prototxt_tool/schema/caffe.proto" in wanted
    assert "prototxt_tool/py.typed" in wanted
    assert any(n.startswith("prototxt_tool/templates/") and n.endswith(".j2") for n in wanted)
    assert check.problems(_fake_wheel(tmp_path / "ok.whl", wanted)) == []


def test_wheel_check_fails_when_a_package_data_file_is_left_out(tmp_path: Path) -> None:
    check = _check_wheel()
    wanted = check.expected_files()
    template = sorted(n for n in wanted if n.endswith(".j2"))[0]
    found = check.problems(_fake_wheel(tmp_path / "bad.whl", wanted - {template}))
    assert found == [f"missing from the wheel: {template}"]


def test_wheel_check_finds_a_subpackage_missing_from_pyproject(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "prototxt_tool" / "extra").mkdir(parents=True)
    (repo / "prototxt_tool" / "__init__.py").write_text("")
    (repo / "prototxt_tool" / "extra" / "__init__.py").write_text("")
    (repo / "pyproject.toml").write_text('[tool.setuptools]\npackages = ["prototxt_tool"]\n')
    assert _check_wheel().unlisted_packages(repo) == ["prototxt_tool.extra"]


def test_schema_command_prints_the_compiled_schema(dwsep_run) -> None:
    done = dwsep_run("schema")
    assert done.returncode == 0
    assert done.stdout == (REPO / "proto" / "caffe.proto").read_text()
    assert "message LayerParameter" in done.stdout
    path = dwsep_run("schema", "--path").stdout.strip()
    assert Path(path).read_text() == done.stdout


def test_version_names_protobuf_and_its_backend(dwsep_run) -> None:
    from google.protobuf import __version__ as pb
    from google.protobuf.internal import api_implementation

    out = dwsep_run("--version").stdout
    assert out.startswith(f"dwsep {__version__} ")
    assert f"protobuf {pb}, {api_implementation.Type()} backend" in out


@pytest.mark.parametrize(("typo", "meant"), [("analzye", "analyze"), ("lnt", "lint"),
                                             ("upgarde", "upgrade")])
def test_a_mistyped_command_gets_a_suggestion(dwsep_run, typo: str, meant: str) -> None:
    done = dwsep_run(typo, "x")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"dwsep: error: No such command '{typo}'. Did you mean '{meant}'? (see 'dwsep --help')"]


def _complete(words: str) -> list[str]:
    env = {**os.environ, "COMP_WORDS": words, "COMP_CWORD": str(len(words.split()) - 1
                                                                  + words.endswith(" ")),
           "_DWSEP_COMPLETE": "bash_complete"}
    done = subprocess.run([sys.executable, "-m", "prototxt_tool"], env=env, capture_output=True,
                          text=True, timeout=60)
    return [line.split(",", 1)[1] for line in done.stdout.splitlines()]


def test_completion_of_models_rule_codes_and_formats() -> None:
    assert _complete("dwsep gen mob") == sorted(
        n for n in __import__("prototxt_tool.gen", fromlist=["MODELS"]).MODELS
        if n.startswith("mob"))
    assert "G001" in _complete("dwsep rule G00")
    assert "D001,G002" in _complete("dwsep lint --select D001,G0")
    assert _complete("dwsep analyze x --format ") [:2] == ["table", "json"]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_the_readme_completion_lines_produce_a_script(shell: str) -> None:
    readme = (REPO / "README.md").read_text()
    assert f"_DWSEP_COMPLETE={shell}_source dwsep" in readme
    done = subprocess.run([sys.executable, "-m", "prototxt_tool"],
                          env={**os.environ, "_DWSEP_COMPLETE": f"{shell}_source"},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "_DWSEP_COMPLETE" in done.stdout


def test_the_actions_recipe_installs_from_the_repository() -> None:
    spec = importlib.util.spec_from_file_location("run_recipe", REPO / "scripts/run_recipe.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    steps = module.recipe_steps()
    assert any('pip install "dwsep @ git+https://' in s for s in steps)
    assert not any("pip install dwsep\n" in s for s in steps)  # not on the package index
    assert any("dwsep lint --format github models/" in s for s in steps)


def test_completion_of_target_profiles() -> None:
    from prototxt_tool.commands.complete import target_names

    names = target_names()
    assert "ncnn" in names and "rknn2" in names
    assert _complete("dwsep analyze x --target rk") == [n for n in names if n.startswith("rk")]
    assert _complete("dwsep lint x --target rk") == [n for n in names if n.startswith("rk")]
    assert "ncnn,rknn2" in _complete("dwsep gen mobilenet --target ncnn,rk")
    assert _complete("dwsep targets nc") == [n for n in names if n.startswith("nc")]
