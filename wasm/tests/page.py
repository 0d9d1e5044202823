#!/usr/bin/env python3
"""The demo page end to end in headless Chromium (issue 17): serves a directory that
`scripts/wasm-demo.sh --no-serve` built on a local port, loads the page with selenium and
Debian's chromedriver, types words and a sentence, and reads the neighbours and tags from the
DOM. They must be what the native `sublex` computes from the same model files: `sublex
similar` (cosines within 1e-4: it prints 4 decimals) and `sublex tag`. Writes a screenshot and
the page's own timings (JSON).

usage: page.py DIR --sublex BIN [--build B] [--screenshot PNG] [--timings JSON]
"""
import argparse
import functools
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

HERE = Path(__file__).resolve().parent
# A word no table has, a common word and a misspelling (the screenshot shows the first).
WORDS = ["unfriendliest", "kitten", "wrld"]
SENTENCE = "The quick brown fox doesn't jump over the lazy dog."
TIMEOUT = 60
# The kernel path each build of scripts/wasm-builds.sh runs.
ISA = {"scalar": "scalar", "simd128": "simd128", "relaxed": "simd128-relaxed"}


class Quiet(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".wasm": "application/wasm", ".js": "text/javascript"}

    def log_message(self, *args):
        pass


def serve(directory):
    """Serves `directory` on a free loopback port in a thread; returns the server."""
    handler = functools.partial(Quiet, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def chromium(profile):
    """Headless Debian chromium driven by Debian's chromedriver, with the flags this machine
    needs (wasm/webdriver.json: root, no GPU, a closed network); nothing is downloaded."""
    flags = json.loads((HERE.parent / "webdriver.json").read_text())["goog:chromeOptions"]
    options = webdriver.ChromeOptions()
    options.binary_location = flags["binary"]
    for arg in flags["args"] + ["--headless=new", f"--user-data-dir={profile}",
                                "--window-size=900,1100"]:
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
    return webdriver.Chrome(options=options, service=service)


def native(sublex, *args, stdin=None):
    done = subprocess.run([sublex, *map(str, args)], capture_output=True, text=True, input=stdin)
    if done.returncode != 0:
        sys.exit(f"sublex {' '.join(map(str, args))}: {done.stderr}")
    return done.stdout


def submit(driver, field, text, timing_id):
    """Types `text` into `field`, submits its form, and waits until the timing element
    `timing_id` names `text` as its query (the page writes the timing last)."""
    box = driver.find_element(By.ID, field)
    box.clear()
    box.send_keys(text, Keys.ENTER)
    WebDriverWait(driver, TIMEOUT).until(
        lambda d: d.find_element(By.ID, timing_id).get_attribute("data-query") == text)


def check_neighbours(driver, sublex, directory, word):
    submit(driver, "word", word, "word-time")
    items = driver.find_elements(By.CSS_SELECTOR, "#neighbours li")
    got = [(li.get_attribute("data-word"), float(li.get_attribute("data-cosine"))) for li in items]
    lines = native(sublex, "similar", directory / "models/embedder.onnx", word,
                   "--among", directory / "words.txt", "-k", len(got) or 10).splitlines()
    want = [(w, float(c)) for w, c in (line.split("\t") for line in lines)]
    assert [w for w, _ in got] == [w for w, _ in want], f"{word}: page {got}, native {want}"
    worst = max(abs(a - b) for (_, a), (_, b) in zip(got, want))
    assert worst <= 1e-4, f"{word}: cosines differ by {worst}"
    print(f"  {word}: {', '.join(w for w, _ in got[:5])}, ... (equal to sublex similar)")
    return float(driver.find_element(By.ID, "word-time").get_attribute("data-us"))


def check_tags(driver, sublex, directory):
    submit(driver, "sentence", SENTENCE, "sentence-time")
    got = [s.get_attribute("data-tag") for s in driver.find_elements(By.CSS_SELECTOR, ".token")]
    out = native(sublex, "tag", directory / "models/tagger.onnx", stdin=SENTENCE + "\n")
    want = [token.rsplit("/", 1)[1] for token in out.split()]
    assert got == want, f"page {got}, native {want}"
    print(f"  tags: {' '.join(got)} (equal to sublex tag)")
    return float(driver.find_element(By.ID, "sentence-time").get_attribute("data-us"))


def run(args):
    directory = Path(args.dir).resolve()
    server = serve(directory)
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    if args.build:
        url += f"?build={args.build}"
    with tempfile.TemporaryDirectory() as profile:
        driver = chromium(profile)
        try:
            driver.get(url)
            WebDriverWait(driver, TIMEOUT).until(
                lambda d: d.find_element(By.ID, "status").get_attribute("data-state"))
            status = driver.find_element(By.ID, "status")
            logs = "\n".join(e["message"] for e in driver.get_log("browser"))
            assert status.get_attribute("data-state") == "ready", f"{status.text}\n{logs}"
            module = driver.find_element(By.CSS_SELECTOR, "#facts dd[data-backend]")
            backend, build = module.get_attribute("data-backend"), module.get_attribute("data-build")
            assert build == (args.build or "relaxed"), f"the {build} build loaded"
            assert backend == f"kernel ({ISA[build]})", f"the {build} build runs {backend}"
            print(f"{url}: ready, the {build} build, {backend}, "
                  f"module {module.get_attribute('data-bytes')} bytes")
            timings = {"build": build, "backend": backend,
                       "module_bytes": int(module.get_attribute("data-bytes"))}
            timings["embed_us"] = {w: check_neighbours(driver, args.sublex, directory, w)
                                   for w in WORDS}
            timings["tag_us"] = check_tags(driver, args.sublex, directory)
            submit(driver, "word", WORDS[0], "word-time")
            if args.screenshot:
                Path(args.screenshot).parent.mkdir(parents=True, exist_ok=True)
                driver.save_screenshot(args.screenshot)
                print(f"  screenshot: {args.screenshot}")
        finally:
            driver.quit()
            server.shutdown()
    if args.timings:
        Path(args.timings).write_text(json.dumps(timings, indent=2) + "\n")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("dir", help="the page, as scripts/wasm-demo.sh --no-serve built it")
    p.add_argument("--sublex", required=True, help="the native sublex binary")
    p.add_argument("--build", help="the build to load (default: the page's choice, which in "
                   "this Chromium must be the best, relaxed)")
    p.add_argument("--screenshot", help="PNG to write")
    p.add_argument("--timings", help="JSON to write the page's timings to")
    run(p.parse_args())


if __name__ == "__main__":
    main()
