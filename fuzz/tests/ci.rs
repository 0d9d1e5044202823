//! The fuzzer's CI run: a bounded number of mutated files (the longer run is `sublex-fuzz
//! run`, docs/RESULTS.md). No panics, no engine disagreements, every error names its file,
//! and at least a third of the files are valid and reach both engines.

use sublex_fuzz::builtin;
use sublex_fuzz::campaign::{self, Campaign};

#[test]
fn mutated_files_give_clean_errors_or_agreeing_engines() {
    std::panic::set_hook(Box::new(|_| {}));
    let failures = tempfile_dir();
    let counts = campaign::run(&Campaign {
        seeds: &builtin(),
        cases: 2_000,
        seed: 13,
        jobs: 2,
        failures: &failures,
        on_case: &|| {},
    });
    let _ = std::panic::take_hook();
    assert_eq!(
        counts.failures,
        0,
        "{counts:#?} (files in {})",
        failures.display()
    );
    assert_eq!(counts.cases, 2_000);
    assert!(3 * counts.agreed >= counts.cases, "{counts:#?}");
    // Every class of mutation ran.
    assert_eq!(counts.by_class.len(), 8, "{counts:#?}");
}

fn tempfile_dir() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("sublex-fuzz-ci-{}", std::process::id()))
}
