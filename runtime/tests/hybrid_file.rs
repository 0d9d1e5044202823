//! Hybrid files (issue 15): teacher rows stored beside the character model. A stored word
//! gets exactly its stored (dequantised) row, any other word the character model's vector,
//! the same alone and in any batch, on both engines; a damaged row table is refused.

mod common;

use prost::Message;
use sublex_runtime::artifact::onnx::ModelProto;
use sublex_runtime::artifact::{encode_embedder, encode_hybrid, sign, RowsMeta, WordList};
use sublex_runtime::parity::{max_abs_diff, TRACT_BATCH_TOLERANCE};
use sublex_runtime::{Artifact, BackendChoice, Embedder, Error, Precision, RowPrecision};

const WORDS: [&str; 6] = ["the", "of", "city", "ünïcode", "a", "zebra"];

/// The random character model, and the same model with `WORDS` stored (rows in ±2).
fn files(rows_precision: RowPrecision) -> (Vec<u8>, Vec<u8>, Vec<f32>) {
    let (mut manifest, weights) = common::random_char_model(Precision::F32, false);
    let plain = encode_embedder(&manifest, &weights);
    let rows = sublex_runtime::reference::synthetic::Lcg(9).vec(WORDS.len() * manifest.dim, 2.0);
    manifest.rows = Some(RowsMeta {
        words: WordList::new(&WORDS).unwrap().into(),
        precision: rows_precision,
    });
    (plain, encode_hybrid(&manifest, &weights, &rows), rows)
}

fn embed(bytes: &[u8], backend: BackendChoice, words: &[&str]) -> Vec<f32> {
    let artifact = Artifact::from_bytes("hybrid.onnx", bytes).unwrap();
    let mut embedder = Embedder::from_artifact(&artifact, backend).unwrap();
    let mut out = vec![f32::NAN; words.len() * embedder.dim()];
    embedder.embed_into(words, &mut out).unwrap();
    out
}

#[test]
fn stored_words_get_their_rows_and_others_the_character_model() {
    for precision in [
        RowPrecision::F32,
        RowPrecision::F16,
        RowPrecision::Int8,
        RowPrecision::Int4,
    ] {
        let (plain, hybrid, _) = files(precision);
        let artifact = Artifact::from_bytes("hybrid.onnx", &hybrid).unwrap();
        let stored = artifact.rows().unwrap().unwrap();
        let dim = artifact.manifest().dim;
        let batch = [
            "zebra",
            "zebras",
            "the",
            "",
            "The",
            "city",
            "cities",
            "ünïcode",
        ];
        for backend in [BackendChoice::Kernel, BackendChoice::Tract] {
            let got = embed(&hybrid, backend, &batch);
            let character = embed(&plain, backend, &batch);
            for (i, word) in batch.iter().enumerate() {
                let row = &got[i * dim..(i + 1) * dim];
                let want = match WORDS.iter().position(|w| w == word) {
                    Some(r) => &stored[r * dim..(r + 1) * dim],
                    None => &character[i * dim..(i + 1) * dim],
                };
                // The kernel is batch-independent bit for bit; tract picks its matrix kernels
                // by shape (a hybrid call sends it only the words it does not store, and one
                // word is a matrix-vector product), so it keeps the batch rule of parity.rs.
                let stored_word = WORDS.contains(word);
                let slack = if backend == BackendChoice::Kernel || stored_word {
                    0.0
                } else {
                    TRACT_BATCH_TOLERANCE
                };
                assert!(
                    max_abs_diff(row, want) <= slack,
                    "{precision} {backend:?} {word:?}"
                );
                let alone = embed(&hybrid, backend, &[word]);
                assert!(
                    max_abs_diff(row, &alone) <= slack,
                    "{precision} {backend:?} {word:?} alone"
                );
            }
        }
    }
}

/// int8 rows are the teacher's within half a step of their row's scale; f16 within f16's
/// rounding.
#[test]
fn stored_rows_are_the_rows_given_up_to_their_storage() {
    for (precision, relative) in [(RowPrecision::Int8, 0.5 / 127.0), (RowPrecision::F16, 1e-3)] {
        let (_, hybrid, rows) = files(precision);
        let stored = Artifact::from_bytes("h.onnx", &hybrid)
            .unwrap()
            .rows()
            .unwrap()
            .unwrap();
        let dim = rows.len() / WORDS.len();
        for (s, r) in stored.chunks(dim).zip(rows.chunks(dim)) {
            let max = r.iter().fold(0f32, |m, x| m.max(x.abs()));
            let diff = s.iter().zip(r).fold(0f32, |m, (a, b)| m.max((a - b).abs()));
            assert!(
                diff <= relative * max * 1.0001,
                "{precision}: {diff} of {max}"
            );
        }
    }
}

/// int4 rows: each row's scale is chosen for the least squared error, so a row is never
/// further from the teacher's than plain rounding at max/7 puts it, and stays close in angle.
#[test]
fn int4_rows_are_no_worse_than_rounding_at_max_over_7() {
    let (_, hybrid, rows) = files(RowPrecision::Int4);
    let artifact = Artifact::from_bytes("h.onnx", &hybrid).unwrap();
    let stored = artifact.rows().unwrap().unwrap();
    let dim = artifact.manifest().dim;
    for (s, r) in stored.chunks(dim).zip(rows.chunks(dim)) {
        let step = r.iter().fold(0f32, |m, x| m.max(x.abs())) / 7.0;
        let plain: f32 = r
            .iter()
            .map(|x| ((x / step).round() * step - x).powi(2))
            .sum();
        let error: f32 = s.iter().zip(r).map(|(a, b)| (a - b).powi(2)).sum();
        assert!(error <= plain * 1.0001, "{error} > {plain}");
        let dot: f32 = s.iter().zip(r).map(|(a, b)| a * b).sum();
        let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!(dot / (norm(s) * norm(r)) > 0.98, "{s:?} against {r:?}");
    }
}

/// Rewrites the file's model with `edit` and signs it again (the checksum is no defence).
fn damaged(bytes: &[u8], edit: impl FnOnce(&mut ModelProto)) -> String {
    let mut model = ModelProto::decode(bytes).unwrap();
    edit(&mut model);
    sign(&mut model);
    match Artifact::from_bytes("damaged.onnx", &model.encode_to_vec()) {
        Err(e @ Error::File { .. }) => e.to_string(),
        other => panic!("a damaged row table was accepted: {other:?}"),
    }
}

#[test]
fn a_damaged_row_table_is_refused() {
    let (_, hybrid, _) = files(RowPrecision::Int8);
    let tensor = |m: &mut ModelProto, name: &str| {
        let g = m.graph.as_mut().unwrap();
        g.initializer
            .iter_mut()
            .position(|t| t.name == name)
            .unwrap()
    };
    let short = damaged(&hybrid, |m| {
        let i = tensor(m, "rows.q");
        m.graph.as_mut().unwrap().initializer[i].raw_data.pop();
    });
    assert!(short.contains("rows"), "{short}");
    let missing = damaged(&hybrid, |m| {
        let i = tensor(m, "rows.scale");
        m.graph.as_mut().unwrap().initializer.remove(i);
    });
    assert!(missing.contains("rows"), "{missing}");
    let huge = damaged(&hybrid, |m| {
        let i = tensor(m, "rows.scale");
        let t = &mut m.graph.as_mut().unwrap().initializer[i];
        t.raw_data[..4].copy_from_slice(&1e6f32.to_le_bytes());
    });
    assert!(huge.contains("rows"), "{huge}");
    let key = "sublex.rows.words";
    let twice = damaged(&hybrid, |m| {
        let e = m.metadata_props.iter_mut().find(|e| e.key == key).unwrap();
        e.value = "the\nthe\ncity\nünïcode\na\nzebra".into();
    });
    assert!(twice.contains(key), "{twice}");
    let fewer = damaged(&hybrid, |m| {
        let e = m.metadata_props.iter_mut().find(|e| e.key == key).unwrap();
        e.value = "the\nof".into();
    });
    assert!(fewer.contains("rows"), "{fewer}");
}

#[test]
fn a_damaged_int4_row_table_is_refused() {
    let (_, hybrid, _) = files(RowPrecision::Int4);
    let edit = |name: &'static str, change: fn(&mut Vec<u8>)| {
        damaged(&hybrid, move |m| {
            let g = m.graph.as_mut().unwrap();
            let t = g.initializer.iter_mut().find(|t| t.name == name).unwrap();
            change(&mut t.raw_data);
        })
    };
    let short = edit("rows.q4", |d| {
        d.pop();
    });
    assert!(short.contains("rows.q4"), "{short}");
    let huge = edit("rows.scale", |d| {
        d[..4].copy_from_slice(&1e6f32.to_le_bytes())
    });
    assert!(huge.contains("rows"), "{huge}");
    let nan = edit("rows.scale", |d| {
        d[4..8].copy_from_slice(&f32::NAN.to_le_bytes())
    });
    assert!(nan.contains("rows"), "{nan}");
}
