"""Real model files for the tests, made once per session by the project's own binaries
(`sublex-train`, `sublex`) from the sample data shipped in the repository's `data/`.

SUBLEX_BIN_DIR names the directory of the built binaries (default: the workspace's
target/release, built by `.ci/run` before pytest runs)."""
import importlib
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "data"
BIN = Path(os.environ.get("SUBLEX_BIN_DIR", ROOT / "target" / "release"))
TEACHER = DATA / "glove-6b-100d.top2k.txt"
PRECISIONS = ["f32", "f16", "int8"]


def run(*args, input_text=None):
    """Runs a project binary; its stderr is shown when it fails."""
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True,
                          input=input_text)
    assert done.returncode == 0, f"{args}: {done.stderr}"
    return done.stdout


def sublex(*args, input_text=None):
    return run(BIN / "sublex", *args, input_text=input_text)


def need(module):
    """`module`, or a skip when it is not installed; under SUBLEX_REQUIRE_ALL (CI) a missing
    module fails the test instead."""
    if os.environ.get("SUBLEX_REQUIRE_ALL"):
        return importlib.import_module(module)
    return pytest.importorskip(module)


def ewt(split):
    n = 1000 if split == "train" else 200
    return DATA / f"en_ewt-ud-{split}.first{n}.conllu"


@pytest.fixture(scope="session")
def files(tmp_path_factory):
    """Every kind of file export writes: the embedder at each precision, a hybrid embedder
    (500 int8 teacher rows), the tagger at each precision."""
    d = tmp_path_factory.mktemp("models")
    train = BIN / "sublex-train"
    run(train, "reconstruct", "--teacher", TEACHER, "--epochs", "1", "--keep-every", "0",
        "--out", d / "embedder")
    run(train, "tagger", "--variant", "char", "--train", ewt("train"), "--dev", ewt("dev"),
        "--test", ewt("test"), "--lr", "2e-3", "--dropout", "0.2", "--max-epochs", "1",
        "--out", d / "tagger")
    out = {}
    for p in PRECISIONS:
        out[f"embedder-{p}"] = d / f"embedder-{p}.onnx"
        run(train, "export", "--model", d / "embedder", "--precision", p, "--out", out[f"embedder-{p}"])
        out[f"tagger-{p}"] = d / f"tagger-{p}.onnx"
        run(train, "export", "--model", d / "tagger", "--precision", p, "--out", out[f"tagger-{p}"])
    out["hybrid"] = d / "hybrid.onnx"
    run(train, "export", "--model", d / "embedder", "--teacher", TEACHER, "--keep-top", "500",
        "--out", out["hybrid"])
    return out


@pytest.fixture(scope="session")
def words():
    """The teacher's first 300 words, words no teacher has, unknown characters, an empty
    word and one longer than the model reads."""
    with open(TEACHER, encoding="utf-8") as f:
        teacher = [next(f).split(" ", 1)[0] for _ in range(300)]
    return teacher + ["wrld", "unfriendliest", "zyxt", "naïve", "東京", "", "x" * 100]
