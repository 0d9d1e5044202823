//! Exported model files: measured as they are, and as the other precisions an f32 file
//! would export to.

use crate::report::{Basis, Quality, Row};
use crate::resident;
use crate::runs::Run;
use crate::table::file_name;
use anyhow::Result;
use std::path::Path;
use sublex_runtime::artifact::{encode_embedder, encode_tagger};
use sublex_runtime::{Artifact, BackendChoice, Embedder, Kind, Precision, Tagger};

/// Rows for the `kind` file at `path`: the file itself, carrying the scores of the run in
/// `runs` whose weights it holds, then (for an f32 file) its f16 and int8 encodings.
pub fn rows(path: &Path, kind: Kind, runs: &mut [Run]) -> Result<Vec<Row>> {
    let artifact = Artifact::open(path)?;
    artifact.expect_kind(kind)?;
    let name = path.display().to_string();
    let file_name = file_name(path);
    // The plot names a file after the run it carries, when one does.
    let (mut quality, mut label) = (Quality::default(), file_name.clone());
    for run in runs.iter_mut() {
        if run.is_carried_by(&artifact)? {
            run.matched = true;
            (quality, label) = (run.quality, format!("{} ({file_name})", run.name));
            break;
        }
    }
    let mut rows = vec![measure(&artifact, &name, &label, Basis::Measured, quality)?];
    if artifact.manifest().precision == Precision::F32 {
        for precision in [Precision::F16, Precision::Int8] {
            let bytes = encode(&artifact, precision)?;
            let encoded = Artifact::from_bytes(format!("{name} as {precision}"), &bytes)?;
            let label = format!("{file_name} as {precision}");
            rows.push(measure(
                &encoded,
                &name,
                &label,
                Basis::Encoded,
                Quality::default(),
            )?);
        }
    }
    Ok(rows)
}

/// `artifact`'s weights written at `precision` by the runtime's writer.
fn encode(artifact: &Artifact, precision: Precision) -> Result<Vec<u8>> {
    let mut manifest = artifact.manifest().clone();
    manifest.precision = precision;
    Ok(match manifest.kind {
        Kind::Embedder => encode_embedder(&manifest, &artifact.weights()?),
        Kind::Tagger => encode_tagger(&manifest, &artifact.tagger_weights()?),
    })
}

/// Sizes `artifact`; its resident bytes are what the default engine holds once loaded.
fn measure(
    artifact: &Artifact,
    name: &str,
    label: &str,
    basis: Basis,
    quality: Quality,
) -> Result<Row> {
    let m = artifact.manifest();
    let (total_params, resident_bytes) = match m.tagger_shapes() {
        None => {
            let (_embedder, held) =
                resident::held_by(|| Embedder::from_artifact(artifact, BackendChoice::Auto))?;
            (m.shapes().num_params(), held)
        }
        Some(shapes) => {
            let (_tagger, held) =
                resident::held_by(|| Tagger::from_artifact(artifact, BackendChoice::Auto))?;
            (shapes.num_params(), held)
        }
    };
    Ok(Row {
        artifact: format!("{} {name}", m.kind),
        label: label.into(),
        precision: m.precision.to_string(),
        basis,
        lookup_rows: m.vocab.len(),
        lookup_params: Some(m.vocab.len() * m.char_dim),
        total_params,
        disk_bytes: artifact.file_size(),
        resident_bytes,
        quality,
    })
}
