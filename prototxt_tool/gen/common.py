"""Pieces every generator shares: option checks, channel rounding, the template environment.

The checks live here rather than in the click command so that the Python API refuses the same
values with the same one-line UsageError as `dwsep gen` does.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from prototxt_tool.errors import UsageError

MAX_ALPHA = 1.5
MIN_RESOLUTION = 32
ENGINES = ("CAFFE", "CUDNN", "DEFAULT")
DEPTHWISE_TYPES = ("Convolution", "ConvolutionDepthwise", "DepthwiseConvolution")
RELU6_TYPES = ("Clip", "ReLU6")
BACKENDS = ("LMDB", "LEVELDB")
PHASES = ("deploy", "train-val")


def check_alpha(alpha: float) -> float:
    """alpha must lie in (0, 1.5]: above that the reference channel rules were never used."""
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or math.isnan(alpha):
        raise UsageError(
            f"width multiplier (-a) must be a number in (0, {MAX_ALPHA}], got {alpha!r}")
    if not 0 < alpha <= MAX_ALPHA:
        raise UsageError(f"width multiplier (-a) must be in (0, {MAX_ALPHA}], got {alpha:g}")
    return float(alpha)


def check_int(value: Any, what: str, minimum: int) -> int:
    """A whole number >= minimum; bools and floats are refused rather than silently truncated."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise UsageError(f"{what} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise UsageError(f"{what} must be an integer >= {minimum}, got {value}")
    return value


def check_resolution(value: Any) -> tuple[int, int]:
    """Input (height, width) from N (square), (H, W) or the text "N" / "HxW".

    Caffe's blobs are N x C x H x W, so "240x320" is 240 high and 320 wide, in that order.
    """
    if isinstance(value, str):
        parts = value.lower().split("x")
        if len(parts) not in (1, 2) or not all(p.strip().isdigit() for p in parts):
            raise UsageError(f"resolution (-r) must be N or HxW (height x width, e.g. 300 or "
                             f"240x320), got {value!r}")
        dims = tuple(int(p) for p in parts)
    elif isinstance(value, tuple | list):
        dims = tuple(value)
    else:
        dims = (value,)
    if len(dims) == 1:
        dims = (dims[0], dims[0])
    if len(dims) != 2:
        raise UsageError(f"resolution (-r) must be N or HxW, got {value!r}")
    height = check_int(dims[0], "resolution (-r) height", MIN_RESOLUTION)
    width = check_int(dims[1], "resolution (-r) width", MIN_RESOLUTION)
    return height, width


def check_net_knobs(options: Any, min_classes: int, phases: tuple[str, ...]) -> tuple[int, int]:
    """The knobs every generator's options share (width, resolution, classes, batch, ReLU6
    form, depthwise type, engine, phase, name); returns (height, width) of the resolution."""
    check_alpha(options.alpha)
    size = check_resolution(options.resolution)
    check_int(options.num_classes, "--num-classes", min_classes)
    if options.batch_size is not None:
        check_int(options.batch_size, "--batch-size", 1)
    if options.relu6 is not None:
        check_choice(options.relu6, "--relu6", RELU6_TYPES)
    check_choice(options.depthwise_type, "--depthwise-type", DEPTHWISE_TYPES)
    check_choice(options.engine, "--engine", ENGINES)
    check_choice(options.phase, "--phase", phases)
    if options.name is not None and not options.name.strip():
        raise UsageError("--name must not be empty")
    return size


def check_data_sources(paths: tuple[tuple[str, str], ...], mean_value: tuple[float, ...],
                       scale: float) -> None:
    """The data-layer options every train/test generator shares: (path, flag) pairs that must
    not be empty, a B,G,R (or single) mean, a positive scale."""
    for path, what in paths:
        if not path:
            raise UsageError(f"{what} must not be empty")
    if len(mean_value) not in (1, 3):
        raise UsageError("--mean-value takes 1 value (all channels) or 3 (B,G,R), "
                         f"got {len(mean_value)}")
    if not scale > 0:
        raise UsageError(f"--scale must be > 0, got {scale:g}")


def check_choice(value: str, what: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise UsageError(f"{what} must be one of {', '.join(choices)}; got {value!r}")
    return value


def tf_v1_depth(channels: int, alpha: float, min_depth: int = 8) -> int:
    """MobileNet v1 channel rule of TF-slim (mobilenet_v1.py): max(int(c * alpha), 8).

    Plain truncation, no rounding to a multiple of 8: this is what the released checkpoints and
    the paper's Table 6 figures use.
    """
    return max(int(channels * alpha), min_depth)


def make_divisible(value: float, divisor: int = 8, min_value: int | None = None) -> int:
    """MobileNet v2 channel rule (TF-slim `_make_divisible`, also torchvision and Keras).

    Round to the nearest multiple of `divisor`, but never go more than 10% below the exact
    value: hardware likes multiples of 8, accuracy does not like losing channels.
    """
    floor = divisor if min_value is None else min_value
    rounded = max(floor, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


def templates_dir() -> Path:
    """Installed wheels ship templates as package prototxt_tool.templates; a checkout has them
    at the repository root."""
    import prototxt_tool

    installed = Path(prototxt_tool.__file__).parent / "templates"
    if installed.is_dir():
        return installed
    return Path(prototxt_tool.__file__).resolve().parent.parent / "templates"


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """StrictUndefined turns a misspelt template variable into an error instead of an empty
    field that would silently change the net."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["q"] = quote
    return env


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


def fmt_float(value: float) -> str:
    """Shortest text that reads back as the same float (so 0.017 stays 0.017, not 0.01700001)."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def quote(text: str) -> str:
    """A text-format string literal: user-given names and paths may hold quotes or backslashes,
    which must not end the string early (or inject fields)."""
    out = []
    for ch in text:
        if ch in "\"\\'":
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\{ord(ch):03o}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'
