"""How much of the public "wild" sample dwsep reads: per-file status and the two rates.

    python scripts/wild_coverage.py [WILD_DIR] [--strict] [--quiet]

WILD_DIR (default ../shared/wild, or $DWSEP_WILD) holds MANIFEST.tsv and files/. Rate 1: files
that parse (text format, then Caffe's upgrade), tolerant reading unless --strict. Rate 2: of
the rows marked deploy_like=1 (they declare their input and have no data layer, so they must
analyze without any flag), those that analyze with complete figures.

"Complete figures": the analysis runs (no shape error), the net has layers and
`analysis.incomplete()` is empty: every layer's params and MACs are known, and its ops and
top shapes too unless the layer is data-dependent (its work depends on run-time values, which
Caffe itself cannot size before the net runs: detections kept by NMS, the size of each region
of interest).
tests/test_wild.py runs the same check per file and lists every expected failure with its
reason.
"""

from __future__ import annotations

import csv
import os
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT = Path(os.environ.get("DWSEP_WILD", REPO.parent / "shared" / "wild"))


@dataclass
class Status:
    file: str
    deploy_like: bool
    parse: str  # "ok" or why not
    analyze: str  # "complete", "-" (not deploy-like or did not parse), or why not


def manifest(wild: Path) -> list[tuple[str, bool]]:
    with open(wild / "MANIFEST.tsv", encoding="utf-8", newline="") as f:
        return [(row["file"], row["deploy_like"] == "1")
                for row in csv.DictReader(f, delimiter="\t")]


def check(wild: Path, file: str, deploy_like: bool, strict: bool = False) -> Status:
    from prototxt_tool import analysis, pipeline
    from prototxt_tool.errors import DwsepError

    status = Status(file, deploy_like, "ok", "-")
    try:
        loaded = pipeline.load_net(pipeline.read_source(str(wild / "files" / file)),
                                   strict=strict)
    except DwsepError as err:
        status.parse = _short(err, wild)
        return status
    if not deploy_like:
        return status
    try:
        result = analysis.analyze(loaded)
    except DwsepError as err:
        status.analyze = _short(err, wild)
        return status
    missing = analysis.incomplete(result)
    if not result.layers:
        status.analyze = "no layers"
    elif missing:
        more = len(missing) - 3
        status.analyze = f"unknown: {', '.join(missing[:3])}" + (f" (+{more})" if more > 0 else "")
    else:
        status.analyze = "complete"
    return status


def _short(err: Exception, wild: Path) -> str:
    return str(err).replace(str(wild / "files") + "/", "")


def main(argv: list[str]) -> int:
    args = [a for a in argv if not a.startswith("--")]
    strict, quiet = "--strict" in argv, "--quiet" in argv
    wild = Path(args[0]) if args else DEFAULT
    if not (wild / "MANIFEST.tsv").is_file():
        print(f"no MANIFEST.tsv in {wild}", file=sys.stderr)
        return 2
    rows = [check(wild, f, d, strict) for f, d in manifest(wild)]
    if not quiet:
        for s in rows:
            print(f"{s.file}\tparse: {s.parse}\tanalyze: {s.analyze}")
    parsed = sum(s.parse == "ok" for s in rows)
    deploy = [s for s in rows if s.deploy_like]
    complete = sum(s.analyze == "complete" for s in deploy)
    mode = "strict" if strict else "tolerant"
    print(f"parse ({mode}): {parsed}/{len(rows)} = {100 * parsed / len(rows):.1f}%")
    print(f"deploy-like complete: {complete}/{len(deploy)} = "
          f"{100 * complete / max(len(deploy), 1):.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
