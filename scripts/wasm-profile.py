#!/usr/bin/env python3
"""A CPU profile of the demo page's one-word timing loop in headless Chromium (issue 17).

Serves a directory that `scripts/wasm-demo.sh --no-serve --out DIR` built on a loopback port,
loads the page with `?build=BUILD` in Debian's chromium through Debian's chromedriver, and
then, in the page, calls `embedder.embed([WORD])` (the call the page's own timing loop makes)
in a loop: first unprofiled for --warmup seconds (V8 tiers the module up meanwhile, and the
per-call time is measured), then for --seconds under the DevTools Protocol's sampling
profiler (Profiler.enable, Profiler.setSamplingInterval, Profiler.start ... Profiler.stop).
Prints the self time aggregated by function name and by part (matmul, gate math, the rest of
the kernel, wasm-bindgen glue, the JS loop, the engine), with the per-call times of the same
run, and can save the raw .cpuprofile (DevTools' Performance panel opens it).

The demo strips the module's function names (`wasm-bindgen --remove-name-section`), so its
functions would all be `wasm-function[N]`. With --keep-names the module of BUILD is built again
(same profile, same RUSTFLAGS as scripts/wasm-builds.sh) and run through wasm-bindgen without
--remove-name-section; the script checks that its JS glue and every wasm section but the
`name` custom section are byte-identical to the page's module, and profiles a copy of the
page with that module (DIR itself is not changed).

usage: wasm-profile.py DIR BUILD [--keep-names] [--word W] [--seconds S] [--warmup S]
                       [--interval-us N] [--top N] [--cpuprofile FILE] [--json FILE]
"""
import argparse
import collections
import functools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

ROOT = Path(__file__).resolve().parent.parent
# The page test's server and browser setup, one implementation of each.
sys.path.insert(0, str(ROOT / "wasm" / "tests"))
from page import chromium, serve  # noqa: E402
TIMEOUT = 120

# Parts of the profile, first match wins, by function name (wasm) or by name and script.
# In the wasm builds (LTO) each ISA's matmul and gates stay functions of their own; relu and
# the highway mix are inlined into the driver, which they would be counted with.
PARTS = [
    ("matmul", r"matmul|row_block|::tile"),
    ("gate math (tanh/sigmoid)", r"gates|tanh|sigmoid|highway|relu"),
    ("kernel driver/other", r"sublex_kernel"),
    ("runtime (chars, ids, copy-out)", r"sublex_runtime"),
    ("alloc/memcpy/memset (wasm)", r"dlmalloc|__rust_(alloc|dealloc|realloc)|__rdl_|alloc::|"
     r"memcpy|memmove|memset|memcmp|__wbindgen_(malloc|free|realloc)"),
    ("wasm-bindgen glue (wasm side)", r"wasm_bindgen|__wbindgen|__wbg|__externref|sublex_wasm"),
]


# --- wasm sections -----------------------------------------------------------------------

def leb(data, i):
    value = shift = 0
    while True:
        b = data[i]
        i += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return value, i


def sections(data):
    """[(id, custom name or None, bytes)] of a wasm module."""
    assert data[:4] == b"\0asm", "not a wasm module"
    out, i = [], 8
    while i < len(data):
        sid = data[i]
        size, j = leb(data, i + 1)
        body = data[j:j + size]
        name = None
        if sid == 0:
            n, k = leb(body, 0)
            name = body[k:k + n].decode()
        out.append((sid, name, body))
        i = j + size
    return out


def has_names(path):
    return any(name == "name" for _, name, _ in sections(Path(path).read_bytes()))


def without_names(path):
    return [s for s in sections(Path(path).read_bytes()) if s[1] != "name"]


def named_module(build, page, dest):
    """Builds BUILD's module again with its name section kept; checks it is the page's
    module plus names (and that the glue is the page's); writes it to `dest`."""
    flags = subprocess.run(
        ["bash", "-c", f'. scripts/wasm-builds.sh && wasm_build "$1" && echo "$WASM_RUSTFLAGS"',
         "-", build], cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()
    print(f"--- the {build} module again, names kept (RUSTFLAGS='{flags}')", file=sys.stderr)
    subprocess.run(["cargo", "build", "--profile", "wasm", "-p", "sublex-wasm",
                    "--target", "wasm32-unknown-unknown"], cwd=ROOT, check=True,
                   env={**os.environ, "RUSTFLAGS": flags})
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["wasm-bindgen", "--target", "web", "--no-typescript", "--out-dir", tmp,
                        str(target / "wasm32-unknown-unknown/wasm/sublex_wasm.wasm")],
                       check=True)
        glue = Path(tmp, "sublex_wasm.js").read_bytes()
        assert glue == (page / "pkg/sublex_wasm.js").read_bytes(), "the JS glue differs"
        module = Path(tmp, "sublex_wasm_bg.wasm")
        assert has_names(module), "wasm-bindgen dropped the name section"
        same = without_names(module) == without_names(page / f"pkg/sublex_wasm_{build}.wasm")
        assert same, "the module differs from the page's beyond its name section"
        shutil.copy(module, dest)
    print(f"--- identical to the page's {build} module but for its name section "
          f"({dest.stat().st_size} bytes)", file=sys.stderr)


# --- the profile -------------------------------------------------------------------------

SETUP = """
const [word, done] = arguments;
(async () => {
  // The page's own module instance (same URL, so the same module record), already
  // initialised with the build the page loaded; a second embedder from the same model file.
  const m = await import("./pkg/sublex_wasm.js");
  const bytes = new Uint8Array(await (await fetch("models/embedder.onnx")).arrayBuffer());
  window.__profEmbedder = m.Embedder.fromBytes(bytes);
  window.__profWord = word;
  done({ backend: window.__profEmbedder.backend(), dim: window.__profEmbedder.dim() });
})().catch((e) => done({ error: String(e) }));
"""

# The page's timed call, `embedder.embed([word])`, in a loop of at least `ms` milliseconds.
LOOP = """
const ms = arguments[0];
const embedder = window.__profEmbedder, word = window.__profWord;
const start = performance.now();
let calls = 0, now = start;
do {
  embedder.embed([word]);
  calls += 1;
  now = performance.now();
} while (now - start < ms);
return { calls, ms: now - start };
"""


WRAPPERS = re.compile(r"^(js-to-wasm|wasm-to-js)|multivalue shim$")


def own_part(frame):
    """The part a frame's self time belongs to, or None for a frame that does work for its
    caller (an engine builtin such as TypedArray.set or performance.now; a wasm function of
    core/alloc/hashbrown): its time goes to the nearest caller that has a part."""
    name, url = frame["functionName"], frame["url"]
    if name in ("(program)", "(idle)", "(root)"):
        return "engine: (program)/(idle)"
    if name == "(garbage collector)":
        return "engine: garbage collector"
    if WRAPPERS.search(name):
        return "JS<->wasm call wrappers"
    if url.startswith("wasm://"):
        if name.startswith("wasm-function["):
            return "wasm, unnamed (see --keep-names)"
        for part, pattern in PARTS:
            if re.search(pattern, name):
                return part
        return None
    if url.endswith("sublex_wasm.js"):
        return "wasm-bindgen glue (JS side)"
    if not url and frame["scriptId"] == "0":
        return None
    return "timing loop (JS)"


def aggregate(profile):
    """Self samples and self time (ms) per (function, script) and per part."""
    nodes = {n["id"]: n for n in profile["nodes"]}
    parent = {c: n["id"] for n in profile["nodes"] for c in n.get("children", [])}

    @functools.lru_cache(maxsize=None)
    def part(node_id):
        found = own_part(nodes[node_id]["callFrame"])
        if found is None:
            return part(parent[node_id]) if node_id in parent else "engine: other"
        return found

    samples, deltas = profile["samples"], profile["timeDeltas"]
    # Sample i lasts until sample i + 1 (DevTools' convention); the last one gets the median.
    durations = deltas[1:] + [sorted(deltas)[len(deltas) // 2] if deltas else 0]
    by_fn = collections.defaultdict(lambda: [0, 0.0])
    by_part = collections.defaultdict(lambda: [0, 0.0])
    for node_id, us in zip(samples, durations):
        frame = nodes[node_id]["callFrame"]
        script = frame["url"].rsplit("/", 1)[-1] if frame["url"] else ""
        key = (frame["functionName"] or "(anonymous)", script)
        for table, k in ((by_fn, key), (by_part, part(node_id))):
            table[k][0] += 1
            table[k][1] += us / 1000
    return by_fn, by_part


def page_figure(driver, word):
    """The page's own per-call figure for `word` (its perCall: the median of 5 loops of
    20 ms after 5 more), by submitting the word form."""
    box = driver.find_element(By.ID, "word")
    box.clear()
    box.send_keys(word, Keys.ENTER)
    WebDriverWait(driver, TIMEOUT).until(
        lambda d: d.find_element(By.ID, "word-time").get_attribute("data-query") == word)
    us = float(driver.find_element(By.ID, "word-time").get_attribute("data-us"))
    box.clear()  # the next submission must change data-query again
    box.send_keys("x", Keys.ENTER)
    WebDriverWait(driver, TIMEOUT).until(
        lambda d: d.find_element(By.ID, "word-time").get_attribute("data-query") == "x")
    return us


def run(args):
    page = Path(args.dir).resolve()
    module = page / f"pkg/sublex_wasm_{args.build}.wasm"
    if not module.is_file():
        sys.exit(f"{module}: no such build in the page")
    with tempfile.TemporaryDirectory() as tmp:
        served = page
        if args.keep_names:
            served = Path(tmp, "page")
            shutil.copytree(page, served)
            named_module(args.build, page, served / module.relative_to(page))
        elif not has_names(module):
            print(f"warning: {module.name} has no name section: wasm functions show as "
                  "wasm-function[N] (--keep-names builds one that has)", file=sys.stderr)
        server = serve(served)
        url = f"http://127.0.0.1:{server.server_address[1]}/?build={args.build}"
        driver = chromium(Path(tmp, "profile"))
        try:
            driver.set_script_timeout(TIMEOUT)
            driver.get(url)
            WebDriverWait(driver, TIMEOUT).until(
                lambda d: d.find_element(By.ID, "status").get_attribute("data-state"))
            status = driver.find_element(By.ID, "status")
            assert status.get_attribute("data-state") == "ready", status.text
            facts = driver.find_element(By.CSS_SELECTOR, "#facts dd[data-backend]")
            assert facts.get_attribute("data-build") == args.build, "another build loaded"
            page_us = page_figure(driver, args.word)
            info = driver.execute_async_script(SETUP, args.word)
            assert "error" not in info, info
            warm = driver.execute_script(LOOP, args.warmup * 1000)
            driver.execute_cdp_cmd("Profiler.enable", {})
            driver.execute_cdp_cmd("Profiler.setSamplingInterval", {"interval": args.interval_us})
            driver.execute_cdp_cmd("Profiler.start", {})
            wall = time.monotonic()
            prof = driver.execute_script(LOOP, args.seconds * 1000)
            profile = driver.execute_cdp_cmd("Profiler.stop", {})["profile"]
            wall = time.monotonic() - wall
            driver.execute_cdp_cmd("Profiler.disable", {})
            page_after_us = page_figure(driver, args.word)
        finally:
            driver.quit()
            server.shutdown()

    if args.cpuprofile:
        Path(args.cpuprofile).parent.mkdir(parents=True, exist_ok=True)
        Path(args.cpuprofile).write_text(json.dumps(profile))
    by_fn, by_part = aggregate(profile)
    total = sum(n for n, _ in by_fn.values())
    warm_us = warm["ms"] * 1000 / warm["calls"]
    prof_us = prof["ms"] * 1000 / prof["calls"]
    span_ms = (profile["endTime"] - profile["startTime"]) / 1000
    print(f"build {args.build}: {info['backend']}, word '{args.word}', dim {info['dim']}")
    print(f"per call: {warm_us:.2f} us unprofiled ({warm['calls']} calls in "
          f"{warm['ms']:.0f} ms), {prof_us:.2f} us profiled ({prof['calls']} calls in "
          f"{prof['ms']:.0f} ms); the page's own figure {page_us:.2f} us when loaded, "
          f"{page_after_us:.2f} us after these loops")
    print(f"profile: {total} samples over {span_ms:.0f} ms (asked every {args.interval_us} us: "
          f"mean {span_ms * 1000 / max(total, 1):.0f} us apart)")
    print(f"\n{'share':>6} {'self ms':>8}  part")
    for part, (n, ms) in sorted(by_part.items(), key=lambda kv: -kv[1][0]):
        print(f"{100 * n / total:5.1f}% {ms:8.1f}  {part}")
    print(f"\n{'share':>6} {'self ms':>8}  function (script)")
    for (name, script), (n, ms) in sorted(by_fn.items(), key=lambda kv: -kv[1][0])[:args.top]:
        shown = name if len(name) <= 110 else name[:107] + "..."
        print(f"{100 * n / total:5.1f}% {ms:8.1f}  {shown}" + (f"  ({script})" if script else ""))
    if args.json:
        Path(args.json).write_text(json.dumps({
            "build": args.build, "backend": info["backend"], "word": args.word,
            "us_per_call": {"unprofiled": warm_us, "profiled": prof_us, "page": page_us,
                            "page_after": page_after_us},
            "samples": total, "profile_ms": span_ms, "wall_s": wall,
            "parts": {p: {"samples": n, "share": n / total, "self_ms": ms}
                      for p, (n, ms) in by_part.items()},
            "functions": [{"name": k[0], "script": k[1], "samples": n, "share": n / total,
                           "self_ms": ms} for k, (n, ms) in
                          sorted(by_fn.items(), key=lambda kv: -kv[1][0])],
        }, indent=2) + "\n")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("dir", help="the page, as scripts/wasm-demo.sh --no-serve built it")
    p.add_argument("build", help="the module to load (scripts/wasm-builds.sh: scalar, "
                   "simd128, relaxed)")
    p.add_argument("--keep-names", action="store_true", help="profile the same module with "
                   "its function names kept (rebuilt here; see above)")
    p.add_argument("--word", default="kitten")
    p.add_argument("--seconds", type=float, default=4.0, help="profiled loop (default 4)")
    p.add_argument("--warmup", type=float, default=2.0, help="unprofiled loop before it, "
                   "also timed (default 2)")
    p.add_argument("--interval-us", type=int, default=50, help="sampling interval (50)")
    p.add_argument("--top", type=int, default=25, help="functions listed (25)")
    p.add_argument("--cpuprofile", help="write the raw profile (JSON, DevTools' format)")
    p.add_argument("--json", help="write the aggregates and timings (JSON)")
    run(p.parse_args())


if __name__ == "__main__":
    main()
