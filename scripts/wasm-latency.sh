#!/usr/bin/env bash
# One-word latency and one-sentence tagging in headless Chromium, each wasm build against
# the native kernel's paths, in one sitting, on the same model files (docs/RESULTS.md, issue
# 17). The page times its own calls (a loop of calls: the page's clock is coarse); `sublex
# bench` times the native ones the same way. Each figure is the median of 3 runs.
#
# Usage: scripts/wasm-latency.sh [--embedder FILE.onnx --tagger FILE.onnx]
# (default: the demo's models, see scripts/wasm-demo.sh). Run on an otherwise idle machine.
# With NOVEC=DIR, DIR/sublex is also timed: a native build whose loops LLVM did not
# vectorise (RUSTFLAGS="-C llvm-args=-vectorize-loops=false -C llvm-args=-vectorize-slp=false"),
# the native counterpart of the one-lane scalar wasm build.
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/wasm-latency
bin="${SUBLEX_BIN_DIR:-$PWD/target/release}"
word=kitten
sentence="The quick brown fox jumps over the lazy dog ."
. scripts/wasm-builds.sh

rm -rf "$out"
scripts/wasm-demo.sh --no-serve --out "$out/page" "$@" >/dev/null
for build in $WASM_BUILDS; do
  for run in 1 2 3; do
    python3 wasm/tests/page.py "$out/page" --build "$build" --sublex "$bin/sublex" \
      --timings "$out/$build-$run.json" >/dev/null
  done
done
models="$out/page/models"
for native in "$bin" ${NOVEC:+"$NOVEC"}; do
  tag=$([ "$native" = "$bin" ] && echo native || echo novec)
  for run in 1 2 3; do
    "$native/sublex" bench "$models/embedder.onnx" "$word" >"$out/$tag-embed-$run.txt"
    # shellcheck disable=SC2086 # one token per argument
    "$native/sublex" bench "$models/tagger.onnx" $sentence >"$out/$tag-tag-$run.txt"
  done
done
python3 - "$out" "$word" <<'PY'
import json, re, statistics, sys
from pathlib import Path
out, word = Path(sys.argv[1]), sys.argv[2]
rows = {}
for f in sorted(out.glob("*-[123].json")):
    t = json.loads(f.read_text())
    name = f"wasm {t['backend']} in Chromium"
    rows.setdefault(name, ([], []))[0].append(t["embed_us"][word])
    rows[name][1].append(t["tag_us"])
for f in sorted(out.glob("*-embed-[123].txt")):
    tag = f.name.split("-")[0]
    for what, i in (("embed", 0), ("tag", 1)):
        text = (out / f.name.replace("-embed-", f"-{what}-")).read_text()
        for isa, us in re.findall(r"^kernel \((\S+)\): ([0-9.]+)", text, re.M):
            name = f"{tag} kernel ({isa})"
            rows.setdefault(name, ([], []))[i].append(float(us))
summary = {name: {"embed_us": statistics.median(e), "tag_us": statistics.median(t)}
           for name, (e, t) in rows.items()}
(out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
print(f"| path | one word ({word}), µs | a 10-token sentence, µs |\n|---|---|---|")
for name, s in summary.items():
    print(f"| {name} | {s['embed_us']:.1f} | {s['tag_us']:.1f} |")
PY
