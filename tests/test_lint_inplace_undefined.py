"""An in-place layer on a blob nothing earlier produces is an undefined bottom, not a cycle.

Caffe stops at such a layer with "Unknown bottom blob": the layer itself and any later
in-place writers of the same name modify what it would produce, they do not feed it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HEAD = 'name: "t"\ninput: "data"\ninput_dim: 1\ninput_dim: 3\ninput_dim: 4\ninput_dim: 4\n'


def codes(tmp_path: Path, body: str) -> list[tuple[str, int]]:
    net = tmp_path / "net.prototxt"
    net.write_text(HEAD + body)
    done = subprocess.run([sys.executable, "-m", "prototxt_tool", "lint", "--format", "json",
                           "--select", "G002,G003,G004", str(net)],
                          capture_output=True, text=True, timeout=60)
    return sorted((f["code"], f["line"]) for f in json.loads(done.stdout))


def test_one_in_place_layer_on_an_unproduced_blob(tmp_path: Path) -> None:
    body = 'layer { name: "r" type: "ReLU" bottom: "x" top: "x" }\n'
    assert codes(tmp_path, body) == [("G002", 7)]


def test_a_chain_of_in_place_layers_on_an_unproduced_blob(tmp_path: Path) -> None:
    body = "".join(f'layer {{ name: "r{i}" type: "ReLU" bottom: "x" top: "x" }}\n'
                   for i in range(3))
    assert codes(tmp_path, body) == [("G002", 7)]  # the later ones read what r0 wrote


def test_a_real_cycle_is_still_one(tmp_path: Path) -> None:
    body = ('layer { name: "a" type: "ReLU" bottom: "b" top: "a" }\n'
            'layer { name: "b" type: "ReLU" bottom: "a" top: "b" }\n')
    assert ("G004", 7) in codes(tmp_path, body)
