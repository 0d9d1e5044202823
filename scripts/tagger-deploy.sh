#!/usr/bin/env bash
# The deployed tagger (docs/RESULTS.md, issue 14): export a character-only tagger run at f32,
# f16 and int8, hold each file to burn on the test corpus, tag the corpus with the runtime
# (`sublex tag --conllu`) and print one Markdown row per precision.
# Usage: scripts/tagger-deploy.sh RUN [OUT_DIR] [GOLD.conllu]
#   (defaults: RUN-deploy, ../shared/data/pos/en_ewt-ud-test.conllu)
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=${1:?usage: scripts/tagger-deploy.sh RUN [OUT_DIR] [GOLD.conllu]}
OUT=${2:-$RUN-deploy}
GOLD=${3:-../shared/data/pos/en_ewt-ud-test.conllu}
cargo build --release -q -p sublex-trainer -p sublex-cli
mkdir -p "$OUT"
echo "| file | bytes | burn vs runtime on the corpus: max score diff kernel / tract | tags differing | tags changed by the storage | more changed by the kernel's int8 arithmetic | accuracy (runtime, \`sublex tag --conllu\`) |"
echo "|---|---|---|---|---|---|---|"
for p in f32 f16 int8; do
  file=$OUT/tagger-$p.onnx
  check=$(target/release/sublex-train export --model "$RUN" --out "$file" --precision "$p" \
    --check-corpus "$GOLD" 2>&1 >/dev/null | tail -n 1)
  target/release/sublex tag "$file" --conllu "$GOLD" >"$OUT/tagged-$p.conllu"
  accuracy=$(python3 scripts/conllu-accuracy.py "$GOLD" "$OUT/tagged-$p.conllu")
  python3 - "$p" "$(stat -c %s "$file")" "$check" "$accuracy" <<'PY'
import re, sys
p, size, check, accuracy = sys.argv[1:]
m = re.search(r"kernel (\S+), tract (\S+), (\d+) tags differ; (\d+) tags changed by \S+ storage, "
              r"(\d+) more", check)
if not m:
    sys.exit(f"unexpected export output: {check}")
kernel, tract, differ, changed, kernel_int8 = m.groups()
print(f"| {p} | {int(size):,} | {kernel} / {tract} | {differ} | {changed} | {kernel_int8} | "
      f"{accuracy.split('= ')[1].rstrip('%')} |")
PY
done
