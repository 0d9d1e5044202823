#!/usr/bin/env bash
# The browser tests of wasm/ (issue 17): the wasm-bindgen-test suite in headless Chromium,
# once for the scalar build and once for the SIMD128 build (wasm cannot detect SIMD at run
# time: each is its own module). Needs the wasm32 target, wasm-bindgen-cli at exactly the
# wasm-bindgen version of Cargo.lock, and Debian's chromium + chromium-driver;
# SUBLEX_WASM_INSTALL=1 installs what is missing first (as CI will).
#
# Usage: scripts/wasm-test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

# The one wasm-bindgen version the lock file pins: the CLI must be the same.
version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print }' Cargo.lock)
if [ "${SUBLEX_WASM_INSTALL:-0}" = 1 ]; then
  rustup target add wasm32-unknown-unknown
  if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $version" ]; then
    cargo install wasm-bindgen-cli --version "$version"
  fi
  if ! command -v chromedriver >/dev/null; then
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver
  fi
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
echo "--- wasm: scalar build in headless Chromium"
CARGO_TARGET_DIR="$target" cargo test -p sublex-wasm --target wasm32-unknown-unknown --test browser
echo "--- wasm: SIMD128 build in headless Chromium"
# Its own target directory: other flags would rebuild the scalar build's artifacts.
CARGO_TARGET_DIR="$target/wasm-simd128" RUSTFLAGS="-C target-feature=+simd128" \
  cargo test -p sublex-wasm --target wasm32-unknown-unknown --test browser
