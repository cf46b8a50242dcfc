"""Check that a built wheel carries every file a user's install needs.

CI installs the project editable, which reads files straight from the checkout, so a template,
a profile, the report's script or the schema left out of the wheel would pass every test and
still break every user. This script derives what the wheel must contain from the source tree
and pyproject.toml (not from a hand-kept list, which would rot): every file under each
package directory, every Python package under prototxt_tool/ (a subpackage missing from
pyproject's `packages` would silently not ship), the LICENSE, `py.typed`, the schema, and the
`dwsep` console script. Exit 1 with one line per missing file.

    python scripts/check_wheel.py dist/dwsep-*.whl
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

REPO = Path(__file__).resolve().parent.parent
SKIP_DIRS = {"__pycache__"}
SKIP_SUFFIXES = {".pyc", ".pyo"}


def expected_files(repo: Path = REPO) -> set[str]:
    """Paths (inside the wheel) of every file the package directories hold."""
    config = tomllib.loads((repo / "pyproject.toml").read_text())["tool"]["setuptools"]
    package_dirs = config.get("package-dir", {})
    wanted: set[str] = set()
    for package in config["packages"]:
        source = repo / package_dirs.get(package, package.replace(".", "/"))
        target = package.replace(".", "/")
        for path in sorted(source.iterdir()):
            if path.is_file() and path.suffix not in SKIP_SUFFIXES:
                wanted.add(f"{target}/{path.name}")
    return wanted


def unlisted_packages(repo: Path = REPO) -> list[str]:
    """Python packages under prototxt_tool/ that pyproject's `packages` does not name."""
    config = tomllib.loads((repo / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    found = []
    for init in sorted((repo / "prototxt_tool").rglob("*.py")):
        if SKIP_DIRS & set(init.parts):
            continue
        package = ".".join(init.parent.relative_to(repo).parts)
        if package not in listed and package not in found:
            found.append(package)
    return found


def problems(wheel: Path, repo: Path = REPO) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next((n for n in names if n.endswith(".dist-info/entry_points.txt")), None)
        scripts = archive.read(entry_points).decode() if entry_points else ""
    out = [f"missing from the wheel: {name}" for name in sorted(expected_files(repo) - names)]
    out += [f"package not listed in pyproject [tool.setuptools] packages: {p}"
            for p in unlisted_packages(repo)]
    for must in ("prototxt_tool/py.typed", "prototxt_tool/schema/caffe.proto"):
        if must not in names:
            out.append(f"missing from the wheel: {must}")
    if not any(n.endswith(".dist-info/licenses/LICENSE") for n in names):
        out.append("missing from the wheel: the LICENSE (dist-info/licenses/LICENSE)")
    if "dwsep = prototxt_tool.cli:main" not in scripts:
        out.append("missing from the wheel: the `dwsep` console script entry point")
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: check_wheel.py WHEEL", file=sys.stderr)
        return 2
    found = problems(Path(argv[0]))
    for line in found:
        print(f"check_wheel: {line}", file=sys.stderr)
    if not found:
        print(f"check_wheel: {Path(argv[0]).name} carries all "
              f"{len(expected_files())} package files, LICENSE, py.typed and the schema")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
