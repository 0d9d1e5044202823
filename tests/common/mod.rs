//! Shared fixture: a small real model (one epoch on the shipped GloVe sample, 100-d),
//! trained once per test binary and exported at every precision; and the helpers the test
//! binaries share (running the built binaries, skipping what is missing, running scripts).
// Each test binary uses part of this module.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use sublex_runtime::Precision;
use sublex_trainer::export::{self, ExportReport};
use sublex_trainer::teacher::{LoadOptions, Teacher};
use sublex_trainer::train::{self, ReconstructOptions};

pub struct Fixture {
    _dir: tempfile::TempDir,
    pub teacher: Teacher,
    pub model_dir: PathBuf,
    pub highway_dir: PathBuf,
    pub exports: Vec<(Precision, PathBuf, ExportReport)>,
    pub highway_onnx: PathBuf,
}

impl Fixture {
    pub fn onnx(&self, precision: Precision) -> &Path {
        &self
            .exports
            .iter()
            .find(|(p, _, _)| *p == precision)
            .expect("exported")
            .1
    }

    /// The first 1,000 teacher words and 200 made-up ones.
    pub fn words(&self) -> Vec<String> {
        let mut words = self.teacher.words()[..1000].to_vec();
        let vocab = sublex_trainer::checkpoint::load_info(&self.model_dir)
            .unwrap()
            .model
            .vocab;
        words.extend(export::made_up_words(&vocab, 200, 7));
        words
    }
}

fn train(teacher: &Teacher, out: PathBuf, highway: bool) -> PathBuf {
    let opts = ReconstructOptions {
        epochs: 1,
        highway,
        out: out.clone(),
        keep_every: 0,
        ..ReconstructOptions::default()
    };
    train::reconstruct(teacher, &opts).unwrap();
    out
}

pub fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let teacher = Teacher::load(
            &root.join("data/glove-6b-100d.top2k.txt"),
            &LoadOptions {
                cache_dir: None,
                ..LoadOptions::default()
            },
        )
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let model_dir = train(&teacher, dir.path().join("plain"), false);
        let highway_dir = train(&teacher, dir.path().join("highway"), true);
        let check: Vec<String> = teacher.words()[..1000].to_vec();
        let exports = [Precision::F32, Precision::F16, Precision::Int8]
            .into_iter()
            .map(|p| {
                let path = dir.path().join(format!("model-{p}.onnx"));
                let report = export::export(&model_dir, &path, p, &check, None).unwrap();
                (p, path, report)
            })
            .collect();
        let highway_onnx = dir.path().join("highway.onnx");
        export::export(&highway_dir, &highway_onnx, Precision::F32, &check, None).unwrap();
        Fixture {
            _dir: dir,
            teacher,
            model_dir,
            highway_dir,
            exports,
            highway_onnx,
        }
    })
}

/// The `sublex` binary.
pub fn sublex() -> std::process::Command {
    binary("sublex")
}

/// Runs `command` with `input` on its standard input; its standard output, which must
/// come from a successful run.
#[allow(dead_code)]
pub fn stdout_with_input(command: &mut std::process::Command, input: &str) -> String {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{command:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// A binary of the workspace (`sublex`, `sublex-report`): `cargo test --workspace` builds
/// them into the parent of the test executables' directory.
pub fn binary(name: &str) -> std::process::Command {
    let exe = std::env::current_exe().unwrap();
    let bin: PathBuf = exe
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} missing: run `cargo test --workspace`, which builds it",
        bin.display()
    );
    std::process::Command::new(bin)
}

/// Whether a test that needs `what` (something outside the repository) can run: when it is
/// missing the test says so and is skipped, except under `SUBLEX_REQUIRE_ALL=1` (set by
/// `.ci/run`), where a missing requirement fails the test.
pub fn available(what: &str, present: bool) -> bool {
    if present {
        return true;
    }
    if std::env::var_os("SUBLEX_REQUIRE_ALL").is_some_and(|v| v == "1") {
        panic!("{what} is missing and SUBLEX_REQUIRE_ALL=1 requires it");
    }
    eprintln!("skipped: {what} is missing (set SUBLEX_REQUIRE_ALL=1 to make this an error)");
    false
}

/// Runs `scripts/<script>` with python3 on `args` and returns what it printed, or `None`
/// (skipped, as [`available`] says) when python3 is missing. A failing script fails the test.
pub fn python_script(script: &str, args: &[&std::ffi::OsStr]) -> Option<String> {
    let present = std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !available("python3", present) {
        return None;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = std::process::Command::new("python3")
        .arg(root.join("scripts").join(script))
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "scripts/{script}: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(stdout)
}
