//! `sublex`: embed words or tag sentences with an exported model, on any CPU.

mod bench;
mod commands;
mod word2vec;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use sublex_runtime::BackendChoice;

#[derive(Parser)]
#[command(
    name = "sublex",
    version,
    about = "Embed any word, or tag sentences, with an exported sublex model"
)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args)]
struct ModelArgs {
    /// The exported model file (`sublex-train export`).
    model: PathBuf,
    /// auto (the kernel when the model allows it), tract or kernel.
    #[arg(long, default_value = "auto")]
    backend: BackendChoice,
}

#[derive(Subcommand)]
enum Command {
    /// Dimensions, vocabulary, precision, size and provenance of a model file.
    Info {
        #[command(flatten)]
        model: ModelArgs,
    },
    /// Print `word v1 .. vd` for each word (arguments, or whitespace-separated words from stdin).
    Embed {
        #[command(flatten)]
        model: ModelArgs,
        words: Vec<String>,
    },
    /// Write a word2vec file (text, or binary with --binary) with a vector for every word of
    /// a list (one per line; only the first field counts, so vocabulary and .vec files work
    /// too).
    Vectors {
        #[command(flatten)]
        model: ModelArgs,
        /// The word list.
        #[arg(long)]
        words: PathBuf,
        /// The file to write (replaced only once it is complete).
        #[arg(long)]
        out: PathBuf,
        /// Write word2vec binary instead of text: the header line `<count> <dim>`, then per
        /// word its UTF-8 bytes, a space, <dim> little-endian f32 values and a newline, as
        /// the word2vec tool writes it; gensim reads it with
        /// `KeyedVectors.load_word2vec_format(path, binary=True)`, sublex-train as a teacher
        /// (`.bin` or --format binary). Values are stored exactly (text prints each so it
        /// parses back to the same f32).
        #[arg(long)]
        binary: bool,
    },
    /// The words of a list closest to WORD by cosine.
    Similar {
        #[command(flatten)]
        model: ModelArgs,
        word: String,
        /// The candidates: a word list (the first field of each line). Default: a hybrid
        /// file's stored words.
        #[arg(long)]
        among: Option<PathBuf>,
        #[arg(short, long, default_value_t = 10)]
        k: usize,
    },
    /// Time one call on this machine on each kernel instruction set the CPU has: embedding
    /// WORDS in one call (an embedder) or tagging them as one sentence (a tagger); by
    /// default the one word "kitten". Each figure is the median of 5 loops' means.
    Bench {
        /// An exported embedder or tagger.
        model: PathBuf,
        words: Vec<String>,
        /// Seconds each instruction set is timed for (and warmed up for before).
        #[arg(long, default_value_t = 1.0)]
        seconds: f64,
    },
    /// Tag one sentence of raw text per stdin line (cut into words as the treebank does:
    /// `can't` -> `ca` `n't`, punctuation apart), printing `word/TAG` tokens; or, with
    /// --conllu, print FILE with its XPOS column filled.
    Tag {
        /// An exported tagger (`sublex-train export --model TAGGER_DIR`).
        #[command(flatten)]
        model: ModelArgs,
        #[arg(long, conflicts_with = "pretokenized")]
        conllu: Option<PathBuf>,
        /// Lines are words separated by whitespace, taken as they are.
        #[arg(long)]
        pretokenized: bool,
    },
}

fn main() -> Result<()> {
    match run(Args::parse()) {
        // The reader went away (`sublex tag ... | head`): nothing is wrong.
        Err(e) if is_broken_pipe(&e) => Ok(()),
        other => other,
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn run(args: Args) -> Result<()> {
    match args.command {
        Command::Info { model } => commands::info(&model.model, model.backend),
        Command::Embed { model, words } => commands::embed(&model.model, model.backend, words),
        Command::Vectors {
            model,
            words,
            out,
            binary,
        } => {
            let layout = match binary {
                true => word2vec::Layout::Binary,
                false => word2vec::Layout::Text,
            };
            commands::vectors(&model.model, model.backend, &words, &out, layout)
        }
        Command::Similar {
            model,
            word,
            among,
            k,
        } => commands::similar(&model.model, model.backend, &word, among.as_deref(), k),
        Command::Bench {
            model,
            words,
            seconds,
        } => {
            let time = std::time::Duration::try_from_secs_f64(seconds).context("--seconds")?;
            bench::bench(&model, &words, time)
        }
        Command::Tag {
            model,
            conllu,
            pretokenized,
        } => commands::tag(&model.model, model.backend, conllu.as_deref(), pretokenized),
    }
}
