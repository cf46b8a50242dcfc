"""Net generators (`dwsep gen`) and the depthwise-separable rewrite (`dwsep separate`).

Usable from Python without the CLI:

    from prototxt_tool.gen import mobilenet_v1
    text = mobilenet_v1(alpha=0.5, resolution=160)

Every function returns prototxt text and raises prototxt_tool.errors.UsageError for a bad
option value, exactly as the command line does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from prototxt_tool.errors import UsageError
from prototxt_tool.gen.mobilenet import mobilenet_v1, mobilenet_v2
from prototxt_tool.gen.options import DataOptions, GenOptions


@dataclass(frozen=True)
class Model:
    name: str
    build: Callable[..., str]
    description: str
    solver_defaults: dict[str, float]  # learning-rate schedule the paper trains with


MODELS: dict[str, Model] = {
    "mobilenet": Model(
        "mobilenet", mobilenet_v1,
        "MobileNet v1 (Howard et al. 2017): 13 depthwise-separable blocks; 569M MACs at 1.0-224",
        {"gamma": 0.94, "epochs_per_step": 2}),
    "mobilenet-v2": Model(
        "mobilenet-v2", mobilenet_v2,
        "MobileNet v2 (Sandler et al. 2018): inverted residuals, linear bottlenecks; -t sets t",
        {"gamma": 0.98, "epochs_per_step": 1}),
}


def model(name: str) -> Model:
    try:
        return MODELS[name]
    except KeyError:
        raise UsageError(f"unknown model {name!r}; choose from {', '.join(MODELS)} "
                         "(dwsep gen --list)") from None


def generate(model_name: str, /, **options: object) -> str:
    """Prototxt text of `model_name` with the given options (those of GenOptions, plus
    `expansion` for mobilenet-v2; `name` is the net's name)."""
    return model(model_name).build(**options)


__all__ = ["MODELS", "DataOptions", "GenOptions", "Model", "generate", "mobilenet_v1",
           "mobilenet_v2", "model"]
