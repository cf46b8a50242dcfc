"""Time `dwsep lint` over the public corpus (target: under 5 s). Run by hand, not a test.

    .venv/bin/python bench/bench_lint.py [CORPUS_DIR]

Runs the real CLI in a fresh process (start-up and imports included, as pre-commit and CI
pay them) and prints the wall time of the best of three runs and the finding counts.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

TARGET_S = 5.0


def main() -> int:
    repo = Path(__file__).resolve().parent.parent
    default = os.environ.get("DWSEP_CORPUS", str(repo.parent / "shared" / "corpus"))
    corpus = sys.argv[1] if len(sys.argv) > 1 else default
    cmd = [sys.executable, "-m", "prototxt_tool", "lint", "--fail-on", "error", corpus]
    times = []
    for _ in range(3):
        start = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=repo, check=False)
        times.append(time.perf_counter() - start)
        if proc.returncode == 2:
            sys.stderr.write(proc.stderr)
            return 2
    summary = proc.stdout.strip().splitlines()[-1]
    best = min(times)
    verdict = "OK" if best < TARGET_S else "TOO SLOW"
    print(f"dwsep lint {corpus}: best {best:.2f} s of {len(times)} "
          f"({', '.join(f'{t:.2f}' for t in times)}); target < {TARGET_S:.0f} s: {verdict}")
    print(summary)
    return 0 if best < TARGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
