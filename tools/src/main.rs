use anyhow::Result;
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use sublex_runtime::alloc_count::CountingAllocator;
use sublex_tools::curve::{self, CurveInputs};
use sublex_tools::int8::{self, Int8Inputs};
use sublex_tools::report::{self, Inputs};
use sublex_tools::tokenize::{self, TokenizeInputs};
use sublex_tools::{plot, render};

// Resident bytes are the heap a loaded model holds, so this binary counts its heap.
#[global_allocator]
static HEAP: CountingAllocator = CountingAllocator;

/// What deploying a character model saves against the word table it replaces, and the
/// quality each byte buys.
#[derive(Parser)]
#[command(name = "sublex-report", version)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// The teacher table (only its header, or its line count for GloVe, is read).
    #[arg(long, required = true)]
    teacher: Option<PathBuf>,
    /// Exported embedder files (`sublex-train export`).
    #[arg(long, num_args = 1..)]
    model: Vec<PathBuf>,
    /// Exported tagger files (`sublex-train export --model TAGGER_DIR`).
    #[arg(long, num_args = 1..)]
    tagger: Vec<PathBuf>,
    /// Run directories whose scores to report: a model directory with `eval.json`, or a
    /// `sublex-train tagger` output, or only its `report.json` (as `scripts/tagger-grid.py`
    /// commits them under docs/tagger/). A file carrying a run's exact weights gets its
    /// scores; runs no file carries get a row of their own.
    #[arg(long, num_args = 1..)]
    runs: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = OutputFormat::Md)]
    format: OutputFormat,
    /// Also draw size (log) against quality to this SVG file.
    #[arg(long)]
    plot: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Quality per byte: the hybrid file (`export --keep-top K`) at each K against the
    /// teacher truncated to the same bytes at int8, and the full f32 table; every pair and
    /// question scored, what an artifact cannot embed counting as cosine 0 or wrong.
    Curve {
        #[command(flatten)]
        inputs: CurveInputs,
        #[arg(long, value_enum, default_value_t = OutputFormat::Md)]
        format: OutputFormat,
        /// Also draw both curves (log bytes) to this SVG file.
        #[arg(long)]
        plot: Option<PathBuf>,
    },
    /// Where int8 storage loses accuracy: each weight tensor of an f32 embedder stored at
    /// int8 alone, then all of them, against the f32 model on held-out words.
    Int8 {
        #[command(flatten)]
        inputs: Int8Inputs,
    },
    /// The raw-text tokenizer against a treebank's gold words (F1 by character offsets),
    /// and with --tagger the accuracy on raw text beside the accuracy on gold words.
    Tokenize {
        #[command(flatten)]
        inputs: TokenizeInputs,
        #[arg(long, value_enum, default_value_t = OutputFormat::Md)]
        format: OutputFormat,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum OutputFormat {
    Md,
    Json,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    if let Some(command) = cli.command {
        return run(command);
    }
    let report = report::build(&Inputs {
        teacher: cli.teacher.expect("clap requires --teacher"),
        models: cli.model,
        taggers: cli.tagger,
        runs: cli.runs,
    })?;
    if let Some(path) = &cli.plot {
        plot::svg(&report, path)?;
        eprintln!("plot: {}", path.display());
    }
    match cli.format {
        OutputFormat::Md => print!("{}", render::markdown(&report)),
        OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
    }
    Ok(())
}

fn run(command: Command) -> Result<()> {
    let (inputs, format, plot) = match command {
        Command::Curve {
            inputs,
            format,
            plot,
        } => (inputs, format, plot),
        Command::Int8 { inputs } => {
            print!("{}", int8::report(&inputs)?);
            return Ok(());
        }
        Command::Tokenize { inputs, format } => {
            let report = tokenize::build(&inputs)?;
            match format {
                OutputFormat::Md => print!("{}", tokenize::markdown(&report, &inputs)),
                OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
            }
            return Ok(());
        }
    };
    let curve = curve::build(&inputs)?;
    if let Some(path) = &plot {
        plot::curve_svg(&curve, path)?;
        eprintln!("plot: {}", path.display());
    }
    match format {
        OutputFormat::Md => print!("{}", curve::markdown(&curve)),
        OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&curve)?),
    }
    Ok(())
}
