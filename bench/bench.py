"""Parser and CLI timings (run by hand, never as a test).

    .venv/bin/python bench/bench.py [--runs N] [--quick]

1. Parse time of textformat.parse against google.protobuf.text_format.Parse on MobileNet v1
   and ResNet-152 from the corpus, and on generated Convolution/BatchNorm/Scale/ReLU chains
   of 2,500 / 10,001 / 40,000 layers (written to bench/out/, ~1.43 MB at 10,001 layers).
   Target: at least 3x faster than text_format on the 10,001-layer chain, and a cost that
   grows linearly (about the same MB/s at every size).
2. Wall time (median of N fresh processes) of `dwsep analyze FILE --format json -o /dev/null`
   on MobileNet v1, ResNet-152 and the 10,001-layer chain (targets 75 / 100 / 300 ms), and of
   `dwsep --version` (40 ms) and `dwsep --help` (60 ms).

Times are CPU-independent wall-clock figures from time.perf_counter(): run on a quiet machine.
The corpus is found at $DWSEP_CORPUS or ../shared/corpus next to the checkout.
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench" / "out"
sys.path.insert(0, str(REPO))  # works from a clean checkout, installed or not

from google.protobuf import text_format  # noqa: E402

from prototxt_tool import caffe_pb2, textformat  # noqa: E402

CHAIN_SIZES = (2_500, 10_001, 40_000)
PARSE_TARGET = 3.0  # times faster than text_format on the 10,001-layer chain
CLI_TARGETS_MS = {"analyze mobilenet_v1": 75, "analyze resnet152": 100,
                  "analyze chain_10001": 300, "--version": 40, "--help": 60}


# --- inputs ----------------------------------------------------------------------------------

def corpus_dir() -> Path:
    return Path(os.environ.get("DWSEP_CORPUS", REPO.parent / "shared" / "corpus"))


def chain_text(layers: int) -> str:
    """An Input layer, then Convolution/BatchNorm/Scale/ReLU repeating: `layers` in all.

    16 channels at 32x32 throughout (3x3, pad 1), so the net is valid for `dwsep analyze`.
    """
    out = ['name: "chain"\n'
           'layer {\n  name: "data"\n  type: "Input"\n  top: "data"\n'
           '  input_param {\n    shape {\n      dim: 1\n      dim: 16\n      dim: 32\n'
           '      dim: 32\n    }\n  }\n}\n']
    blob = "data"
    for i in range(1, layers):
        unit, step = divmod(i - 1, 4)
        conv = f"conv{unit + 1}"
        if step == 0:
            out.append(f'layer {{\n  name: "{conv}"\n  type: "Convolution"\n'
                       f'  bottom: "{blob}"\n  top: "{conv}"\n'
                       '  convolution_param {\n    num_output: 16\n    bias_term: false\n'
                       '    pad: 1\n    kernel_size: 3\n    stride: 1\n  }\n}\n')
            blob = conv
        elif step == 1:
            out.append(f'layer {{\n  name: "{conv}/bn"\n  type: "BatchNorm"\n'
                       f'  bottom: "{blob}"\n  top: "{blob}"\n'
                       '  batch_norm_param {\n    use_global_stats: true\n    eps: 1e-05\n'
                       '  }\n}\n')
        elif step == 2:
            out.append(f'layer {{\n  name: "{conv}/scale"\n  type: "Scale"\n'
                       f'  bottom: "{blob}"\n  top: "{blob}"\n'
                       '  scale_param {\n    bias_term: true\n  }\n}\n')
        else:
            out.append(f'layer {{\n  name: "{conv}/relu"\n  type: "ReLU"\n'
                       f'  bottom: "{blob}"\n  top: "{blob}"\n}}\n')
    return "".join(out)


def inputs(quick: bool) -> dict[str, Path]:
    files: dict[str, Path] = {}
    corpus = corpus_dir()
    for label, rel in (("mobilenet_v1", "mobilenet/mobilenet_deploy.prototxt"),
                       ("resnet152", "resnet/ResNet-152-deploy.prototxt")):
        path = corpus / rel
        if path.is_file():
            files[label] = path
        else:
            print(f"note: {path} not found (set DWSEP_CORPUS); skipping {label}")
    OUT.mkdir(parents=True, exist_ok=True)
    for size in CHAIN_SIZES[:2] if quick else CHAIN_SIZES:
        path = OUT / f"chain_{size}.prototxt"
        text = chain_text(size)
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        files[f"chain_{size}"] = path
    return files


# --- parse timings ---------------------------------------------------------------------------

def best_of(runs: int, fn: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def bench_parse(files: dict[str, Path], runs: int) -> bool:
    print(f"\nparse (best of {runs}; text_format: best of {max(1, runs // 2)} for big files)")
    print(f"{'file':<14}{'KB':>8}{'layers':>8}{'text_format':>13}{'dwsep':>10}{'speed-up':>10}"
          f"{'MB/s':>8}")
    ok = True
    for label, path in files.items():
        text = path.read_text(encoding="utf-8")
        ours, reference = caffe_pb2.NetParameter(), caffe_pb2.NetParameter()
        textformat.parse(text, ours)
        text_format.Parse(text, reference)
        if ours != reference:
            print(f"{label}: MISMATCH with text_format")
            ok = False
            continue
        layers = len(ours.layer) or len(ours.layers)
        big = len(text) > 1_000_000
        t_ref = best_of(max(1, runs // 2) if big else runs,
                        lambda t=text: text_format.Parse(t, caffe_pb2.NetParameter()))
        t_ours = best_of(runs, lambda t=text: textformat.parse(t, caffe_pb2.NetParameter()))
        speedup = t_ref / t_ours
        print(f"{label:<14}{len(text) / 1000:>8.0f}{layers:>8}{t_ref * 1000:>11.0f}ms"
              f"{t_ours * 1000:>8.0f}ms{speedup:>9.1f}x{len(text) / t_ours / 1e6:>8.1f}")
        if label == "chain_10001" and speedup < PARSE_TARGET:
            print(f"  below the {PARSE_TARGET:.0f}x target")
            ok = False
    return ok


# --- CLI timings -----------------------------------------------------------------------------

def dwsep_command() -> list[str]:
    script = Path(sys.executable).parent / "dwsep"
    if script.exists():
        return [str(script)]
    found = shutil.which("dwsep")
    if found:
        return [found]
    print("note: no dwsep script (pip install -e .); timing `python -m prototxt_tool`")
    return [sys.executable, "-m", "prototxt_tool"]


def median_wall(cmd: list[str], runs: int) -> tuple[float | None, str]:
    """Median wall time of `cmd` in fresh processes, or None and the reason it failed."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, check=False)
        times.append(time.perf_counter() - start)
        if proc.returncode != 0:
            lines = (proc.stderr or proc.stdout).strip().splitlines()
            return None, lines[-1] if lines else f"exit code {proc.returncode}"
    return statistics.median(times), ""


def bench_cli(files: dict[str, Path], runs: int) -> bool:
    dwsep = dwsep_command()
    # An installed package has its bytecode compiled; a checkout may not (and with
    # PYTHONDONTWRITEBYTECODE set, every run would recompile each edited module).
    compileall.compile_dir(str(REPO / "prototxt_tool"), quiet=1)
    print(f"\ncommands (median of {runs} runs, fresh process each, bytecode compiled)")
    print(f"{'command':<24}{'time':>9}{'target':>9}  verdict")
    jobs = [(f"analyze {label}", [*dwsep, "analyze", str(files[label]), "--format", "json",
                                  "-o", os.devnull])
            for label in ("mobilenet_v1", "resnet152", "chain_10001") if label in files]
    jobs += [("--version", [*dwsep, "--version"]), ("--help", [*dwsep, "--help"])]
    ok = True
    for name, cmd in jobs:
        target = CLI_TARGETS_MS[name]
        took, why = median_wall(cmd, runs)
        if took is None:
            if "No such command" in why:
                why = "the analyze command does not exist yet"
            print(f"{name:<24}{'-':>9}{target:>7}ms  not measured: {why}")
            continue
        verdict = "OK" if took * 1000 < target else "TOO SLOW"
        ok = ok and verdict == "OK"
        print(f"{name:<24}{took * 1000:>7.0f}ms{target:>7}ms  {verdict}")
    return ok


# Where a command's time goes before it does any work: each line is a fresh interpreter that
# only imports, so the difference to the first line is that import's cost on this machine.
STARTUP_PROBES = [
    ("python -c pass", "pass"),
    ("import click", "import click"),
    ("import caffe_pb2 (protobuf)", "import prototxt_tool.caffe_pb2"),
    ("import both", "import click, prototxt_tool.caffe_pb2"),
    ("analyze's imports", "import prototxt_tool.commands.analyze, prototxt_tool.pipeline, "
                          "prototxt_tool.analysis, prototxt_tool.report, prototxt_tool.upgrade, "
                          "prototxt_tool.netstate, prototxt_tool.textformat, "
                          "prototxt_tool.shapes as s; s.known_types()"),
]


def bench_startup(runs: int) -> None:
    print(f"\nstart-up (median of {runs} runs, fresh process each)")
    for name, code in STARTUP_PROBES:
        took, why = median_wall([sys.executable, "-c", code], runs)
        shown = f"{took * 1000:>7.0f}ms" if took is not None else f"failed: {why}"
        print(f"{name:<30}{shown}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="repetitions per measurement")
    parser.add_argument("--quick", action="store_true", help="skip the 40,000-layer chain")
    args = parser.parse_args()
    files = inputs(args.quick)
    parse_ok = bench_parse(files, args.runs)
    cli_ok = bench_cli(files, args.runs)
    bench_startup(args.runs)
    return 0 if parse_ok and cli_ok else 1


if __name__ == "__main__":
    sys.exit(main())
