#!/usr/bin/env python3
"""onnxruntime on sublex's bench inputs, one thread, for docs/RESULTS.md.

usage: onnxruntime_bench.py MODEL.onnx WORDS_8.txt WORDS_MIXED.txt

The word lists are the ones `cargo bench --bench runtime` writes to target/sublex-bench/.
Words are encoded as the runtime does and run grouped by length (no padding), like the
runtime. Prints one JSON object: load time, one-word latency, words/s on both lists.
"""
import json
import sys
import time
from collections import defaultdict

import numpy as np
import onnxruntime as ort


def session(model):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])


def groups(words, ids):
    by_length = defaultdict(list)
    for w in words:
        by_length[len(w)].append([ids.get(c, 0) for c in w])
    return [np.array(v, dtype=np.int64) for v in by_length.values()]


def best_of(fn, repeats, inner):
    """Smallest mean time per call over `repeats` rounds of `inner` calls (seconds)."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(inner):
            fn()
        best = min(best, (time.perf_counter() - start) / inner)
    return best


def main():
    model, eight_path, mixed_path = sys.argv[1:4]
    start = time.perf_counter()
    s = session(model)
    load_ms = (time.perf_counter() - start) * 1e3
    vocab = s.get_modelmeta().custom_metadata_map["sublex.vocab"]
    ids = {c: i + 1 for i, c in reversed(list(enumerate(vocab)))}
    read = lambda p: [w for w in open(p, encoding="utf-8").read().split("\n") if w]
    eight, mixed = read(eight_path), read(mixed_path)

    def run(batches):
        for chars in batches:
            s.run(["vectors"], {"chars": chars})

    one = groups(eight[:1], ids)
    g8, gm = groups(eight, ids), groups(mixed, ids)
    run(g8), run(gm), run(one)  # warm-up
    one_s = best_of(lambda: run(one), 10, 200)
    eight_s = best_of(lambda: run(g8), 10, 5)
    mixed_s = best_of(lambda: run(gm), 10, 5)
    print(json.dumps({
        "onnxruntime": ort.__version__,
        "model": model,
        "load_ms": round(load_ms, 2),
        "one_word_us": round(one_s * 1e6, 1),
        "batch256_len8_words_per_s": round(len(eight) / eight_s),
        "mixed256_words_per_s": round(len(mixed) / mixed_s),
    }))


if __name__ == "__main__":
    main()
