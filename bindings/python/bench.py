#!/usr/bin/env python3
"""What Python adds to the runtime (issue 16's targets): one word per call, and 100,000 words
from a Python list, through `Embedder.embed` against the same `embed_into` timed in Rust in
the same process (`Embedder._rust_seconds`), best of several runs each.

usage: bench.py MODEL.onnx [WORDS_FILE]   (words: one per line, first field; default: made up)
Prints JSON."""
import json
import random
import sys
import time

import sublex


def python_seconds(e, words, calls):
    start = time.perf_counter()
    for _ in range(calls):
        e.embed(words)
    return time.perf_counter() - start


def best_of_each(e, words, calls, rounds):
    """Best seconds per call of Python and of Rust, the two timed in turn (so that a busy
    machine slows both alike)."""
    python = rust = float("inf")
    for _ in range(rounds):
        python = min(python, python_seconds(e, words, calls) / calls)
        rust = min(rust, e._rust_seconds(words, calls) / calls)
    return python, rust


def main():
    e = sublex.Embedder(sys.argv[1])
    if len(sys.argv) > 2:
        with open(sys.argv[2], encoding="utf-8") as f:
            words = [line.split(" ", 1)[0].strip() for line in f][:100_000]
    else:
        rng = random.Random(1)
        words = ["".join(rng.choice("etaoinshrdlucmfw") for _ in range(rng.randint(2, 12)))
                 for _ in range(100_000)]
    one = [words[len(words) // 2]]
    # One word: many calls per timing so the clock's resolution does not matter.
    python_one, rust_one = best_of_each(e, one, 2000, 9)
    python_all, rust_all = best_of_each(e, words, 1, 5)
    print(json.dumps({
        "model": sys.argv[1],
        "backend": e.backend,
        "one_word_python_us": 1e6 * python_one,
        "one_word_rust_us": 1e6 * rust_one,
        "one_word_overhead_us": 1e6 * (python_one - rust_one),
        "words": len(words),
        "python_words_per_s": len(words) / python_all,
        "rust_words_per_s": len(words) / rust_all,
        "python_share_of_rust_throughput": rust_all / python_all,
    }, indent=2))


if __name__ == "__main__":
    main()
