#!/usr/bin/env bash
# The browser tests of wasm/ (issue 17): the wasm-bindgen-test suite in headless Chromium
# for each build of scripts/wasm-builds.sh (scalar, SIMD128, relaxed SIMD); then the demo
# page end to end (wasm/tests/page.py, selenium) with the build it picks and with each one,
# its screenshots in target/wasm-demo-e2e/; and each module under 300 KB (300,000 bytes).
# Needs the wasm32 target, wasm-bindgen-cli at exactly the wasm-bindgen version of
# Cargo.lock, Debian's chromium + chromium-driver and selenium; SUBLEX_WASM_INSTALL=1
# installs what is missing first (as CI does). SUBLEX_BIN_DIR names built sublex binaries
# (default target/release, built when missing).
#
# Usage: scripts/wasm-test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

# The one wasm-bindgen version the lock file pins: the CLI must be the same.
version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print }' Cargo.lock)
if [ "${SUBLEX_WASM_INSTALL:-0}" = 1 ]; then
  rustup target add wasm32-unknown-unknown
  if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $version" ]; then
    # --debug: 3 minutes to build instead of about 20 here; its speed does not matter
    # for modules of a few hundred KB.
    cargo install wasm-bindgen-cli --version "$version" --debug
  fi
  if ! command -v chromedriver >/dev/null; then
    as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
    as_root apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver
  fi
  python3 -m pip install -q selenium
fi
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $version" ]; then
  echo "wasm-bindgen-cli $version is needed: cargo install wasm-bindgen-cli --version $version" >&2
  exit 1
fi

export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
target="${CARGO_TARGET_DIR:-$PWD/target}"
# The runner reads wasm/webdriver.json (Chromium's flags: headless as root, no network)
# from the directory cargo runs the test in, the package's.
. scripts/wasm-builds.sh
for build in $WASM_BUILDS; do
  echo "--- wasm: the $build build in headless Chromium"
  wasm_build "$build"
  RUSTFLAGS="$WASM_RUSTFLAGS" cargo test -p sublex-wasm --target wasm32-unknown-unknown --test browser
done

bin="${SUBLEX_BIN_DIR:-$PWD/target/release}"
if [ ! -x "$bin/sublex" ]; then
  cargo build --release -p sublex-cli
fi
echo "--- wasm: the demo page end to end in headless Chromium"
out="$target/wasm-demo-e2e"
scripts/wasm-demo.sh --no-serve --out "$out"
# Issue 17's size target: each module the page may download, without the model.
for module in "$out"/pkg/*.wasm; do
  bytes=$(stat -c %s "$module")
  echo "$(basename "$module"): $bytes bytes"
  if [ "$bytes" -ge 300000 ]; then
    echo "$module is $bytes bytes: over the 300 KB budget" >&2
    exit 1
  fi
done
for build in "" $WASM_BUILDS; do
  python3 wasm/tests/page.py "$out" --sublex "$bin/sublex" ${build:+--build "$build"} \
    --screenshot "$out/${build:-auto}.png" --timings "$out/${build:-auto}.json"
done
