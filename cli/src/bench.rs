//! `sublex bench`: how long one call takes on this machine, on each of the kernel's
//! instruction sets this CPU has: what a user measures on a device before shipping.

use anyhow::Result;
use std::path::Path;
use std::time::{Duration, Instant};
use sublex_runtime::{Artifact, BackendChoice, Embedder, Isa, Kind, TagId, Tagger};

/// The words timed when none are given: one ordinary word.
const DEFAULT_WORDS: &[&str] = &["kitten"];

/// Loops of calls per figure: the figure is the median of the loops' means.
const ROUNDS: u32 = 5;

/// The time per call of `f`, the median over [`ROUNDS`] loops of calls each lasting at least
/// `time / ROUNDS` (after a warm-up as long), and the number of calls timed. The demo page
/// times its calls the same way.
fn per_call(time: Duration, mut f: impl FnMut() -> Result<()>) -> Result<(Duration, u32)> {
    let mut lap = || -> Result<(Duration, u32)> {
        let start = Instant::now();
        let mut calls = 0;
        while calls < 10 || start.elapsed() < time / ROUNDS {
            f()?;
            calls += 1;
        }
        Ok((start.elapsed() / calls, calls))
    };
    for _ in 0..ROUNDS {
        lap()?;
    }
    let mut laps = (0..ROUNDS).map(|_| lap()).collect::<Result<Vec<_>>>()?;
    laps.sort();
    let calls = laps.iter().map(|&(_, n)| n).sum();
    Ok((laps[laps.len() / 2].0, calls))
}

/// Times embedding `words` in one call (an embedder) or tagging them as one sentence (a
/// tagger) on every ISA this CPU has, best last, and prints `kernel (ISA): µs per call`.
pub fn bench(path: &Path, words: &[String], time: Duration) -> Result<()> {
    let artifact = Artifact::open(path)?;
    let words: Vec<&str> = match words.is_empty() {
        true => DEFAULT_WORDS.to_vec(),
        false => words.iter().map(String::as_str).collect(),
    };
    let what = match artifact.manifest().kind {
        Kind::Tagger => "tagging them as one sentence",
        _ => "embedding them in one call",
    };
    println!(
        "{}: {} words ({}), {what}",
        path.display(),
        words.len(),
        words.join(" ")
    );
    for &isa in Isa::ALL.iter().filter(|isa| isa.is_available()) {
        let (time_per_call, calls) = match artifact.manifest().kind {
            Kind::Tagger => {
                let mut tagger = Tagger::from_artifact(&artifact, BackendChoice::Kernel)?;
                tagger.set_isa(isa)?;
                let mut tags: Vec<TagId> = vec![0; words.len()];
                per_call(time, || Ok(tagger.tag_into(&words, &mut tags)?))?
            }
            _ => {
                let mut embedder = Embedder::from_artifact(&artifact, BackendChoice::Kernel)?;
                embedder.set_isa(isa)?;
                let mut out = vec![0.0; words.len() * embedder.dim()];
                per_call(time, || Ok(embedder.embed_into(&words, &mut out)?))?
            }
        };
        let us = time_per_call.as_secs_f64() * 1e6;
        println!(
            "kernel ({}): {us:.3} µs per call (median of {ROUNDS} loops, {calls} calls)",
            isa.name()
        );
    }
    Ok(())
}
