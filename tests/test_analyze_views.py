"""`dwsep analyze` views (summary, top-k, sort, group-by, collapsed what-if), width, colour,
honest-figure notes and peak memory, on small nets written here."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from prototxt_tool import tables
from prototxt_tool.cli import COMMANDS
from prototxt_tool.commands import build_cli


def inp(name: str = "data", dims: tuple[int, ...] = (1, 8, 16, 16)) -> str:
    shape = " ".join(f"dim: {d}" for d in dims)
    return (f'layer {{ name: "{name}" type: "Input" top: "{name}"\n'
            f'  input_param {{ shape {{ {shape} }} }} }}\n')


def conv(name: str, bottom: str, n: int, k: int = 3, top: str | None = None) -> str:
    return (f'layer {{ name: "{name}" type: "Convolution" bottom: "{bottom}" '
            f'top: "{top or name}"\n  convolution_param {{ num_output: {n} kernel_size: {k} '
            f'pad: {k // 2} }} }}\n')


def inplace(name: str, kind: str, blob: str) -> str:
    return f'layer {{ name: "{name}" type: "{kind}" bottom: "{blob}" top: "{blob}" }}\n'


# A stem, then a residual unit (two branches summed), then a pooled head.
RESNET = ('name: "tiny"\n' + inp() + conv("stem/conv", "data", 8) + inplace("stem/relu", "ReLU",
          "stem/conv") + conv("unit1/a", "stem/conv", 8) + inplace("unit1/a_relu", "ReLU",
          "unit1/a") + conv("unit1/b", "unit1/a", 8) +
          'layer { name: "unit1" type: "Eltwise" bottom: "stem/conv" bottom: "unit1/b" '
          'top: "unit1" }\n' + inplace("unit1/relu", "ReLU", "unit1") +
          'layer { name: "pool" type: "Pooling" bottom: "unit1" top: "pool"\n'
          '  pooling_param { pool: AVE global_pooling: true } }\n')


def run(tmp_path: Path, text: str, *args: str, name: str = "net.prototxt"
        ) -> tuple[int, str, str]:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    result = CliRunner().invoke(build_cli(COMMANDS), ["analyze", str(path), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    return result.exit_code, result.stdout, result.stderr


def as_json(tmp_path: Path, text: str, *args: str) -> dict:
    code, out, err = run(tmp_path, text, "--format", "json", *args)
    assert code == 0, err
    return json.loads(out)


def test_summary_in_every_format(tmp_path: Path) -> None:
    _, table, _ = run(tmp_path, RESNET, "--summary")
    assert "Total MACs" in table and "breakdown by kind" in table
    assert "stem/relu" not in table and "\nlayer " not in table
    got = as_json(tmp_path, RESNET, "--summary")
    assert "layers" not in got and got["view"]["summary"] is True
    assert got["total"]["macs"] == as_json(tmp_path, RESNET)["total"]["macs"]
    _, out, _ = run(tmp_path, RESNET, "--summary", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 1 and int(rows[0]["macs"]) == got["total"]["macs"]
    assert rows[0]["layers"] == "9"
    _, md, _ = run(tmp_path, RESNET, "--summary", "--format", "markdown")
    assert "| layer |" not in md and "| breakdown by kind |" in md


def test_top_k_sorted_by_macs_in_every_format(tmp_path: Path) -> None:
    full = as_json(tmp_path, RESNET)["layers"]
    want = sorted(full, key=lambda x: -x["macs"])[:2]
    got = as_json(tmp_path, RESNET, "--top", "2")
    assert [x["name"] for x in got["layers"]] == [x["name"] for x in want]
    assert got["view"] == {"summary": False, "top": 2, "sort": "macs", "group_by": None}
    _, out, _ = run(tmp_path, RESNET, "--top", "2", "--format", "csv")
    assert [r["name"] for r in csv.DictReader(io.StringIO(out))] == [x["name"] for x in want]
    _, table, _ = run(tmp_path, RESNET, "--top", "2")
    assert "top 2 of 9 layers by macs:" in table
    _, md, _ = run(tmp_path, RESNET, "--top", "2", "--format", "markdown")
    assert md.count("| Convolution |") == 2


@pytest.mark.parametrize("key", ["params", "activations", "name", "order"])
def test_sort_keys(tmp_path: Path, key: str) -> None:
    layers = as_json(tmp_path, RESNET, "--sort", key)["layers"]
    values = [x[key] for x in layers] if key != "order" else [x["line"] for x in layers]
    assert values == (sorted(values) if key in ("name", "order") else sorted(values)[::-1])


@pytest.mark.parametrize("by", ["kind", "prefix", "block"])
def test_group_by_sums_to_the_totals(tmp_path: Path, by: str) -> None:
    got = as_json(tmp_path, RESNET, "--group-by", by)
    assert "layers" not in got
    groups = got["groups"]
    assert sum(g["macs"] for g in groups) == got["total"]["macs"]
    assert sum(g["params"] for g in groups) == got["total"]["params"]
    assert sum(g["layers"] for g in groups) == 9
    _, out, _ = run(tmp_path, RESNET, "--group-by", by, "--format", "csv")
    assert [r["group"] for r in csv.DictReader(io.StringIO(out))] == [g["name"] for g in groups]
    _, table, _ = run(tmp_path, RESNET, "--group-by", by)
    assert table.splitlines()[5].startswith(by)


def test_group_by_prefix_and_block_names(tmp_path: Path) -> None:
    prefix = as_json(tmp_path, RESNET, "--group-by", "prefix")["groups"]
    assert [(g["name"], g["layers"]) for g in prefix] == [
        ("data", 1), ("stem", 2), ("unit1", 5), ("pool", 1)]
    blocks = as_json(tmp_path, RESNET, "--group-by", "block")["groups"]
    # The residual unit runs from its first conv to the ReLU after the sum.
    assert [(g["name"], g["first"], g["last"]) for g in blocks] == [
        ("data", "data", "data"), ("stem/conv", "stem/conv", "stem/relu"),
        ("unit1", "unit1/a", "unit1/relu"), ("pool", "pool", "pool")]


def test_what_if_rows_collapse_identical_convolutions(tmp_path: Path) -> None:
    got = as_json(tmp_path, RESNET)
    rows = got["separable_groups"]
    assert [(r["first"], r["count"], r["kernel"], r["cin"], r["n"], r["size"]) for r in rows] == [
        ("stem/conv", 3, [3, 3], 8, 8, [16, 16])]
    per_layer = [x["separable"]["macs"] for x in got["layers"] if x["separable"]]
    assert rows[0]["separable_macs"] == sum(per_layer)
    _, table, _ = run(tmp_path, RESNET)
    assert table.count("stem/conv") == 2  # the layer row and one collapsed what-if row


def test_markdown_numbers_right_aligned(tmp_path: Path) -> None:
    _, md, _ = run(tmp_path, RESNET, "--format", "markdown")
    assert "|---|---|---|---|---:|---:|" in md


def test_unknown_spelled_once_per_format(tmp_path: Path) -> None:
    text = RESNET + ('layer { name: "mystery" type: "NoSuchLayer" bottom: "pool" top: "m" }\n'
                     'layer { name: "fc" type: "InnerProduct" bottom: "m" top: "fc"\n'
                     '  inner_product_param { num_output: 4 } }\n')
    got = as_json(tmp_path, text)
    fc = got["layers"][-1]
    assert fc["macs"] is None and fc["tops"][0]["shape"] is None
    _, out, _ = run(tmp_path, text, "--format", "csv")
    row = list(csv.DictReader(io.StringIO(out)))[-1]
    assert row["macs"] == "" and row["top_shapes"] == ""
    _, table, _ = run(tmp_path, text)
    fc_line = next(x for x in table.splitlines() if x.startswith("fc "))
    assert fc_line.split()[-3:] == ["?", "?", "?"]


def test_table_fits_100_columns_wherever_the_file_lies(tmp_path: Path) -> None:
    deep = "/".join(["a-rather-long-directory-name"] * 6) + "/net.prototxt"
    long = "a_very_long_layer_name_that_does_not_fit_the_column_at_all"
    text = RESNET + conv(long + "_1", "pool", 4, 1) + conv(long + "_2", "pool", 4, 1)
    code, out, _ = run(tmp_path, text, name=deep)
    assert code == 0
    assert max(map(len, out.splitlines())) <= 100
    assert out.splitlines()[0].endswith("net.prototxt  phase TEST  format V2")


def test_shortened_names_stay_distinct() -> None:
    names = [f"inception_a{i}_{k}_reduce_{s}" for i in (1, 2, 3) for k in ("5x5", "3x3")
             for s in ("bn", "scale", "relu")] + ["same_start_" + "x" * 40 + "_end",
                                                  "same_start_" + "x" * 39 + "y_end"]
    for width in (10, 16, 24):
        short = tables.shorten_unique(names, width)
        assert len(set(short.values())) == len(names), width
        assert all(len(s) <= width for s in short.values())
    short = tables.shorten_unique(names, 24)
    assert short["inception_a2_3x3_reduce_scale"] != short["inception_a3_3x3_reduce_scale"]


def test_colour_only_when_asked_or_on_a_terminal(tmp_path: Path, monkeypatch) -> None:
    _, plain, _ = run(tmp_path, RESNET)
    assert "\x1b[" not in plain  # CliRunner's stdout is not a terminal
    _, coloured, _ = run(tmp_path, RESNET, "--color", "always")
    assert "\x1b[" in coloured
    monkeypatch.setenv("NO_COLOR", "1")
    assert not tables.color_enabled("auto", True)
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("TERM", "xterm")
    assert tables.color_enabled("auto", True) and not tables.color_enabled("auto", False)


def test_peak_memory_with_buffer_reuse(tmp_path: Path) -> None:
    got = as_json(tmp_path, RESNET)["total"]
    # During unit1 (Eltwise): stem/conv, unit1/b and its top unit1 are alive, 8x16x16 each.
    assert got["peak_activations"] == 3 * 8 * 16 * 16
    assert got["peak_layer"] == "unit1/b" or got["peak_layer"] == "unit1"
    assert got["peak_activation_bytes"] == 4 * got["peak_activations"]
    assert got["activations"] > got["peak_activations"]


def test_peak_keeps_net_outputs(tmp_path: Path) -> None:
    # out1 is read by no layer: a net output, it stays allocated to the end (else 200).
    text = (inp(dims=(1, 1, 10, 10)) + conv("out1", "data", 1, 1) + conv("c2", "data", 1, 1)
            + conv("c3", "c2", 1, 1))
    got = as_json(tmp_path, text)["total"]
    assert got["peak_activations"] == 300  # during c2: data, out1, c2; during c3: out1, c2, c3


def test_batch_note(tmp_path: Path) -> None:
    got = as_json(tmp_path, "name: 'b'\n" + inp(dims=(10, 8, 16, 16)) + conv("c", "data", 8))
    assert got["notes"] == ["figures are for batch 10 (input 'data' declares it); "
                            "--batch 1 for per-image"]
    _, table, _ = run(tmp_path, inp(dims=(10, 8, 16, 16)))
    assert "note: figures are for batch 10" in table
    assert as_json(tmp_path, inp(dims=(10, 8, 16, 16)), "--batch", "1")["notes"] == []
    _, _, err = run(tmp_path, inp(dims=(10, 8, 16, 16)), "--format", "csv")
    assert "dwsep: note: figures are for batch 10" in err


def test_placeholder_input_note(tmp_path: Path) -> None:
    got = as_json(tmp_path, inp("image", (1, 3, 1, 1)) + conv("c", "image", 8))
    assert any("input 'image' is 1x3x1x1" in n and "--input-shape image=" in n
               for n in got["notes"])
    given = as_json(tmp_path, inp("image", (1, 3, 1, 1)), "--input-shape", "image=1,3,368,368")
    assert given["notes"] == []


def test_hint_names_the_blob_where_unknown_shapes_start(tmp_path: Path) -> None:
    text = (inp() + 'layer { name: "proposal" type: "Python" bottom: "data" top: "rois"\n'
            '  python_param { module: "m" layer: "L" } }\n'
            'layer { name: "fc" type: "InnerProduct" bottom: "rois" top: "fc"\n'
            '  inner_product_param { num_output: 4 } }\n')
    got = as_json(tmp_path, text)
    assert any("layer 'proposal' (Python)" in n and "--blob-shape rois=" in n
               for n in got["notes"])
    assert as_json(tmp_path, text, "--blob-shape", "rois=300,5")["notes"] == []


def test_data_dependent_placeholder_note_and_override(tmp_path: Path) -> None:
    """py-faster-rcnn's proposal layer is 1x5 after setup(); --blob-shape gives the real count."""
    text = (inp("rpn_cls", (1, 18, 14, 14)) + inp("rpn_bbox", (1, 36, 14, 14))
            + inp("im_info", (1, 3)) +
            'layer { name: "proposal" type: "Python" bottom: "rpn_cls" bottom: "rpn_bbox"\n'
            '  bottom: "im_info" top: "rois"\n'
            '  python_param { module: "rpn.proposal_layer" layer: "ProposalLayer" } }\n'
            'layer { name: "fc" type: "InnerProduct" bottom: "rois" top: "fc"\n'
            '  inner_product_param { num_output: 4 } }\n')
    got = as_json(tmp_path, text)
    assert any("layer 'proposal' (Python)" in n and "setup shape (1x5)" in n
               and "--blob-shape rois=N,5" in n for n in got["notes"])
    given = as_json(tmp_path, text, "--blob-shape", "rois=300,5")
    assert given["notes"] == []
    assert given["layers"][-1]["macs"] == 300 * 5 * 4


def test_blob_shape_on_a_computed_blob_is_an_error(tmp_path: Path) -> None:
    code, out, err = run(tmp_path, RESNET, "--blob-shape", "unit1/a=1,8,16,16")
    assert code == 2 and out == ""
    assert "--blob-shape unit1/a: layer 'unit1/a' (Convolution) computes this blob" in err
    code, _, err = run(tmp_path, RESNET, "--input-shape", "pool=1,8,1,1")
    assert code == 2 and "--input-shape pool: layer 'pool' (Pooling) computes" in err
    assert len(err.strip().splitlines()) == 1


def test_int_max_blob_is_an_error_naming_the_layer(tmp_path: Path) -> None:
    code, out, err = run(tmp_path, inp(dims=(1, 3, 224, 224)) + conv("conv1_1", "data", 64),
                         "--batch", "1024")
    assert code == 2 and out == ""
    assert "layer 'conv1_1' (Convolution)" in err and "exceeds INT_MAX" in err
    assert "1024x64x224x224" in err


def _golden_files() -> list[Path]:
    from conftest import CORPUS

    return sorted((CORPUS / "expected").glob("*.json")) if (CORPUS / "expected").is_dir() else []


@pytest.mark.parametrize("expected_file", _golden_files(), ids=lambda p: p.stem)
def test_views_keep_every_golden_figure(expected_file: Path) -> None:
    """Roll-ups sum to the totals and sorted views hold the same layers, for every golden net."""
    from conftest import corpus_or_skip

    import prototxt_tool
    from prototxt_tool import report, views

    corpus = corpus_or_skip()
    exp = json.loads(expected_file.read_text())
    shapes = {k: [-1 if d is None else d for d in v]
              for k, v in exp.get("input_shapes", {}).items()}
    a = prototxt_tool.analyze(corpus / exp["source"], phase=exp["phase"], input_shapes=shapes)
    params = {r.name: r.params for r in a.layers}
    for want in exp["layers"]:
        assert params[want["name"]] == want["param_count"], want["name"]
    for by in views.GROUP_KEYS:
        groups = views.groups(a, by)
        assert sum(g.layers for g in groups) == len(a.layers)
        if not a.total.unknown:
            assert sum(g.macs for g in groups) == a.total.macs, by
            assert sum(g.params for g in groups) == a.total.params, by
    for key in views.SORT_KEYS:
        chosen = views.select(a.layers, key)
        assert sorted(map(id, chosen)) == sorted(map(id, a.layers))
    doc = report.view_dict(a, report.View(top=5, sort="params"))
    full = {x["name"]: x for x in a.to_dict()["layers"]}
    assert all(full[x["name"]] == x for x in doc["layers"])


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "markdown"])
@pytest.mark.parametrize("view", [["--group-by", "block"], ["--group-by", "kind"],
                                  ["--group-by", "prefix"], ["--summary"], ["--top", "3"]])
def test_every_view_of_a_net_without_layers(tmp_path: Path, fmt: str, view: list[str]) -> None:
    """A file with no layer (a non-Caffe text protobuf reads so) is an empty report, not a
    traceback: no unit, no group, no row."""
    code, out, err = run(tmp_path, 'name: "empty"\n', "--format", fmt, *view)
    assert code == 0, err
    if fmt == "json":
        got = json.loads(out)
        assert got["total"]["macs"] == 0 and got["breakdown"] == []
        if "--summary" in view:
            assert "layers" not in got and "groups" not in got
        elif "--group-by" in view:
            assert got["groups"] == []
        else:
            assert got["layers"] == []
    elif fmt == "csv":  # the header, and with --summary the net's one row
        assert len(out.splitlines()) == (2 if "--summary" in view else 1)
