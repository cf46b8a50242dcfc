"""Regenerate prototxt_tool/caffe_pb2.py from proto/caffe.proto.

The generated module is committed so that users need only the protobuf runtime, not
grpcio-tools; tests/test_schema.py regenerates into a temporary directory and compares bytes,
which catches a .proto edit that was not followed by a regeneration.

Usage: python scripts/gen_proto.py [OUTPUT_DIR]   (default: prototxt_tool/)
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PROTO_DIR = REPO / "proto"
PROTO_FILE = PROTO_DIR / "caffe.proto"
DEFAULT_OUT = REPO / "prototxt_tool"


def generate(out_dir: Path) -> Path:
    """Run protoc on caffe.proto and return the path of the written caffe_pb2.py.

    protoc runs with the proto directory as its only include path and the bare file name as
    input, so the descriptor's file name is "caffe.proto" wherever the checkout lives: the
    output bytes must not depend on the machine, or the regeneration test could never pass.
    protoc writes into a scratch directory first so that a failed run leaves no half file.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        cmd = [
            sys.executable,
            "-m",
            "grpc_tools.protoc",
            f"--proto_path={PROTO_DIR}",
            f"--python_out={scratch}",
            PROTO_FILE.name,
        ]
        result = subprocess.run(cmd, cwd=PROTO_DIR, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"protoc failed: {result.stderr.strip() or result.stdout.strip()}")
        produced = Path(scratch) / "caffe_pb2.py"
        target = out_dir / "caffe_pb2.py"
        shutil.copyfile(produced, target)
    return target


def main(argv: list[str]) -> int:
    if len(argv) > 2:
        print("usage: gen_proto.py [OUTPUT_DIR]", file=sys.stderr)
        return 2
    out_dir = Path(argv[1]) if len(argv) == 2 else DEFAULT_OUT
    try:
        target = generate(out_dir)
    except (RuntimeError, OSError) as exc:
        print(f"gen_proto: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
