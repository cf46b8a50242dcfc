"""`dwsep fold-bn`, verified numerically against a small numpy forward pass written here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from weights_helpers import gen, loaded, model_bytes, model_proto, run, write

from prototxt_tool.weights.model import open_model


# -- a reference forward pass (TEST phase, NCHW, float64) -------------------------------------
def conv(x: Any, w: Any, b: Any, p: Any) -> Any:
    n, c, h, wd = x.shape
    group = p.group or 1
    kh = p.kernel_h or (p.kernel_size[0] if p.kernel_size else 1)
    kw = p.kernel_w or (p.kernel_size[-1] if p.kernel_size else 1)
    sh = p.stride_h or (p.stride[0] if p.stride else 1)
    sw = p.stride_w or (p.stride[-1] if p.stride else 1)
    ph = p.pad_h or (p.pad[0] if p.pad else 0)
    pw = p.pad_w or (p.pad[-1] if p.pad else 0)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    oh, ow = (h + 2 * ph - kh) // sh + 1, (wd + 2 * pw - kw) // sw + 1
    cols = np.empty((n, c, kh, kw, oh, ow))
    for i in range(kh):
        for j in range(kw):
            cols[:, :, i, j] = xp[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw]
    out_c = w.shape[0]
    cg, og = c // group, out_c // group
    outs = [np.einsum("ncijhw,ocij->nohw",
                      cols[:, g * cg:(g + 1) * cg], w[g * og:(g + 1) * og])
            for g in range(group)]
    y = np.concatenate(outs, axis=1)
    return y if b is None else y + b.reshape(1, -1, 1, 1)


def channel(v: Any, x: Any) -> Any:
    return v.reshape((1, -1) + (1,) * (x.ndim - 2))


def forward(net_text: str, weights: str, x: Any) -> dict[str, Any]:
    net = loaded(net_text).net
    model = open_model(weights)
    index = model.by_name()
    blobs: dict[str, Any] = {}
    for layer in net.layer:
        stored = [model.array(b) for b in model.layers[index[layer.name]].blobs] \
            if layer.name in index else []
        ins = [blobs[b] for b in layer.bottom]
        t = layer.type
        if t == "Input":
            y = x
        elif t == "Convolution":
            p = layer.convolution_param
            y = conv(ins[0], stored[0], stored[1] if p.bias_term else None, p)
        elif t == "InnerProduct":
            p = layer.inner_product_param
            flat = ins[0].reshape(ins[0].shape[0], -1)
            w = stored[0].T if p.transpose else stored[0]
            y = flat @ w.T + (stored[1].reshape(1, -1) if p.bias_term else 0)
        elif t == "BatchNorm":
            mean, var, factor = stored
            s = 0.0 if factor.reshape(-1)[0] == 0 else 1.0 / factor.reshape(-1)[0]
            eps = float(np.float32(layer.batch_norm_param.eps))
            y = (ins[0] - channel(mean * s, ins[0])) / np.sqrt(channel(var * s, ins[0]) + eps)
        elif t == "Scale":
            y = ins[0] * channel(stored[0], ins[0])
            if layer.scale_param.bias_term:
                y = y + channel(stored[1], ins[0])
        elif t == "ReLU":
            y = np.maximum(ins[0], 0)
        elif t == "Pooling":
            assert layer.pooling_param.global_pooling and layer.pooling_param.pool == 1
            y = ins[0].mean(axis=(2, 3), keepdims=True)
        elif t in ("Softmax", "Concat"):
            y = ins[0] if t == "Softmax" else np.concatenate(ins, axis=1)
        else:
            raise AssertionError(f"no reference for {t}")
        blobs[layer.top[0]] = y
    return blobs


def close(a: Any, b: Any) -> bool:
    return bool(np.max(np.abs(a - b)) <= 1e-4 * np.max(np.abs(a)))


def fold(tmp_path: Path, text: str, weights: bytes, *extra: str) -> tuple[int, str, str, str]:
    n = write(tmp_path / "net.prototxt", text.encode())
    w = write(tmp_path / "net.caffemodel", weights)
    code, out, err = run("fold-bn", n, w, "-o", str(tmp_path / "f.prototxt"),
                         "--weights-out", str(tmp_path / "f.caffemodel"), *extra)
    return code, out, err, n


def test_mobilenet_folds_exactly(tmp_path: Path) -> None:
    text = gen("mobilenet", "-a", "0.25", "-r", "32")
    code, _, err, _ = fold(tmp_path, text, model_bytes(text, seed=7))
    assert code == 0, err
    assert "folded 27 BatchNorm and 27 Scale layer(s) into 27 layer(s)" in err
    assert "the input's text kept" in err
    folded = (tmp_path / "f.prototxt").read_text()
    assert "BatchNorm" not in folded and "Scale" not in folded
    x = np.random.default_rng(1).normal(size=(2, 3, 32, 32))
    before = forward(text, str(tmp_path / "net.caffemodel"), x)
    after = forward(folded, str(tmp_path / "f.caffemodel"), x)
    assert close(before["fc7"], after["fc7"])
    # the folded net's analysis: same top shapes, same MACs, ops less BatchNorm/Scale (plus
    # the bias adds of the convolutions that gained a bias)
    a, b = (json.loads(run("analyze", str(tmp_path / f), "--format", "json")[1])
            for f in ("net.prototxt", "f.prototxt"))
    tops = {t["name"]: t["shape"] for x in b["layers"] for t in x["tops"]}
    assert all(tops[t["name"]] == t["shape"] for x in a["layers"] for t in x["tops"])
    assert b["total"]["macs"] == a["total"]["macs"]
    removed = sum(x["ops"] for x in a["layers"] if x["type"] in ("BatchNorm", "Scale"))
    biases = sum(np.prod(x["tops"][0]["shape"]) for x in a["layers"]
                 if x["type"] == "Convolution" and len(x["param_shapes"]) == 1)
    assert b["total"]["ops"] == a["total"]["ops"] - removed + biases


SMALL = """name: "small"
layer { name: "data" type: "Input" top: "data"
        input_param { shape { dim: 2 dim: 4 dim: 6 dim: 6 } } }
layer { name: "conv" type: "Convolution" bottom: "data" top: "conv"
        convolution_param { num_output: 6 kernel_size: 3 pad: 1 group: 2 bias_term: false } }
layer { name: "bn" type: "BatchNorm" bottom: "conv" top: "bn"
        batch_norm_param { eps: 0.001 } }
layer { name: "sc" type: "Scale" bottom: "bn" top: "sc" scale_param { bias_term: false } }
layer { name: "relu" type: "ReLU" bottom: "sc" top: "sc" }
layer { name: "ip" type: "InnerProduct" bottom: "sc" top: "ip"
        inner_product_param { num_output: 5 transpose: true } }
layer { name: "ip_bn" type: "BatchNorm" bottom: "ip" top: "ip" }
layer { name: "out" type: "Softmax" bottom: "ip" top: "out" }
"""


def test_scale_without_bias_conv_without_bias_and_fc(tmp_path: Path) -> None:
    code, _, err, _ = fold(tmp_path, SMALL, model_bytes(SMALL, seed=3))
    assert code == 0, err
    assert "folded 2 BatchNorm and 1 Scale layer(s) into 2 layer(s)" in err
    folded = (tmp_path / "f.prototxt").read_text()
    assert 'top: "sc"' in folded and "bias_term: true" in folded
    x = np.random.default_rng(2).normal(size=(2, 4, 6, 6))
    before = forward(SMALL, str(tmp_path / "net.caffemodel"), x)
    after = forward(folded, str(tmp_path / "f.caffemodel"), x)
    assert close(before["ip"], after["ip"]) and close(before["sc"], after["sc"])


def test_untouched_layers_keep_their_bytes(tmp_path: Path) -> None:
    proto = model_proto(SMALL, seed=4)
    proto.layer.add(name="not_in_net").blobs.add().shape.dim.append(1)
    proto.layer[-1].blobs[0].data.append(2.5)
    code, _, err, _ = fold(tmp_path, SMALL, proto.SerializeToString())
    assert code == 0, err
    src, out = open_model(str(tmp_path / "net.caffemodel")), open_model(
        str(tmp_path / "f.caffemodel"))
    raw = {r.name: bytes(src.buf[r.start:r.end]) for r in src.layers}
    new = {r.name: bytes(out.buf[r.start:r.end]) for r in out.layers}
    assert sorted(new) == ["conv", "data", "ip", "not_in_net", "out", "relu"]
    for name in ("data", "relu", "out", "not_in_net"):
        assert new[name] == raw[name]
    assert new["conv"] != raw["conv"]


@pytest.mark.parametrize("edit, reason", [
    (('layer { name: "bn" type: "BatchNorm" bottom: "conv" top: "bn"',
      'layer { name: "cat" type: "Concat" bottom: "conv" bottom: "conv" top: "cat" }\n'
      'layer { name: "bn" type: "BatchNorm" bottom: "cat" top: "bn"'),
     "it follows Concat 'cat', not a Convolution"),
    (('layer { name: "relu" type: "ReLU" bottom: "sc" top: "sc" }',
      'layer { name: "relu" type: "ReLU" bottom: "sc" top: "sc" }\n'
      'layer { name: "side" type: "ReLU" bottom: "bn" top: "side" }'),
     "it feeds two branches ('sc', 'side')"),
    (('layer { name: "relu" type: "ReLU" bottom: "sc" top: "sc" }',
      'layer { name: "relu" type: "ReLU" bottom: "sc" top: "sc" }\n'
      'layer { name: "side" type: "ReLU" bottom: "conv" top: "side" }'),
     "the output of 'conv' also feeds 'side'"),
    (('layer { name: "ip_bn" type: "BatchNorm" bottom: "ip" top: "ip" }',
      'layer { name: "r2" type: "ReLU" bottom: "ip" top: "ip" }\n'
      'layer { name: "ip_bn" type: "BatchNorm" bottom: "ip" top: "ip" }'),
     "it follows ReLU 'r2'"),
    (("batch_norm_param { eps: 0.001 }", "batch_norm_param { eps: 0.001 use_global_stats: false }"),
     "use_global_stats is false"),
])
def test_refusals_name_the_layer_and_write_nothing(tmp_path: Path, edit: tuple[str, str],
                                                   reason: str) -> None:
    text = SMALL.replace(*edit)
    assert text != SMALL
    code, _, err, n = fold(tmp_path, text, model_bytes(SMALL, seed=5))
    assert code == 2
    assert err.count("\n") == 1 and reason in err and f"{n}:" in err
    assert not (tmp_path / "f.prototxt").exists() and not (tmp_path / "f.caffemodel").exists()


def test_keep_unfoldable_folds_the_rest(tmp_path: Path) -> None:
    text = SMALL.replace('layer { name: "ip_bn" type: "BatchNorm" bottom: "ip" top: "ip" }',
                         'layer { name: "r2" type: "ReLU" bottom: "ip" top: "ip" }\n'
                         'layer { name: "ip_bn" type: "BatchNorm" bottom: "ip" top: "ip" }')
    code, _, err, _ = fold(tmp_path, text, model_bytes(text, seed=6), "--keep-unfoldable")
    assert code == 0, err
    assert "layer 'ip_bn' kept: it follows ReLU 'r2'" in err
    folded = (tmp_path / "f.prototxt").read_text()
    assert '"ip_bn"' in folded and '"bn"' not in folded


def test_missing_weights_and_bad_model(tmp_path: Path) -> None:
    proto = model_proto(SMALL)
    proto.layer.remove(next(x for x in proto.layer if x.name == "bn"))
    code, _, err, _ = fold(tmp_path, SMALL, proto.SerializeToString())
    assert code == 2 and "layer 'bn' (BatchNorm): cannot fold: it has no weights" in err
    code, _, err, _ = fold(tmp_path, SMALL, b"\x0a\x05hello\xa2\x06\x7f")
    assert code == 2 and "truncated" in err and err.count("\n") == 1


def test_v1_prototxt_is_written_anew(tmp_path: Path) -> None:
    v1 = """name: "v1"
input: "data"
input_dim: 1 input_dim: 2 input_dim: 4 input_dim: 4
layers { name: "conv" type: CONVOLUTION bottom: "data" top: "conv"
         convolution_param { num_output: 3 kernel_size: 1 } }
layers { name: "relu" type: RELU bottom: "conv" top: "conv" }
"""
    v2 = loaded(v1).net
    text = str(v2)  # the same net in V2, with a BatchNorm the V1 format cannot have
    code, _, err, _ = fold(tmp_path, text, model_bytes(text, seed=1))
    assert code == 0 and "folded 0 BatchNorm" in err
    weights = model_bytes(v1, seed=1)
    code, _, err, _ = fold(tmp_path, v1, weights)
    assert code == 0 and "written anew" in err
    assert "layer {" in (tmp_path / "f.prototxt").read_text()
    assert (tmp_path / "f.caffemodel").read_bytes() == weights
