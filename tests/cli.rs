//! The `sublex` command on a real exported model.

mod common;

use common::{fixture, stdout_with_input, sublex};
use std::path::Path;
use std::process::{Command, Output};
use sublex_runtime::parity::tolerance_for;
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
    let piped = stdout_with_input(
        sublex()
            .arg("embed")
            .arg(model)
            .args(["--backend", "tract"]),
        "hello\n\n  wrld \n",
    );
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
    std::fs::write(&list, "running\nrunner\nruns\nwalked\ntable\n").unwrap();
    let out = String::from_utf8(
        run(sublex()
            .arg("similar")
            .arg(f.onnx(Precision::F32))
            .arg("runs")
            .arg("--among")
            .arg(&list)
            .args(["-k", "9"]))
        .stdout,
    )
    .unwrap();
    // Every other word, best first; the word itself is left out.
    let ranked: Vec<(&str, f32)> = out
        .lines()
        .map(|l| l.split_once('\t').unwrap())
        .map(|(w, c)| (w, c.parse().unwrap()))
        .collect();
    assert_eq!(ranked.len(), 4, "{out}");
    assert!(ranked.iter().all(|&(w, _)| w != "runs"), "{out}");
    assert!(ranked.windows(2).all(|p| p[0].1 >= p[1].1), "{out}");
    // Without --among: a hybrid file's stored words (the shipped one's 28,000), and a
    // character-only file says what to give.
    let shipped =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("data/models/embedder-glove-hybrid.onnx");
    let out = run(sublex()
        .arg("similar")
        .arg(&shipped)
        .arg("king")
        .args(["-k", "3"]));
    let words: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.split('\t').next().unwrap().to_string())
        .collect();
    assert!(words.contains(&"queen".to_string()), "{words:?}");
    let out = sublex()
        .arg("similar")
        .arg(f.onnx(Precision::F32))
        .arg("runs")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--among"));
}

#[test]
fn bench_times_each_instruction_set_the_cpu_has() {
    let model = fixture().onnx(Precision::F32);
    let out = run(sublex()
        .arg("bench")
        .arg(model)
        .args(["--seconds", "0.01", "a", "word"]));
    let text = String::from_utf8(out.stdout).unwrap();
    let isas: Vec<&str> = sublex_runtime::Isa::ALL
        .iter()
        .filter(|isa| isa.is_available())
        .map(|isa| isa.name())
        .collect();
    let timed: Vec<&str> = text.lines().skip(1).collect();
    assert_eq!(timed.len(), isas.len(), "{text}");
    for (line, isa) in timed.iter().zip(isas) {
        let us = line.strip_prefix(&format!("kernel ({isa}): ")).unwrap();
        let us: f64 = us.split(' ').next().unwrap().parse().unwrap();
        assert!(us > 0.0, "{line}");
    }
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
    for (onnx, precision) in [
        (f.onnx(Precision::F32), Precision::F32),
        (f.onnx(Precision::Int8), Precision::Int8),
        (f.highway_onnx.as_path(), Precision::F32),
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
            .arg(tolerance_for(precision, 1.0).to_string())
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
        precision: sublex_runtime::RowPrecision::F16,
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

fn load(path: &std::path::Path) -> Teacher {
    let options = LoadOptions {
        cache_dir: None,
        ..LoadOptions::default()
    };
    Teacher::load(path, &options).unwrap()
}

/// Writes `f.words()` (and a few accented ones) with `sublex vectors`, as text (`.vec`) and
/// with --binary (`.bin`); returns both paths.
fn write_both(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let f = fixture();
    let list = dir.join("words.txt");
    let mut words = f.words();
    words.extend(["çà", "naïve", "日本"].map(String::from));
    std::fs::write(&list, words.join("\n")).unwrap();
    let (vec_path, bin_path) = (dir.join("out.vec"), dir.join("out.bin"));
    for (out, binary) in [(&vec_path, false), (&bin_path, true)] {
        let mut cmd = sublex();
        cmd.arg("vectors")
            .arg(f.onnx(Precision::F32))
            .arg("--words")
            .arg(&list)
            .arg("--out")
            .arg(out);
        if binary {
            cmd.arg("--binary");
        }
        run(&mut cmd);
    }
    (vec_path, bin_path)
}

fn bits(values: &[f32]) -> Vec<u32> {
    values.iter().map(|v| v.to_bits()).collect()
}

/// `sublex vectors --binary` holds exactly the text file's values, and the trainer reads it
/// as a teacher; a file that cannot be written is named.
#[test]
fn vectors_binary_holds_the_text_values_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let (vec_path, bin_path) = write_both(dir.path());
    let (text, binary) = (load(&vec_path), load(&bin_path));
    assert!(binary.words().iter().any(|w| w == "日本"));
    assert_eq!(binary.words(), text.words());
    assert_eq!(binary.dim(), 100);
    assert_eq!(bits(binary.vectors()), bits(text.vectors()));
    let size = std::fs::metadata(&bin_path).unwrap().len() as usize;
    let rows: usize = binary.words().iter().map(|w| w.len() + 2 + 400).sum();
    assert_eq!(size, format!("{} 100\n", binary.len()).len() + rows);

    let missing = dir.path().join("no-such-dir").join("x.bin");
    let out = sublex()
        .arg("vectors")
        .arg(fixture().onnx(Precision::F32))
        .arg("--words")
        .arg(&vec_path)
        .arg("--out")
        .arg(&missing)
        .arg("--binary")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no-such-dir"), "{stderr}");
}

/// gensim's word2vec binary reader and writer agree with ours: gensim loads the file
/// `sublex vectors --binary` writes (its values printed exactly), and the trainer reads a
/// table gensim's `save_word2vec_format(binary=True)` wrote (no newline after the vectors).
#[test]
fn gensim_reads_our_binary_vectors_and_we_read_its() {
    let present = Command::new("python3")
        .args(["-c", "import gensim"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !common::available("python3 with gensim", present) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (_, bin_path) = write_both(dir.path());
    let ours = load(&bin_path);
    let printed = gensim(GENSIM_LOAD, &bin_path);
    let (words, values) = parse_rows(&printed);
    assert_eq!(words, ours.words());
    assert_eq!(bits(&values), bits(ours.vectors()));

    let theirs = dir.path().join("gensim.bin");
    let printed = gensim(GENSIM_SAVE, &theirs);
    let (words, values) = parse_rows(&printed);
    let table = load(&theirs);
    assert_eq!(table.words(), words);
    assert_eq!(bits(table.vectors()), bits(&values));
    let size = std::fs::metadata(&theirs).unwrap().len();
    eprintln!(
        "gensim wrote {size} bytes for {} rows of {}",
        table.len(),
        table.dim()
    );
}

/// Loads argv[1] with gensim and prints `word v1 .. vd` per row, each value exactly.
const GENSIM_LOAD: &str = r#"
import sys
from gensim.models import KeyedVectors
kv = KeyedVectors.load_word2vec_format(sys.argv[1], binary=True)
for key in kv.index_to_key:
    print(key, *(repr(float(v)) for v in kv[key]))
"#;

/// Writes a small table to argv[1] with gensim (values whose bytes hold spaces and line
/// breaks among them) and prints it as GENSIM_LOAD does.
const GENSIM_SAVE: &str = r#"
import sys
import numpy as np
from gensim.models import KeyedVectors
keys = ["the", "çà", "naïve", "日本", "a-b", "z"]
values = np.random.default_rng(7).standard_normal((len(keys), 4)).astype(np.float32)
values[4] = np.frombuffer(b"\n \n  \n \x3f\n\n\n\n\x20\x20\x20\x20", dtype="<f4")
kv = KeyedVectors(vector_size=4, count=0, dtype=np.float32)
kv.add_vectors(keys, values)
kv.save_word2vec_format(sys.argv[1], binary=True)
for key in kv.index_to_key:
    print(key, *(repr(float(v)) for v in kv[key]))
"#;

fn gensim(script: &str, path: &std::path::Path) -> String {
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(path)
        .env("PYTHONIOENCODING", "utf-8")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "gensim on {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `word v1 .. vd` lines: the words, and the values (f64 text of f32 values, so exact).
fn parse_rows(text: &str) -> (Vec<String>, Vec<f32>) {
    let mut words = Vec::new();
    let mut values = Vec::new();
    for line in text.lines() {
        let mut fields = line.split(' ');
        words.push(fields.next().unwrap().to_string());
        values.extend(fields.map(|x| x.parse::<f64>().unwrap() as f32));
    }
    (words, values)
}
