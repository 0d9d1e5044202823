mod tagger;

use anyhow::Result;
use clap::{Args, Parser, Subcommand};
use std::io::IsTerminal;
use std::path::PathBuf;
use sublex_runtime::{Precision, RowPrecision};
use sublex_trainer::batches::HardNegatives;
use sublex_trainer::checkpoint;
use sublex_trainer::distance::{Distance, DEFAULT_TEMPERATURE};
use sublex_trainer::eval::{self, EvalRequest, Student};
use sublex_trainer::export;
use sublex_trainer::run_dir::RunDir;
use sublex_trainer::tagger::train as tagger_train;
use sublex_trainer::tagger::CorpusFormat;
use sublex_trainer::teacher::{Format, LoadOptions, Teacher};
use sublex_trainer::train::{self, ReconstructOptions};
use tagger::{AugmentArgs, TaggerArgs};

/// Train a character model that reconstructs a word-embedding table (Stratos 2017).
#[derive(Parser)]
#[command(name = "sublex-train", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Reconstruct a teacher table with the character model.
    Reconstruct(ReconstructArgs),
    /// Word similarity, analogy and neighbours of a trained (or random) model.
    Eval(EvalArgs),
    /// Write a trained model as one ONNX file for the runtime (`sublex`), checked by
    /// running it with the runtime before returning.
    Export(ExportArgs),
    /// Train a POS tagger (paper 5.2) over a grid on dev, evaluate it on dev and test.
    Tagger(TaggerArgs),
    /// Synthetic training sentences for a character tagger: training sentences with words
    /// swapped for unseen teacher words, tagged in context by a trained tagger (FULL+EMB);
    /// train on them with `tagger --extra-train`.
    Augment(AugmentArgs),
    /// The default pipeline on the default data: reconstruct, evaluate.
    Quickstart {
        /// Where the run goes (resumed if it exists).
        #[arg(long, default_value = "runs/quickstart")]
        out: PathBuf,
    },
}

#[derive(Args)]
struct TeacherArgs {
    /// Teacher table: word2vec text or binary (.bin), GloVe text, fastText .vec.
    #[arg(long)]
    teacher: PathBuf,
    #[arg(long, value_enum, default_value_t = Format::Auto)]
    format: Format,
    /// Keep only the first N rows (teacher files are frequency ordered).
    #[arg(long)]
    max_words: Option<usize>,
    /// Parse the text file every time instead of using the memory-mapped cache.
    #[arg(long)]
    no_cache: bool,
}

impl TeacherArgs {
    fn load(&self) -> Result<Teacher> {
        let mut options = LoadOptions {
            format: self.format,
            max_words: self.max_words,
            ..LoadOptions::default()
        };
        if self.no_cache {
            options.cache_dir = None;
        }
        Ok(Teacher::load(&self.teacher, &options)?)
    }
}

#[derive(Args)]
struct ReconstructArgs {
    #[command(flatten)]
    teacher: TeacherArgs,
    #[arg(long, value_enum, default_value_t = Distance::Cos)]
    loss: Distance,
    /// Temperature of `--loss contrastive` and of --relation-weight's distributions.
    #[arg(long, default_value_t = DEFAULT_TEMPERATURE)]
    temperature: f32,
    /// Keep this share of the teacher's words out of training (the same words for every run
    /// on a teacher), for `eval --held-out`.
    #[arg(long, default_value_t = 0.0)]
    holdout: f64,
    /// Weight each word's loss by (rank + 1)^-A, the teacher's rows being in frequency order
    /// (normalised to a mean of 1; 0: every word alike, as in the paper).
    #[arg(long, default_value_t = 0.0)]
    frequency_weight: f64,
    /// Hard negatives for --loss contrastive: batch each length's words in spelling order,
    /// by the word (prefix) or the word reversed (suffix), instead of frequency order, so a
    /// batch's words share beginnings or endings.
    #[arg(long, value_enum)]
    hard_negatives: Option<HardNegatives>,
    /// For --loss contrastive: this many teacher rows drawn at random (among the training
    /// words, outside the batch) join each batch's negatives, so each student vector must
    /// also pick its own teacher vector out of words the batch does not hold.
    #[arg(long, default_value_t = 0)]
    negatives: usize,
    /// Add this multiple of Dcos to each word's loss (e.g. with --loss contrastive, so the
    /// student also reconstructs its teacher vector's direction).
    #[arg(long, default_value_t = 0.0)]
    cos_weight: f64,
    /// Add this multiple of the relational loss to each word's: the cross-entropy between
    /// the teacher's and the student's distributions over each word's in-batch neighbours
    /// (softmax of cosines over --temperature), so the student's vectors stand to one
    /// another as the teacher's do.
    #[arg(long, default_value_t = 0.0)]
    relation_weight: f64,
    /// The relational loss's neighbours also take in the last N words of earlier batches
    /// (their student vectors as computed then), so that they are not only words of the
    /// batch's one length (0: the batch's own words).
    #[arg(long, default_value_t = 0)]
    relation_queue: usize,
    /// Decay the learning rate to zero over --epochs along a half cosine (one value per
    /// epoch); resuming then needs the same --epochs.
    #[arg(long)]
    cosine_decay: bool,
    /// AdamW's decoupled weight decay: each step scales the weights by 1 - lr x this
    /// (0: plain Adam). Keeps a long-trained student's int8 file close to its f32 model.
    #[arg(long, default_value_t = 0.0)]
    weight_decay: f64,
    /// Add the highway layer (eq. 3).
    #[arg(long)]
    highway: bool,
    #[arg(long, default_value_t = 10)]
    epochs: usize,
    #[arg(long, default_value_t = 64)]
    batch: usize,
    #[arg(long, default_value_t = 1e-3)]
    lr: f64,
    /// Dropout on the LSTM inputs.
    #[arg(long, default_value_t = 0.0)]
    dropout: f64,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Characters seen fewer times (over the teacher's words) map to UNK.
    #[arg(long, default_value_t = 1)]
    min_char_count: usize,
    /// Continue the run in --out from its last checkpoint.
    #[arg(long)]
    resume: bool,
    /// Keep a snapshot in OUT/epochs/N every N epochs (0: none).
    #[arg(long, default_value_t = 10)]
    keep_every: usize,
    #[arg(long)]
    out: PathBuf,
}

#[derive(Args)]
struct ExportArgs {
    /// A model directory (`reconstruct --out`, or one of its `epochs/N`), or a tagger
    /// directory (`tagger --out`; character-only variants).
    #[arg(long)]
    model: PathBuf,
    #[arg(long)]
    out: PathBuf,
    /// Storage of the weight matrices: f32, f16 or int8 (per-row scales).
    #[arg(long, default_value = "f32")]
    precision: Precision,
    /// Also check parity on this teacher's first --check-words words.
    #[arg(long)]
    teacher: Option<PathBuf>,
    #[arg(long, default_value_t = 1000)]
    check_words: usize,
    /// Tagger: check burn against the runtime on every sentence of this corpus.
    #[arg(long)]
    check_corpus: Option<PathBuf>,
    /// A hybrid file: also store --teacher's K most frequent rows (its first K); the runtime
    /// returns them for those words and the character model's vector for any other.
    #[arg(long)]
    keep_top: Option<usize>,
    /// Storage of the kept rows: int8 (a scale per row), int4 (a scale per row, two values
    /// per byte), f16 or f32.
    #[arg(long, default_value = "int8")]
    rows_precision: RowPrecision,
}

#[derive(Args)]
struct EvalArgs {
    /// A model directory, or `random` for the untrained baseline (needs --teacher).
    #[arg(long)]
    model: String,
    #[command(flatten)]
    teacher: OptionalTeacher,
    #[arg(long, num_args = 1..)]
    similarity: Vec<PathBuf>,
    #[arg(long, num_args = 1..)]
    analogy: Vec<PathBuf>,
    #[arg(long, num_args = 1..)]
    neighbors: Vec<String>,
    /// Analogy search space: the teacher's first N words.
    #[arg(long, default_value_t = 30_000)]
    analogy_vocab: usize,
    /// Neighbours per word.
    #[arg(long, default_value_t = 7)]
    k: usize,
    /// Seed of the `random` model.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Score the teacher words the model held out of training (`reconstruct --holdout`):
    /// this share of them, at most the model's own.
    #[arg(long)]
    held_out: Option<f64>,
    /// Print JSON instead of tables.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct OptionalTeacher {
    /// Teacher table, for its scores, coverage and vocabulary (analogy, neighbours).
    #[arg(long)]
    teacher: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Auto)]
    format: Format,
    #[arg(long)]
    max_words: Option<usize>,
}

/// Shows the trainer's status lines (info) and everyone's warnings on stderr, as plain lines;
/// `RUST_LOG` overrides.
fn init_logging() {
    use log::{Level, LevelFilter};
    use std::io::Write;
    env_logger::Builder::new()
        .filter_level(LevelFilter::Warn)
        .filter_module("sublex_trainer", LevelFilter::Info)
        .parse_default_env()
        .format(|out, record| match record.level() {
            Level::Error | Level::Warn => writeln!(out, "warning: {}", record.args()),
            _ => writeln!(out, "{}", record.args()),
        })
        .init();
}

fn main() -> Result<()> {
    init_logging();
    let cli = Cli::parse();
    let progress = std::io::stderr().is_terminal();
    match cli.command {
        Command::Reconstruct(a) => {
            let teacher = a.teacher.load()?;
            eprintln!(
                "teacher {}: {} words, {} dimensions",
                teacher.name(),
                teacher.len(),
                teacher.dim()
            );
            let opts = ReconstructOptions {
                loss: a.loss,
                temperature: a.temperature,
                holdout: a.holdout,
                frequency_weight: a.frequency_weight,
                hard_negatives: a.hard_negatives,
                negatives: a.negatives,
                cos_weight: a.cos_weight,
                relation_weight: a.relation_weight,
                relation_queue: a.relation_queue,
                cosine_decay: a.cosine_decay,
                weight_decay: a.weight_decay,
                highway: a.highway,
                epochs: a.epochs,
                batch: a.batch,
                lr: a.lr,
                dropout: a.dropout,
                seed: a.seed,
                min_char_count: a.min_char_count,
                out: a.out,
                resume: a.resume,
                keep_every: a.keep_every,
                progress,
            };
            train::reconstruct(&teacher, &opts)?;
            eprintln!("model in {}", opts.out.display());
        }
        Command::Eval(a) => eval_command(a)?,
        Command::Tagger(a) => {
            let opts = a.options(progress)?;
            let report = tagger_train::train_tagger(&opts)?;
            print!("{}", tagger_train::render(&report));
            eprintln!("tagger in {}", opts.out.display());
        }
        Command::Augment(a) => {
            let opts = a.options();
            let r = sublex_trainer::tagger::augment::augment(&opts)?;
            eprintln!(
                "wrote {}: {} sentences ({} tokens, {} in capitals), {} words replaced by {} \
                 distinct unseen ones",
                opts.out.display(),
                r.sentences,
                r.tokens,
                r.uppercased,
                r.replaced,
                r.new_words
            );
        }
        Command::Export(a) => export_command(a)?,
        Command::Quickstart { out } => {
            let data = sublex_trainer::quickstart::DefaultData::find(std::path::Path::new("."))?;
            print!("{}", sublex_trainer::quickstart::run(data, &out, progress)?)
        }
    }
    Ok(())
}

fn export_command(a: ExportArgs) -> Result<()> {
    if let RunDir::Tagger(_) = RunDir::open(&a.model)? {
        let check = match &a.check_corpus {
            Some(path) => sublex_trainer::tagger::read_corpus(path, CorpusFormat::Auto)?,
            None => Vec::new(),
        };
        let r =
            sublex_trainer::tagger::export::export_tagger(&a.model, &a.out, a.precision, &check)?;
        eprintln!(
            "wrote {} ({} bytes, {}); on {} sentences ({} tokens) burn vs runtime: max |score diff| kernel {:.1e}, tract {:.1e}, {} tags differ; \
             {} tags changed by {} storage, {} more by the kernel's int8 arithmetic; largest |score| {:.1}",
            a.out.display(),
            r.bytes,
            r.precision,
            r.sentences_checked,
            r.tokens_checked,
            r.max_score_diff_kernel,
            r.max_score_diff_tract,
            r.tags_differing,
            r.precision_tags_changed,
            r.precision,
            r.kernel_int8_tags_changed,
            r.max_abs_score
        );
        return Ok(());
    }
    // The character model is checked on the teacher's words after the kept ones.
    let kept = a.keep_top.unwrap_or(0);
    let teacher = match &a.teacher {
        Some(path) => {
            let options = LoadOptions {
                max_words: Some(kept + a.check_words),
                ..LoadOptions::default()
            };
            Some(Teacher::load(path, &options)?)
        }
        None if a.keep_top.is_some() => {
            anyhow::bail!("--keep-top needs --teacher (the rows to keep)")
        }
        None => None,
    };
    let check_words = teacher
        .as_ref()
        .map_or_else(Vec::new, |t| t.words()[kept.min(t.len())..].to_vec());
    let keep = (teacher.as_ref().zip(a.keep_top)).map(|(teacher, rows)| export::Keep {
        teacher,
        rows,
        precision: a.rows_precision,
    });
    let report = export::export(&a.model, &a.out, a.precision, &check_words, keep)?;
    if report.stored_rows > 0 {
        eprintln!(
            "stored {} teacher rows ({}); both engines return the first {} exactly",
            report.stored_rows, a.rows_precision, report.stored_rows_checked
        );
    }
    eprintln!(
        "wrote {} ({} bytes, {}); on {} words against the f64 reference: max |diff| kernel {:.1e} (relative per word: largest {:.1e}, mean {:.1e}), tract {:.1e}, burn {:.1e} (largest component {:.2}); \
         {} storage vs the f32 model: max |diff| {:.1e}, cosine min {:.6} mean {:.6}",
        a.out.display(),
        report.bytes,
        report.precision,
        report.words_checked,
        report.max_diff_kernel,
        report.kernel_max_relative,
        report.kernel_mean_relative,
        report.max_diff_tract,
        report.max_diff_burn,
        report.max_abs_value,
        report.precision,
        report.precision_max_diff,
        report.precision_min_cosine,
        report.precision_mean_cosine
    );
    Ok(())
}

fn eval_command(a: EvalArgs) -> Result<()> {
    let teacher = match &a.teacher.teacher {
        Some(path) => {
            let options = LoadOptions {
                format: a.teacher.format,
                max_words: a.teacher.max_words,
                ..LoadOptions::default()
            };
            Some(Teacher::load(path, &options)?)
        }
        None => None,
    };
    let device = burn::tensor::Device::flex();
    let model_dir = (a.model != "random").then(|| PathBuf::from(&a.model));
    let (model, info) = match (&model_dir, &teacher) {
        (Some(dir), _) => checkpoint::load_model(dir, &device)?,
        (None, Some(t)) => {
            let opts = ReconstructOptions {
                seed: a.seed,
                ..ReconstructOptions::default()
            };
            train::fresh_model(t, &opts, &device)
        }
        (None, None) => anyhow::bail!(
            "--model random needs --teacher (its words define the character vocabulary)"
        ),
    };
    let student = Student {
        name: a.model.clone(),
        model: &model,
        vocab: &info.model.vocab,
        dim: info.model.dim,
        epochs: info.epochs,
        loss: if model_dir.is_some() {
            info.loss.cli_name().to_string()
        } else {
            "none".to_string()
        },
    };
    let request = EvalRequest {
        similarity: a.similarity,
        analogy: a.analogy,
        neighbors: a.neighbors,
        analogy_vocab: a.analogy_vocab,
        k: a.k,
        held_out: a.held_out.unwrap_or(0.0),
    };
    if model_dir.is_some() && request.held_out > info.holdout {
        anyhow::bail!(
            "--held-out {}: {} held out only {} of the teacher's words (reconstruct --holdout); it trained on the rest",
            request.held_out,
            a.model,
            info.holdout
        );
    }
    let report = eval::evaluate(&student, teacher.as_ref(), &request)?;
    if let Some(dir) = &model_dir {
        RunDir::open(dir)?.write_eval_report(&report)?;
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", eval::render_text(&report));
    }
    Ok(())
}
