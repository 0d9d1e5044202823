//! The committed fixtures are exactly what the runtime's exporter writes today, so the burn
//! import (done at build time from the committed files) tests the current export format.

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
    let mut regenerated = Vec::new();
    for fixture in FIXTURES {
        let path = fixture.path();
        let want = fixture.bytes();
        if std::fs::read(&path).ok().as_deref() != Some(&want[..]) {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            write_atomically(&path, &want);
            regenerated.push(path.display().to_string());
        }
    }
    assert!(
        regenerated.is_empty(),
        "the exporter's output changed (or a fixture was missing), so these fixtures were \
         regenerated:\n  {}\nThe burn import is done when this crate is built: rebuild and rerun \
         (`cargo test -p sublex-interop`), then commit the new files.",
        regenerated.join("\n  ")
    );
}
