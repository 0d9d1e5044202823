# The WebAssembly builds, sourced by scripts/wasm-test.sh and scripts/wasm-demo.sh. wasm has
# no run-time feature detection, so each instruction set is its own module:
#   scalar   the portable path: loads in every engine
#   simd128  128-bit SIMD, multiply then add (every current browser)
#   relaxed  SIMD128 plus relaxed SIMD's multiply-add, fused where the engine fuses
#            (Chromium since 114; an engine without relaxed SIMD refuses the module):
#            results may differ by engine in the last bits, within export's parity rule
# They share one target directory: cargo keeps each RUSTFLAGS's artifacts apart (only the
# final module's file is rewritten by each build, so copy it before the next).

WASM_BUILDS="scalar simd128 relaxed"

# wasm_build NAME: sets WASM_RUSTFLAGS for build NAME.
wasm_build() {
  case "$1" in
    scalar) WASM_RUSTFLAGS="" ;;
    simd128) WASM_RUSTFLAGS="-C target-feature=+simd128" ;;
    relaxed) WASM_RUSTFLAGS="-C target-feature=+simd128,+relaxed-simd" ;;
    *) echo "unknown wasm build '$1' (one of: $WASM_BUILDS)" >&2; return 2 ;;
  esac
}
