//! The `sublex` command on files that are not models: a clear error naming the file, a
//! failing exit status, nothing on stdout. (The commands on real models are tested in the
//! workspace's `tests/cli.rs`; this test also makes `cargo test` build the binary they run.)

use std::process::Command;

fn sublex() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sublex"))
}

#[test]
fn missing_and_non_model_files_are_named_in_the_error() {
    let dir = std::env::temp_dir().join(format!("sublex-cli-errors-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let missing = dir.join("missing.onnx");
    let text = dir.join("notes.onnx");
    std::fs::write(&text, "not a model\n").unwrap();
    for (path, problem) in [(&missing, "cannot read"), (&text, "not an ONNX file")] {
        let out = sublex()
            .arg("embed")
            .arg(path)
            .arg("word")
            .output()
            .unwrap();
        assert!(!out.status.success(), "{}", path.display());
        assert!(out.stdout.is_empty(), "{}", path.display());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(&path.display().to_string()), "{stderr}");
        assert!(stderr.contains(problem), "{stderr}");
    }
    std::fs::remove_dir_all(&dir).ok();
}
