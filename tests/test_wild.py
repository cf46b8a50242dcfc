"""Coverage of the public "wild" sample (../shared/wild, or $DWSEP_WILD): per file, does it
parse (tolerantly) and, for a deploy-like net, analyze with complete figures?

Every file that does not is listed below with the reason that outcome is right; a file that
starts to work, or stops, fails the test so the lists stay true. The rates themselves are
printed by `python scripts/wild_coverage.py`.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
WILD = Path(os.environ.get("DWSEP_WILD", REPO.parent / "shared" / "wild"))

_spec = importlib.util.spec_from_file_location("wild_coverage", REPO / "scripts" /
                                               "wild_coverage.py")
coverage = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
sys.modules["wild_coverage"] = coverage  # its dataclass looks itself up there
_spec.loader.exec_module(coverage)  # type: ignore[union-attr]

# file -> (words of the expected parse error, why that is right)
PARSE_FAILS = {
    "Nortinwell__VGG-depthwise-SSD/VGG_reduce_300.prototxt": (
        'expected "{" or ":" after an unknown field name, found "layer"',
        "a stray `z` after a closing brace: protobuf (even with allow_unknown_field) rejects it"),
    "dgschwend__netscope/presets__fcn-16s.prototxt": (
        'has no value named "CROP"',
        "V1 enum LayerType has no CROP (Crop exists only as a V2 type): Caffe rejects it"),
    "guanlongzhao__single-image-dehazing/deploy.prototxt": (
        'expected an integer, found "{"',
        "a template: input_dim:{height} is a placeholder filled in by a script"),
    "guanlongzhao__single-image-dehazing/test_template.prototxt": (
        'expected an integer, found "{"', "a template with {height}/{width} placeholders"),
    "dgschwend__netscope/presets__vgg-16.prototxt": (
        "mixes", "V1 'layers' together with a V2 'layer': Caffe refuses to upgrade such a net"),
}

# deploy-like file -> (words of the expected analyze status, why that is right)
INCOMPLETE = {
    "happynear__caffe-windows/src__caffe__test__inner_distance_layer.prototxt": (
        "Too many params specified", "happynear's own Caffe refuses it: 2 param {} specs for "
        "InnerDistance's one blob (its bias blob went in commit bf83a197, after the file)"),
    "Xilinx__Vitis-AI/src__vai_library__general1__test__sample.prototxt": (
        "no layers", "not a Caffe net (a Vitis `model { kernel { ... } }` file): all skipped"),
    "wangshankun__Tengine_Atlas/cnn_ctc_sx__cnn_ctc.prototxt": (
        "unknown: huawei_atlas_inference", "a vendor NPU layer (atlas_param) no public "
        "source sizes"),
}
# Deploy-like files still incomplete because a fork layer has no rule yet (never guessed: the
# layer and what follows it are unknown). file -> words of the status.
KNOWN_GAPS = {
}


def rows() -> list[tuple[str, bool]]:
    if not (WILD / "MANIFEST.tsv").is_file():
        return []
    return coverage.manifest(WILD)


ROWS = rows()


@pytest.mark.skipif(not ROWS, reason=f"wild sample not found at {WILD} (set DWSEP_WILD)")
@pytest.mark.parametrize(("file", "deploy_like"), ROWS, ids=[f for f, _ in ROWS])
def test_file(file: str, deploy_like: bool) -> None:
    status = coverage.check(WILD, file, deploy_like)
    if file in PARSE_FAILS:
        assert PARSE_FAILS[file][0] in status.parse, status.parse
        return
    assert status.parse == "ok"
    if not deploy_like:
        return
    expected = INCOMPLETE.get(file) or (KNOWN_GAPS.get(file), "")
    if expected[0] is None:
        assert status.analyze == "complete"
    else:
        assert expected[0] in status.analyze, status.analyze


@pytest.mark.skipif(not ROWS, reason=f"wild sample not found at {WILD} (set DWSEP_WILD)")
def test_strict_and_tolerant_agree_where_the_schema_knows_everything() -> None:
    """A file that parses strictly gives the very same net and figures when read tolerantly."""
    from prototxt_tool import analysis, pipeline
    from prototxt_tool.errors import DwsepError

    checked = 0
    for file, deploy_like in ROWS:
        source = pipeline.read_source(str(WILD / "files" / file))
        try:
            strict = pipeline.load_net(source)
        except DwsepError:
            continue
        tolerant = pipeline.load_net(source, strict=False)
        assert tolerant.skipped == [] and tolerant.raw == strict.raw, file
        if deploy_like:
            try:
                a = analysis.analyze(strict)
            except DwsepError:
                continue
            b = analysis.analyze(tolerant)
            assert a.layers == b.layers and a.total == b.total, file
        checked += 1
    assert checked > 200
