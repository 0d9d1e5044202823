//! The `sublex-train` binary as a user runs it: real commands, exit codes, messages.

use std::path::PathBuf;
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sublex-train"))
}

fn data(file: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../data")
        .join(file)
        .display()
        .to_string()
}

#[test]
fn reconstruct_then_eval_json() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let cache = dir.path().join("cache");
    let status = bin()
        .args([
            "reconstruct",
            "--teacher",
            &data("glove-6b-100d.top2k.txt"),
            "--max-words",
            "200",
        ])
        .args(["--loss", "sq", "--epochs", "2", "--batch", "32", "--out"])
        .arg(&out)
        .env("SUBLEX_CACHE_DIR", &cache)
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(
        std::fs::read_to_string(out.join("metrics.jsonl"))
            .unwrap()
            .lines()
            .count(),
        2
    );
    assert_eq!(
        std::fs::read_dir(&cache).unwrap().count(),
        1,
        "the teacher was cached"
    );

    let output = bin()
        .args(["eval", "--model"])
        .arg(&out)
        .args([
            "--teacher",
            &data("glove-6b-100d.top2k.txt"),
            "--similarity",
            &data("wordsim353.tsv"),
        ])
        .args(["--neighbors", "beautiful", "--json"])
        .env("SUBLEX_CACHE_DIR", &cache)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["epochs"], 2);
    assert_eq!(report["similarity"][0]["pairs"], 353);
    assert!(out.join("eval.json").exists());

    // Export at int8, checked against burn on the teacher's first words by export itself.
    let onnx = dir.path().join("model.onnx");
    let output = bin()
        .args(["export", "--model"])
        .arg(&out)
        .arg("--out")
        .arg(&onnx)
        .args([
            "--precision",
            "int8",
            "--teacher",
            &data("glove-6b-100d.top2k.txt"),
        ])
        .args(["--check-words", "300"])
        .env("SUBLEX_CACHE_DIR", &cache)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("on 500 words"), "{stderr}");
    assert!(sublex_runtime::Artifact::open(&onnx).is_ok());

    // Similarity alone (no analogy, no neighbours) against a teacher.
    let output = bin()
        .args(["eval", "--model"])
        .arg(&out)
        .args([
            "--teacher",
            &data("glove-6b-100d.top2k.txt"),
            "--similarity",
            &data("simlex999.txt"),
        ])
        .env("SUBLEX_CACHE_DIR", &cache)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("simlex999"));
}

#[test]
fn bad_teacher_file_fails_with_file_and_line_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.txt");
    std::fs::write(&bad, "a 1 2\nb 1 oops\n").unwrap();
    let output = bin()
        .args(["reconstruct", "--no-cache", "--teacher"])
        .arg(&bad)
        .arg("--out")
        .arg(dir.path().join("x"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("bad.txt:2") && stderr.contains("oops"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn random_baseline_needs_a_teacher() {
    let output = bin()
        .args([
            "eval",
            "--model",
            "random",
            "--similarity",
            &data("wordsim353.tsv"),
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--teacher"));
}

#[test]
fn killing_the_trainer_leaves_a_checkpoint_that_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let args = |epochs: &str| {
        let mut c = bin();
        c.args([
            "reconstruct",
            "--no-cache",
            "--teacher",
            &data("glove-6b-100d.top2k.txt"),
            "--max-words",
            "300",
        ])
        .args(["--epochs", epochs, "--keep-every", "0", "--out"])
        .arg(&out)
        .stderr(std::process::Stdio::null());
        c
    };
    let mut child = args("1000").spawn().unwrap();
    // Wait for the first checkpoint, then kill the process mid-epoch (SIGKILL: no clean-up).
    let progress = out.join("progress.json");
    let start = std::time::Instant::now();
    while !progress.exists() {
        assert!(start.elapsed().as_secs() < 120, "no checkpoint written");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(150));
    child.kill().unwrap();
    child.wait().unwrap();

    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&progress).unwrap()).unwrap();
    let epoch = saved["epoch"].as_u64().unwrap();
    let info: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("model.json")).unwrap()).unwrap();
    assert!(info["epochs"].as_u64().unwrap() >= epoch);
    let target = (epoch + 1).to_string();
    let status = args(&target).arg("--resume").status().unwrap();
    assert!(status.success(), "resume after a kill");
    let lines = std::fs::read_to_string(out.join("metrics.jsonl")).unwrap();
    assert!(lines
        .lines()
        .last()
        .unwrap()
        .contains(&format!("\"epoch\":{target}")));
}
