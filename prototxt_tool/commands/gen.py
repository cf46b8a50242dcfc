"""`dwsep gen`: write a MobileNet classifier or SSD detector prototxt (logic in
prototxt_tool.gen). Options are mapped onto the generators' option objects in one place
(`_gen_options`), and which option applies to which model and phase in another (`APPLIES`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from prototxt_tool.commands import complete
from prototxt_tool.errors import UsageError

ModelPhase = Callable[[Any, str], bool]


def _classifier(phase: str | None = None) -> ModelPhase:
    return lambda m, p: not m.detector and (phase is None or p == phase)


def _detector(*phases: str) -> ModelPhase:
    return lambda m, p: m.detector and (not phases or p in phases)


def _either(*tests: ModelPhase) -> ModelPhase:
    return lambda m, p: any(t(m, p) for t in tests)


# Options that only make sense for some models or phases: naming one elsewhere is a mistake
# worth one clear line rather than a silently ignored flag. (option, test, where it applies)
APPLIES: tuple[tuple[str, ModelPhase, str], ...] = (
    ("expansion", lambda m, p: m.name == "mobilenet-v2", "mobilenet-v2 only"),
    ("layout", lambda m, p: m.name == "mobilenet-v2", "mobilenet-v2 only"),
    ("legacy_input", _classifier(), "mobilenet and mobilenet-v2 only"),
    ("crop_size", _classifier("train-val"), "--phase train-val only"),
    ("val_batch_size", _classifier("train-val"), "--phase train-val only"),
    ("epochs", _classifier("train-val"), "--phase train-val only"),
    ("train_source", _either(_classifier("train-val"), _detector("train")),
     "--phase train-val (classifiers) or train (detectors) only"),
    ("val_source", _either(_classifier("train-val"), _detector("test")),
     "--phase train-val (classifiers) or test (detectors) only"),
    ("mirror", _either(_classifier("train-val"), _detector("train")),
     "--phase train-val (classifiers) or train (detectors) only"),
    ("solver", _either(_classifier("train-val"), _detector("train")),
     "--phase train-val (classifiers) or train (detectors) only"),
    ("solver_type", _either(_classifier("train-val"), _detector("train")),
     "--phase train-val (classifiers) or train (detectors) only"),
    ("backend", lambda m, p: p != "deploy", "--phase train-val, train or test only"),
    ("mean_value", lambda m, p: p != "deploy", "--phase train-val, train or test only"),
    ("scale", lambda m, p: p != "deploy", "--phase train-val, train or test only"),
    ("label_map", _detector("train", "test"), "the detectors' --phase train or test only"),
    ("lr_mult", _detector("train"), "the detectors' --phase train only"),
    ("tf_pad", lambda m, p: m.name == "mobilenet-v2-ssdlite", "mobilenet-v2-ssdlite only"),
    ("test_net", _detector("train"), "the detectors' --phase train only (with --solver)"),
)


def _float_list(value: str) -> tuple[float, ...]:
    try:
        return tuple(float(v) for v in value.replace(" ", "").split(","))
    except ValueError:
        raise UsageError(f"--mean-value {value!r}: expected numbers separated by commas, "
                         "e.g. 103.94,116.78,123.68") from None


def _explicit(ctx: click.Context, names: tuple[str, ...]) -> list[str]:
    return [n for n in names
            if ctx.get_parameter_source(n) not in (None, click.core.ParameterSource.DEFAULT)]


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-") if name != "expansion" else "-t/--expansion"


def _check_applicable(ctx: click.Context, spec: Any, phase: str) -> None:
    if phase not in spec.phases:
        raise UsageError(f"--phase {phase} does not apply to {spec.name}; choose "
                         f"{', '.join(spec.phases)}")
    given = set(_explicit(ctx, tuple(name for name, _, _ in APPLIES)))
    for name, applies, where in APPLIES:
        if name in given and not applies(spec, phase):
            raise UsageError(f"{_flag(name)} applies to {where}")
    if "test_net" in given and "solver" not in given:
        raise UsageError("--test-net names the TEST net in the solver; give --solver too")


def _list_models() -> None:
    """Each model at its defaults, with MACs and learnable params computed by analyzing what
    it generates (nothing here is typed in)."""
    from prototxt_tool.gen import LISTING, MODELS
    from prototxt_tool.gen.summary import default_figures

    width = max(len(label) for label, *_ in LISTING)
    for label, name, options, description in LISTING:
        macs, params = default_figures(name, **options)
        click.echo(f"{label:<{width}}  {macs:>5} MACs  {params:>5} params  "
                   f"{description or MODELS[name].description}")


@click.command(epilog="""\b
Examples:
  dwsep gen mobilenet > mobilenet_deploy.prototxt
  dwsep gen mobilenet -a 0.5 -r 160 --relu6 -o mb_050_160.prototxt
  dwsep gen mobilenet-v2 --layout paper -t 4 -a 0.75 -r 240x320
  dwsep gen mobilenet --phase train-val --train-source train_lmdb \\
      --val-source val_lmdb -o train_val.prototxt --solver solver.prototxt
  dwsep gen mobilenet-ssd -r 512 --num-classes 4 -o deploy.prototxt
  dwsep gen mobilenet-ssd --phase train --train-source trainval_lmdb \\
      --label-map labelmap.prototxt -o train.prototxt --solver solver.prototxt
  dwsep gen mobilenet-v2-ssdlite --phase test --num-classes 91
  dwsep gen mobilenet --target ncsdk     input and layer types ncsdk takes
  dwsep gen --list

Channels scale as TensorFlow's reference code does: v1 max(int(c*alpha), 8), v2 the nearest
multiple of 8 (never 10% below c*alpha). -r takes N or HxW (Caffe's order: 240x320 is 240
high, 320 wide). See docs/gen.md.""")
@click.argument("model", required=False, shell_complete=complete.models)
@click.option("--list", "list_", is_flag=True,
              help="List the models with their MACs and params at defaults, and exit.")
@click.option("-a", "--width-multiplier", "alpha", type=float, default=1.0, show_default=True,
              help="Width multiplier alpha, in (0, 1.5].")
@click.option("-r", "--resolution", metavar="N|HxW", default=None,
              help="Input size, each side >= 32 (default 224; detectors 300).")
@click.option("-t", "--expansion", type=int, default=6, show_default=True,
              help="mobilenet-v2: expansion factor t of the inverted residuals.")
@click.option("--layout", type=click.Choice(["caffe", "paper"]), default="caffe",
              show_default=True,
              help="mobilenet-v2: shicai's Caffe port (caffe) or the paper's Table 2 strides.")
@click.option("--num-classes", type=int, default=None,
              help="Classes: fc7 outputs (default 1000) or, for detectors, with background "
                   "(default 21, VOC; 91 for COCO).")
@click.option("--batch-size", type=int, default=None,
              help="Batch size: the input's N (deploy, default 1), the TRAIN Data layer's "
                   "(train-val 64, detector train 24) or detector test's (8).")
@click.option("--batch-norm/--no-batch-norm", default=None,
              help="Keep BatchNorm/Scale, or merge them into the convolutions (bias_term: "
                   "true). Default: kept, except in detector deploy nets.")
@click.option("--relu6", is_flag=True, help="ReLU6 instead of ReLU (see --relu6-type).")
@click.option("--relu6-type", type=click.Choice(["Clip", "ReLU6"]), default=None,
              help="How to write ReLU6: BVLC 'Clip' (min 0, max 6; default) or fork 'ReLU6'.")
@click.option("--depthwise-type", default="Convolution", show_default=True,
              type=click.Choice(["Convolution", "ConvolutionDepthwise", "DepthwiseConvolution"]),
              help="Layer type of the depthwise convolutions (group = channels in every case).")
@click.option("--engine", type=click.Choice(["CAFFE", "CUDNN", "DEFAULT"]), default="CAFFE",
              show_default=True, help="convolution_param.engine of the depthwise layers.")
@click.option("--name", default=None, help="The net's name (default: the model's).")
@click.option("--legacy-input", is_flag=True,
              help="Classifiers: declare the input with top-level input/input_dim fields.")
@click.option("--phase", type=click.Choice(["deploy", "train-val", "train", "test"]),
              default="deploy", show_default=True,
              help="deploy; classifiers: train-val (Data layers, loss); detectors: train "
                   "(AnnotatedData, MultiBoxLoss) or test (DetectionEvaluate).")
@click.option("--train-source", default=None, metavar="PATH", help="TRAIN data source.")
@click.option("--val-source", default=None, metavar="PATH", help="TEST data source.")
@click.option("--label-map", default=None, metavar="PATH",
              help="Detectors: AnnotatedData label_map_file (default labelmap.prototxt).")
@click.option("--backend", type=click.Choice(["LMDB", "LEVELDB"]), default="LMDB",
              show_default=True, help="Data layer backend.")
@click.option("--crop-size", type=int, default=None,
              help="transform_param.crop_size (sets the resolution; default -r).")
@click.option("--mean-value", default=None, metavar="B,G,R",
              help="Per-channel mean subtracted (default 103.94,116.78,123.68; detectors "
                   "127.5).")
@click.option("--scale", type=float, default=None,
              help="Input scale (default 0.017; detectors 0.007843).")
@click.option("--mirror/--no-mirror", default=True, show_default=True,
              help="Random horizontal flips in TRAIN.")
@click.option("--val-batch-size", type=int, default=None,
              help="Batch size of the TEST Data layer (train-val, default 50).")
@click.option("--lr-mult", type=float, default=None,
              help="Detector train: lr_mult of all but the class-score layers (default 0.1 "
                   "for mobilenet-ssd, fine-tuning as chuanqi305 does; 1 for ssdlite).")
@click.option("--tf-pad", is_flag=True,
              help="mobilenet-v2-ssdlite: TensorFlow's SAME padding (pad 2 + Slice) on even "
                   "inputs of stride-2 convs, for weights converted from TensorFlow.")
@click.option("--solver", default=None, metavar="FILE",
              help="Also write a matching solver.prototxt to FILE.")
@click.option("--solver-type", type=click.Choice(["RMSProp", "SGD"]), default="RMSProp",
              show_default=True, help="Optimizer of the solver.")
@click.option("--epochs", type=int, default=120, show_default=True,
              help="Training length of the solver, in ImageNet epochs.")
@click.option("--test-net", default=None, metavar="PATH",
              help="Detector solver: its test_net (default test.prototxt).")
@click.option("--target", default=None, metavar="NAMES", shell_complete=complete.targets,
              help="Deployment target(s) the net must convert for (see 'dwsep targets'): "
                   "picks their depthwise type, ReLU6 form and input declaration, and refuses "
                   "a combination they reject.")
@click.option("-o", "--output", metavar="FILE", default="-",
              help="Write to FILE (atomically) instead of stdout.")
@click.pass_context
def gen(ctx: click.Context, model: str | None, list_: bool, **kw: Any) -> None:
    """Generate MODEL (see --list) as a Caffe prototxt."""
    if list_:
        _list_models()
        return
    if model is None:
        raise UsageError("no model given; choose one of 'dwsep gen --list'")
    from prototxt_tool import gen as generators

    spec = generators.model(model)
    _check_applicable(ctx, spec, kw["phase"])
    if kw["crop_size"] is not None and kw["resolution"] is None:
        kw["resolution"] = kw["crop_size"]
    chosen = _target_defaults(ctx, kw)
    options = _gen_options(kw, spec)
    text = spec.build(**options)
    if chosen:
        _check_targets(text, chosen)
    solver_text = _solver_text(kw, spec, options) if kw["solver"] else None
    if solver_text is not None:
        _check_writable(kw["solver"], kw["output"])
    from prototxt_tool.outputs import write_atomic, write_output

    write_output(kw["output"], text)
    if solver_text is not None:
        write_atomic(kw["solver"], solver_text)


def _target_defaults(ctx: click.Context, kw: dict[str, Any]) -> tuple[str, ...]:
    """--target: the first target's [gen] defaults for what the user did not choose."""
    if not kw["target"]:
        return ()
    from prototxt_tool.targets import load, resolve

    chosen = resolve(kw["target"])
    defaults = load(chosen[0]).gen
    if not _explicit(ctx, ("depthwise_type",)) and "depthwise_type" in defaults:
        kw["depthwise_type"] = defaults["depthwise_type"]
    if (kw["relu6"] or kw["relu6_type"]) and not kw["relu6_type"] and "relu6" in defaults:
        kw["relu6_type"] = defaults["relu6"]
    if kw["phase"] == "deploy" and not _explicit(ctx, ("legacy_input",)) and "input" in defaults:
        kw["legacy_input"] = defaults["input"] == "fields"
    return chosen


def _check_targets(text: str, chosen: tuple[str, ...]) -> None:
    """Refuse, with the target's reason, a generated net a chosen target would not take."""
    from prototxt_tool.pipeline import Source
    from prototxt_tool.targets import load
    from prototxt_tool.targets.check import check_source

    for name in chosen:
        blocking = [v for v in check_source(load(name), Source("<gen>", text)) if v.blocking]
        if blocking:
            more = f" (and {len(blocking) - 1} more)" if len(blocking) > 1 else ""
            raise UsageError(f"--target {name}: the requested net would not convert: "
                             f"{blocking[0].message}{more}")


def _check_writable(path: str, net: str | None) -> None:
    """Refuse an impossible solver path before the net is written, so a failed run leaves
    neither file; the net's own path is one (the solver would replace the net)."""
    from pathlib import Path

    from prototxt_tool.outputs import same_file

    if net not in (None, "-") and same_file(path, net):
        raise UsageError(f"--solver {path}: is the -o file too; the solver would replace the "
                         "net (give it a name of its own, e.g. solver.prototxt)")
    target = Path(path)
    if target.is_dir():
        raise UsageError(f"{path}: is a directory")
    if not (target.parent if str(target.parent) else Path(".")).is_dir():
        raise UsageError(f"{path}: cannot write: No such file or directory")


def _gen_options(kw: dict[str, Any], spec: Any) -> dict[str, Any]:
    """The generator's keyword options from the command line; the one place a new flag (such
    as a target profile) is mapped onto a model."""
    relu6 = (kw["relu6_type"] or "Clip") if kw["relu6"] or kw["relu6_type"] else None
    options: dict[str, Any] = {
        "alpha": kw["alpha"], "batch_size": kw["batch_size"], "relu6": relu6,
        "depthwise_type": kw["depthwise_type"], "engine": kw["engine"], "name": kw["name"],
        "phase": kw["phase"],
    }
    for key in ("resolution", "num_classes", "batch_norm"):
        if kw[key] is not None:
            options[key] = kw[key]
    data: dict[str, Any] = {"backend": kw["backend"], "mirror": kw["mirror"]}
    if kw["scale"] is not None:
        data["scale"] = kw["scale"]
    if kw["mean_value"] is not None:
        data["mean_value"] = _float_list(kw["mean_value"])
    if spec.detector:
        from prototxt_tool.gen import DetectorData

        for key, field in (("train_source", "train_source"), ("val_source", "test_source"),
                           ("label_map", "label_map")):
            if kw[key] is not None:
                data[field] = kw[key]
        options["lr_mult"] = kw["lr_mult"]
        if kw["tf_pad"]:
            options["tf_pad"] = True
        options["data"] = DetectorData(**data)
        return options
    from prototxt_tool.gen import DataOptions

    for key in ("train_source", "val_source"):
        if kw[key] is not None:
            data[key] = kw[key]
    data["crop_size"] = kw["crop_size"]
    if kw["val_batch_size"] is not None:
        data["val_batch_size"] = kw["val_batch_size"]
    options["legacy_input"] = kw["legacy_input"]
    options["data"] = DataOptions(**data)
    if spec.name == "mobilenet-v2":
        options["expansion"] = kw["expansion"]
        options["layout"] = kw["layout"]
    return options


def _solver_text(kw: dict[str, Any], spec: Any, options: dict[str, Any]) -> str:
    from prototxt_tool.gen import solver as solvers

    if spec.detector:
        train_net = kw["output"] if kw["output"] != "-" else "train.prototxt"
        return solvers.ssd_solver(train_net, kw["test_net"] or "test.prototxt",
                                  solver_type=kw["solver_type"],
                                  snapshot_prefix=f"snapshot/{spec.name}", model=spec.name)
    net_path = kw["output"] if kw["output"] != "-" else "train_val.prototxt"
    defaults = spec.solver_defaults
    return solvers.solver(net_path, batch_size=options["batch_size"] or 64,
                          val_batch_size=options["data"].val_batch_size,
                          gamma=defaults["gamma"],
                          epochs_per_step=int(defaults["epochs_per_step"]),
                          solver_type=kw["solver_type"], epochs=kw["epochs"],
                          snapshot_prefix=f"snapshots/{spec.name}", model=spec.name)
