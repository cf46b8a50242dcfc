"""PNG screenshots of HTML reports, so a person can look at what `dwsep report` makes.

    .venv/bin/python scripts/screenshots.py [--out DIR] [--docs]

Writes the reports of MobileNet v1 and ResNet-152 (from the corpus, $DWSEP_CORPUS or
../shared/corpus) and a screenshot of each, taken by headless Chromium with networking off, to
DIR (default bench/out/screenshots). --docs also refreshes docs/img/report-mobilenet.png, the
picture the README shows. Needs `chromium` (Debian's package) on PATH.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NETS = {"mobilenet": "mobilenet/mobilenet_deploy.prototxt",
        "resnet152": "resnet/ResNet-152-deploy.prototxt"}
WINDOW = (1280, 1500)


def corpus() -> Path:
    return Path(os.environ.get("DWSEP_CORPUS", REPO.parent / "shared" / "corpus"))


def dwsep() -> list[str]:
    exe = Path(sys.executable).with_name("dwsep")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "prototxt_tool"]


def screenshot(chromium: str, page: Path, png: Path) -> None:
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([chromium, "--headless=new", "--no-sandbox", "--disable-gpu",
                        "--disable-background-networking", "--disable-component-update",
                        "--no-first-run", "--disable-sync", "--hide-scrollbars",
                        "--host-resolver-rules=MAP * ~NOTFOUND", f"--user-data-dir={profile}",
                        f"--window-size={WINDOW[0]},{WINDOW[1]}", f"--screenshot={png}",
                        page.as_uri()], check=True, capture_output=True, timeout=120)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "screenshots")
    parser.add_argument("--docs", action="store_true",
                        help="also write docs/img/report-mobilenet.png")
    args = parser.parse_args()
    chromium = shutil.which("chromium")
    if chromium is None:
        print("screenshots: chromium not found (apt-get install chromium)", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    for name, rel in NETS.items():
        net = corpus() / rel
        if not net.exists():
            print(f"screenshots: {net} not found (set DWSEP_CORPUS)", file=sys.stderr)
            return 2
        page, png = args.out / f"{name}.html", args.out / f"{name}.png"
        # From the net's folder, by its bare name: the report's header shows the path as given,
        # and a picture in the docs should not show where this machine keeps the corpus.
        subprocess.run([*dwsep(), "report", net.name, "-o", str(page.resolve())], check=True,
                       cwd=net.parent)
        screenshot(chromium, page, png)
        print(f"{png}  ({page.stat().st_size / 1024:.0f} KiB report)")
        if args.docs and name == "mobilenet":
            target = REPO / "docs" / "img" / "report-mobilenet.png"
            shutil.copyfile(png, target)
            print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
