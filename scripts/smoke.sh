#!/usr/bin/env bash
# Smoke test of an INSTALLED dwsep (the wheel, not the checkout): every command once, on small
# nets, from whatever directory this is run in. Usage: smoke.sh /path/to/venv/bin
# .ci/run calls it from a temporary directory with a venv that has only the built wheel, so a
# file missing from the wheel (template, schema, profile, report script) fails here.
set -euo pipefail
BIN="$1"
HERE="$(cd "$(dirname "$0")/.." && pwd)"
FIX="$HERE/tests/fixtures"
dwsep() { "$BIN/dwsep" "$@"; }
step() { printf 'smoke: %s\n' "$*"; }

where="$("$BIN/python" -c 'import prototxt_tool, sys; sys.stdout.write(prototxt_tool.__file__)')"
case "$where" in
  "$HERE"/*) echo "smoke: prototxt_tool imported from the checkout ($where), not the wheel" >&2
             exit 1 ;;
esac
step "installed at $where"
dwsep --version
dwsep --help > /dev/null
"$BIN/python" -m prototxt_tool --version > /dev/null

step "gen | analyze -"
dwsep gen mobilenet -a 0.5 -r 160 | dwsep analyze - | grep -q "Total MACs: 76.5M"
dwsep gen mobilenet-v2 -o v2.prototxt
dwsep analyze v2.prototxt --format json -o v2.json
"$BIN/python" -c 'import json; d = json.load(open("v2.json")); assert d["total"]["complete"]'
dwsep gen mobilenet --phase train-val --train-source t --val-source v \
  --solver solver.prototxt -o train_val.prototxt

step "lint"
dwsep gen mobilenet -o mobilenet.prototxt
dwsep lint mobilenet.prototxt v2.prototxt > lint.txt
dwsep lint --format sarif mobilenet.prototxt > lint.sarif
dwsep rule D003 | grep -q D003

step "upgrade"
dwsep upgrade "$FIX/separate/small_v1.prototxt" -o upgraded.prototxt 2> /dev/null
dwsep analyze upgraded.prototxt > /dev/null

step "separate"
dwsep separate upgraded.prototxt -q -o separated.prototxt
dwsep analyze separated.prototxt > /dev/null

step "schema"
dwsep schema | grep -q "message NetParameter"

step "draw / report"
dwsep draw mobilenet.prototxt -o net.svg
"$BIN/python" -c 'import xml.etree.ElementTree as E; E.parse("net.svg")'
dwsep draw mobilenet.prototxt --format dot -o net.dot
dwsep report mobilenet.prototxt -o net.html
grep -q "Content-Security-Policy" net.html
dwsep report mobilenet.prototxt v2.prototxt -o compare.html

step "targets"
dwsep targets > /dev/null
dwsep targets rknn2 > /dev/null
dwsep lint --target ncnn,rknn2 mobilenet.prototxt > /dev/null
dwsep gen mobilenet --target mnn | dwsep lint --target mnn - > /dev/null

step "diff"
status=0; dwsep diff mobilenet.prototxt separated.prototxt > /dev/null || status=$?
[ "$status" -le 1 ]

step "check / fold-bn (a caffemodel with random weights, made with the installed package)"
"$BIN/python" - <<'PY'
import numpy as np
from google.protobuf import text_format
import prototxt_tool
from prototxt_tool import caffe_pb2

# As Caffe writes one: the net's layers (names, bottoms, tops, params) carrying their blobs.
model = caffe_pb2.NetParameter()
text_format.Parse(open("mobilenet.prototxt").read(), model)
shapes = {r.name: r.param_shapes for r in prototxt_tool.analyze("mobilenet.prototxt").layers}
rng = np.random.default_rng(0)
for stored in model.layer:
    for shape in shapes[stored.name] or ():
        blob = stored.blobs.add()
        blob.shape.dim.extend(shape)
        values = rng.random(int(np.prod(shape)), dtype=np.float32) + 0.5
        blob.data.extend(values.tolist())
with open("mobilenet.caffemodel", "wb") as out:
    out.write(model.SerializeToString())
PY
dwsep check mobilenet.prototxt mobilenet.caffemodel > /dev/null
dwsep analyze mobilenet.caffemodel --input-shape data=1,3,224,224 > /dev/null
dwsep fold-bn mobilenet.prototxt mobilenet.caffemodel -o folded.prototxt \
  --weights-out folded.caffemodel 2> /dev/null
dwsep check folded.prototxt folded.caffemodel > /dev/null
step "ok"
