#!/usr/bin/env bash
# The fuzzer's long run (docs/RESULTS.md): CASES mutated model files (default 100,000) on
# every core, from the built-in seeds plus real trained files exported from the runs this
# project's tables come from, when they exist: the 50-epoch Dcos embedder of Table 1 and
# the EWT CHAR(Dcos) tagger, each at f32 and int8.
# Usage: [TAGGER=run-dir] scripts/fuzz.sh [CASES] [SEED]   (failing files go to runs/fuzz/failures; exits
# non-zero if there are any; each one becomes a file in tests/hostile/)
set -euo pipefail
cd "$(dirname "$0")/.."
CASES=${1:-100000}
SEED=${2:-2026}
OUT=runs/fuzz
cargo build --release -q -p sublex-fuzz -p sublex-trainer
mkdir -p "$OUT"
FILES=()
# export MODEL_DIR NAME: the run's model at f32 and int8, once.
export_model() {
  [ -d "$1" ] || return 0
  for p in f32 int8; do
    [ -e "$OUT/$2-$p.onnx" ] || target/release/sublex-train export --model "$1" --precision $p --out "$OUT/$2-$p.onnx" >/dev/null 2>&1
    FILES+=("$OUT/$2-$p.onnx")
  done
}
export_model runs/table1/cos/epochs/50 cos50
export_model "${TAGGER:-runs/tagger/ewt-dcos}" tagger
target/release/sublex-fuzz run --cases "$CASES" --seed "$SEED" --failures "$OUT/failures" \
  --report "$OUT/report-$CASES.json" "${FILES[@]}"
