#!/usr/bin/env python3
"""onnxruntime on an exported sublex tagger, one thread, for docs/RESULTS.md.

usage: onnxruntime_tagger_bench.py TAGGER.onnx TEST.conllu [--check]

Builds the graph's three inputs exactly as sublex's runtime does (character ids padded with
0, the same ids reversed per word, a one-hot of each word's last character; words keep
their first 64 characters) and runs one sentence per call, like `cargo bench --bench
tagger`. Prints one JSON object: load time, latency for the first 20-word sentence, tokens/s
over the whole file. With --check, also prints the tags of that sentence.
"""
import json
import sys
import time

import numpy as np
import onnxruntime as ort

import corpus

MAX_WORD_CHARS = 64


def inputs(words, ids):
    encoded = [[ids.get(c, 0) for c in w[:MAX_WORD_CHARS]] for w in words]
    time_steps = max(1, max(len(e) for e in encoded))
    chars = np.zeros((len(words), time_steps), dtype=np.int64)
    reversed_ = np.zeros_like(chars)
    last = np.zeros((len(words), time_steps), dtype=np.float32)
    for row, e in enumerate(encoded):
        chars[row, : len(e)] = e
        reversed_[row, : len(e)] = e[::-1]
        if e:
            last[row, len(e) - 1] = 1.0
    return {"chars": chars, "chars_reversed": reversed_, "last": last}


def main():
    model, corpus_path = sys.argv[1], sys.argv[2]
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    start = time.perf_counter()
    sess = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    load = time.perf_counter() - start
    meta = sess.get_modelmeta().custom_metadata_map
    ids = {c: i + 1 for i, c in enumerate(meta["sublex.vocab"])}
    tags = meta["sublex.tags"].split("\n")
    all_sentences = [[w for w, _ in s] for s in corpus.sentences(corpus_path)]
    twenty = next(s for s in all_sentences if len(s) == 20)

    feed = inputs(twenty, ids)
    for _ in range(20):
        sess.run(None, feed)
    times = []
    for _ in range(300):
        t = time.perf_counter()
        sess.run(None, inputs(twenty, ids))
        times.append(time.perf_counter() - t)
    times.sort()

    tokens = sum(len(s) for s in all_sentences)
    runs = []
    for _ in range(3):
        t = time.perf_counter()
        for s in all_sentences:
            sess.run(None, inputs(s, ids))
        runs.append(time.perf_counter() - t)
    result = {
        "onnxruntime": ort.__version__,
        "load_ms": load * 1e3,
        "sentence_20_words_us_median": times[len(times) // 2] * 1e6,
        "test_sentences": len(all_sentences),
        "test_tokens": tokens,
        "test_tokens_per_s_best_of_3": tokens / min(runs),
    }
    if "--check" in sys.argv:
        scores = sess.run(None, inputs(twenty, ids))[0]
        result["tags"] = [f"{w}/{tags[i]}" for w, i in zip(twenty, scores.argmax(1))]
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
