"""Small caffemodels built in the tests: a net's layers with random blobs of the shapes the
analysis gives them (what Caffe's Net::ToProto writes after training)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from click.testing import CliRunner

from prototxt_tool import analysis, caffe_pb2, pipeline
from prototxt_tool.cli import COMMANDS
from prototxt_tool.commands import build_cli
from prototxt_tool.weights.model import blob_bytes, layer_record


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(build_cli(COMMANDS), list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def loaded(text: str, name: str = "net.prototxt", phase: str = "TEST") -> pipeline.LoadedNet:
    return pipeline.load_net(pipeline.Source(name, text), phase=phase)


def layouts(text: str, phase: str = "TEST", input_shapes: Mapping[str, Any] | None = None,
            name: str = "net.prototxt") -> list[tuple[Any, list[tuple[int, ...]]]]:
    """(layer, blob shapes) of each layer of the phase's net, from dwsep's own analysis."""
    net = loaded(text, name, phase)
    result = analysis.analyze(net, dict(input_shapes or {}))
    return [(layer, [tuple(s) for s in (r.param_shapes or [])])
            for layer, r in zip(net.net.layer, result.layers, strict=True)]


def values(layer_type: str, j: int, shape: tuple[int, ...], rng: Any) -> Any:
    """Random blob values; BatchNorm: mean, a positive variance, then the factor blob."""
    size = int(np.prod(shape))
    if rng is None:
        return np.zeros(size)
    if layer_type == "BatchNorm":
        return (rng.uniform(0.5, 20.0, 1) if j == 2 else
                rng.uniform(0.1, 3.0, size) if j == 1 else rng.normal(0, 2, size))
    return rng.normal(0, 0.5, size)


def model_proto(text: str, seed: int = 0, phase: str = "TEST",
                input_shapes: Mapping[str, Any] | None = None) -> Any:
    """A NetParameter as Caffe saves it: the phase's layers (phase recorded) with random blobs.
    For small nets the tests then edit (a blob renamed, reshaped, dropped)."""
    rng = np.random.default_rng(seed)
    out = caffe_pb2.NetParameter(name="test")
    for layer, shapes in layouts(text, phase, input_shapes):
        stored = out.layer.add()
        stored.CopyFrom(layer)
        stored.phase = caffe_pb2.Phase.Value(phase)
        for j, shape in enumerate(shapes):
            blob = stored.blobs.add()
            blob.shape.dim.extend(shape)
            blob.data.extend(np.asarray(values(layer.type, j, shape, rng), np.float32).tolist())
    return out


def model_bytes(text: str, phase: str = "TEST", input_shapes: Mapping[str, Any] | None = None,
                name: str = "net.prototxt", seed: int | None = None) -> bytes:
    """The same, written record by record with numpy (fast for nets of millions of params);
    seed None writes zeros."""
    rng = None if seed is None else np.random.default_rng(seed)
    parts = []
    for layer, shapes in layouts(text, phase, input_shapes, name):
        param = caffe_pb2.LayerParameter()
        param.CopyFrom(layer)
        blobs = [blob_bytes(s, values(layer.type, j, s, rng)) for j, s in enumerate(shapes)]
        parts.append(layer_record(param, blobs))
    return b"".join(parts)


def write(path: Path, proto: Any) -> str:
    path.write_bytes(proto if isinstance(proto, bytes) else proto.SerializeToString())
    return str(path)


def gen(*args: str) -> str:
    code, out, err = run("gen", *args)
    assert code == 0, err
    return out
