//! End to end: the README's first command (the default pipeline) on the shipped data.

mod common;

use std::path::Path;
use sublex_runtime::{BackendChoice, Embedder};
use sublex_trainer::eval::EvalReport;
use sublex_trainer::quickstart::{self, DefaultData};

#[test]
fn quickstart_trains_evaluates_and_resumes_on_the_shipped_data() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut data = DefaultData::shipped(root).expect("data/ ships a teacher sample");
    data.max_words = 300;
    data.epochs = 2;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("quickstart");
    let summary = quickstart::run(data, &out, false).unwrap();
    assert!(
        summary.contains("untrained (the same model before training)"),
        "{summary}"
    );
    // The hybrid file beside the model: all 300 teacher rows (the sample asks for 500).
    let hybrid = out.join("model-hybrid.onnx");
    let embedder = Embedder::open(&hybrid, BackendChoice::Kernel).unwrap();
    assert_eq!(embedder.stored_rows(), 300);
    assert!(summary.contains("hybrid file"), "{summary}");
    // Then the trained models data/models/ ships, on the demo's words and sentences.
    assert!(summary.contains("the shipped models"), "{summary}");
    assert!(
        summary.contains("The/DT cat/NN sat/VBD on/IN the/DT mat/NN ./."),
        "{summary}"
    );
    let report: EvalReport =
        serde_json::from_str(&std::fs::read_to_string(out.join("eval.json")).unwrap()).unwrap();
    assert_eq!(report.epochs, 2);
    assert_eq!(report.neighbors.len(), 3);
    paper_tables_read_the_report(&out, &report);
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

/// scripts/paper-tables.py reads what the trainer writes: the run laid out as one distance's
/// snapshots (epochs 0 and 2, so every table prints) gives the report's figures.
fn paper_tables_read_the_report(run: &Path, report: &EvalReport) {
    let runs = tempfile::tempdir().unwrap();
    let cos = runs.path().join("cos");
    for epoch in ["0", "2"] {
        let snap = cos.join("epochs").join(epoch);
        std::fs::create_dir_all(&snap).unwrap();
        std::fs::copy(run.join("eval.json"), snap.join("eval.json")).unwrap();
    }
    std::fs::copy(run.join("metrics.jsonl"), cos.join("metrics.jsonl")).unwrap();
    let Some(tables) = common::python_script("paper-tables.py", &[runs.path().as_os_str()]) else {
        return;
    };
    let average = report
        .similarity_average
        .expect("the shipped similarity sets");
    let row = format!("| Dcos | {average:.3} | {average:.3} |");
    assert!(tables.contains(&row), "{row} not in\n{tables}");
    let first = &report.analogy[0].categories[0];
    assert!(
        tables.contains(&format!("{:.2}", 100.0 * first.accuracy)),
        "{tables}"
    );
    assert!(
        tables.contains(&report.neighbors[0].student.join(" ")),
        "{tables}"
    );
}
