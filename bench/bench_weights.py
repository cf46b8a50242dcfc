"""Peak memory and time of the weights commands on a VGG-16-sized model (run by hand).

    .venv/bin/python bench/bench_weights.py [--keep]

Writes bench/out/vgg16_bn.prototxt and bench/out/vgg16_bn.caffemodel: VGG-16's 13
convolutions (each followed by BatchNorm + Scale) and 3 fully connected layers with random
float32 blobs, 138.4M values, about 554 MB, the size of the published VGG-16 caffemodel
(generated in a child process, blob shapes from dwsep's own analysis). Then
each command runs in a fresh process, and its peak resident memory (the child's ru_maxrss,
from os.wait4) and wall time are printed with the ratio of that peak to the file's size:

- `dwsep analyze vgg16_bn.caffemodel`, `dwsep check`, `dwsep fold-bn`;
- for comparison, protobuf's own NetParameter.ParseFromString of the whole file.

Target (issue #11): no command above 2x the file's size. The figures are machine-dependent;
compare runs on one machine. --keep leaves the generated files in bench/out/ (git-ignored).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench" / "out"
sys.path.insert(0, str(REPO))  # works from a clean checkout, installed or not


CONVS = [(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)]  # (channels, convs) per stage
TARGET = 2.0


def net_text() -> str:
    """VGG-16 with BatchNorm + Scale after each convolution, as a deploy prototxt."""
    text = ['name: "VGG16_BN"', 'layer { name: "data" type: "Input" top: "data" '
            'input_param { shape { dim: 1 dim: 3 dim: 224 dim: 224 } } }']
    bottom = "data"
    for stage, (c, n) in enumerate(CONVS, 1):
        for k in range(1, n + 1):
            name = f"conv{stage}_{k}"
            text.append(f'layer {{ name: "{name}" type: "Convolution" bottom: "{bottom}" '
                        f'top: "{name}" convolution_param {{ num_output: {c} pad: 1 '
                        'kernel_size: 3 } }')
            text.append(f'layer {{ name: "{name}/bn" type: "BatchNorm" bottom: "{name}" '
                        f'top: "{name}" }}')
            text.append(f'layer {{ name: "{name}/scale" type: "Scale" bottom: "{name}" '
                        f'top: "{name}" scale_param {{ bias_term: true }} }}')
            text.append(f'layer {{ name: "relu{stage}_{k}" type: "ReLU" bottom: "{name}" '
                        f'top: "{name}" }}')
            bottom = name
        text.append(f'layer {{ name: "pool{stage}" type: "Pooling" bottom: "{bottom}" '
                    f'top: "pool{stage}" pooling_param {{ pool: MAX kernel_size: 2 '
                    'stride: 2 } }')
        bottom = f"pool{stage}"
    for i, n_out in enumerate((4096, 4096, 1000), 6):
        text.append(f'layer {{ name: "fc{i}" type: "InnerProduct" bottom: "{bottom}" '
                    f'top: "fc{i}" inner_product_param {{ num_output: {n_out} }} }}')
        bottom = f"fc{i}"
    return "\n".join(text) + "\n"


def generate(prototxt: Path, model: Path) -> None:
    """The net and its weights (random, blob shapes from dwsep's own analysis), written
    record by record as Net::ToProto would: each layer's definition, then its blobs."""
    import numpy as np

    from prototxt_tool import analysis, pipeline
    from prototxt_tool.weights.model import blob_bytes, layer_record

    text = net_text()
    prototxt.write_text(text)
    loaded = pipeline.load_net(pipeline.Source(str(prototxt), text))
    reports = analysis.analyze(loaded).layers
    rng = np.random.default_rng(0)
    with model.open("wb") as out:
        for layer, report in zip(loaded.net.layer, reports, strict=True):
            blobs = []
            for j, shape in enumerate(report.param_shapes or []):
                size = int(np.prod(shape))
                values = (rng.uniform(0.5, 2, size).astype(np.float32)
                          if layer.type == "BatchNorm" and j > 0
                          else rng.standard_normal(size, dtype=np.float32))
                blobs.append(blob_bytes(tuple(shape), values))
            out.write(layer_record(layer, blobs))


def measure(argv: list[str]) -> tuple[float, int, int]:
    """Wall seconds, peak RSS in bytes and exit status of one fresh process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        sys.stderr.write(proc.stderr.read().decode() if proc.stderr else "")
    return wall, usage.ru_maxrss * 1024, proc.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument("--generate-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    net, model = OUT / "vgg16_bn.prototxt", OUT / "vgg16_bn.caffemodel"
    if args.generate_only:
        generate(net, model)
        return 0
    # Generated in a child: a child forked from a big parent would start with its pages
    # counted in ru_maxrss, so this process stays small (no numpy, no protobuf).
    t = time.perf_counter()
    subprocess.run([sys.executable, __file__, "--generate-only"], check=True)
    size = model.stat().st_size
    print(f"generated {model.relative_to(REPO)}: {size / 1e6:.0f} MB in "
          f"{time.perf_counter() - t:.1f} s")
    dwsep = [sys.executable, "-m", "prototxt_tool"]
    parse = (f"import sys; sys.path.insert(0, {str(REPO)!r}); "
             "from prototxt_tool import caffe_pb2; "
             "caffe_pb2.NetParameter().ParseFromString(open(sys.argv[1], 'rb').read())")
    runs = [
        ("dwsep analyze MODEL", [*dwsep, "analyze", str(model), "-o", os.devnull]),
        ("dwsep check NET MODEL", [*dwsep, "check", str(net), str(model)]),
        ("dwsep fold-bn NET MODEL", [*dwsep, "fold-bn", str(net), str(model), "-o",
                                     str(OUT / "folded.prototxt"), "--weights-out",
                                     str(OUT / "folded.caffemodel")]),
        ("protobuf ParseFromString (baseline)", [sys.executable, "-c", parse, str(model)]),
    ]
    print(f"\n{'command':<38}{'wall s':>8}{'peak RSS MB':>13}{'x file':>8}  exit")
    worst = 0.0
    for label, argv in runs:
        wall, rss, code = measure(argv)
        ratio = rss / size
        if label.startswith("dwsep"):
            worst = max(worst, ratio)
        print(f"{label:<38}{wall:>8.2f}{rss / 1e6:>13.0f}{ratio:>8.2f}  {code}")
    print(f"\nworst dwsep peak: {worst:.2f}x the file (target <= {TARGET:.0f}x): "
          f"{'met' if worst <= TARGET else 'NOT met'}")
    if not args.keep:
        for f in (model, OUT / "folded.caffemodel"):
            f.unlink(missing_ok=True)
    return 0 if worst <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
