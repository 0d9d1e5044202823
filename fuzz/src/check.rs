//! Opening and running one file with both engines, and what came of it.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use sublex_runtime::parity::{max_abs_diff, tolerance_for};
use sublex_runtime::{Artifact, BackendChoice, Embedder, Kind, Result, Tagger};

/// What one file did.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Refused at open with an error that names the file.
    Rejected(String),
    /// Opened, and both engines ran it to outputs within the parity rule.
    Agreed { max_diff: f32, tolerance: f32 },
    /// A failure of the runtime: a panic, engines that disagree, an error that does not name
    /// the file, or one engine accepting what the other refuses.
    Failure(String),
}

/// Words of every shape the engines handle: empty, one character, unknown characters, a
/// word longer than the runtime reads.
const WORDS: [&str; 6] = ["", "a", "the", "ünknown🙂", "lengthening", "-'.é"];
const SENTENCES: [&[&str]; 2] = [&["the", "dog", "barks", "."], &["", "ünknown🙂", "a"]];

/// Opens `bytes` as the file `name` and, if it opens, runs it with the kernel and tract.
pub fn check(name: &Path, bytes: &[u8]) -> Outcome {
    let opened = guard(|| Artifact::from_bytes(name, bytes));
    let artifact = match opened {
        Err(panic) => return Outcome::Failure(format!("panic at open: {panic}")),
        Ok(Err(e)) => {
            let message = e.to_string();
            return if message.starts_with(&name.display().to_string()) {
                Outcome::Rejected(message)
            } else {
                Outcome::Failure(format!("an error that does not name the file: {message}"))
            };
        }
        Ok(Ok(artifact)) => artifact,
    };
    let outputs = |choice| match artifact.manifest().kind {
        Kind::Embedder => embed(&artifact, choice),
        Kind::Tagger => tag(&artifact, choice),
    };
    let (kernel, tract) = match (
        guard(|| outputs(BackendChoice::Kernel)),
        guard(|| outputs(BackendChoice::Tract)),
    ) {
        (Ok(Ok(k)), Ok(Ok(t))) => (k, t),
        (k, t) => {
            return Outcome::Failure(format!(
                "a file that opened, but: kernel {}, tract {}",
                describe(&k),
                describe(&t)
            ))
        }
    };
    if kernel.len() != tract.len() {
        return Outcome::Failure(format!("{} vs {} outputs", kernel.len(), tract.len()));
    }
    let largest = kernel.iter().fold(0f32, |m, x| m.max(x.abs()));
    let precision = artifact.manifest().precision;
    let (max_diff, tolerance) = (
        max_abs_diff(&kernel, &tract),
        tolerance_for(precision, largest),
    );
    if max_diff <= tolerance {
        Outcome::Agreed {
            max_diff,
            tolerance,
        }
    } else {
        Outcome::Failure(format!(
            "engines disagree: max |diff| {max_diff:e} > {tolerance:e} (largest output {largest})"
        ))
    }
}

fn embed(artifact: &Artifact, choice: BackendChoice) -> Result<Vec<f32>> {
    let mut embedder = Embedder::from_artifact(artifact, choice)?;
    let mut out = vec![0.0; WORDS.len() * embedder.dim()];
    embedder.embed_into(&WORDS, &mut out)?;
    Ok(out)
}

fn tag(artifact: &Artifact, choice: BackendChoice) -> Result<Vec<f32>> {
    let mut tagger = Tagger::from_artifact(artifact, choice)?;
    let mut all = Vec::new();
    for sentence in SENTENCES {
        let mut scores = vec![0.0; sentence.len() * tagger.tags().len()];
        tagger.scores_into(sentence, &mut scores)?;
        all.extend(scores);
    }
    Ok(all)
}

/// Runs `f`, turning a panic into its message.
fn guard<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|panic| {
        panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".into())
    })
}

fn describe(r: &Result<Result<Vec<f32>>, String>) -> String {
    match r {
        Ok(Ok(_)) => "ran".into(),
        Ok(Err(e)) => format!("error {e}"),
        Err(panic) => format!("panic {panic}"),
    }
}
