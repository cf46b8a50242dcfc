"""Misspelt layer types: an error with a suggestion in lint (G009), a hint in analyze."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from prototxt_tool.shapes import known_types
from prototxt_tool.typos import edit_distance, near_miss

FIXTURES = Path(__file__).parent / "fixtures" / "lint"


@pytest.mark.parametrize("typed, meant", [
    ("Relu", "ReLU"), ("relu6", "ReLU6"), ("Convolutoin", "Convolution"),
    ("Sofmax", "Softmax"), ("BatchNrom", "BatchNorm"), ("InnerProdcut", "InnerProduct"),
    ("Convolutio", "Convolution"), ("ConvolutionDepthWise", "ConvolutionDepthwise"),
])
def test_near_misses(typed: str, meant: str) -> None:
    assert near_miss(typed, known_types()) == meant


@pytest.mark.parametrize("name", ["Mish", "Reverse", "Lstm", "Flip", "PoolingND", "L1",
                                  "", "CTCGreedyDecoder"])
def test_not_near_misses(name: str) -> None:
    # Real fork layers (and far-off names) are never "typos".
    assert near_miss(name, known_types()) is None


def test_edit_distance() -> None:
    assert edit_distance("abc", "abc", 2) == 0
    assert edit_distance("abcd", "abdc", 2) == 1  # a swap is one edit
    assert edit_distance("kitten", "sitting", 2) == 3  # capped at limit + 1
    assert edit_distance("a", "abcdef", 2) == 3


def test_analyze_prints_the_suggestion() -> None:
    r = subprocess.run([sys.executable, "-m", "prototxt_tool", "analyze",
                        str(FIXTURES / "G009.prototxt")], capture_output=True, text=True)
    assert r.returncode == 0
    assert ("dwsep: warning: layer 'relu1': unknown layer type 'Relu' (did you mean 'ReLU'?); "
            "its outputs are unknown") in r.stderr
