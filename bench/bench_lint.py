"""Time `dwsep lint`: over the public corpus, and its growth with net size. Run by hand.

    .venv/bin/python bench/bench_lint.py [CORPUS_DIR] [--no-corpus] [--no-growth]

1. corpus: the real CLI in a fresh process (start-up and imports included, as pre-commit and
   CI pay them), with -j 1 and with -j 2: best wall time of three runs each, their ratio,
   whether both printed the same bytes, and the finding counts. Targets: -j 1 under 5 s;
   with two cores, -j 2 at most 0.65x of -j 1.
2. growth: generated ReLU chains of 1,000 / 10,000 / 100,000 layers and a net of 800
   in-place layers on a blob nothing produces (the two shapes that made lint quadratic).
   Each is analyzed (parse, upgrade, filter, shapes, table) and linted (every default rule)
   in a fresh interpreter that imports first and then times only the work, so the figures
   are the cost of the net, not of start-up. Targets: lint of the 10k chain within 3x of
   analyze of it; lint's time per layer at 100k within 1.5x of that at 1k.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

TARGET_S = 5.0
TARGET_RATIO = 0.65  # -j 2 / -j 1 wall time on the corpus, with two cores


REPO = Path(__file__).resolve().parent.parent
LINT_VS_ANALYZE = 3.0   # lint of the 10k chain / analyze of it
PER_LAYER_GROWTH = 1.5  # lint's time per layer at 100k / at 1k

# Run in a fresh interpreter: import, then time the work alone, print seconds.
# A warm-up on a one-layer net first loads what the commands import lazily (the shape rules,
# the lint rules), which would otherwise be charged to the smallest net.
_CHILD = """
import sys, time
from prototxt_tool import analysis, pipeline, report
from prototxt_tool.lint import lint_paths
path, warm, mode = sys.argv[1:4]
def work(p):
    if mode == "analyze":
        report.to_table(analysis.analyze(pipeline.load_net(pipeline.read_source(p))))
    else:
        lint_paths([p])
work(warm)
start = time.perf_counter()
work(path)
print(time.perf_counter() - start)
"""


def chain(layers: int) -> str:
    """An Input, then `layers` ReLUs each reading the previous one's top: a valid net."""
    head = 'layer { name: "data" type: "Input" top: "t0" input_param { shape { dim: 1 ' \
           'dim: 3 dim: 8 dim: 8 } } }\n'
    return head + "".join(f'layer {{ name: "r{i}" type: "ReLU" bottom: "t{i}" top: "t{i + 1}" }}\n'
                          for i in range(layers))


def in_place_on_unproduced(layers: int) -> str:
    """`layers` ReLUs in place on a blob nobody writes first (G002/G003/G004 all look)."""
    return "".join(f'layer {{ name: "r{i}" type: "ReLU" bottom: "x" top: "x" }}\n'
                   for i in range(layers))


def timed(path: Path, mode: str, runs: int) -> float:
    warm = path.with_name("growth_warmup.prototxt")
    warm.write_text(chain(1))
    best = float("inf")
    for _ in range(runs):
        done = subprocess.run([sys.executable, "-c", _CHILD, str(path), str(warm), mode], cwd=REPO,
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"{mode} {path} failed:\n{done.stderr}")
        best = min(best, float(done.stdout.strip().splitlines()[-1]))
    return best


def growth() -> bool:
    out = REPO / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    print(f"{'net':<36}{'analyze s':>10}{'lint s':>10}{'lint/analyze':>14}"
          f"{'analyze us/layer':>18}{'lint us/layer':>15}")
    rows = []
    for n in (1_000, 10_000, 100_000):
        path = out / f"growth_chain_{n}.prototxt"
        path.write_text(chain(n))
        runs = 1 if n >= 100_000 else 3
        a, lint = timed(path, "analyze", runs), timed(path, "lint", runs)
        rows.append((n, a, lint))
        print(f"{f'ReLU chain {n:,}':<36}{a:>10.3f}{lint:>10.3f}{lint / a:>14.2f}"
              f"{1e6 * a / n:>18.1f}{1e6 * lint / n:>15.1f}")
    # analyze refuses this net (its first bottom has no producer): only lint is timed.
    path = out / "growth_in_place_800.prototxt"
    path.write_text(in_place_on_unproduced(800))
    lint = timed(path, "lint", 3)
    print(f"{'800 in place on an unproduced blob':<36}{'-':>10}{lint:>10.3f}{'-':>14}{'-':>18}"
          f"{1e6 * lint / 800:>15.1f}")
    (n1, _, l1), (_, a10, l10), (n100, _, l100) = rows[:3]
    ratio, per_layer = l10 / a10, (l100 / n100) / (l1 / n1)
    ok = ratio <= LINT_VS_ANALYZE and per_layer <= PER_LAYER_GROWTH
    print(f"lint 10k / analyze 10k: {ratio:.2f} (target <= {LINT_VS_ANALYZE:g}); "
          f"lint per layer 100k / 1k: {per_layer:.2f} (target <= {PER_LAYER_GROWTH:g}): "
          f"{'OK' if ok else 'TOO SLOW'}")
    return ok


def main() -> int:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    ok = True
    if "--no-corpus" not in sys.argv:
        ok = corpus_lint(args[0] if args else None) == 0
    if "--no-growth" not in sys.argv:
        ok = growth() and ok
    return 0 if ok else 1


def best_of(cmd: list[str], runs: int) -> tuple[float, list[float], bytes]:
    times = []
    out = b""
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, cwd=REPO, check=False)
        times.append(time.perf_counter() - start)
        out = proc.stdout
        if proc.returncode == 2:
            sys.stderr.write(proc.stderr.decode())
            raise SystemExit(2)
    return min(times), times, out


def corpus_lint(given: str | None) -> int:
    """The corpus with -j 1 and -j 2: both times, their ratio, and that the bytes match."""
    default = os.environ.get("DWSEP_CORPUS", str(REPO.parent / "shared" / "corpus"))
    corpus = given or default
    if not Path(corpus).is_dir():
        print(f"corpus not found at {corpus}: corpus timing skipped")
        return 0
    base = [sys.executable, "-m", "prototxt_tool", "lint", "--fail-on", "error", corpus]
    one, t1, out1 = best_of([*base, "-j", "1"], 3)
    two, t2, out2 = best_of([*base, "-j", "2"], 3)
    ratio = two / one
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    ok1, ok2, same = one < TARGET_S, ratio <= TARGET_RATIO, out1 == out2
    print(f"dwsep lint {corpus} ({cores} cores available)")
    print(f"  -j 1: best {one:.2f} s of 3 ({', '.join(f'{t:.2f}' for t in t1)}); "
          f"target < {TARGET_S:.0f} s: {'OK' if ok1 else 'TOO SLOW'}")
    print(f"  -j 2: best {two:.2f} s of 3 ({', '.join(f'{t:.2f}' for t in t2)})")
    print(f"  -j 2 / -j 1 = {ratio:.2f}; target <= {TARGET_RATIO}: {'OK' if ok2 else 'MISSED'}")
    print(f"  same output with -j 1 and -j 2: {'yes' if same else 'NO'}")
    print("  " + out1.decode().strip().splitlines()[-1])
    return 0 if ok1 and ok2 and same else 1


if __name__ == "__main__":
    raise SystemExit(main())
