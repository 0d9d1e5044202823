use anyhow::Result;
use clap::{Parser, ValueEnum};
use std::path::PathBuf;
use sublex_tools::savings;

/// What a character model saves against the word table it replaces.
#[derive(Parser)]
#[command(name = "sublex-report", version)]
struct Cli {
    /// The teacher table (only its header or line count is read).
    #[arg(long)]
    teacher: PathBuf,
    /// Trained model directories.
    #[arg(long, num_args = 1..)]
    model: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = OutputFormat::Md)]
    format: OutputFormat,
}

#[derive(Clone, Copy, ValueEnum)]
enum OutputFormat {
    Md,
    Json,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let shape = savings::teacher_shape(&cli.teacher)?;
    let name = cli
        .teacher
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let mut artifacts = savings::table_artifacts(&name, shape);
    let table_bytes = artifacts[0].bytes;
    for dir in &cli.model {
        artifacts.extend(savings::model_artifacts(dir, table_bytes)?);
    }
    match cli.format {
        OutputFormat::Md => print!("{}", savings::markdown(&artifacts)),
        OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&artifacts)?),
    }
    Ok(())
}
