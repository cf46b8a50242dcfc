"""dwsep gen on the command line: options reach the generator, errors are one line + exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from prototxt_tool import caffe_pb2, textformat
from prototxt_tool.cli import COMMANDS
from prototxt_tool.commands import build_cli
from prototxt_tool.gen import mobilenet_v1, mobilenet_v2


def run(*args: str) -> Result:
    return CliRunner().invoke(build_cli(COMMANDS), list(args), catch_exceptions=False)


def one_line_error(result: Result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dwsep: error: "), result.stderr
    assert "Traceback" not in result.output
    return lines[0]


def test_list_names_every_model() -> None:
    result = run("gen", "--list")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == [
        "mobilenet", "mobilenet-v2", "mobilenet-v2", "mobilenet-ssd", "mobilenet-v2-ssdlite"]
    assert "--layout paper" in lines[2]
    assert all(len(line) <= 100 for line in lines)


def test_list_figures_are_the_analysis_of_the_default_nets() -> None:
    from prototxt_tool import analysis, pipeline

    lines = run("gen", "--list").stdout.splitlines()
    for line, text in zip(lines, (mobilenet_v1(), mobilenet_v2(),
                                  mobilenet_v2(layout="paper")), strict=False):
        total = analysis.analyze(pipeline.load_net(pipeline.Source("-", text))).total
        assert f"{total.macs / 1e6:.0f}M" in line.split()
        assert f"{total.learnable / 1e6:.2f}M" in line.split()


def test_cli_output_matches_python_api() -> None:
    assert run("gen", "mobilenet").stdout == mobilenet_v1()
    assert run("gen", "mobilenet", "-a", "0.5", "-r", "160", "--relu6", "--no-batch-norm",
               "--depthwise-type", "ConvolutionDepthwise", "--engine", "CUDNN", "--name", "x",
               "--num-classes", "10", "--batch-size", "2", "--legacy-input").stdout == \
        mobilenet_v1(alpha=0.5, resolution=160, relu6="Clip", batch_norm=False,
                     depthwise_type="ConvolutionDepthwise", engine="CUDNN", name="x",
                     num_classes=10, batch_size=2, legacy_input=True)
    assert run("gen", "mobilenet-v2", "-t", "3", "--relu6-type", "ReLU6",
               "--width-multiplier", "0.75", "--resolution", "192").stdout == \
        mobilenet_v2(expansion=3, relu6="ReLU6", alpha=0.75, resolution=192)


def test_output_file_and_solver(tmp_path: Path) -> None:
    net_path, solver_path = tmp_path / "train_val.prototxt", tmp_path / "solver.prototxt"
    result = run("gen", "mobilenet-v2", "--phase", "train-val", "--train-source", "tr",
                 "--val-source", "va", "--crop-size", "160", "--mean-value", "1,2,3",
                 "--scale", "0.5", "--no-mirror", "--backend", "LEVELDB", "--batch-size", "96",
                 "--solver", str(solver_path), "--solver-type", "SGD", "--epochs", "10",
                 "-o", str(net_path))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    net = caffe_pb2.NetParameter()
    textformat.parse(net_path.read_text(), net)
    data = net.layer[0]
    assert data.transform_param.crop_size == 160
    assert list(data.transform_param.mean_value) == [1.0, 2.0, 3.0]
    assert data.data_param.batch_size == 96
    solver = caffe_pb2.SolverParameter()
    textformat.parse(solver_path.read_text(), solver)
    assert solver.net == str(net_path)
    assert solver.type == "SGD" and solver.momentum == pytest.approx(0.9)
    iters = -(-1_281_167 // 96)
    assert solver.max_iter == 10 * iters and solver.stepsize == iters
    assert solver.gamma == pytest.approx(0.98)
    assert solver.test_iter == [1000]
    assert solver.weight_decay == pytest.approx(4e-5)


def test_rmsprop_solver_has_no_momentum(tmp_path: Path) -> None:
    solver_path = tmp_path / "s.prototxt"
    result = run("gen", "mobilenet", "--phase", "train-val", "--solver", str(solver_path))
    assert result.exit_code == 0
    solver = caffe_pb2.SolverParameter()
    textformat.parse(solver_path.read_text(), solver)
    # Caffe's RMSPropSolver CHECKs momentum == 0.
    assert solver.type == "RMSProp" and not solver.HasField("momentum")
    assert solver.rms_decay == pytest.approx(0.9) and solver.delta == pytest.approx(1.0)
    assert solver.net == "train_val.prototxt"
    assert solver.stepsize == 2 * -(-1_281_167 // 64) and solver.gamma == pytest.approx(0.94)


@pytest.mark.parametrize(("args", "fragment"), [
    (["gen", "mobilenet", "-a", "0"], "width multiplier"),
    (["gen", "mobilenet", "-a", "abc"], "-a"),
    (["gen", "mobilenet", "-r", "0"], "resolution"),
    (["gen", "mobilenet", "-r", "abc"], "resolution"),
    (["gen", "mobilenet", "-r", "31"], "resolution"),
    (["gen", "mobilenet-v2", "-t", "0"], "expansion"),
    (["gen", "resnet"], "unknown model 'resnet'"),
    (["gen"], "no model"),
    (["gen", "mobilenet", "-t", "4"], "mobilenet-v2 only"),
    (["gen", "mobilenet", "--train-source", "x"], "--phase train-val"),
    (["gen", "mobilenet", "--solver", "s.prototxt"], "--phase train-val"),
    (["gen", "mobilenet", "--phase", "train-val", "--mean-value", "1,x"], "--mean-value"),
    (["gen", "mobilenet", "--phase", "train-val", "--legacy-input"], "legacy-input"),
    (["gen", "mobilenet", "--phase", "train-val", "--crop-size", "200", "-r", "224"],
     "crop-size"),
    (["gen", "mobilenet", "--engine", "MKL"], "--engine"),
    (["gen", "mobilenet", "--bogus"], "--bogus"),
])
def test_bad_options_give_one_line_and_exit_2(args: list[str], fragment: str) -> None:
    assert fragment in one_line_error(run(*args))


def test_unwritable_output_leaves_no_file(tmp_path: Path) -> None:
    target = tmp_path / "missing-dir" / "net.prototxt"
    assert "cannot write" in one_line_error(run("gen", "mobilenet", "-o", str(target)))
    assert not target.parent.exists()


def test_error_leaves_existing_output_untouched(tmp_path: Path) -> None:
    target = tmp_path / "net.prototxt"
    target.write_text("previous")
    one_line_error(run("gen", "mobilenet", "-a", "2", "-o", str(target)))
    assert target.read_text() == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["net.prototxt"]


def test_output_written_atomically_equals_stdout(tmp_path: Path) -> None:
    target = tmp_path / "net.prototxt"
    assert run("gen", "mobilenet-v2", "-o", str(target)).exit_code == 0
    assert target.read_text() == mobilenet_v2()
    assert [p.name for p in tmp_path.iterdir()] == ["net.prototxt"]


def test_bad_solver_path_writes_neither_file(tmp_path: Path) -> None:
    net_path = tmp_path / "train_val.prototxt"
    line = one_line_error(run("gen", "mobilenet", "--phase", "train-val", "-o", str(net_path),
                              "--solver", str(tmp_path / "no" / "solver.prototxt")))
    assert "cannot write" in line
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("same", ["train_val.prototxt", "./train_val.prototxt", "link"])
def test_solver_onto_the_net_is_refused(tmp_path: Path, same: str,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """--solver naming the -o file (by name or through a symlink) would replace the net."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "link").symlink_to("train_val.prototxt")
    line = one_line_error(run("gen", "mobilenet", "--phase", "train-val", "-o",
                              "train_val.prototxt", "--solver", same))
    assert "is the -o file too" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link"]


# -- the detectors and the v2 layouts on the command line ------------------------------------

def test_detector_cli_matches_python_api(tmp_path: Path) -> None:
    from prototxt_tool.gen import DetectorData, mobilenet_ssd, mobilenet_v2_ssdlite

    assert run("gen", "mobilenet-ssd").stdout == mobilenet_ssd()
    assert run("gen", "mobilenet-ssd", "-r", "240x320", "--num-classes", "4", "-a", "0.75",
               "--relu6", "--batch-norm").stdout == mobilenet_ssd(
        resolution="240x320", num_classes=4, alpha=0.75, relu6="Clip", batch_norm=True)
    assert run("gen", "mobilenet-v2-ssdlite", "--phase", "test", "--val-source", "v",
               "--label-map", "l", "--batch-size", "2").stdout == mobilenet_v2_ssdlite(
        phase="test", batch_size=2, data=DetectorData(test_source="v", label_map="l"))
    assert run("gen", "mobilenet-v2", "--layout", "paper", "-r", "160x192").stdout == \
        mobilenet_v2(layout="paper", resolution=(160, 192))
    net, solver_path = tmp_path / "train.prototxt", tmp_path / "solver.prototxt"
    result = run("gen", "mobilenet-ssd", "--phase", "train", "--train-source", "t",
                 "--lr-mult", "1", "-o", str(net), "--solver", str(solver_path),
                 "--test-net", "my_test.prototxt")
    assert result.exit_code == 0, result.output
    assert net.read_text() == mobilenet_ssd(phase="train", lr_mult=1.0,
                                            data=DetectorData(train_source="t"))
    solver = caffe_pb2.SolverParameter()
    textformat.parse(solver_path.read_text(), solver)
    assert (solver.train_net, list(solver.test_net)) == (str(net), ["my_test.prototxt"])
    assert (solver.eval_type, solver.ap_version, solver.type) == ("detection", "11point",
                                                                  "RMSProp")


@pytest.mark.parametrize(("args", "fragment"), [
    (["gen", "mobilenet-ssd", "--phase", "train-val"], "--phase train-val does not apply"),
    (["gen", "mobilenet", "--phase", "train"], "--phase train does not apply to mobilenet"),
    (["gen", "mobilenet-ssd", "--legacy-input"], "mobilenet and mobilenet-v2 only"),
    (["gen", "mobilenet-ssd", "--layout", "paper"], "mobilenet-v2 only"),
    (["gen", "mobilenet-ssd", "--label-map", "l"], "--phase train or test only"),
    (["gen", "mobilenet-ssd", "--phase", "test", "--train-source", "t"], "train (detectors)"),
    (["gen", "mobilenet-ssd", "--phase", "test", "--solver", "s"], "train (detectors)"),
    (["gen", "mobilenet-ssd", "--phase", "train", "--test-net", "t"], "give --solver too"),
    (["gen", "mobilenet-ssd", "--phase", "test", "--lr-mult", "2"], "--phase train only"),
    (["gen", "mobilenet-ssd", "-r", "256"], "layer 'conv17_2' would downsample the 1x1"),
    (["gen", "mobilenet-ssd", "-r", "300x"], "resolution"),
    (["gen", "mobilenet-v2-ssdlite", "-r", "100"], "too small"),
])
def test_bad_detector_options_give_one_line(args: list[str], fragment: str) -> None:
    assert fragment in one_line_error(run(*args))
