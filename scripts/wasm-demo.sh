#!/usr/bin/env bash
# The browser demo (issue 17): builds the WebAssembly module in each build of
# scripts/wasm-builds.sh, gathers them with the page (wasm/www), two models and a word list
# into one directory, and serves that directory on localhost (python3's http.server,
# loopback only). The page loads the best build the browser validates (`?build=NAME`
# forces one).
#
# Usage: scripts/wasm-demo.sh [--out DIR] [--port N] [--no-serve]
#                             [--embedder FILE.onnx] [--tagger FILE.onnx]
#   --no-serve    build only (the end-to-end test serves the directory itself)
# Models: --embedder/--tagger, else data/models/{embedder,tagger}.onnx when present, else two
# small ones trained from the shipped data/ (cached in target/wasm-demo-models; a minute or
# two). The word list is the shipped GloVe sample's 2,000 words.
# Needs the wasm32 target and wasm-bindgen-cli at Cargo.lock's version (scripts/wasm-test.sh
# with SUBLEX_WASM_INSTALL=1 installs both); SUBLEX_BIN_DIR names built sublex binaries.
set -euo pipefail
cd "$(dirname "$0")/.."

out=target/wasm-demo port=8000 serve=1 embedder="" tagger=""
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift ;;
    --port) port="$2"; shift ;;
    --no-serve) serve=0 ;;
    --embedder) embedder="$2"; shift ;;
    --tagger) tagger="$2"; shift ;;
    *) sed -n '2,15p' "$0" >&2; exit 2 ;;
  esac
  shift
done

rm -rf "$out"
mkdir -p "$out/models"
. scripts/wasm-builds.sh
for build in $WASM_BUILDS; do
  wasm_build "$build"
  echo "--- the module ($build build)"
  RUSTFLAGS="$WASM_RUSTFLAGS" cargo build --profile wasm -p sublex-wasm --target wasm32-unknown-unknown
  # The JavaScript glue is the same for every build (the page passes the module's bytes).
  wasm-bindgen --target web --no-typescript --remove-name-section --out-dir "$out/pkg" \
    "${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/wasm/sublex_wasm.wasm"
  mv "$out/pkg/sublex_wasm_bg.wasm" "$out/pkg/sublex_wasm_$build.wasm"
done
cp wasm/www/index.html wasm/www/app.js wasm/www/style.css "$out/"
cut -d' ' -f1 data/glove-6b-100d.top2k.txt > "$out/words.txt"

bin="${SUBLEX_BIN_DIR:-$PWD/target/release}"
train() {
  if [ ! -x "$bin/sublex-train" ]; then
    cargo build --release -p sublex-trainer --bin sublex-train
  fi
  "$bin/sublex-train" "$@"
}
# Small models from the shipped data alone, when none are given or shipped.
sample_models() {
  local dir=target/wasm-demo-models
  if [ ! -f "$dir/embedder.onnx" ]; then
    echo "--- a small embedder from the shipped GloVe sample (target/wasm-demo-models)"
    train reconstruct --teacher data/glove-6b-100d.top2k.txt --loss contrastive --epochs 60 \
      --keep-every 0 --out "$dir/embedder" --resume
    train export --model "$dir/embedder" --teacher data/glove-6b-100d.top2k.txt \
      --keep-top 1000 --out "$dir/embedder.onnx"
  fi
  if [ ! -f "$dir/tagger.onnx" ]; then
    echo "--- a small tagger from the shipped EWT slice (target/wasm-demo-models)"
    # 15 epochs of 63 steps: the default average (about 1,000 steps) would still lean on
    # the initial weights, so a shorter one.
    train tagger --variant char --train data/en_ewt-ud-train.first1000.conllu \
      --dev data/en_ewt-ud-dev.first200.conllu --test data/en_ewt-ud-test.first200.conllu \
      --lr 2e-3 --dropout 0.2 --max-epochs 15 --average 0.99 --out "$dir/tagger" --resume
    train export --model "$dir/tagger" --precision int8 --out "$dir/tagger.onnx"
  fi
}
if [ -z "$embedder" ] || [ -z "$tagger" ]; then
  models=data/models
  if [ ! -f "$models/embedder.onnx" ] || [ ! -f "$models/tagger.onnx" ]; then
    models=target/wasm-demo-models
    sample_models
  fi
  embedder="${embedder:-$models/embedder.onnx}"
  tagger="${tagger:-$models/tagger.onnx}"
fi
cp "$embedder" "$out/models/embedder.onnx"
cp "$tagger" "$out/models/tagger.onnx"
echo "--- the page is in $out ($(du -sh "$out" | cut -f1))"

if [ "$serve" = 1 ]; then
  echo "--- serving http://127.0.0.1:$port/ (Ctrl-C stops)"
  exec python3 -m http.server "$port" --bind 127.0.0.1 --directory "$out"
fi
