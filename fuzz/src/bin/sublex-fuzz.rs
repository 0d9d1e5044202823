//! `sublex-fuzz run`: mutate model files on every core and report what came of them;
//! `sublex-fuzz hostile`: write the regression files of `tests/hostile/`.

use anyhow::{bail, Result};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget};
use std::io::IsTerminal;
use std::path::PathBuf;
use sublex_fuzz::campaign::{self, Campaign};
use sublex_fuzz::{builtin, Seed};

#[derive(Parser)]
#[command(about = "The model-file fuzzer")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Mutates the built-in seeds (and FILES, exported models) CASES times; failing files
    /// are written to --failures; exits non-zero if any.
    Run {
        #[arg(long, default_value_t = 10_000)]
        cases: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Worker threads (default: every core).
        #[arg(long)]
        jobs: Option<usize>,
        #[arg(long, default_value = "fuzz-failures")]
        failures: PathBuf,
        /// Write the counts as JSON here.
        #[arg(long)]
        report: Option<PathBuf>,
        files: Vec<PathBuf>,
    },
    /// Writes the regression files (the hostile files and those the fuzzer found)
    /// into DIR.
    Hostile { dir: PathBuf },
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Run {
            cases,
            seed,
            jobs,
            failures,
            report,
            files,
        } => {
            let mut seeds = builtin();
            for f in &files {
                seeds.push(Seed::read(f)?);
            }
            let jobs =
                jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
            // Panics are caught and counted; their default report would flood the terminal.
            std::panic::set_hook(Box::new(|_| {}));
            let bar = ProgressBar::new(cases);
            if !std::io::stderr().is_terminal() {
                bar.set_draw_target(ProgressDrawTarget::hidden());
            }
            let counts = campaign::run(&Campaign {
                seeds: &seeds,
                cases,
                seed,
                jobs,
                failures: &failures,
                on_case: &|| bar.inc(1),
            });
            bar.finish_and_clear();
            for failure in &counts.failed {
                eprintln!("{failure}");
            }
            let json = serde_json::to_string_pretty(&counts)?;
            println!("{json}");
            if let Some(path) = report {
                std::fs::write(path, json + "\n")?;
            }
            if counts.failures > 0 {
                bail!(
                    "{} failing files in {}",
                    counts.failures,
                    failures.display()
                );
            }
        }
        Command::Hostile { dir } => {
            std::fs::create_dir_all(&dir)?;
            for (name, bytes) in sublex_fuzz::hostile::files() {
                std::fs::write(dir.join(name), bytes)?;
            }
        }
    }
    Ok(())
}
