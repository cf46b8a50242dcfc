"""Net generators (`dwsep gen`) and the depthwise-separable rewrite (`dwsep separate`).

Usable from Python without the CLI:

    from prototxt_tool.gen import mobilenet_v1, mobilenet_ssd
    text = mobilenet_v1(alpha=0.5, resolution=160)
    text = mobilenet_ssd(phase="train", resolution="240x320", num_classes=3)

Every function returns prototxt text and raises prototxt_tool.errors.UsageError for a bad
option value, exactly as the command line does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from prototxt_tool.errors import UsageError
from prototxt_tool.gen.mobilenet import mobilenet_v1, mobilenet_v2
from prototxt_tool.gen.options import DataOptions, GenOptions
from prototxt_tool.gen.ssd import DetectorData, DetectorOptions, mobilenet_ssd, mobilenet_v2_ssdlite

CLASSIFIER_PHASES = ("deploy", "train-val")
DETECTOR_PHASES = ("deploy", "train", "test")


@dataclass(frozen=True)
class Model:
    name: str
    build: Callable[..., str]
    description: str
    solver_defaults: dict[str, float]  # learning-rate schedule the paper trains with
    detector: bool = False  # an SSD net: phases deploy/train/test, DetectorOptions

    @property
    def phases(self) -> tuple[str, ...]:
        return DETECTOR_PHASES if self.detector else CLASSIFIER_PHASES


MODELS: dict[str, Model] = {
    "mobilenet": Model(
        "mobilenet", mobilenet_v1, "MobileNet v1 (Howard 2017), shicai's port",
        {"gamma": 0.94, "epochs_per_step": 2}),
    "mobilenet-v2": Model(
        "mobilenet-v2", mobilenet_v2, "MobileNet v2 (Sandler 2018), shicai's port",
        {"gamma": 0.98, "epochs_per_step": 1}),
    "mobilenet-ssd": Model(
        "mobilenet-ssd", mobilenet_ssd, "MobileNet-SSD (chuanqi305), 300x300, VOC",
        {}, detector=True),
    "mobilenet-v2-ssdlite": Model(
        "mobilenet-v2-ssdlite", mobilenet_v2_ssdlite,
        "MobileNetV2-SSDLite (chuanqi305), 300x300", {}, detector=True),
}

# What `dwsep gen --list` shows: each model at its defaults, plus the named variants.
LISTING: tuple[tuple[str, str, dict[str, object], str], ...] = (
    ("mobilenet", "mobilenet", {}, ""),
    ("mobilenet-v2", "mobilenet-v2", {}, ""),
    ("mobilenet-v2 --layout paper", "mobilenet-v2", {"layout": "paper"},
     "MobileNet v2, the paper's Table 2 layout"),
    ("mobilenet-ssd", "mobilenet-ssd", {}, ""),
    ("mobilenet-v2-ssdlite", "mobilenet-v2-ssdlite", {}, ""),
)


def model(name: str) -> Model:
    try:
        return MODELS[name]
    except KeyError:
        raise UsageError(f"unknown model {name!r}; choose from {', '.join(MODELS)} "
                         "(dwsep gen --list)") from None


def generate(model_name: str, /, **options: object) -> str:
    """Prototxt text of `model_name` with the given options (those of GenOptions, plus
    `expansion` and `layout` for mobilenet-v2; DetectorOptions for the SSD models)."""
    return model(model_name).build(**options)


__all__ = ["LISTING", "MODELS", "DataOptions", "DetectorData", "DetectorOptions", "GenOptions",
           "Model", "generate", "mobilenet_ssd", "mobilenet_v1", "mobilenet_v2",
           "mobilenet_v2_ssdlite", "model"]
