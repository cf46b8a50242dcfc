"""Run the shell steps of docs/lint.md's GitHub Actions recipes here, as a runner would.

A recipe that cannot work (it once said `pip install dwsep`, but dwsep is not on the package
index) is worse than none. CI calls this after building the wheel: each `run:` step of the
YAML blocks under "## GitHub Actions" runs in a scratch directory whose `models/` holds nets
dwsep generates, with the smoke venv first on PATH. The one substitution: the recipe's
`git+https://...` install source becomes the wheel just built (same package, no network).

    python scripts/run_recipe.py VENV_BIN WHEEL
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def recipe_steps(page: Path = REPO / "docs" / "lint.md") -> list[str]:
    """The `run:` scripts of the YAML blocks in the page's GitHub Actions section."""
    text = page.read_text(encoding="utf-8")
    section = text.split("## GitHub Actions", 1)[1].split("\n## ", 1)[0]
    steps = []
    for block in re.findall(r"```yaml\n(.*?)```", section, flags=re.S):
        lines = block.splitlines()
        for i, line in enumerate(lines):
            m = re.match(r"(\s*)(?:- )?run: ?(.*)$", line)
            if not m:
                continue
            if m.group(2).strip() == "|":
                indent = len(m.group(1)) + 2
                body = []
                for nxt in lines[i + 1:]:
                    if nxt.strip() and len(nxt) - len(nxt.lstrip()) < indent:
                        break
                    body.append(nxt[indent:])
                steps.append("\n".join(body).strip() + "\n")
            else:
                steps.append(m.group(2).strip() + "\n")
    return steps


def main(argv: list[str]) -> int:
    bin_dir, wheel = Path(argv[0]).resolve(), Path(argv[1]).resolve()
    steps = recipe_steps()
    if not steps:
        print("run_recipe: no `run:` steps found in docs/lint.md's GitHub Actions section",
              file=sys.stderr)
        return 1
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    with tempfile.TemporaryDirectory() as tmp:
        models = Path(tmp) / "models"
        models.mkdir()
        for model in ("mobilenet", "mobilenet-v2"):
            subprocess.run([bin_dir / "dwsep", "gen", model, "-o", models / f"{model}.prototxt"],
                           check=True)
        for step in steps:
            script = re.sub(r'"dwsep @ git\+https://[^"]+"', f'"dwsep @ {wheel.as_uri()}"', step)
            done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp, env=env,
                                  capture_output=True, text=True)
            if done.returncode != 0:
                print(f"run_recipe: step failed (exit {done.returncode}):\n{script}"
                      f"{done.stdout}{done.stderr}", file=sys.stderr)
                return 1
            print(f"run_recipe: ok: {step.strip().splitlines()[-1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
