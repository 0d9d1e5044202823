//! End to end: the README's first command (the default pipeline) on the shipped data.

use std::path::Path;
use sublex_trainer::quickstart::{self, DefaultData};

#[test]
fn quickstart_trains_evaluates_and_resumes_on_the_shipped_data() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut data = DefaultData::shipped(root).expect("data/ ships a teacher sample");
    data.max_words = 300;
    data.epochs = 2;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("quickstart");
    quickstart::run(data, &out, false).unwrap();
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("eval.json")).unwrap()).unwrap();
    assert_eq!(report["epochs"], 2);
    assert_eq!(report["neighbors"].as_array().unwrap().len(), 3);
    // Running it again finds the finished run and only evaluates.
    let again = DefaultData {
        max_words: 300,
        epochs: 2,
        ..DefaultData::shipped(root).unwrap()
    };
    quickstart::run(again, &out, false).unwrap();
    assert_eq!(
        std::fs::read_to_string(out.join("metrics.jsonl"))
            .unwrap()
            .lines()
            .count(),
        2
    );
}
