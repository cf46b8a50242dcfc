"""`dwsep draw` / `dwsep report`: the picture checked structurally against the analysis.

The SVG is parsed with xml.etree (so it must be valid XML); every layer must appear as a node
or folded into one, and every edge's label must be the shape its reader sees in the analysis.
Nothing is compared with a stored picture.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import CORPUS, FIXTURES, corpus_or_skip
from test_analyze_corpus import ALL_PROTOTXTS, DATA_LAYER_SHAPES

from prototxt_tool.cli import COMMANDS
from prototxt_tool.commands import build_cli
from prototxt_tool.draw.layout import layout

SVG = "{http://www.w3.org/2000/svg}"
DRAW = FIXTURES / "draw"
HOSTILE_NAMES = ["</script><script>alert(1)</script>", '" onload="alert(2)" x="',
                 "<img src=x onerror=alert(3)>", "<!--"]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(build_cli(COMMANDS), list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def analysis_of(path: Path, *extra: str) -> dict:
    code, out, err = run("analyze", str(path), "--format", "json", *extra)
    assert code == 0, err
    return json.loads(out)


def svg_of(path: Path, *extra: str) -> ET.Element:
    code, out, err = run("draw", str(path), *extra)
    assert code == 0, err
    return ET.fromstring(out.encode())


def shape(dims: list[int] | None) -> str:
    if dims is None:
        return "?"
    return "x".join(map(str, dims)) if dims else "scalar"


def check_picture(root: ET.Element, got: dict, fold: bool = True) -> None:
    """Every layer drawn once (node or fold); every edge labelled with what its reader reads."""
    nodes = {g.get("data-node"): g for g in root.iter(f"{SVG}g") if g.get("class") == "node"}
    drawn = Counter()
    for g in nodes.values():
        drawn[g.get("data-layer")] += 1
        for fold_el in g.iter(f"{SVG}g"):
            if fold_el.get("class") == "fold":
                drawn[fold_el.get("data-layer")] += 1
    assert drawn == Counter(x["name"] for x in got["layers"])
    if not fold:
        assert len(nodes) == len(got["layers"])
    by_name: dict[str, list[dict]] = {}
    for layer in got["layers"]:
        by_name.setdefault(layer["name"], []).append(layer)
    edges = [g for g in root.iter(f"{SVG}g") if g.get("class") == "edge"]
    reads = 0
    for e in edges:
        target = nodes[e.get("data-target")].get("data-layer")
        layer = by_name[target][0]
        blob = e.get("data-blob")
        assert blob in layer["bottoms"], (target, blob)
        want = shape(layer["bottom_shapes"][layer["bottoms"].index(blob)])
        assert e.get("data-shape") == want, (target, blob)
        assert int(e.get("data-source")) < int(e.get("data-target"))
        # the label is also a top shape the analysis reports for that blob
        assert want in {shape(t["shape"]) for x in got["layers"] for t in x["tops"]
                        if t["name"] == blob}
        reads += 1
    assert reads >= len({(x["name"], b) for x in got["layers"] for b in set(x["bottoms"])
                         if len(x["bottoms"]) == 1 and x["tops"] and
                         x["tops"][0]["name"] != b})


def rects(root: ET.Element) -> list[tuple[float, float, float, float]]:
    out = []
    for g in root.iter(f"{SVG}g"):
        if g.get("class") == "node":
            r = g.find(f"{SVG}rect")
            assert r is not None
            out.append((float(r.get("x")), float(r.get("y")), float(r.get("width")),
                        float(r.get("height"))))
    return out


def assert_no_overlap(boxes: list[tuple[float, float, float, float]]) -> None:
    boxes = sorted(boxes)
    for i, (x, y, w, h) in enumerate(boxes):
        for x2, y2, w2, h2 in boxes[i + 1:]:
            if x2 >= x + w:
                break
            assert y2 >= y + h or y >= y2 + h2, ((x, y, w, h), (x2, y2, w2, h2))


# -- the fixtures ---------------------------------------------------------------------------------
@pytest.mark.parametrize("extra", [[], ["--no-fold"], ["--rankdir", "LR"], ["--heat", "macs"],
                                   ["--heat", "params"], ["--heat", "activations"]])
def test_branches_structure(extra: list[str]) -> None:
    path = DRAW / "branches.prototxt"
    root = svg_of(path, *extra)
    check_picture(root, analysis_of(path), fold="--no-fold" not in extra)
    assert_no_overlap(rects(root))


def test_folding_follows_the_blob() -> None:
    root = svg_of(DRAW / "branches.prototxt")
    nodes = {g.get("data-layer"): g for g in root.iter(f"{SVG}g") if g.get("class") == "node"}
    folded = {n: [f.get("data-layer") for f in g.iter(f"{SVG}g") if f.get("class") == "fold"]
              for n, g in nodes.items()}
    assert folded["conv1"] == ["bn1", "relu1"]
    assert folded["conv_b"] == ["relu6_b"]  # a fork type folds like any other
    # 'tap' read conv1 before late_relu changed it: late_relu keeps its own node
    assert "late_relu" in nodes
    text = "".join(nodes["conv1"].itertext())
    assert "+BN +ReLU" in text


def test_unknown_type_drawn_dashed_with_unknown_cost() -> None:
    root = svg_of(DRAW / "branches.prototxt")
    for name in ("mystery", "after"):
        g = next(g for g in root.iter(f"{SVG}g") if g.get("data-layer") == name)
        assert g.find(f"{SVG}rect").get("stroke-dasharray")
        assert "? MACs · ? params" in "".join(g.itertext())
    edge = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "edge"
                and g.get("data-blob") == "mystery")
    assert edge.get("data-shape") == "?"


def test_v1_net_draws() -> None:
    path = DRAW / "v1.prototxt"
    check_picture(svg_of(path), analysis_of(path))


def test_stdin_and_dot() -> None:
    text = (DRAW / "branches.prototxt").read_text()
    result = CliRunner().invoke(build_cli(COMMANDS), ["draw", "-", "--format", "dot"],
                                input=text)
    assert result.exit_code == 0, result.stderr
    dot = result.stdout
    assert dot.startswith('digraph "branches" {')
    edges = [g for g in svg_of(DRAW / "branches.prototxt").iter(f"{SVG}g")
             if g.get("class") == "edge"]
    assert dot.count(" -> ") == len(edges)
    assert 'label="1x8x8x8"' in dot


def test_bad_input_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.prototxt"
    bad.write_text('layer { name: "x" type: "Input" top: "x" input_param { shape { dim: 0 } }\n')
    out = tmp_path / "out.svg"
    code, _, err = run("draw", str(bad), "-o", str(out))
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "bad.prototxt:" in err
    assert not out.exists()
    code, _, err = run("report", str(DRAW / "v1.prototxt"), str(DRAW / "v1.prototxt"),
                       str(DRAW / "v1.prototxt"))
    assert code == 2 and "one or two nets" in err


# -- hostile names --------------------------------------------------------------------------------
def test_hostile_names_inert_in_svg() -> None:
    code, out, err = run("draw", str(DRAW / "hostile.prototxt"))
    assert code == 0, err
    root = ET.fromstring(out.encode())  # well-formed: nothing broke out of an attribute
    for el in root.iter():
        assert el.tag.startswith(SVG), el.tag  # no injected element of another kind
        assert el.tag not in (f"{SVG}script", f"{SVG}foreignObject", f"{SVG}image")
        assert not any(a.startswith("on") for a in el.attrib), el.attrib
    layers = {g.get("data-layer") for g in root.iter(f"{SVG}g") if g.get("data-layer")}
    assert HOSTILE_NAMES[0] in layers and HOSTILE_NAMES[1] in layers
    assert "\x1b" not in out and "\\x1b" in out  # control characters shown, never sent
    assert "<script" not in out and "<img" not in out


def test_hostile_names_inert_in_dot() -> None:
    code, out, _ = run("draw", str(DRAW / "hostile.prototxt"), "--format", "dot")
    assert code == 0
    assert "\x1b" not in out
    # every quoted string stays one string: statements are exactly the nodes and edges
    body = re.sub(r'"(?:[^"\\]|\\.)*"', '""', out)
    statements = [s.strip() for s in body.split(";") if s.strip()]
    assert sum(" -> " in s for s in statements) == 2  # the ReLU is folded into the conv
    assert sum(re.match(r"n\d+ \[", s) is not None for s in statements) == 3


def test_hostile_names_inert_in_html() -> None:
    code, out, _ = run("report", str(DRAW / "hostile.prototxt"))
    assert code == 0
    assert out.count("<script") == 2 and out.count("</script>") == 2
    assert "<img" not in out and "onload=\"alert" not in out and "<!--" not in out
    data = re.search(r'<script type="application/json" id="dwsep-data">(.*?)</script>', out,
                     re.S).group(1)
    names = [x["name"] for x in json.loads(data)["views"][0]["layers"]]
    assert names[0] == HOSTILE_NAMES[0]  # exact after JSON.parse, inert before it


# -- the HTML report ------------------------------------------------------------------------------
def csp_of(page: str) -> str:
    return re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page).group(1)


def sha(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_report_is_self_contained_under_strict_csp() -> None:
    code, page, err = run("report", str(DRAW / "branches.prototxt"))
    assert code == 0, err
    csp = csp_of(page)
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    script = re.search(r"<script>(.*?)</script>", page, re.S).group(1)
    style = re.search(r"<style>(.*?)</style>", page, re.S).group(1)
    assert f"script-src {sha(script)}" in csp and f"style-src {sha(style)}" in csp
    # nothing to fetch: the only URL is the SVG namespace name, which is never loaded
    assert set(re.findall(r"https?://[^\s\"'<>)]+", page)) == {"http://www.w3.org/2000/svg"}
    assert ' style="' not in page  # inline style attributes would need 'unsafe-inline'
    assert "src=" not in page and "@import" not in page and "url(" not in style


def test_report_two_nets_side_by_side(tmp_path: Path) -> None:
    out = tmp_path / "cmp.html"
    code, _, err = run("report", str(DRAW / "v1.prototxt"), str(DRAW / "branches.prototxt"),
                       "-o", str(out))
    assert code == 0, err
    page = out.read_text()
    assert 'id="view-0"' in page and 'id="view-1"' in page and "What changed" in page
    assert len(json.loads(re.search(r'id="dwsep-data">(.*?)</script>', page, re.S)
                          .group(1))["views"]) == 2


def test_report_two_nets_share_the_net_options(tmp_path: Path) -> None:
    """--input-shape (like --batch, --phase) applies to both nets: compared on one input."""
    out = tmp_path / "cmp.html"
    code, _, err = run("report", str(DRAW / "v1.prototxt"), str(DRAW / "v1.prototxt"),
                       "--input-shape", "data=1,3,32,32", "-o", str(out))
    assert code == 0, err
    data = json.loads(re.search(r'id="dwsep-data">(.*?)</script>', out.read_text(), re.S)
                      .group(1))
    assert [v["layers"][0]["out"] for v in data["views"]] == ["1x3x32x32"] * 2
    # conv1, kernel 3 stride 2 on 32x32: (32 - 3) // 2 + 1 = 15 in both
    assert [v["layers"][1]["out"] for v in data["views"]] == ["1x4x15x15"] * 2


def test_separate_report_html(tmp_path: Path) -> None:
    out, net = tmp_path / "ba.html", tmp_path / "dw.prototxt"
    code, _, err = run("separate", str(DRAW / "branches.prototxt"), "-o", str(net),
                       "--report", str(out))
    assert code == 0, err
    page = out.read_text()
    assert "What changed" in page and "conv1/dw" in page and "conv1/sep" in page
    assert "<th>branches.prototxt (separated)</th>" in page  # same net name: files named


# -- layout ---------------------------------------------------------------------------------------
def test_layout_of_a_chain_is_straight_and_crossing_free() -> None:
    n = 300
    lay = layout([(80.0, 40.0)] * n, [(i, i + 1) for i in range(n - 1)])
    assert lay.crossings == 0
    assert len({p.x for p in lay.nodes}) == 1
    assert all(b.y > a.y for a, b in zip(lay.nodes, lay.nodes[1:], strict=False))


def test_layout_refuses_backward_edges() -> None:
    with pytest.raises(ValueError):
        layout([(10.0, 10.0)] * 2, [(1, 0)])


# -- every corpus net -----------------------------------------------------------------------------
@pytest.mark.parametrize("rel", ALL_PROTOTXTS)
def test_every_corpus_net_draws_and_reports(rel: str, tmp_path: Path) -> None:
    corpus_or_skip()
    path = CORPUS / rel
    extra = DATA_LAYER_SHAPES.get(rel, [])
    root = svg_of(path, *extra)
    check_picture(root, analysis_of(path, *extra))
    assert_no_overlap(rects(root))
    out = tmp_path / "r.html"
    code, _, err = run("report", str(path), *extra, "-o", str(out))
    assert code == 0, err
    assert out.stat().st_size > 0


def test_googlenet_has_few_crossings(corpus: Path) -> None:
    from prototxt_tool import analysis, pipeline
    from prototxt_tool.draw.model import build
    from prototxt_tool.draw.svg import arrange

    for rel in ("bvlc/googlenet_deploy_input_shape_2015.prototxt",
                "soeaver/deploy_inception-v3.prototxt"):
        got = analysis.analyze(pipeline.load_net(pipeline.read_source(str(corpus / rel))))
        assert arrange(build(got)).layout.crossings == 0, rel


# -- png / pdf through optional tools -------------------------------------------------------------
def test_png_without_tools_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from prototxt_tool.draw import convert

    monkeypatch.setattr(convert, "_cairosvg", lambda: None)
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot here
    out = tmp_path / "net.png"
    code, _, err = run("draw", str(DRAW / "v1.prototxt"), "--format", "png", "-o", str(out))
    assert code == 2 and not out.exists()
    assert err.strip().count("\n") == 0 and "pip install cairosvg" in err and "'dot'" in err


def test_pdf_through_graphviz_dot(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A stand-in `dot` on PATH: it must get our DOT on stdin and -Tpdf, and its bytes land."""
    from prototxt_tool.draw import convert

    monkeypatch.setattr(convert, "_cairosvg", lambda: None)
    fake = tmp_path / "dot"
    fake.write_text('#!/bin/sh\n[ "$1" = "-Tpdf" ] || exit 3\n'
                    'head -c 7 | grep -q "^digraph" || exit 4\nprintf "%%PDF-fake\\377"\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    out = tmp_path / "net.pdf"
    code, _, err = run("draw", str(DRAW / "v1.prototxt"), "--format", "pdf", "-o", str(out))
    assert code == 0, err
    assert out.read_bytes() == b"%PDF-fake\xff"
    fake.write_text("#!/bin/sh\necho 'Error: syntax error in line 1' >&2\nexit 1\n")
    code, _, err = run("draw", str(DRAW / "v1.prototxt"), "--format", "pdf", "-o", str(out))
    assert code == 2 and "syntax error in line 1" in err
