//! The `sublex` command on a real exported model.

mod common;

use common::{fixture, sublex};
use std::process::{Command, Output};
use sublex_runtime::Precision;
use sublex_trainer::teacher::{LoadOptions, Teacher};

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn embed_prints_one_vector_per_word() {
    let model = fixture().onnx(Precision::F32);
    let out = run(sublex().arg("embed").arg(model).args(["hello", "wrld"]));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2);
    for (line, word) in lines.iter().zip(["hello", "wrld"]) {
        let fields: Vec<&str> = line.split(' ').collect();
        assert_eq!(fields[0], word);
        assert_eq!(fields.len(), 101);
        assert!(fields[1..].iter().all(|x| x.parse::<f32>().is_ok()));
    }
    // Same vectors from stdin and from the tract backend.
    let mut child = sublex()
        .arg("embed")
        .arg(model)
        .args(["--backend", "tract"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"hello\n\n  wrld \n")
        .unwrap();
    let piped = String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap();
    // The blank line gives nothing, the padded word is trimmed: the same two lines.
    assert_eq!(piped.lines().count(), 2, "{piped}");
    for (a, b) in piped.lines().zip(text.lines()) {
        assert_eq!(a.split(' ').next(), b.split(' ').next());
        let parse = |l: &str| {
            l.split(' ')
                .skip(1)
                .map(|x| x.parse::<f32>().unwrap())
                .collect::<Vec<_>>()
        };
        let diff = parse(a)
            .iter()
            .zip(parse(b))
            .map(|(x, y)| (x - y).abs())
            .fold(0f32, f32::max);
        assert!(diff <= 1e-5, "{diff}");
    }
}

#[test]
fn vectors_writes_a_file_the_trainer_reads() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("words.txt");
    std::fs::write(&list, "hello 12\nwrld\n\nunfathomableness\nhello\nçà\n").unwrap();
    let vec_path = dir.path().join("out.vec");
    run(sublex()
        .arg("vectors")
        .arg(f.onnx(Precision::Int8))
        .arg("--words")
        .arg(&list)
        .arg("--out")
        .arg(&vec_path));
    let table = Teacher::load(
        &vec_path,
        &LoadOptions {
            cache_dir: None,
            ..LoadOptions::default()
        },
    )
    .unwrap();
    assert_eq!(table.words(), ["hello", "wrld", "unfathomableness", "çà"]);
    assert_eq!(table.dim(), 100);
}

#[test]
fn info_and_similar_answer() {
    let f = fixture();
    let info =
        String::from_utf8(run(sublex().arg("info").arg(f.onnx(Precision::F16))).stdout).unwrap();
    assert!(info.contains("precision     f16"), "{info}");
    assert!(info.contains("embedder"), "{info}");
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("among.txt");
    std::fs::write(&list, "running\nrunner\nwalked\ntable\n").unwrap();
    let out = String::from_utf8(
        run(sublex()
            .arg("similar")
            .arg(f.onnx(Precision::F32))
            .arg("runs")
            .arg("--among")
            .arg(&list)
            .args(["-k", "2"]))
        .stdout,
    )
    .unwrap();
    assert_eq!(out.lines().count(), 2, "{out}");
}

#[test]
fn a_damaged_model_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.onnx");
    std::fs::write(&bad, b"definitely not onnx").unwrap();
    let out = sublex().arg("embed").arg(&bad).arg("x").output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad.onnx"), "{stderr}");
}

/// The exported file is standard ONNX: onnxruntime gives the runtime's vectors
/// (scripts/onnxruntime_check.py; `.ci/run` installs onnxruntime and requires this test).
#[test]
fn onnxruntime_gives_the_same_vectors() {
    let present = Command::new("python3")
        .args(["-c", "import onnxruntime, numpy"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !common::available("python3 with onnxruntime and numpy", present) {
        return;
    }
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("words.txt");
    std::fs::write(&list, f.words().join("\n")).unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for onnx in [
        f.onnx(Precision::F32),
        f.onnx(Precision::Int8),
        f.highway_onnx.as_path(),
    ] {
        let vec_path = dir.path().join("check.vec");
        run(sublex()
            .arg("vectors")
            .arg(onnx)
            .arg("--words")
            .arg(&list)
            .arg("--out")
            .arg(&vec_path));
        let out = Command::new("python3")
            .arg(root.join("scripts/onnxruntime_check.py"))
            .arg(onnx)
            .arg(&vec_path)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "{}: {stdout}{stderr}\n(needs `pip install onnxruntime numpy`)",
            onnx.display()
        );
        eprintln!("{}: {stdout}", onnx.display());
    }
}

/// A hybrid file from the fixture's model and teacher: export checks both engines return
/// the stored rows exactly, `sublex embed` prints a kept word's stored row and another
/// word's character-model vector, `sublex info` shows the rows; too many rows is refused.
#[test]
fn a_hybrid_file_serves_kept_rows_and_the_character_model() {
    use sublex_trainer::export::{export, Keep};
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hybrid.onnx");
    let keep = |rows| Keep {
        teacher: &f.teacher,
        rows,
        precision: Precision::F16,
    };
    let report = export(&f.model_dir, &path, Precision::F32, &[], Some(keep(500))).unwrap();
    assert_eq!((report.stored_rows, report.stored_rows_checked), (500, 500));
    let info = String::from_utf8(run(sublex().arg("info").arg(&path)).stdout).unwrap();
    assert!(
        info.contains("stored rows   500 teacher words (f16)"),
        "{info}"
    );

    let kept = &f.teacher.words()[3];
    let other = &f.teacher.words()[1500];
    let hybrid =
        String::from_utf8(run(sublex().arg("embed").arg(&path).args([kept, other])).stdout)
            .unwrap();
    let plain = String::from_utf8(
        run(sublex()
            .arg("embed")
            .arg(f.onnx(Precision::F32))
            .args([kept, other]))
        .stdout,
    )
    .unwrap();
    let numbers = |line: &str| -> Vec<f32> {
        line.split(' ')
            .skip(1)
            .map(|x| x.parse().unwrap())
            .collect()
    };
    let (h, p): (Vec<&str>, Vec<&str>) = (hybrid.lines().collect(), plain.lines().collect());
    let teacher_row = f.teacher.vector(3);
    let stored = numbers(h[0]);
    assert!(stored
        .iter()
        .zip(teacher_row)
        .all(|(s, t)| (s - t).abs() <= 2e-3 * t.abs().max(1.0)));
    assert_ne!(
        numbers(h[0]),
        numbers(p[0]),
        "the kept word comes from the rows"
    );
    assert_eq!(
        numbers(h[1]),
        numbers(p[1]),
        "any other word from the character model"
    );

    let err = export(
        &f.model_dir,
        &path,
        Precision::F32,
        &[],
        Some(keep(1_000_000)),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("--keep-top 1000000"), "{err}");
}
