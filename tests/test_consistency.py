"""The commands agree with each other: what gen and separate write, lint finds nothing wrong with.

A generator that emits nets its own linter complains about (bias before BatchNorm, a
depthwise conv with the wrong pad, ...) would teach users the wrong conventions.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from conftest import corpus_or_skip

from prototxt_tool.cli import COMMANDS
from prototxt_tool.commands import build_cli


def run(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(build_cli(COMMANDS), list(args), input=stdin)
    return result.exit_code, result.stdout


@pytest.mark.parametrize("gen_args", [
    ["mobilenet"],
    ["mobilenet-v2"],
    ["mobilenet", "-a", "0.5", "-r", "160", "--relu6", "--no-batch-norm"],
    ["mobilenet-v2", "-t", "4", "--depthwise-type", "DepthwiseConvolution"],
    ["mobilenet", "--phase", "train-val", "--train-source", "t", "--val-source", "v"],
])
def test_generated_nets_lint_clean(gen_args: list[str]) -> None:
    code, text = run("gen", *gen_args)
    assert code == 0
    code, out = run("lint", "-", "--fail-on", "info", stdin=text)
    assert code == 0, out
    assert out.startswith("All checks passed")


def test_separated_vgg_lints_clean() -> None:
    corpus = corpus_or_skip()
    code, text = run("separate", str(corpus / "vgg/VGG_ILSVRC_16_layers_deploy.prototxt"))
    assert code == 0
    code, out = run("lint", "-", "--fail-on", "info", stdin=text)
    assert code == 0, out
