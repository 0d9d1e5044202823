//! `sublex-report` on a hand-made teacher and hand-sized models: every count is known.

use burn::tensor::Device;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, MutexGuard};
use sublex_runtime::alloc_count::CountingAllocator;
use sublex_runtime::artifact::encode_embedder;
use sublex_runtime::{CharVocab, Precision};
use sublex_tools::report::{build, Basis, Inputs, Quality, Report, Row};
use sublex_trainer::checkpoint::{self, ModelInfo, FORMAT_VERSION};
use sublex_trainer::distance::Distance;
use sublex_trainer::eval::analogy::{AnalogyScore, CategoryScore};
use sublex_trainer::eval::EvalReport;
use sublex_trainer::export::{manifest, weights_of};
use sublex_trainer::model::CharModelConfig;
use sublex_trainer::run_dir::RunDir;

#[global_allocator]
static HEAP: CountingAllocator = CountingAllocator;

/// Resident bytes are live heap before and after a load: no other test may allocate
/// meanwhile, so the tests of this binary take turns.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// A GloVe table of 5 words x 3 dimensions: 15 numbers, 60 bytes at f32.
fn teacher(dir: &Path) -> PathBuf {
    let path = dir.join("tiny.txt");
    let rows = "the 0.1 0.2 0.3\nof 0.4 0.5 0.6\nand 0.7 0.8 0.9\nto 1 1.1 1.2\na 1.3 1.4 1.5\n";
    std::fs::write(&path, rows).unwrap();
    path
}

/// A model directory over the characters "ab" (3 ids with UNK), 2-d characters and LSTM
/// states, 3-d output, with `eval.json` scores; and its model exported to `name`.onnx at
/// each precision.
fn model(dir: &Path, name: &str, seed: u64, similarity: f64) -> PathBuf {
    let run = dir.join(name);
    let config = CharModelConfig {
        vocab: CharVocab::from("ab".to_string()),
        char_dim: 2,
        dim: 3,
        highway: false,
        dropout: 0.0,
    };
    let model = config.init(seed, &Device::flex());
    let info = ModelInfo {
        format_version: FORMAT_VERSION,
        model: config,
        teacher: "tiny.txt".into(),
        teacher_words: 5,
        loss: Distance::Cos,
        temperature: None,
        holdout: 0.0,
        frequency_weight: 0.0,
        hard_negatives: None,
        negatives: None,
        cos_weight: 0.0,
        relation_weight: 0.0,
        relation_queue: None,
        cosine_decay_epochs: None,
        weight_decay: 0.0,
        epochs: 1,
        seed,
    };
    checkpoint::save_model(&run, &model, &info).unwrap();
    let category = |covered, correct| CategoryScore {
        category: "capital".into(),
        questions: covered,
        covered,
        correct,
        accuracy: correct as f64 / covered.max(1) as f64,
    };
    let analogy = |categories| {
        vec![AnalogyScore {
            set: "questions".into(),
            search_space: 5,
            categories,
        }]
    };
    let eval = EvalReport {
        model: name.into(),
        teacher: Some("tiny.txt".into()),
        epochs: 1,
        loss: "cos".into(),
        similarity: vec![],
        similarity_average: Some(similarity),
        teacher_similarity_average: Some(0.5),
        analogy: analogy(vec![category(4, 1), category(0, 0)]),
        teacher_analogy: analogy(vec![category(4, 3)]),
        neighbors: vec![],
        held_out: None,
    };
    RunDir::open(&run)
        .unwrap()
        .write_eval_report(&eval)
        .unwrap();
    for precision in [Precision::F32, Precision::F16, Precision::Int8] {
        let bytes = encode_embedder(&manifest(&info, precision), &weights_of(&model));
        std::fs::write(dir.join(format!("{name}-{precision}.onnx")), bytes).unwrap();
    }
    run
}

/// Parameters of the "ab" model as its file stores them, counted by hand: characters 3x2,
/// W 2x8x2, R 2x8x2, B 2x16 (input and recurrent bias), two projections 2x3, bias 3.
const FILE_PARAMS: usize = 6 + 32 + 32 + 32 + 12 + 3;
/// The same model as burn holds it: one bias per gate, so 2x8 fewer.
const RUN_PARAMS: usize = FILE_PARAMS - 16;

fn len(path: &Path) -> u64 {
    std::fs::metadata(path).unwrap().len()
}

fn report(teacher: &Path, models: Vec<PathBuf>, runs: Vec<PathBuf>) -> Report {
    build(&Inputs {
        teacher: teacher.to_path_buf(),
        models,
        taggers: vec![],
        runs,
    })
    .unwrap()
}

fn find<'a>(report: &'a Report, artifact_end: &str, precision: &str) -> &'a Row {
    report
        .rows
        .iter()
        .find(|r| r.artifact.ends_with(artifact_end) && r.precision == precision)
        .unwrap_or_else(|| panic!("no {artifact_end} {precision} row in {:#?}", report.rows))
}

#[test]
fn counts_sizes_and_scores_of_a_hand_made_teacher_and_model() {
    let _turn = serial();
    let dir = tempfile::tempdir().unwrap();
    let teacher = teacher(dir.path());
    let carried = model(dir.path(), "carried", 1, 0.25);
    let alone = model(dir.path(), "alone", 2, 0.125);
    let f32_file = dir.path().join("carried-f32.onnx");
    let r = report(
        &teacher,
        vec![f32_file.clone()],
        vec![carried, alone.clone()],
    );

    // The table: 5 rows x 3, at 4, 2 and 1 bytes per number (+ 4 bytes of scale per int8 row).
    assert_eq!(r.table_bytes, 60);
    assert_eq!(r.teacher_file_bytes, len(&teacher));
    for (precision, bytes) in [("f32", 60), ("f16", 30), ("int8", 15 + 5 * 4)] {
        let row = find(&r, "tiny.txt", precision);
        assert_eq!(
            (row.lookup_rows, row.lookup_params, row.total_params),
            (5, Some(15), 15)
        );
        assert_eq!((row.disk_bytes, row.resident_bytes), (bytes, Some(bytes)));
        assert_eq!(row.basis, Basis::Counted);
    }
    // The teacher's own scores stand on the f32 table's row.
    let teacher_scores = Quality {
        similarity: Some(0.5),
        analogy: Some(0.75),
        ..Quality::default()
    };
    assert_eq!(find(&r, "tiny.txt", "f32").quality, teacher_scores);

    // The file: measured, and carrying the scores of the run whose weights it holds.
    let file = find(&r, "carried-f32.onnx", "f32");
    assert_eq!(file.basis, Basis::Measured);
    assert_eq!((file.lookup_rows, file.lookup_params), (3, Some(6)));
    assert_eq!(file.total_params, FILE_PARAMS);
    assert_eq!(file.disk_bytes, len(&f32_file));
    let held = file.resident_bytes.expect("this binary counts its heap");
    assert!(held > 0 && held < 10 * file.disk_bytes, "{held}");
    assert_eq!(file.quality.similarity, Some(0.25));
    assert_eq!(file.quality.analogy, Some(0.25));
    assert!((r.ratio(file.disk_bytes) - 60.0 / len(&f32_file) as f64).abs() < 1e-12);

    // Its f16 and int8 encodings are byte for byte the files export writes, and unscored.
    for precision in ["f16", "int8"] {
        let encoded = find(&r, "carried-f32.onnx", precision);
        let written = dir.path().join(format!("carried-{precision}.onnx"));
        assert_eq!(encoded.basis, Basis::Encoded);
        assert_eq!(encoded.disk_bytes, len(&written));
        assert!(encoded.quality.is_empty());
        let measured = report(&teacher, vec![written.clone()], vec![]);
        assert_eq!(
            find(&measured, &written.display().to_string(), precision).disk_bytes,
            len(&written)
        );
    }

    // The run no file carries: counted from its checkpoint, with its own scores.
    let run = find(&r, &alone.display().to_string(), "f32");
    assert_eq!(run.basis, Basis::Counted);
    assert_eq!((run.lookup_rows, run.total_params), (3, RUN_PARAMS));
    assert_eq!(run.disk_bytes, 4 * RUN_PARAMS as u64);
    assert_eq!(run.quality.similarity, Some(0.125));
    // The carried run has no row of its own.
    assert_eq!(r.rows.len(), 3 + 3 + 1, "{:#?}", r.rows);
}

#[test]
fn a_tagger_report_alone_gives_a_counted_row_with_its_scores() {
    let _turn = serial();
    let dir = tempfile::tempdir().unwrap();
    let teacher = teacher(dir.path());
    let eval = |accuracy: f64, unseen: f64| {
        serde_json::json!({"tokens": 100, "correct": (100.0 * accuracy) as usize,
            "accuracy": accuracy, "unseen_tokens": 10, "unseen_correct": (10.0 * unseen) as usize,
            "unseen_accuracy": unseen, "confusions": []})
    };
    let report_json = serde_json::json!({
        "model": "FULL+EMB", "train": "t", "dev": "d", "test": "e", "grid": "custom",
        "halving": [3], "points": [], "chosen_lr": 5e-4, "chosen_dropout": 0.3,
        "lookup_rows": 1234, "parameters": 56789, "train_sentences": 1, "train_tokens": 2,
        "seconds": 3.0, "dev_eval": eval(0.9, 0.5), "test_eval": eval(0.95, 0.8),
    });
    let path = dir.path().join("fullemb-seed1.json");
    std::fs::write(&path, report_json.to_string()).unwrap();
    let r = report(&teacher, vec![], vec![path.clone()]);
    let row = find(&r, &path.display().to_string(), "f32");
    assert_eq!(row.label, "FULL+EMB tagger");
    assert_eq!(row.basis, Basis::Counted);
    // The report does not record the lookup tables' widths, so no lookup parameters.
    assert_eq!((row.lookup_rows, row.lookup_params), (1234, None));
    assert_eq!((row.total_params, row.disk_bytes), (56789, 4 * 56789));
    assert_eq!(row.quality.tagging, Some(0.95));
    assert_eq!(row.quality.tagging_unseen, Some(0.8));

    // Not a report: the error names the file.
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{}").unwrap();
    let err = build(&Inputs {
        teacher,
        runs: vec![bad.clone()],
        ..Inputs::default()
    })
    .unwrap_err();
    assert!(format!("{err:#}").contains("bad.json"), "{err:#}");
}

#[test]
fn a_word2vec_header_gives_the_shape() {
    let _turn = serial();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tiny.vec");
    std::fs::write(&path, "3 4\nab 1 2 3 4\nba 1 2 3 4\nc 1 2 3 4\n").unwrap();
    let r = report(&path, vec![], vec![]);
    assert_eq!(r.table_bytes, 48);
    let row = find(&r, "tiny.vec", "int8");
    assert_eq!(
        (row.lookup_rows, row.total_params, row.disk_bytes),
        (3, 12, 12 + 3 * 4)
    );
}

#[test]
fn an_f16_file_never_takes_an_f32_runs_scores() {
    let _turn = serial();
    let dir = tempfile::tempdir().unwrap();
    let teacher = teacher(dir.path());
    let run = model(dir.path(), "carried", 1, 0.25);
    let f16 = dir.path().join("carried-f16.onnx");
    let r = report(&teacher, vec![f16.clone()], vec![run.clone()]);
    assert!(find(&r, "carried-f16.onnx", "f16").quality.is_empty());
    // So the run keeps a row of its own.
    assert_eq!(
        find(&r, &run.display().to_string(), "f32")
            .quality
            .similarity,
        Some(0.25)
    );
}

fn cli() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sublex-report"))
}

#[test]
fn the_command_prints_markdown_or_json_and_draws_the_plot() {
    let _turn = serial();
    let dir = tempfile::tempdir().unwrap();
    let teacher = teacher(dir.path());
    let run = model(dir.path(), "carried", 1, 0.25);
    let file = dir.path().join("carried-f32.onnx");
    let svg = dir.path().join("plot.svg");
    let args = |format: &str| {
        let mut c = cli();
        c.arg("--teacher").arg(&teacher).arg("--model").arg(&file);
        c.arg("--runs").arg(&run).args(["--format", format]);
        c.arg("--plot").arg(&svg);
        c.output().unwrap()
    };
    let md = args("md");
    assert!(
        md.status.success(),
        "{}",
        String::from_utf8_lossy(&md.stderr)
    );
    let md = String::from_utf8(md.stdout).unwrap();
    assert!(md.contains("| word table tiny.txt | f32 | counted | 5 | 15 | 15 | 60 | 60 | 1.0x"));
    assert!(md.contains(&format!(
        "| embedder {} | f32 | measured | 3 | 6 | {FILE_PARAMS} |",
        file.display()
    )));

    let json = args("json");
    assert!(json.status.success());
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(json["table_bytes"], 60);
    assert_eq!(json["rows"].as_array().unwrap().len(), 6);

    // One point per scored row: the teacher's table and the carried file.
    let svg = std::fs::read_to_string(&svg).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("word similarity"));
    assert_eq!(svg.matches("<circle").count(), 2);
}

#[test]
fn bad_inputs_are_named_in_the_error() {
    let _turn = serial();
    let dir = tempfile::tempdir().unwrap();
    let teacher = teacher(dir.path());
    let fails_naming = |args: &[&str], named: &str, says: &str| {
        let out = cli()
            .arg("--teacher")
            .arg(&teacher)
            .args(args)
            .output()
            .unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(named) && err.contains(says), "{args:?}: {err}");
    };
    let not_run = dir.path().display().to_string();
    fails_naming(&["--runs", &not_run], &not_run, "not a run directory");
    let teacher_name = teacher.display().to_string();
    fails_naming(&["--model", &teacher_name], &teacher_name, "");
    let missing = dir.path().join("missing.txt");
    let out = cli().arg("--teacher").arg(&missing).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.txt"));
}

/// Quality per byte on a hand-made teacher whose cosines order the pairs as the people did:
/// the full table scores 1; a table too short for a pair's word scores that pair 0.
#[test]
fn the_curve_scores_every_pair_and_sizes_the_truncated_table_to_the_hybrid() {
    use sublex_tools::curve::{build, CurveInputs, Series};
    let _turn = serial();
    let dir = tempfile::tempdir().unwrap();
    let teacher = dir.path().join("axes.txt");
    std::fs::write(
        &teacher,
        "the 1 0 0\nof 1 1 0\nand 1 2 0\nto 0 1 0\na 0 0 1\n",
    )
    .unwrap();
    let pairs = dir.path().join("pairs.txt");
    // cos(the, of) .71 > cos(the, and) .45 > cos(the, to) 0, as the scores rank them.
    std::fs::write(&pairs, "the of 3\nthe and 2\nthe to 1\n").unwrap();
    model(dir.path(), "student", 1, 0.0);
    let student = dir.path().join("student-f32.onnx");
    let curve = build(&CurveInputs {
        teacher,
        student: student.clone(),
        keep: vec![0, 5],
        rows_precision: sublex_runtime::RowPrecision::Int8,
        similarity: vec![pairs],
        analogy: vec![],
        analogy_vocab: 5,
    })
    .unwrap();
    let at = |series, i| {
        curve
            .points
            .iter()
            .filter(|p| p.series == series)
            .nth(i)
            .unwrap()
    };
    // K = 0 is the character model's own file, re-encoded byte for byte.
    assert_eq!(at(Series::Hybrid, 0).bytes, len(&student));
    // Every row stored: int8 keeps the order, so the hybrid ranks like the full table.
    assert_eq!(at(Series::Hybrid, 1).similarity, vec![1.0]);
    let full = at(Series::Full, 0);
    // 15 f32 values, 11 bytes of words and 5 separators.
    assert_eq!((full.rows, full.bytes), (5, 5 * 12 + 11 + 5));
    assert!((full.similarity_average - 1.0).abs() < 1e-12);
    // All five int8 rows fit in any model file's bytes (sizing: curve.rs's unit tests).
    let truncated = at(Series::Truncated, 0);
    assert_eq!((truncated.rows, truncated.bytes), (5, 5 * 7 + 11 + 5));
    assert_eq!(truncated.similarity, vec![1.0]);
}

/// The data rows of a markdown table (not its header), split into cells.
fn table_rows(table: &str) -> Vec<Vec<String>> {
    (table.lines())
        .filter(|l| l.starts_with("| ") && !l.starts_with("| stored"))
        .map(|l| l.split(" | ").map(String::from).collect())
        .collect()
}

/// `sublex-report int8` on the "ab" model: one row per tensor stored at int8 and one for
/// all of them, cosines that are cosines, `--group 1` almost exact; an int8 file or a short
/// teacher is refused.
#[test]
fn int8_measures_each_tensor_against_f32() {
    let _turn = serial();
    let dir = tempfile::tempdir().unwrap();
    model(dir.path(), "m", 7, 0.3);
    let short = teacher(dir.path());
    let long = dir.path().join("long.txt");
    let rows: String = (0..20_000)
        .map(|i| format!("{}{} 0.1 0.2 0.3\n", ["a", "b", "ab"][i % 3], i))
        .collect();
    std::fs::write(&long, rows).unwrap();
    let run = |model: &str, teacher: &Path, extra: &[&str]| {
        let out = cli()
            .args(["int8", "--model"])
            .arg(dir.path().join(model))
            .arg("--teacher")
            .arg(teacher)
            .args(extra)
            .output()
            .unwrap();
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        (out.status.success(), text(&out.stdout), text(&out.stderr))
    };
    let (ok, table, err) = run("m-f32.onnx", &long, &[]);
    assert!(ok, "{err}");
    let rows = table_rows(&table);
    let names: Vec<&str> = rows.iter().map(|r| r[0].trim_start_matches("| ")).collect();
    assert_eq!(names.len(), 7, "{table}");
    assert!(names[5].starts_with("all"), "{table}");
    assert!(names[6].starts_with("the int8 file"), "{table}");
    for row in &rows {
        let (worst, mean): (f64, f64) = (row[1].parse().unwrap(), row[2].parse().unwrap());
        assert!(
            worst >= -1.0 && worst <= mean && mean <= 1.0 + 1e-9,
            "{row:?}"
        );
    }
    // One scale per value stores every value almost exactly (the what-if options change
    // the stored tensors, not the last row, the kernel's own int8).
    let (ok, table, err) = run("m-f32.onnx", &long, &["--group", "1"]);
    assert!(ok, "{err}");
    for row in table_rows(&table).iter().take(6) {
        assert!(row[1].parse::<f64>().unwrap() >= 0.9999, "{table}");
    }
    let (ok, _, err) = run("m-int8.onnx", &long, &[]);
    assert!(
        !ok && err.contains("m-int8.onnx") && err.contains("f32 export"),
        "{err}"
    );
    let (ok, _, err) = run("m-f32.onnx", &short, &[]);
    assert!(!ok && err.contains("fewer than 20,000"), "{err}");
}
