//! The committed fixtures are exactly what the runtime's exporter writes today, so the burn
//! import (done at build time from the committed files) tests the current export format.
//! A difference fails the test; `SUBLEX_REGENERATE_FIXTURES=1` rewrites the files instead
//! (then rebuild, rerun and commit them). `cargo test` alone never touches the repository.

use std::path::Path;
use sublex_interop::FIXTURES;

/// Replaces `path` at once (write a sibling file, then rename), so no reader sees half a file.
fn write_atomically(path: &Path, bytes: &[u8]) {
    let tmp = path.with_extension("onnx.tmp");
    std::fs::write(&tmp, bytes).unwrap_or_else(|e| panic!("writing {}: {e}", tmp.display()));
    std::fs::rename(&tmp, path).unwrap_or_else(|e| panic!("renaming to {}: {e}", path.display()));
}

#[test]
fn fixtures_are_what_the_exporter_writes_today() {
    let regenerate = std::env::var_os("SUBLEX_REGENERATE_FIXTURES").is_some_and(|v| v == "1");
    let mut stale = Vec::new();
    for fixture in FIXTURES {
        let path = fixture.path();
        let want = fixture.bytes();
        if std::fs::read(&path).ok().as_deref() != Some(&want[..]) {
            if regenerate {
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                write_atomically(&path, &want);
            }
            stale.push(path.display().to_string());
        }
    }
    let hint = if regenerate {
        "were regenerated: the burn import is done when this crate is built, so rebuild and \
         rerun (`cargo test -p sublex-interop`), then commit the new files"
    } else {
        "differ from what the exporter writes today (or are missing): if the format change is \
         intended, rerun with SUBLEX_REGENERATE_FIXTURES=1 and commit the files"
    };
    assert!(
        stale.is_empty(),
        "these fixtures {hint}:\n  {}",
        stale.join("\n  ")
    );
}
