"""`dwsep gen`: write a MobileNet v1/v2 prototxt (logic in prototxt_tool.gen)."""

from __future__ import annotations

from typing import Any

import click

from prototxt_tool.commands import complete
from prototxt_tool.errors import UsageError

# Options that only make sense for one model or one phase; naming them elsewhere is a mistake
# worth one clear line rather than a silently ignored flag.
V2_ONLY = ("expansion",)
TRAIN_VAL_ONLY = ("train_source", "val_source", "backend", "crop_size", "mean_value", "scale",
                  "mirror", "val_batch_size", "solver", "solver_type", "epochs")


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


def _check_applicable(ctx: click.Context, model: str, phase: str) -> None:
    if model != "mobilenet-v2":
        for name in _explicit(ctx, V2_ONLY):
            raise UsageError(f"{_flag(name)} applies to mobilenet-v2 only")
    if phase != "train-val":
        for name in _explicit(ctx, TRAIN_VAL_ONLY):
            raise UsageError(f"{_flag(name)} applies to --phase train-val only")


def _list_models() -> None:
    from prototxt_tool.gen import MODELS

    width = max(len(name) for name in MODELS)
    for name, m in MODELS.items():
        click.echo(f"{name:<{width}}  {m.description}")


@click.command(epilog="""\b
Examples:
  dwsep gen mobilenet > mobilenet_deploy.prototxt
  dwsep gen mobilenet -a 0.5 -r 160 --relu6 -o mb_050_160.prototxt
  dwsep gen mobilenet-v2 -t 4 -a 0.75 --num-classes 21 -r 300
  dwsep gen mobilenet --phase train-val --train-source train_lmdb \\
      --val-source val_lmdb -o train_val.prototxt --solver solver.prototxt
  dwsep gen --list

Channels scale as TensorFlow's reference code does: v1 max(int(c*alpha), 8), v2 the nearest
multiple of 8 (never 10% below c*alpha). See docs/gen.md.""")
@click.argument("model", required=False, shell_complete=complete.models)
@click.option("--list", "list_", is_flag=True, help="List the models and exit.")
@click.option("-a", "--width-multiplier", "alpha", type=float, default=1.0, show_default=True,
              help="Width multiplier alpha, in (0, 1.5].")
@click.option("-r", "--resolution", type=int, default=224, show_default=True,
              help="Input height and width (>= 32).")
@click.option("-t", "--expansion", type=int, default=6, show_default=True,
              help="mobilenet-v2: expansion factor t of the inverted residuals.")
@click.option("--num-classes", type=int, default=1000, show_default=True,
              help="Outputs of the classifier (fc7).")
@click.option("--batch-size", type=int, default=None,
              help="Batch size: the input's N (deploy, default 1) or the TRAIN Data layer's "
                   "(train-val, default 64).")
@click.option("--no-batch-norm", is_flag=True,
              help="Merge BatchNorm/Scale into the convolutions (bias_term: true).")
@click.option("--relu6", is_flag=True, help="ReLU6 instead of ReLU (see --relu6-type).")
@click.option("--relu6-type", type=click.Choice(["Clip", "ReLU6"]), default=None,
              help="How to write ReLU6: BVLC 'Clip' (min 0, max 6; default) or fork 'ReLU6'.")
@click.option("--depthwise-type", default="Convolution", show_default=True,
              type=click.Choice(["Convolution", "ConvolutionDepthwise", "DepthwiseConvolution"]),
              help="Layer type of the depthwise convolutions (group = channels in every case).")
@click.option("--engine", type=click.Choice(["CAFFE", "CUDNN", "DEFAULT"]), default="CAFFE",
              show_default=True, help="convolution_param.engine of the depthwise layers.")
@click.option("--name", default=None, help="The net's name (default MOBILENET / MOBILENET_V2).")
@click.option("--legacy-input", is_flag=True,
              help="Declare the input with top-level input/input_dim fields, not an Input layer.")
@click.option("--phase", type=click.Choice(["deploy", "train-val"]), default="deploy",
              show_default=True, help="Deploy net, or train-val net with Data layers and loss.")
@click.option("--train-source", default=None, metavar="PATH", help="TRAIN Data layer source.")
@click.option("--val-source", default=None, metavar="PATH", help="TEST Data layer source.")
@click.option("--backend", type=click.Choice(["LMDB", "LEVELDB"]), default="LMDB",
              show_default=True, help="Data layer backend.")
@click.option("--crop-size", type=int, default=None,
              help="transform_param.crop_size (sets the resolution; default -r).")
@click.option("--mean-value", default=None, metavar="B,G,R",
              help="Per-channel mean subtracted (default 103.94,116.78,123.68).")
@click.option("--scale", type=float, default=None, help="Input scale (default 0.017).")
@click.option("--mirror/--no-mirror", default=True, show_default=True,
              help="Random horizontal flips in TRAIN.")
@click.option("--val-batch-size", type=int, default=50, show_default=True,
              help="Batch size of the TEST Data layer.")
@click.option("--solver", default=None, metavar="FILE",
              help="Also write a matching solver.prototxt to FILE.")
@click.option("--solver-type", type=click.Choice(["RMSProp", "SGD"]), default="RMSProp",
              show_default=True, help="Optimizer of the solver.")
@click.option("--epochs", type=int, default=120, show_default=True,
              help="Training length of the solver, in ImageNet epochs.")
@click.option("-o", "--output", metavar="FILE", default="-",
              help="Write to FILE (atomically) instead of stdout.")
@click.pass_context
def gen(ctx: click.Context, model: str | None, list_: bool, **kw: Any) -> None:
    """Generate MODEL (mobilenet, mobilenet-v2) as a Caffe prototxt."""
    if list_:
        _list_models()
        return
    if model is None:
        raise UsageError("no model given; choose one of 'dwsep gen --list'")
    from prototxt_tool import gen as generators

    spec = generators.model(model)
    _check_applicable(ctx, model, kw["phase"])
    if kw["crop_size"] is not None and _explicit(ctx, ("resolution",)) == []:
        kw["resolution"] = kw["crop_size"]
    options = _gen_options(kw, model)
    text = spec.build(**options)
    solver_text = _solver_text(kw, spec, options) if kw["solver"] else None
    if solver_text is not None:
        _check_writable(kw["solver"])
    from prototxt_tool.outputs import write_atomic, write_output

    write_output(kw["output"], text)
    if solver_text is not None:
        write_atomic(kw["solver"], solver_text)


def _check_writable(path: str) -> None:
    """Refuse an impossible solver path before the net is written, so a failed run leaves
    neither file."""
    from pathlib import Path

    target = Path(path)
    if target.is_dir():
        raise UsageError(f"{path}: is a directory")
    if not (target.parent if str(target.parent) else Path(".")).is_dir():
        raise UsageError(f"{path}: cannot write: No such file or directory")


def _gen_options(kw: dict[str, Any], model: str) -> dict[str, Any]:
    from prototxt_tool.gen import DataOptions

    data: dict[str, Any] = {"backend": kw["backend"], "crop_size": kw["crop_size"],
                            "mirror": kw["mirror"], "val_batch_size": kw["val_batch_size"]}
    for key in ("train_source", "val_source", "scale"):
        if kw[key] is not None:
            data[key] = kw[key]
    if kw["mean_value"] is not None:
        data["mean_value"] = _float_list(kw["mean_value"])
    relu6 = (kw["relu6_type"] or "Clip") if kw["relu6"] or kw["relu6_type"] else None
    options: dict[str, Any] = {
        "alpha": kw["alpha"], "resolution": kw["resolution"], "num_classes": kw["num_classes"],
        "batch_size": kw["batch_size"], "batch_norm": not kw["no_batch_norm"], "relu6": relu6,
        "depthwise_type": kw["depthwise_type"], "engine": kw["engine"], "name": kw["name"],
        "legacy_input": kw["legacy_input"], "phase": kw["phase"], "data": DataOptions(**data),
    }
    if model == "mobilenet-v2":
        options["expansion"] = kw["expansion"]
    return options


def _solver_text(kw: dict[str, Any], spec: Any, options: dict[str, Any]) -> str:
    from prototxt_tool.gen.solver import solver

    net_path = kw["output"] if kw["output"] != "-" else "train_val.prototxt"
    defaults = spec.solver_defaults
    return solver(net_path, batch_size=options["batch_size"] or 64,
                  val_batch_size=kw["val_batch_size"], gamma=defaults["gamma"],
                  epochs_per_step=int(defaults["epochs_per_step"]),
                  solver_type=kw["solver_type"], epochs=kw["epochs"],
                  snapshot_prefix=f"snapshots/{spec.name}", model=spec.name)
