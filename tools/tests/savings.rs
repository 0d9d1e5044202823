//! Counts on a small hand-made teacher and model: known rows, parameters and bytes.

use std::path::PathBuf;
use sublex_tools::savings;
use sublex_trainer::teacher::{Format, TableShape, Teacher};
use sublex_trainer::train::{self, ReconstructOptions};

#[test]
fn table_and_model_counts() {
    let dir = tempfile::tempdir().unwrap();
    // 3 words, 4 dimensions, GloVe text without a final newline; and the same as word2vec.
    let glove = dir.path().join("t.txt");
    std::fs::write(&glove, "ab 1 2 3 4\nba 1 2 3 4\nc 1 2 3 4").unwrap();
    let shape = TableShape::peek(&glove, Format::Auto).unwrap();
    assert_eq!((shape.rows, shape.dim), (3, 4));
    let w2v = dir.path().join("t.vec");
    std::fs::write(&w2v, "3 4\nab 1 2 3 4\nba 1 2 3 4\nc 1 2 3 4\n").unwrap();
    assert_eq!(TableShape::peek(&w2v, Format::Auto).unwrap().rows, 3);

    let table = savings::table_artifacts("t", shape);
    assert_eq!(table[0].lookup_params, 12);
    assert_eq!(
        table.iter().map(|a| a.bytes).collect::<Vec<_>>(),
        vec![48, 24, 12]
    );

    // A character model over the characters a, b, c (3 + UNK = 4 rows) with dc = d = 4:
    // chars 4x4 = 16; each LSTM 4x16 + 4x16 + 16 = 144, two of them 288; W_f 4x4 + b 4 = 20;
    // W_b 4x4 = 16. Total 340.
    let no_cache = sublex_trainer::teacher::LoadOptions {
        cache_dir: None,
        ..Default::default()
    };
    let teacher = Teacher::load(&glove, &no_cache).unwrap();
    let opts = ReconstructOptions {
        epochs: 1,
        batch: 2,
        out: dir.path().join("m"),
        keep_every: 0,
        ..ReconstructOptions::default()
    };
    train::reconstruct(&teacher, &opts).unwrap();
    let model = savings::model_artifacts(&PathBuf::from(&opts.out), 48).unwrap();
    assert_eq!(model[0].lookup_rows, 4);
    assert_eq!(model[0].lookup_params, 16);
    assert_eq!(model[0].total_params, 340);
    assert_eq!(
        model.iter().map(|a| a.bytes).collect::<Vec<_>>(),
        vec![1360, 680, 340]
    );
    assert!(savings::markdown(&model).contains("| 340 |"));
}
