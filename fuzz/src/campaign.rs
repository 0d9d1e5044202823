//! A fuzzing campaign: many cases on several threads, counted.

use crate::{check, mutate, Class, Outcome, Seed};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;
use sublex_runtime::reference::synthetic::Lcg;

/// What a run of the fuzzer found.
#[derive(Default, Debug, serde::Serialize)]
pub struct Counts {
    pub cases: u64,
    /// Refused at open with an error naming the file.
    pub rejected: u64,
    /// Opened, and both engines agreed.
    pub agreed: u64,
    pub failures: u64,
    /// Each failure: its case, seed file, mutation, what went wrong and the file written.
    pub failed: Vec<String>,
    /// Per mutation class: rejected, agreed, failures.
    pub by_class: BTreeMap<String, [u64; 3]>,
    /// The largest engine difference seen, as a fraction of the parity tolerance.
    pub largest_agreed_diff_over_tolerance: f32,
    pub seconds: f64,
}

impl Counts {
    fn add(&mut self, class: Class, outcome: &Outcome) {
        self.cases += 1;
        let slot = match outcome {
            Outcome::Rejected(_) => {
                self.rejected += 1;
                0
            }
            Outcome::Agreed {
                max_diff,
                tolerance,
            } => {
                self.agreed += 1;
                let ratio = max_diff / tolerance;
                self.largest_agreed_diff_over_tolerance =
                    self.largest_agreed_diff_over_tolerance.max(ratio);
                1
            }
            Outcome::Failure(_) => {
                self.failures += 1;
                2
            }
        };
        self.by_class.entry(format!("{class:?}")).or_default()[slot] += 1;
    }

    fn merge(&mut self, other: Counts) {
        self.cases += other.cases;
        self.rejected += other.rejected;
        self.agreed += other.agreed;
        self.failures += other.failures;
        self.failed.extend(other.failed);
        for (class, c) in other.by_class {
            let mine = self.by_class.entry(class).or_default();
            (0..3).for_each(|i| mine[i] += c[i]);
        }
        self.largest_agreed_diff_over_tolerance = self
            .largest_agreed_diff_over_tolerance
            .max(other.largest_agreed_diff_over_tolerance);
    }
}

/// What a campaign runs and where it puts failing files.
pub struct Campaign<'a> {
    pub seeds: &'a [Seed],
    pub cases: u64,
    pub seed: u64,
    pub jobs: usize,
    pub failures: &'a Path,
    /// Called after each case (a progress bar's tick).
    pub on_case: &'a (dyn Fn() + Sync),
}

/// Cases `worker, worker + jobs, ...` below `cases`; case `i` draws from an `Lcg` seeded by
/// (`seed`, `i`).
fn work(c: &Campaign<'_>, worker: u64) -> Counts {
    let (seeds, seed, failures) = (c.seeds, c.seed, c.failures);
    let mut counts = Counts::default();
    let mut case = worker;
    while case < c.cases {
        let rng = &mut Lcg(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ case);
        let s = &seeds[rng.below(seeds.len())];
        let mutant = mutate(&s.model, rng);
        let name = failures.join(format!("case-{seed}-{case}.onnx"));
        let outcome = check(&name, &mutant.bytes);
        if let Outcome::Failure(why) = &outcome {
            let written = std::fs::create_dir_all(failures)
                .and_then(|()| std::fs::write(&name, &mutant.bytes))
                .map_or_else(
                    |e| format!("not written: {e}"),
                    |()| name.display().to_string(),
                );
            let what = &mutant.what;
            counts.failed.push(format!(
                "case {case} ({}; {what}): {why} [{written}]",
                s.name
            ));
        }
        counts.add(mutant.class, &outcome);
        (c.on_case)();
        case += c.jobs.max(1) as u64;
    }
    counts
}

/// Runs the campaign's cases on its threads; failing files go to `failures`. Case `i`
/// depends only on (`seed`, `i`), whatever the number of threads.
pub fn run(c: &Campaign<'_>) -> Counts {
    let started = Instant::now();
    let mut total = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..c.jobs.max(1) as u64)
            .map(|w| scope.spawn(move || work(c, w)))
            .collect();
        let mut total = Counts::default();
        for h in handles {
            total.merge(h.join().expect("workers catch their panics"));
        }
        total
    });
    total.seconds = started.elapsed().as_secs_f64();
    total
}
