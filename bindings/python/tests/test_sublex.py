"""The Python package against the Rust CLI, onnxruntime, gensim and the ONNX checker, on real
files exported by sublex-train (conftest.py)."""
from collections import defaultdict

import numpy as np
import pytest

import sublex
from conftest import PRECISIONS, need, sublex as cli

MAX_WORD_CHARS = 64


def onnxruntime_vectors(path, words):
    """The file's graph run by onnxruntime, its inputs built as the runtime builds them."""
    ort = need("onnxruntime")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    vocab = session.get_modelmeta().custom_metadata_map["sublex.vocab"]
    ids = {c: i + 1 for i, c in reversed(list(enumerate(vocab)))}
    by_length = defaultdict(list)
    for i, word in enumerate(words):
        by_length[min(len(word), MAX_WORD_CHARS)].append(i)
    dim = int(session.get_modelmeta().custom_metadata_map["sublex.dim"])
    out = np.zeros((len(words), dim), dtype=np.float32)
    for length, rows in by_length.items():
        if length == 0:
            continue
        chars = np.array([[ids.get(c, 0) for c in words[i][:MAX_WORD_CHARS]] for i in rows],
                         dtype=np.int64)
        out[rows] = session.run(["vectors"], {"chars": chars})[0]
    return out


def tolerance(values, precision="f32"):
    """Export's parity rule, 1e-5 x max(1, largest component); for an int8 file, which the
    kernel computes at int8 while onnxruntime widens it to f32, the runtime's INT8_TOLERANCE
    (0.1 x, runtime/src/parity.rs)."""
    return (0.1 if precision == "int8" else 1e-5) * max(1.0, float(np.abs(values).max()))


@pytest.mark.parametrize("precision", PRECISIONS)
def test_vectors_equal_onnxruntime(files, words, precision):
    path = files[f"embedder-{precision}"]
    ours = sublex.Embedder(path).embed(words)
    assert ours.shape == (len(words), 100) and ours.dtype == np.float32
    theirs = onnxruntime_vectors(path, words)
    known = [i for i, w in enumerate(words) if w]
    assert np.abs(ours[known] - theirs[known]).max() <= tolerance(theirs, precision)


@pytest.mark.parametrize("kind", ["embedder-f32", "embedder-int8", "hybrid"])
def test_vectors_equal_the_cli_exactly(files, words, kind, tmp_path):
    listed = [w for w in words if w]  # a word list holds no empty line
    (tmp_path / "words.txt").write_text("\n".join(listed) + "\n", encoding="utf-8")
    out = tmp_path / "v.vec"
    cli("vectors", files[kind], "--words", tmp_path / "words.txt", "--out", out)
    lines = out.read_text(encoding="utf-8").splitlines()[1:]
    assert [l.split(" ")[0] for l in lines] == listed
    want = np.array([[float(x) for x in l.split(" ")[1:]] for l in lines], dtype=np.float32)
    assert np.array_equal(sublex.Embedder(files[kind]).embed(listed), want)


@pytest.mark.parametrize("kind", ["embedder-f32", "hybrid"])
def test_a_word_is_the_same_alone_and_in_any_batch(files, words, kind):
    e = sublex.Embedder(files[kind])
    batch = e.embed(words)
    for i in range(0, len(words), 37):
        assert np.array_equal(e.embed([words[i]])[0], batch[i]), words[i]
    assert np.array_equal(e.embed(words[::-1])[::-1], batch)
    assert e.embed([]).shape == (0, e.dim)


def test_a_hybrid_file_returns_its_stored_rows(files):
    e = sublex.Embedder(files["hybrid"])
    assert e.stored_rows == 500 and e.info["stored_rows"] == 500
    assert e.info["rows_precision"] == "int8"
    plain = sublex.Embedder(files["embedder-f32"])
    # "the" is stored: its row is the teacher's, not the character model's vector.
    assert not np.allclose(e.embed(["the"]), plain.embed(["the"]), atol=1e-3)
    assert np.array_equal(e.embed(["zyxt"]), plain.embed(["zyxt"]))


def test_info_and_similar(files):
    e = sublex.Embedder(files["embedder-f32"])
    info = e.info
    assert (info["kind"], info["precision"], info["dim"]) == ("embedder", "f32", e.dim)
    assert "stored_rows" not in info
    among = ["the", "of", "and", "cat", "zyxt"]
    best = e.similar("cats", among, k=3)
    v = e.embed(["cats"] + among)
    cos = v[1:] @ v[0] / (np.linalg.norm(v[1:], axis=1) * np.linalg.norm(v[0]))
    order = np.argsort(-cos, kind="stable")[:3]
    assert [w for w, _ in best] == [among[i] for i in order]
    assert np.allclose([c for _, c in best], cos[order], atol=1e-5)
    # The word itself is left out, as gensim's most_similar does.
    others = e.similar("cat", among, k=10)
    assert sorted(w for w, _ in others) == sorted(w for w in among if w != "cat")


def test_a_corrupt_file_raises_naming_it(files, tmp_path):
    data = bytearray(files["embedder-f32"].read_bytes())
    data[len(data) // 2] ^= 0xFF
    bad = tmp_path / "corrupt.onnx"
    bad.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="corrupt.onnx"):
        sublex.Embedder(bad)
    with pytest.raises(FileNotFoundError, match="missing.onnx"):
        sublex.Embedder(tmp_path / "missing.onnx")
    with pytest.raises(ValueError, match="backend"):
        sublex.Embedder(files["embedder-f32"], backend="gpu")
    with pytest.raises(ValueError):
        sublex.Tagger(files["embedder-f32"])  # an embedder is not a tagger
    with pytest.raises(TypeError):
        sublex.Embedder(files["embedder-f32"]).embed("one string, not a list")


@pytest.mark.parametrize("precision", PRECISIONS)
def test_the_tagger_tags_as_the_cli_does(files, precision):
    path = files[f"tagger-{precision}"]
    t = sublex.Tagger(path)
    sentence = "The quick brown fox jumped over the lazy dog .".split()
    tags = t.tag(sentence)
    printed = cli("tag", path, input_text=" ".join(sentence))
    assert printed.split() == [f"{w}/{tag}" for w, tag in zip(sentence, tags)]
    scores = t.scores(sentence)
    assert scores.shape == (len(sentence), len(t.tags))
    assert [t.tags[i] for i in scores.argmax(axis=1)] == tags
    assert t.tag([]) == [] and t.info["kind"] == "tagger"


def test_raw_text_is_cut_as_the_treebank_does(files):
    text = "I can't believe it's not butter."
    words = ["I", "ca", "n't", "believe", "it", "'s", "not", "butter", "."]
    assert sublex.tokenize(text) == words
    assert sublex.tokenize("") == []
    t = sublex.Tagger(files["tagger-f32"])
    pairs = t.tag_text(text)
    assert [w for w, _ in pairs] == words
    assert [tag for _, tag in pairs] == t.tag(words)
    assert cli("tag", files["tagger-f32"], input_text=text).split() == [f"{w}/{g}" for w, g in pairs]


def test_keyed_vectors_round_trip(files, words):
    need("gensim")
    e = sublex.Embedder(files["embedder-f32"])
    listed = [w for w in words if w]
    kv = sublex.to_keyed_vectors(e, listed)
    assert np.array_equal(kv[listed], e.embed(listed))
    nearest = kv.most_similar("the", topn=3)
    assert len(nearest) == 3 and all(w != "the" for w, _ in nearest)


@pytest.mark.parametrize("kind", [f"{k}-{p}" for k in ("embedder", "tagger") for p in PRECISIONS] + ["hybrid"])
def test_every_exported_file_passes_the_onnx_checker(files, kind):
    onnx = need("onnx")
    onnx.checker.check_model(onnx.load(str(files[kind])), full_check=True)


def test_the_readme_example_prints_vectors(files, tmp_path):
    """README's "From Python" example, run as written on an exported file."""
    import re
    import subprocess
    import sys
    from conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## From Python"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    code = code.replace("runs/quickstart/model.onnx", str(files["hybrid"]))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("(3, 100) [")
    assert "f32 500" in done.stdout  # the character model's precision, the stored rows
