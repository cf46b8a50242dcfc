"""The options a generated MobileNet takes, checked once, whichever way they arrive."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from prototxt_tool.errors import UsageError
from prototxt_tool.gen import common

IMAGENET_MEAN_BGR = (103.94, 116.78, 123.68)  # the Caffe port's transform_param (BGR order)
IMAGENET_SCALE = 0.017  # ~ 1/58.8, the same port's input scaling


@dataclass(frozen=True)
class DataOptions:
    """Data layers of a train-val net. Paths are written into the net, never opened."""

    train_source: str = "examples/imagenet/ilsvrc12_train_lmdb"
    val_source: str = "examples/imagenet/ilsvrc12_val_lmdb"
    backend: str = "LMDB"
    crop_size: int | None = None  # None: the net's resolution
    mean_value: tuple[float, ...] = IMAGENET_MEAN_BGR
    scale: float = IMAGENET_SCALE
    mirror: bool = True
    val_batch_size: int = 50

    def check(self) -> None:
        common.check_choice(self.backend, "--backend", common.BACKENDS)
        if self.crop_size is not None:
            common.check_int(self.crop_size, "--crop-size", common.MIN_RESOLUTION)
        common.check_int(self.val_batch_size, "--val-batch-size", 1)
        common.check_data_sources(((self.train_source, "--train-source"),
                                   (self.val_source, "--val-source")), self.mean_value,
                                  self.scale)


@dataclass(frozen=True)
class GenOptions:
    """Options common to the MobileNet generators (see docs/gen.md for each one's effect)."""

    alpha: float = 1.0
    resolution: Any = 224  # N (square), (height, width) or "HxW"
    num_classes: int = 1000
    batch_size: int | None = None  # None: 1 for deploy, 64 for train-val
    batch_norm: bool = True
    relu6: str | None = None  # None (plain ReLU), "Clip" (BVLC) or "ReLU6" (fork type)
    depthwise_type: str = "Convolution"
    engine: str = "CAFFE"
    name: str | None = None
    legacy_input: bool = False
    phase: str = "deploy"
    data: DataOptions = field(default_factory=DataOptions)

    def __post_init__(self) -> None:
        height, width = common.check_net_knobs(self, 1, common.PHASES)
        if self.phase == "train-val":
            if self.legacy_input:
                raise UsageError("--legacy-input applies to deploy nets; a train-val net "
                                 "reads Data layers")
            self.data.check()
            if height != width:
                raise UsageError(f"a train-val net crops squares (crop_size); -r {height}x{width} "
                                 "is not square")
            crop = self.data.crop_size
            if crop is not None and crop != height:
                raise UsageError(f"--crop-size {crop} differs from --resolution "
                                 f"{height}; give one of them")

    @property
    def size(self) -> tuple[int, int]:
        """(height, width) of the input."""
        return common.check_resolution(self.resolution)

    @property
    def deploy(self) -> bool:
        return self.phase == "deploy"

    @property
    def batch(self) -> int:
        if self.batch_size is not None:
            return self.batch_size
        return 1 if self.deploy else 64

    @property
    def act_type(self) -> str:
        return self.relu6 or "ReLU"
