//! The tagger end to end on real data (the slice of UD English EWT in `data/`): train
//! CHAR(D) from the fixture's reconstructed model, resume, export, and hold the runtime to
//! burn on every test sentence; then `sublex tag` and `sublex-report` on the exported file.

mod common;

use common::{binary, fixture, stdout_with_input, sublex};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use sublex_runtime::Precision;
use sublex_trainer::tagger::augment::{augment, AugmentOptions};
use sublex_trainer::tagger::export::{export_tagger, score_tolerance};
use sublex_trainer::tagger::model::Variant;
use sublex_trainer::tagger::train::{train_tagger, Grid, Recipe, TaggerOptions};
use sublex_trainer::tagger::{read_corpus, write_word_tab, CorpusFormat, Sentence};

/// The EWT slice shipped in `data/` (its first 1,000 train and 200 dev/test sentences), so
/// the test runs on a clone without `../shared`.
fn ewt(split: &str) -> PathBuf {
    let n = if split == "train" { 1000 } else { 200 };
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("data/en_ewt-ud-{split}.first{n}.conllu"))
}

/// The first `n` sentences of an EWT split, written as `word<TAB>tag` lines.
fn slice(split: &str, n: usize, dir: &Path) -> (PathBuf, Vec<Sentence>) {
    let sentences: Vec<Sentence> = read_corpus(&ewt(split), CorpusFormat::Conllu)
        .unwrap()
        .into_iter()
        .take(n)
        .collect();
    let path = dir.join(format!("{split}.tsv"));
    let mut file = std::fs::File::create(&path).unwrap();
    write_word_tab(&sentences, &mut file).unwrap();
    (path, sentences)
}

/// `sublex-report --format json` against the fixture's teacher (2,000 x 100: 800,000 bytes
/// at f32), with `args` naming files and runs.
fn size_report(args: &[&std::ffi::OsStr]) -> serde_json::Value {
    let teacher = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/glove-6b-100d.top2k.txt");
    let out = binary("sublex-report")
        .arg("--teacher")
        .arg(teacher)
        .args(["--format", "json"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["table_bytes"], 800_000);
    report
}

/// The report's row whose artifact ends with `end`, at `precision`.
fn row<'a>(report: &'a serde_json::Value, end: &str, precision: &str) -> &'a serde_json::Value {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["artifact"].as_str().unwrap().ends_with(end) && r["precision"] == precision)
        .unwrap_or_else(|| panic!("no {end} {precision} row: {report:#}"))
}

fn options(dir: &Path, variant: Variant, init: Option<PathBuf>, out: &str) -> TaggerOptions {
    TaggerOptions {
        variant,
        train: dir.join("train.tsv"),
        extra_train: None,
        dev: dir.join("dev.tsv"),
        test: dir.join("test.tsv"),
        format: CorpusFormat::Auto,
        init,
        teacher: None,
        distill: None,
        grid: Grid {
            name: "custom".into(),
            lrs: vec![2e-3],
            dropouts: vec![0.1],
        },
        max_epochs: 2,
        patience: 2,
        halving: Vec::new(),
        // A few dozen steps: an average over ~1,000 would still be the initial weights.
        recipe: Recipe {
            batch: 8,
            average: 0.0,
            ..Recipe::default()
        },
        char_dim: 24,
        word_dim: 16,
        hidden: 32,
        mlp: 32,
        seed: 3,
        out: dir.join(out),
        resume: false,
        progress: false,
    }
}

#[test]
fn char_d_tagger_trains_resumes_exports_and_the_runtime_agrees_with_burn() {
    let dir = tempfile::tempdir().unwrap();
    let (_, train) = slice("train", 400, dir.path());
    slice("dev", 60, dir.path());
    let (_, test) = slice("test", 80, dir.path());
    let opts = options(
        dir.path(),
        Variant::Char,
        Some(fixture().model_dir.clone()),
        "char-d",
    );

    let report = train_tagger(&opts).unwrap();
    assert_eq!(report.model, "CHAR(Dcos)");
    assert_eq!(report.points.len(), 1);
    assert_eq!(report.points[0].epochs, 2);
    // 400 sentences and two epochs: far from good, far better than the commonest tag (NN,
    // about 15% of EWT's tokens).
    assert!(report.test_eval.accuracy > 0.4, "{:?}", report.test_eval);
    // "Unseen" counts the test tokens whose form never occurs in the training slice.
    let seen: std::collections::HashSet<&String> = train.iter().flat_map(|s| &s.words).collect();
    let unseen = test
        .iter()
        .flat_map(|s| &s.words)
        .filter(|w| !seen.contains(w))
        .count();
    assert!(unseen > 0);
    assert_eq!(report.test_eval.unseen_tokens, unseen);
    assert!(
        report.test_eval.unseen_accuracy > 0.0,
        "{:?}",
        report.test_eval
    );

    // A finished run resumes to the same result; an unasked-for rerun is refused.
    assert!(train_tagger(&opts)
        .unwrap_err()
        .to_string()
        .contains("--resume"));
    let resumed = train_tagger(&TaggerOptions {
        resume: true,
        ..opts.clone()
    })
    .unwrap();
    assert_eq!(resumed.test_eval, report.test_eval);
    // scripts/tagger-table.py reads the report the run wrote.
    if let Some(table) = common::python_script("tagger-table.py", &[opts.out.as_os_str()]) {
        let cells = format!(
            "| CHAR(Dcos) | {:.2} | {:.2} ({}) | {:.2} |",
            100.0 * report.test_eval.accuracy,
            100.0 * report.test_eval.unseen_accuracy,
            report.test_eval.unseen_tokens,
            100.0 * report.dev_eval.accuracy
        );
        assert!(table.contains(&cells), "{cells} not in\n{table}");
    }

    // Export: burn (on the file's weights) and the runtime on every test sentence.
    let onnx = dir.path().join("tagger.onnx");
    let exported = export_tagger(&opts.out, &onnx, Precision::F32, &test).unwrap();
    assert_eq!(exported.sentences_checked, test.len());
    assert_eq!(
        exported.tokens_checked,
        test.iter().map(|s| s.words.len()).sum::<usize>()
    );
    assert_eq!(exported.tags_differing, 0);
    let allowed = score_tolerance(exported.max_abs_score);
    assert!(exported.max_score_diff_kernel <= allowed, "{exported:?}");
    assert!(exported.max_score_diff_tract <= allowed, "{exported:?}");
    let int8 = export_tagger(
        &opts.out,
        &dir.path().join("int8.onnx"),
        Precision::Int8,
        &test,
    )
    .unwrap();
    assert!(
        int8.bytes < exported.bytes / 3,
        "{} vs {}",
        int8.bytes,
        exported.bytes
    );

    // The report finds the run's weights in the f32 file and gives it the run's accuracy;
    // the int8 file, whose accuracy no run measured, gets none.
    let int8_file = dir.path().join("int8.onnx");
    let sizes = size_report(&[
        "--tagger".as_ref(),
        onnx.as_os_str(),
        int8_file.as_os_str(),
        "--runs".as_ref(),
        opts.out.as_os_str(),
    ]);
    let file = row(&sizes, &onnx.display().to_string(), "f32");
    assert_eq!(file["basis"], "measured");
    assert_eq!(file["disk_bytes"], exported.bytes);
    assert_eq!(file["quality"]["tagging"], report.test_eval.accuracy);
    assert_eq!(
        file["quality"]["tagging_unseen"],
        report.test_eval.unseen_accuracy
    );
    let int8_row = row(&sizes, &int8_file.display().to_string(), "int8");
    assert_eq!(int8_row["disk_bytes"], int8.bytes);
    assert!(int8_row["quality"]["tagging"].is_null());
    // The f32 file encoded at int8 in memory is the file export wrote.
    assert_eq!(
        row(&sizes, &onnx.display().to_string(), "int8")["disk_bytes"],
        int8.bytes
    );

    // `sublex tag`: one `word/TAG` token per word, tags from the training set.
    let text = tag_lines(
        &onnx,
        &[],
        "The quick brown fox jumps over the lazy dog .\n\nOK\n",
    );
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    let tokens: Vec<&str> = lines[0].split(' ').collect();
    assert_eq!(tokens.len(), 10, "{text}");
    assert!(
        tokens[0].starts_with("The/") && tokens[9].starts_with("./"),
        "{text}"
    );
    assert!(lines[1].is_empty() && lines[2].starts_with("OK/"), "{text}");
    // Raw text is cut as the treebank cuts it; --pretokenized takes the words as they are.
    let words = |text: &str| -> Vec<String> {
        let words = text
            .split_whitespace()
            .map(|t| t.rsplit_once('/').unwrap().0);
        words.map(String::from).collect()
    };
    let raw = "I can't believe it's not butter.\n";
    assert_eq!(
        words(&tag_lines(&onnx, &[], raw)),
        ["I", "ca", "n't", "believe", "it", "'s", "not", "butter", "."]
    );
    assert_eq!(
        words(&tag_lines(&onnx, &["--pretokenized"], raw)),
        ["I", "can't", "believe", "it's", "not", "butter."]
    );

    // --conllu: the same file back, XPOS filled, everything else untouched.
    let conllu = std::fs::read_to_string(ewt("test")).unwrap();
    let head: String = conllu.split_inclusive("\n\n").take(5).collect();
    let small = dir.path().join("small.conllu");
    std::fs::write(&small, &head).unwrap();
    let out = sublex()
        .arg("tag")
        .arg(&onnx)
        .arg("--conllu")
        .arg(&small)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tagged = String::from_utf8(out.stdout).unwrap();
    assert_eq!(tagged.lines().count(), head.lines().count());
    for (a, b) in head.lines().zip(tagged.lines()) {
        let (fa, fb): (Vec<&str>, Vec<&str>) = (a.split('\t').collect(), b.split('\t').collect());
        assert_eq!(fa.len(), fb.len());
        for (k, (x, y)) in fa.iter().zip(&fb).enumerate() {
            if k != 4 || a.starts_with('#') {
                assert_eq!(x, y, "{a} / {b}");
            }
        }
    }
}

#[test]
fn full_tagger_trains_with_a_word_lookup_and_refuses_to_export() {
    let dir = tempfile::tempdir().unwrap();
    slice("train", 150, dir.path());
    slice("dev", 30, dir.path());
    let (_, test) = slice("test", 30, dir.path());
    let opts = TaggerOptions {
        max_epochs: 1,
        ..options(dir.path(), Variant::Full, None, "full")
    };
    let report = train_tagger(&opts).unwrap();
    assert_eq!(report.model, "FULL");
    // Characters, UNK and one row per distinct lowercased training word.
    assert!(report.lookup_rows > 500, "{}", report.lookup_rows);
    let err = export_tagger(
        &opts.out,
        &dir.path().join("full.onnx"),
        Precision::F32,
        &test,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("only character-only taggers"), "{err}");

    // No file can carry it, so the report counts it from its run: lookup rows and
    // parameters as trained, 4 bytes each.
    let sizes = size_report(&["--runs".as_ref(), opts.out.as_os_str()]);
    let full = row(&sizes, &opts.out.display().to_string(), "f32");
    assert_eq!(full["basis"], "counted");
    assert_eq!(full["lookup_rows"], report.lookup_rows);
    assert_eq!(full["total_params"], report.parameters);
    assert_eq!(full["disk_bytes"], 4 * report.parameters as u64);
    assert_eq!(full["quality"]["tagging"], report.test_eval.accuracy);
}

/// `augment` swaps training words for unseen teacher words tagged in context by a FULL+EMB
/// tagger; a character tagger trains on the result beside its corpus (whose words alone
/// still define "unseen") while distilling that tagger's tag distributions.
#[test]
fn augmented_and_distilled_training_from_a_full_emb_tagger() {
    let dir = tempfile::tempdir().unwrap();
    let (train_path, train) = slice("train", 150, dir.path());
    slice("dev", 30, dir.path());
    slice("test", 30, dir.path());
    let teacher = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/glove-6b-100d.top2k.txt");
    let fullemb = TaggerOptions {
        max_epochs: 1,
        teacher: Some(teacher.clone()),
        ..options(dir.path(), Variant::FullEmb, None, "fullemb")
    };
    let full_report = train_tagger(&fullemb).unwrap();
    let mut opts = AugmentOptions {
        tagger: fullemb.out.clone(),
        teacher: teacher.clone(),
        train: train_path,
        format: CorpusFormat::Auto,
        out: dir.path().join("extra.tsv"),
        copies: 2,
        rate: 0.3,
        neighbors: 5,
        cover: 0,
        upper: 0.0,
        seed: 1,
    };
    let report = augment(&opts).unwrap();
    let extra = read_corpus(&opts.out, CorpusFormat::WordTab).unwrap();
    assert_eq!(extra.len(), report.sentences);
    assert!(report.sentences > 150, "{report:?}");
    let seen: HashSet<String> = train
        .iter()
        .flat_map(|s| s.words.iter().map(|w| w.to_lowercase()))
        .collect();
    let known: HashSet<String> = std::fs::read_to_string(&teacher)
        .unwrap()
        .lines()
        .map(|l| l.split(' ').next().unwrap().to_owned())
        .collect();
    // Each is a training sentence whose replaced words are unseen teacher words; the words
    // kept keep their gold tags.
    let replaced_in = |s: &Sentence| {
        train.iter().find_map(|t| {
            let fits = t.words.len() == s.words.len()
                && (0..t.words.len()).all(|i| {
                    let kept = t.words[i] == s.words[i] && t.tags[i] == s.tags[i];
                    let new = s.words[i].to_lowercase();
                    kept || (!seen.contains(&new) && known.contains(&new))
                });
            fits.then(|| {
                (0..t.words.len())
                    .filter(|&i| t.words[i] != s.words[i])
                    .count()
            })
        })
    };
    let replaced: usize = extra
        .iter()
        .map(|s| replaced_in(s).unwrap_or_else(|| panic!("not a training sentence: {s:?}")))
        .sum();
    assert_eq!(replaced, report.replaced);
    assert!(report.new_words > 50, "{report:?}");

    // --cover places more distinct unseen words, each still in a training sentence.
    let covered = AugmentOptions {
        cover: 1,
        out: dir.path().join("covered.tsv"),
        ..opts.clone()
    };
    let cover_report = augment(&covered).unwrap();
    let cover_extra = read_corpus(&covered.out, CorpusFormat::WordTab).unwrap();
    for s in &cover_extra {
        replaced_in(s).unwrap_or_else(|| panic!("not a training sentence: {s:?}"));
    }
    assert!(
        cover_report.new_words > report.new_words,
        "{cover_report:?} against {report:?}"
    );

    // --upper writes some of the same sentences in capitals with the tags they had, and
    // changes nothing else.
    let upper = AugmentOptions {
        upper: 0.5,
        out: dir.path().join("upper.tsv"),
        ..opts.clone()
    };
    let upper_report = augment(&upper).unwrap();
    let upper_extra = read_corpus(&upper.out, CorpusFormat::WordTab).unwrap();
    assert_eq!(upper_extra.len(), extra.len());
    // A sentence already in capitals looks the same either way.
    let (mut capitals, mut already) = (0, 0);
    for (u, s) in upper_extra.iter().zip(&extra) {
        assert_eq!(u.tags, s.tags);
        let upper: Vec<String> = s.words.iter().map(|w| w.to_uppercase()).collect();
        assert!(u.words == s.words || u.words == upper, "{u:?} from {s:?}");
        capitals += usize::from(u.words != s.words);
        already += usize::from(s.words == upper);
    }
    assert!(
        (capitals..=capitals + already).contains(&upper_report.uppercased),
        "{upper_report:?}: {capitals} changed, {already} already in capitals"
    );
    assert!(
        capitals > extra.len() / 4 && capitals < 3 * extra.len() / 4,
        "{capitals} of {}",
        extra.len()
    );

    // CHAR on both, and distilling from the FULL+EMB tagger too: it trains, and "unseen"
    // still means unseen in the corpus.
    let char_run = TaggerOptions {
        max_epochs: 3,
        patience: 3,
        extra_train: Some(opts.out.clone()),
        distill: Some(fullemb.out.clone()),
        recipe: Recipe {
            batch: 8,
            distill_weight: 0.5,
            ..Recipe::baseline()
        },
        ..options(dir.path(), Variant::Char, None, "char")
    };
    assert_dev_rises(&char_run, "augmented and distilled");
    let char_report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(char_run.out.join("report.json")).unwrap()).unwrap();
    assert_eq!(char_report["train_sentences"], 150);
    assert_eq!(char_report["extra_sentences"], report.sentences);
    assert_eq!(
        char_report["distill"],
        fullemb.out.display().to_string().as_str()
    );
    assert_eq!(
        char_report["test_eval"]["unseen_tokens"],
        full_report.test_eval.unseen_tokens
    );
    // A tagger with another tag set cannot be distilled from.
    std::fs::create_dir(dir.path().join("other")).unwrap();
    let (other, _) = slice("dev", 30, &dir.path().join("other"));
    let err = train_tagger(&TaggerOptions {
        train: other,
        extra_train: None,
        out: dir.path().join("mismatch"),
        ..char_run.clone()
    })
    .unwrap_err()
    .to_string();
    assert!(err.contains("tags differ"), "{err}");

    // A corpus with a tag the tagger never saw is refused, naming both.
    let odd = dir.path().join("odd.tsv");
    std::fs::write(&odd, "the\tDT\ncat\tNOTATAG\n\n").unwrap();
    opts.train = odd;
    let err = augment(&opts).unwrap_err().to_string();
    assert!(err.contains("NOTATAG") && err.contains("odd.tsv"), "{err}");
}

/// Each training-recipe option trains: on a small slice, dev accuracy rises over the epochs
/// (batch 4, learning-rate decay, gradient clipping, word dropout, character dropout, the
/// character model's learning rate, each on their own; reconstruction kept up under CHAR(D)).
#[test]
fn every_recipe_option_trains() {
    let dir = tempfile::tempdir().unwrap();
    slice("train", 150, dir.path());
    slice("dev", 40, dir.path());
    slice("test", 10, dir.path());
    let recipes = [
        (
            "batch4",
            Recipe {
                batch: 4,
                ..Recipe::baseline()
            },
        ),
        (
            "decay",
            Recipe {
                batch: 8,
                lr_decay: 0.5,
                ..Recipe::baseline()
            },
        ),
        (
            "clip",
            Recipe {
                batch: 8,
                clip: Some(1.0),
                ..Recipe::baseline()
            },
        ),
        (
            "word-dropout",
            Recipe {
                batch: 8,
                word_dropout: 0.25,
                ..Recipe::baseline()
            },
        ),
        (
            "char-dropout",
            Recipe {
                batch: 8,
                char_dropout: 0.25,
                ..Recipe::baseline()
            },
        ),
        (
            "char-dropout-shared",
            Recipe {
                batch: 8,
                char_dropout: 0.25,
                char_dropout_shared: true,
                ..Recipe::baseline()
            },
        ),
        (
            "char-lr",
            Recipe {
                batch: 8,
                char_lr: 0.25,
                ..Recipe::baseline()
            },
        ),
        (
            "average",
            Recipe {
                batch: 8,
                average: 0.8,
                ..Recipe::baseline()
            },
        ),
    ];
    for (name, recipe) in recipes {
        let opts = TaggerOptions {
            max_epochs: 3,
            patience: 3,
            recipe,
            ..options(dir.path(), Variant::Char, None, name)
        };
        assert_dev_rises(&opts, name);
    }
    // Reconstruction kept up while tagging: CHAR(D) from the fixture's model and teacher.
    let opts = TaggerOptions {
        max_epochs: 3,
        patience: 3,
        teacher: Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("data/glove-6b-100d.top2k.txt")),
        recipe: Recipe {
            batch: 8,
            recon_weight: 1.0,
            ..Recipe::baseline()
        },
        ..options(
            dir.path(),
            Variant::Char,
            Some(fixture().model_dir.clone()),
            "recon",
        )
    };
    assert_dev_rises(&opts, "recon");
}

/// Trains `opts` (one grid point, 3 epochs) and checks its dev accuracy rose.
fn assert_dev_rises(opts: &TaggerOptions, name: &str) {
    train_tagger(opts).unwrap();
    let dev = dev_curve(opts);
    assert_eq!(dev.len(), 3, "{name}");
    assert!(dev[2] > dev[0], "{name}: dev accuracy {dev:?}");
}

/// The dev accuracy of each epoch of the run's (only) grid point.
fn dev_curve(opts: &TaggerOptions) -> Vec<f64> {
    let grid = std::fs::read_dir(opts.out.join("grid"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    std::fs::read_to_string(grid.path().join("metrics.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["dev_accuracy"]
                .as_f64()
                .unwrap()
        })
        .collect()
}

/// With `--average`, the epochs are scored and kept by the averaged weights, and the
/// average survives a pause (a halving rung resumes from the checkpoint): the run paused
/// after every epoch scores exactly as the one that never paused, and the chosen tagger's dev
/// accuracy is its best epoch's.
#[test]
fn averaged_weights_are_kept_and_resume_exactly() {
    let dir = tempfile::tempdir().unwrap();
    slice("train", 100, dir.path());
    slice("dev", 30, dir.path());
    slice("test", 10, dir.path());
    let run = |name: &str, halving: Vec<usize>, average: f64| {
        let opts = TaggerOptions {
            max_epochs: 3,
            patience: 3,
            halving,
            recipe: Recipe {
                batch: 8,
                average,
                ..Recipe::default()
            },
            ..options(dir.path(), Variant::Char, None, name)
        };
        let report = train_tagger(&opts).unwrap();
        let point = &report.points[0];
        assert_eq!(report.dev_eval.accuracy, point.dev_accuracy, "{name}");
        dev_curve(&opts)
    };
    let straight = run("straight", Vec::new(), 0.9);
    let paused = run("paused", vec![1, 2], 0.9);
    let last_step = run("last-step", Vec::new(), 0.0);
    assert_eq!(straight, paused);
    assert_eq!(straight.len(), 3);
    // The same training with the last step's weights scores otherwise.
    assert_ne!(straight, last_step);
}

/// A finished run resumed under a longer epoch limit (or patience) goes on from its last
/// checkpoint, and ends where a run that never stopped ends.
#[test]
fn a_finished_run_goes_on_under_a_longer_limit() {
    let dir = tempfile::tempdir().unwrap();
    slice("train", 60, dir.path());
    slice("dev", 20, dir.path());
    slice("test", 10, dir.path());
    let opts = |name: &str, max_epochs: usize, resume: bool| TaggerOptions {
        max_epochs,
        patience: 5,
        resume,
        ..options(dir.path(), Variant::Char, None, name)
    };
    let straight = train_tagger(&opts("straight", 3, false)).unwrap();
    let short = train_tagger(&opts("extended", 2, false)).unwrap();
    assert_eq!(short.points[0].epochs, 2);
    let extended = train_tagger(&opts("extended", 3, true)).unwrap();
    assert_eq!(extended.points[0].epochs, 3);
    assert_eq!(
        dev_curve(&opts("extended", 3, true)),
        dev_curve(&opts("straight", 3, false))
    );
    assert_eq!(extended.dev_eval.accuracy, straight.dev_eval.accuracy);
}

/// Successive halving: every point trains to the first rung, the better half on dev to the
/// next, the last survivor to the epoch limit; resuming changes nothing.
#[test]
fn successive_halving_continues_the_better_half() {
    let dir = tempfile::tempdir().unwrap();
    slice("train", 100, dir.path());
    slice("dev", 30, dir.path());
    slice("test", 10, dir.path());
    let mut opts = TaggerOptions {
        grid: Grid {
            name: "custom".into(),
            lrs: vec![3e-4, 3e-3],
            dropouts: vec![0.1, 0.5],
        },
        max_epochs: 3,
        patience: 5,
        halving: vec![1, 2],
        ..options(dir.path(), Variant::Char, None, "halving")
    };
    let report = train_tagger(&opts).unwrap();
    let mut epochs: Vec<usize> = report.points.iter().map(|p| p.epochs).collect();
    epochs.sort_unstable();
    assert_eq!(epochs, [1, 1, 2, 3], "{:?}", report.points);
    // Which points went on is decided by dev accuracy at the rung before.
    let at = |epoch: usize, p: &sublex_trainer::tagger::train::PointResult| {
        let name = format!("lr{:e}-dropout{}", p.lr, p.dropout);
        let lines = std::fs::read_to_string(opts.out.join("grid").join(name).join("metrics.jsonl"))
            .unwrap();
        let line: serde_json::Value =
            serde_json::from_str(lines.lines().nth(epoch - 1).unwrap()).unwrap();
        line["dev_accuracy"].as_f64().unwrap()
    };
    let first: Vec<f64> = report.points.iter().map(|p| at(1, p)).collect();
    let continued: Vec<f64> = report
        .points
        .iter()
        .zip(&first)
        .filter(|(p, _)| p.epochs > 1)
        .map(|(_, &d)| d)
        .collect();
    let stopped = report
        .points
        .iter()
        .zip(&first)
        .filter(|(p, _)| p.epochs == 1);
    for (_, &d) in stopped {
        assert!(
            continued.iter().all(|&c| c >= d),
            "{first:?} {:?}",
            report.points
        );
    }
    let md = std::fs::read_to_string(opts.out.join("report.md")).unwrap();
    assert!(md.contains("successive halving at epochs 1, 2"), "{md}");
    opts.resume = true;
    let again = train_tagger(&opts).unwrap();
    let epochs_again: Vec<usize> = again.points.iter().map(|p| p.epochs).collect();
    let epochs_first: Vec<usize> = report.points.iter().map(|p| p.epochs).collect();
    assert_eq!(epochs_again, epochs_first);
    assert_eq!(again.dev_eval.accuracy, report.dev_eval.accuracy);
}

/// `sublex tag MODEL ARGS` on `input`: its standard output.
fn tag_lines(model: &std::path::Path, args: &[&str], input: &str) -> String {
    stdout_with_input(sublex().arg("tag").arg(model).args(args), input)
}
