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

# Commands added by later work: run each one that this build has.
has() { dwsep --help | grep -Eq "^  $1 "; }
if has draw; then step "draw"; dwsep draw mobilenet.prototxt -o net.svg
  "$BIN/python" -c 'import xml.etree.ElementTree as E; E.parse("net.svg")'; fi
if has report; then step "report"; dwsep report mobilenet.prototxt -o net.html
  grep -q "Content-Security-Policy" net.html; fi
if has targets; then step "targets"; dwsep targets > /dev/null; fi
if has diff; then step "diff"; dwsep diff mobilenet.prototxt separated.prototxt > /dev/null \
  || [ $? -eq 1 ]; fi
step "ok"
