//! The character model and its training: batch independence, the distances, determinism
//! for a seed, resume equal to an uninterrupted run, and evaluation on real data.

use burn::module::Module;
use burn::tensor::{Device, Tensor, TensorData};
use std::path::PathBuf;
use sublex_runtime::parity::max_abs_diff;
use sublex_trainer::batches::HardNegatives;
use sublex_trainer::checkpoint;
use sublex_trainer::distance::Distance;
use sublex_trainer::embed::embed_words;
use sublex_trainer::eval::{self, EvalRequest, Student};
use sublex_trainer::teacher::{LoadOptions, Teacher};
use sublex_trainer::train::{self, ReconstructOptions};

fn data(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../data")
        .join(file)
}

/// The first `n` rows of the shipped GloVe sample.
fn teacher(n: usize) -> Teacher {
    let opts = LoadOptions {
        max_words: Some(n),
        cache_dir: None,
        ..LoadOptions::default()
    };
    Teacher::load(&data("glove-6b-100d.top2k.txt"), &opts).unwrap()
}

fn options(out: PathBuf, epochs: usize) -> ReconstructOptions {
    ReconstructOptions {
        loss: Distance::L1,
        highway: true,
        epochs,
        batch: 16,
        lr: 1e-3,
        dropout: 0.2,
        seed: 7,
        min_char_count: 1,
        out,
        resume: false,
        keep_every: 1,
        progress: false,
        ..ReconstructOptions::default()
    }
}

#[test]
fn a_words_vector_does_not_depend_on_its_batch() {
    let t = teacher(50);
    let device = Device::flex();
    let (model, info) = train::fresh_model(&t, &options(PathBuf::new(), 0), &device);
    let vocab = &info.model.vocab;
    // Words of many lengths (several share a length), an empty word, unknown characters,
    // a word longer than the runtime's limit.
    let mut words: Vec<String> = t.words().to_vec();
    words.extend(["", "wrld", "Ωmega🙂", &"x".repeat(200)].map(String::from));
    let together = embed_words(&model, vocab, &words, 100);
    for (i, w) in words.iter().enumerate() {
        let alone = embed_words(&model, vocab, &[w], 100);
        let diff = max_abs_diff(&alone, &together[i * 100..(i + 1) * 100]);
        assert!(diff <= 1e-6, "`{w}` alone vs in a batch differs by {diff}");
    }
    // Reversed batch order, and the same word next to different batch mates.
    let reversed: Vec<String> = words.iter().rev().cloned().collect();
    let again = embed_words(&model, vocab, &reversed, 100);
    let n = words.len();
    for i in 0..n {
        let diff = max_abs_diff(
            &again[(n - 1 - i) * 100..(n - i) * 100],
            &together[i * 100..(i + 1) * 100],
        );
        assert!(
            diff <= 1e-6,
            "word {i} differs by {diff} when the batch order changes"
        );
    }
    // The training device computes the same function as inference (dropout aside).
    let ad = train::train_device();
    let (trained_dev_model, _) = train::fresh_model(&t, &options(PathBuf::new(), 0), &ad);
    let ids = vocab.encode(&words[0]);
    let out = trained_dev_model.valid().forward(&[&ids]).into_data();
    let diff = max_abs_diff(out.as_slice::<f32>().unwrap(), &together[..100]);
    assert!(diff <= 1e-6, "same seed, same weights: {diff}");
}

#[test]
fn distances_match_their_definitions() {
    let device = Device::flex();
    let x = [1.0f32, -2.0, 3.0, 0.5];
    let h = [0.0f32, 0.0, 5.0, 0.5];
    let t = |v: &[f32]| Tensor::<2>::from_data(TensorData::new(v.to_vec(), [1, 4]), &device);
    let value = |d: Distance| {
        d.per_word(t(&x), t(&h), 0.0)
            .into_data()
            .as_slice::<f32>()
            .unwrap()[0]
    };
    assert!((value(Distance::L1) - 5.0).abs() < 1e-6);
    assert!((value(Distance::Sq) - 9.0).abs() < 1e-6);
    assert!((value(Distance::L2) - 3.0).abs() < 1e-6);
    assert!((value(Distance::Linf) - 2.0).abs() < 1e-6);
    let cos = (3.0 * 5.0 + 0.25) / ((1.0f32 + 4.0 + 9.0 + 0.25).sqrt() * (25.0f32 + 0.25).sqrt());
    assert!((value(Distance::Cos) + cos).abs() < 1e-6);
    // The zero vector (a ReLU that never fired) gives a finite cosine loss.
    let zero = Distance::Cos.per_word(t(&x), t(&[0.0; 4]), 0.0).into_data();
    assert!(zero.as_slice::<f32>().unwrap()[0].is_finite());
}

fn weights(dir: &std::path::Path) -> Vec<f32> {
    let (model, info) = checkpoint::load_model(dir, &Device::flex()).unwrap();
    let words = ["the", "reconstruction", "of", "wrld"];
    embed_words(&model, &info.model.vocab, &words, 100)
}

#[test]
fn training_is_deterministic_and_resume_equals_an_uninterrupted_run() {
    let t = teacher(120);
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        dir.path().join("a"),
        dir.path().join("b"),
        dir.path().join("c"),
    );
    train::reconstruct(&t, &options(a.clone(), 2)).unwrap();
    train::reconstruct(&t, &options(c.clone(), 2)).unwrap();
    assert_eq!(weights(&a), weights(&c), "same seed, different models");
    train::reconstruct(&t, &options(b.clone(), 1)).unwrap();
    // Without --resume an existing run is never overwritten.
    assert!(train::reconstruct(&t, &options(b.clone(), 2)).is_err());
    train::reconstruct(
        &t,
        &ReconstructOptions {
            resume: true,
            ..options(b.clone(), 2)
        },
    )
    .unwrap();
    assert_eq!(
        weights(&a),
        weights(&b),
        "resumed run differs from the uninterrupted one"
    );

    let metrics = std::fs::read_to_string(a.join("metrics.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = metrics
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert!(
        lines[1]["loss_per_word"].as_f64().unwrap() < lines[0]["loss_per_word"].as_f64().unwrap()
    );
    assert!(a.join("epochs/0/model.bpk").exists() && a.join("epochs/2/model.json").exists());

    // Resuming with other settings is refused, not silently mixed.
    let other = ReconstructOptions {
        resume: true,
        loss: Distance::Cos,
        ..options(b.clone(), 3)
    };
    let err = train::reconstruct(&t, &other).unwrap_err().to_string();
    assert!(err.contains("loss: l1 in the run, cos asked"), "{err}");
}

/// `--cos-weight` and `--cosine-decay` each change what is trained, a run with both is
/// deterministic and records them, and resuming it under another schedule or weight is
/// refused (the rate of each epoch depends on the planned epochs, so extending a decaying
/// run would silently change its schedule).
#[test]
fn a_mixed_decaying_run_records_its_schedule_and_refuses_another() {
    let t = teacher(120);
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str, cos_weight: f64, cosine_decay: bool| {
        let out = dir.path().join(name);
        let opts = ReconstructOptions {
            loss: Distance::Contrastive,
            cos_weight,
            cosine_decay,
            ..options(out.clone(), 2)
        };
        let info = train::reconstruct(&t, &opts).unwrap();
        (weights(&out), info, opts)
    };
    let (mixed, info, opts) = run("mixed", 1.0, true);
    assert_eq!((info.cos_weight, info.cosine_decay_epochs), (1.0, Some(2)));
    assert_eq!(
        mixed,
        run("again", 1.0, true).0,
        "same seed, different models"
    );
    assert_ne!(
        mixed,
        run("constant", 1.0, false).0,
        "--cosine-decay had no effect"
    );
    assert_ne!(
        mixed,
        run("plain", 0.0, true).0,
        "--cos-weight had no effect"
    );
    let refused = |changed: ReconstructOptions| {
        let resumed = ReconstructOptions {
            resume: true,
            ..changed
        };
        train::reconstruct(&t, &resumed).unwrap_err().to_string()
    };
    let err = refused(ReconstructOptions {
        epochs: 3,
        ..opts.clone()
    });
    assert!(
        err.contains("cosine_decay_epochs: 2 in the run, 3 asked"),
        "{err}"
    );
    let err = refused(ReconstructOptions {
        cos_weight: 0.5,
        ..opts.clone()
    });
    assert!(
        err.contains("cos_weight: 1.0 in the run, 0.5 asked"),
        "{err}"
    );
    let err = refused(ReconstructOptions {
        weight_decay: 0.01,
        ..opts
    });
    assert!(
        err.contains("weight_decay: none in the run, 0.01 asked"),
        "{err}"
    );
    for (name, bad) in [
        (
            "--cos-weight",
            ReconstructOptions {
                cos_weight: -1.0,
                ..options(dir.path().join("n1"), 1)
            },
        ),
        (
            "--weight-decay",
            ReconstructOptions {
                weight_decay: f64::NAN,
                ..options(dir.path().join("n2"), 1)
            },
        ),
    ] {
        let err = train::reconstruct(&t, &bad).unwrap_err().to_string();
        assert!(err.contains(&format!("{name} must be")), "{err}");
    }
}

#[test]
fn damaged_model_files_give_clear_errors() {
    let t = teacher(40);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m");
    train::reconstruct(&t, &options(out.clone(), 1)).unwrap();
    std::fs::write(out.join("model.bpk"), b"not a model").unwrap();
    let err = checkpoint::load_model(&out, &Device::flex())
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("model.bpk"), "{err}");
    std::fs::write(out.join("model.json"), b"{").unwrap();
    let err = checkpoint::load_model(&out, &Device::flex())
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("model.json"), "{err}");
}

#[test]
fn evaluation_on_the_shipped_sets() {
    let t = teacher(2000);
    let device = Device::flex();
    let (model, info) = train::fresh_model(&t, &options(PathBuf::new(), 0), &device);
    let student = Student {
        name: "random".into(),
        model: &model,
        vocab: &info.model.vocab,
        dim: 100,
        epochs: 0,
        loss: "none".into(),
    };
    let request = EvalRequest {
        similarity: vec![data("wordsim353.tsv")],
        analogy: vec![data("questions-words.txt")],
        neighbors: vec!["city".into(), "notaword".into()],
        analogy_vocab: 2000,
        k: 5,
        held_out: 0.0,
    };
    let report = eval::evaluate(&student, Some(&t), &request).unwrap();
    let ws = &report.similarity[0];
    assert_eq!(ws.pairs, 353, "the student embeds every word");
    assert!(ws.teacher_pairs < 353 && ws.teacher_pairs > 100);
    // GloVe's own WordSim-353 correlation is far above a random character model's.
    assert!(ws.teacher.unwrap() > 0.4, "{ws:?}");
    assert!(ws.student.abs() < ws.teacher.unwrap());
    // On all pairs, the teacher's missing words (cosine 0) cost it.
    let all = ws.teacher_all_pairs.unwrap();
    assert!(all > 0.0 && all < ws.teacher.unwrap(), "{ws:?}");
    let teacher_syntactic = &report.teacher_analogy[0].categories;
    assert!(
        teacher_syntactic
            .iter()
            .all(|c| c.covered > 0 && c.accuracy > 0.3),
        "{teacher_syntactic:?}"
    );
    assert_eq!(report.neighbors[0].student.len(), 5);
    assert!(report.neighbors[0].teacher.is_some() && report.neighbors[1].teacher.is_none());
    let text = eval::render_text(&report);
    assert!(
        text.contains("wordsim353") && text.contains("city") && text.contains("3CosMul"),
        "{text}"
    );
}

/// `--negatives`: drawn teacher rows join the contrastive loss's negatives. A run with them
/// trains another model than one without, the same one again with the same seed, records
/// the count, and refuses to resume under another; the paper's distances refuse them.
#[test]
fn drawn_negatives_change_the_run_and_are_recorded() {
    let t = teacher(120);
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str, negatives: usize| {
        let out = dir.path().join(name);
        let opts = ReconstructOptions {
            loss: Distance::Contrastive,
            negatives,
            ..options(out.clone(), 2)
        };
        let info = train::reconstruct(&t, &opts).unwrap();
        (weights(&out), info, opts)
    };
    let (drawn, info, opts) = run("drawn", 16);
    assert_eq!(info.negatives, Some(16));
    assert_eq!(drawn, run("again", 16).0, "same seed, different models");
    assert_ne!(drawn, run("batch-only", 0).0, "--negatives had no effect");
    let err = train::reconstruct(
        &t,
        &ReconstructOptions {
            resume: true,
            negatives: 8,
            ..opts
        },
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("negatives: 16 in the run, 8 asked"), "{err}");
    let err = train::reconstruct(
        &t,
        &ReconstructOptions {
            negatives: 8,
            ..options(dir.path().join("cos"), 1)
        },
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("needs --loss contrastive"), "{err}");
}

/// `--holdout`: the held-out words never train (an epoch counts only the others), the model
/// records the share, resuming with another share is refused, and eval scores exactly those
/// words; a contrastive run trains and records its temperature.
#[test]
fn held_out_words_stay_out_of_training_and_are_scored() {
    let t = teacher(400);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m");
    let opts = ReconstructOptions {
        loss: Distance::Contrastive,
        temperature: 0.2,
        holdout: 0.2,
        ..options(out.clone(), 1)
    };
    let info = train::reconstruct(&t, &opts).unwrap();
    assert_eq!((info.holdout, info.temperature), (0.2, Some(0.2)));
    let held: Vec<&String> = t
        .words()
        .iter()
        .filter(|w| sublex_trainer::teacher::held_out(w, 0.2))
        .collect();
    assert!(held.len() > 40 && held.len() < 120, "{}", held.len());
    let metrics = std::fs::read_to_string(out.join("metrics.jsonl")).unwrap();
    let line: serde_json::Value = serde_json::from_str(metrics.lines().next().unwrap()).unwrap();
    assert_eq!(line["words"], 400 - held.len());
    assert!(line["loss_per_word"].as_f64().unwrap().is_finite());

    let other = ReconstructOptions {
        resume: true,
        holdout: 0.1,
        ..opts.clone()
    };
    let err = train::reconstruct(&t, &other).unwrap_err().to_string();
    assert!(err.contains("holdout: 0.2 in the run, 0.1 asked"), "{err}");
    assert_eq!(info.hard_negatives, None);
    let other = ReconstructOptions {
        resume: true,
        hard_negatives: Some(HardNegatives::Suffix),
        ..opts.clone()
    };
    let err = train::reconstruct(&t, &other).unwrap_err().to_string();
    assert!(
        err.contains("hard_negatives: none in the run, suffix asked"),
        "{err}"
    );
    // A hard-negative run trains on the same words and records its key.
    let hard = ReconstructOptions {
        hard_negatives: Some(HardNegatives::Suffix),
        ..options(dir.path().join("hard"), 1)
    };
    let hard = ReconstructOptions {
        loss: Distance::Contrastive,
        holdout: 0.2,
        ..hard
    };
    let hard_info = train::reconstruct(&t, &hard).unwrap();
    assert_eq!(hard_info.hard_negatives, Some(HardNegatives::Suffix));
    let saved = checkpoint::load_info(&dir.path().join("hard")).unwrap();
    assert_eq!(saved.hard_negatives, Some(HardNegatives::Suffix));

    let (model, info) = checkpoint::load_model(&out, &Device::flex()).unwrap();
    let student = Student {
        name: "m".into(),
        model: &model,
        vocab: &info.model.vocab,
        dim: 100,
        epochs: 1,
        loss: "contrastive".into(),
    };
    let request = EvalRequest {
        held_out: 0.2,
        ..EvalRequest::default()
    };
    let report = eval::evaluate(&student, Some(&t), &request).unwrap();
    let h = report.held_out.unwrap();
    assert_eq!(h.words, held.len());
    assert!(h.mean_cosine.abs() <= 1.0 && (0.0..=1.0).contains(&h.neighbor_overlap));
    assert_eq!(
        h.overlap_words,
        held.len().min(eval::held_out::OVERLAP_WORDS)
    );
    assert!(h.own_top1 <= h.own_top10 && h.own_top10 <= 1.0, "{h:?}");
    // The teacher itself finds every word's own vector first.
    let teacher_as_student =
        eval::WordMatrix::new(t.words().to_vec(), t.vectors().to_vec(), t.dim());
    let perfect = eval::held_out::evaluate(&teacher_as_student, &t, 0.2);
    assert_eq!(perfect.own_top1, 1.0, "{perfect:?}");
    assert!((perfect.mean_cosine - 1.0).abs() < 1e-6 && perfect.neighbor_overlap == 1.0);
}
