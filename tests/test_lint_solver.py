"""Solver files: recognised by content, linted with the R rules, refused by analyze/upgrade."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from prototxt_tool.solver import looks_like_solver, top_level_fields

GOOD = """# a comment with layer { name: "x" }
net: "train_val.prototxt"
test_iter: 10
test_interval: 100
base_lr: 0.01
lr_policy: "multistep"
gamma: 0.1
stepvalue: 1000
max_iter: 2000
snapshot: 500
snapshot_prefix: "snap/x"
train_state { stage: "a" }
"""


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "prototxt_tool", *args], cwd=cwd,
                          capture_output=True, text=True)


def test_top_level_fields_skip_nested_strings_and_comments() -> None:
    assert top_level_fields(GOOD) == ["net", "test_iter", "test_interval", "base_lr",
                                      "lr_policy", "gamma", "stepvalue", "max_iter", "snapshot",
                                      "snapshot_prefix", "train_state"]
    assert looks_like_solver(GOOD)
    assert not looks_like_solver('name: "n"\nlayer { name: "a" type: "ReLU" }\n')
    # A net with a stray solver field is still a net (its P002 is the right report).
    assert not looks_like_solver('name: "n"\nbase_lr: 0.1\n')


def test_good_solver_is_clean(tmp_path: Path) -> None:
    (tmp_path / "solver.prototxt").write_text(GOOD)
    r = run("lint", "solver.prototxt", cwd=tmp_path)
    assert (r.returncode, r.stdout) == (0, "All checks passed (1 file).\n")


def test_solver_typo_is_a_solver_p002(tmp_path: Path) -> None:
    (tmp_path / "s.prototxt").write_text(GOOD.replace("lr_policy", "lr_polcy"))
    r = run("lint", "s.prototxt", cwd=tmp_path)
    assert r.returncode == 1
    assert 'P002' in r.stdout and 'caffe.SolverParameter' in r.stdout and "lr_polcy" in r.stdout


def test_gen_train_val_with_solver_lints_clean(tmp_path: Path) -> None:
    r = run("gen", "mobilenet", "--phase", "train-val", "-o", "train_val.prototxt",
            "--solver", "solver.prototxt", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    r = run("lint", ".", cwd=tmp_path)
    assert (r.returncode, r.stdout) == (0, "All checks passed (2 files).\n")
    # The pre-commit hook runs `dwsep lint FILE...` with the changed files.
    r = run("lint", "solver.prototxt", "train_val.prototxt", cwd=tmp_path)
    assert r.returncode == 0, r.stdout


def test_analyze_and_upgrade_say_it_is_a_solver(tmp_path: Path) -> None:
    (tmp_path / "solver.prototxt").write_text(GOOD)
    for command in ("analyze", "upgrade"):
        r = run(command, "solver.prototxt", cwd=tmp_path)
        assert r.returncode == 2 and r.stdout == ""
        assert r.stderr == ("dwsep: error: solver.prototxt: a Caffe solver (SolverParameter), "
                            "not a net; give the net file its `net:` field names\n")
