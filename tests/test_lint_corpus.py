"""Lint over the real public nets: no error-level finding except the known real defect."""

from __future__ import annotations

from pathlib import Path

from prototxt_tool.lint import lint_paths


def test_corpus_errors_are_only_real_defects(corpus: Path) -> None:
    result = lint_paths([str(corpus)])
    assert not result.problems
    assert result.files == len(list(corpus.rglob("*.prototxt")))
    errors = [(Path(f.path).relative_to(corpus).as_posix(), f.code, f.layer, f.message)
              for f in result.findings if f.severity == "error"]
    # LightenedCNN_B's deploy net kept a TEST-phase Accuracy layer reading 'label', which
    # nothing produces: Caffe refuses it with "Unknown bottom blob 'label'".
    assert errors == [("lightcnn/LightenedCNN_B_deploy.prototxt", "G002", "accuracy",
                       "layer 'accuracy': bottom 'label' is not produced by any layer in phase "
                       "TEST (phase TEST only)")]


def test_corpus_legacy_nets_get_upgrade_hint(corpus: Path) -> None:
    result = lint_paths([str(corpus)], select=["P007"])
    flagged = sorted(Path(f.path).name for f in result.findings)
    assert "LightenedCNN_B_deploy.prototxt" in flagged
    assert "caffenet_imagenet_deploy_v0_2013.prototxt" in flagged
    assert all("dwsep upgrade" in f.message for f in result.findings)
    assert "alexnet_deploy.prototxt" not in flagged
