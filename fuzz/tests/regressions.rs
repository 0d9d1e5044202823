//! Every file in `tests/hostile/` (the hostile files, and each failure the fuzzer
//! ever found) is rejected at open, by both engines, with a message that names the file and
//! what is wrong; and the committed files are still what `sublex-fuzz hostile` writes.

use std::path::PathBuf;
use sublex_fuzz::{check, Outcome};
use sublex_runtime::{BackendChoice, Embedder};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/hostile")
}

/// What each of the files must be told.
const EXPECTED: [(&str, &str); 6] = [
    ("no-nodes.onnx", "graph node 0 is nothing (of 0 nodes)"),
    (
        "nan-weight.onnx",
        "weight `W`: value NaN at index 0 is not finite",
    ),
    (
        "infinite-weight.onnx",
        "weight `chars_table`: value inf at index 2 is not finite",
    ),
    (
        "int8-manifest-over-f32.onnx",
        "not the model this format version writes",
    ),
    ("duplicate-initializer.onnx", "initializer 12 is `W`"),
    (
        "large-projection-weights.onnx",
        "weight `proj_forward`: value 64 at index 0 is not finite or beyond ±16",
    ),
];

#[test]
fn the_hostile_files_are_rejected_with_what_is_wrong() {
    for (name, expected) in EXPECTED {
        let path = dir().join(name);
        for choice in [BackendChoice::Kernel, BackendChoice::Tract] {
            let message = Embedder::open(&path, choice).err().map(|e| e.to_string());
            let message = message.unwrap_or_else(|| panic!("{name} opened with {choice:?}"));
            assert!(
                message.starts_with(&path.display().to_string()),
                "{message}"
            );
            assert!(message.contains(expected), "{name}: {message}");
        }
    }
}

#[test]
fn the_committed_hostile_files_are_what_the_fuzzer_writes() {
    for (name, bytes) in sublex_fuzz::hostile::files() {
        let committed = std::fs::read(dir().join(name)).unwrap();
        assert!(
            committed == bytes,
            "{name} differs: run `cargo run -p sublex-fuzz -- hostile tests/hostile`"
        );
    }
}

#[test]
fn no_file_found_by_the_fuzzer_fails_again() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "onnx"))
        .collect();
    files.sort();
    assert!(files.len() >= EXPECTED.len());
    for path in files {
        let outcome = check(&path, &std::fs::read(&path).unwrap());
        assert!(
            !matches!(outcome, Outcome::Failure(_)),
            "{}: {outcome:?}",
            path.display()
        );
    }
}

/// At int8 the stored rows are not compared with the writer's (it would quantise again), and
/// the message still points at the real difference, not at the first int8 tensor.
#[test]
fn an_int8_file_is_told_where_it_differs() {
    let seed = sublex_fuzz::builtin()
        .into_iter()
        .find(|s| s.name == "embedder-int8-highway")
        .unwrap();
    let mut model = seed.model.clone();
    let graph = model.graph.as_mut().unwrap();
    let last = graph.initializer.last().unwrap().clone();
    let count = graph.initializer.len();
    graph.initializer.push(last.clone());
    sublex_runtime::artifact::sign(&mut model);
    let bytes = prost::Message::encode_to_vec(&model);
    let error = sublex_runtime::Artifact::from_bytes("int8.onnx", &bytes).unwrap_err();
    let expected = format!("initializer {count} is `{}`", last.name);
    assert!(error.to_string().contains(&expected), "{error}");
}
