"""The lint graph indexes (readers, cycles) against the plain definitions they replace.

They were built to make lint linear (a 10,000-layer chain, 800 in-place layers on a blob
nothing produces); the answers must be exactly those of the old per-question scans. Speed
itself is measured in bench/bench_lint.py, not here.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from prototxt_tool.lint.config import LintConfig
from prototxt_tool.lint.context import LintContext
from prototxt_tool.lint.engine import lint_source
from prototxt_tool.lint.rules._graph import depends_on
from prototxt_tool.pipeline import Source

HEAD = 'layer { name: "data" type: "Input" top: "t0" input_param { shape { dim: 1 dim: 4 } } }\n'
BLOBS = ["a", "b", "c", "d", "e"]
layer_st = st.tuples(st.lists(st.sampled_from(BLOBS), max_size=3),
                     st.lists(st.sampled_from(BLOBS), min_size=1, max_size=2))


def _net(layers: list[tuple[list[str], list[str]]]) -> str:
    out = []
    for i, (bottoms, tops) in enumerate(layers):
        fields = "".join(f' bottom: "{b}"' for b in bottoms) + "".join(f' top: "{t}"' for t in tops)
        out.append(f'layer {{ name: "l{i}" type: "ReLU"{fields} }}')
    return "\n".join(out) + "\n"


def _scan_readers(view, i: int, blob: str) -> list[int]:
    out = []
    for j in range(i + 1, len(view.layers)):
        param = view.layers[j].param
        if blob in param.bottom:
            out.append(j)
        if blob in param.top:
            break
    return out


def _scan_depends_on(view, start: int, target: int) -> bool:
    seen: set[int] = set()
    stack = [start]
    while stack:
        j = stack.pop()
        if j == target:
            return True
        if j in seen:
            continue
        seen.add(j)
        for blob in view.layers[j].param.bottom:
            stack.extend(p for p in view.producers.get(blob, ()) if p != j)
    return False


@given(st.lists(layer_st, min_size=1, max_size=12))
@settings(max_examples=150, deadline=None)
def test_indexes_answer_as_the_scans_did(layers: list[tuple[list[str], list[str]]]) -> None:
    view = LintContext(Source("t.prototxt", _net(layers))).phases[0]
    for i, layer in enumerate(view.layers):
        for blob in [*layer.param.top, *BLOBS]:
            assert view.readers(i, blob) == _scan_readers(view, i, blob)
        for blob in layer.param.bottom:
            assert view.defined_before(i, blob) == any(p < i for p in view.producers.get(blob, ()))
            for p in view.producers.get(blob, ()):
                assert depends_on(view, p, i) == _scan_depends_on(view, p, i)


def _codes(text: str) -> list[tuple[str, int]]:
    config = LintConfig().with_flags((), ("G",), ())
    return [(f.code, f.line) for f in lint_source(Source("t.prototxt", text), config)]


def test_long_chain_is_clean_and_its_end_is_an_output() -> None:
    text = (HEAD + "".join(f'layer {{ name: "r{i}" type: "ReLU" bottom: "t{i}" top: "t{i + 1}" }}\n'
                      for i in range(3000)))
    assert _codes(text) == []


def test_in_place_layers_on_an_unproduced_blob() -> None:
    text = "".join(f'layer {{ name: "r{i}" type: "ReLU" bottom: "x" top: "x" }}\n'
                   for i in range(800))
    found = _codes(text)
    # Only the first reads a blob nobody produced before it; the rest read r(i-1)'s output.
    assert [code for code, line in found if line > 1] == []
    assert {code for code, _ in found} <= {"G002", "G004"} and found


def test_side_top_of_a_late_layer_is_found() -> None:
    text = (HEAD + "".join(f'layer {{ name: "r{i}" type: "ReLU" bottom: "t{i}" top: "t{i + 1}" }}\n'
                      for i in range(500))
            + 'layer { name: "s" type: "Slice" bottom: "t500" top: "u" top: "unused" }\n'
            'layer { name: "z" type: "ReLU" bottom: "u" top: "z" }\n')
    assert _codes(text) == [("G007", 502)]
