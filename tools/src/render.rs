//! The report as Markdown.

use crate::report::{Report, Row};

/// `1234567` -> `"1,234,567"`: byte counts stay exact and readable.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn opt(value: Option<f64>, show: impl Fn(f64) -> String) -> String {
    value.map_or_else(|| "-".into(), show)
}

fn percent(v: f64) -> String {
    format!("{:.2}", 100.0 * v)
}

fn row(report: &Report, r: &Row) -> String {
    let q = &r.quality;
    let cells = [
        r.artifact.clone(),
        r.precision.clone(),
        r.basis.name().into(),
        thousands(r.lookup_rows as u64),
        r.lookup_params
            .map_or_else(|| "-".into(), |p| thousands(p as u64)),
        thousands(r.total_params as u64),
        thousands(r.disk_bytes),
        r.resident_bytes.map_or_else(|| "-".into(), thousands),
        format!("{:.1}x", report.ratio(r.disk_bytes)),
        r.resident_bytes
            .map_or_else(|| "-".into(), |b| format!("{:.1}x", report.ratio(b))),
        opt(q.similarity, |v| format!("{v:.3}")),
        opt(q.analogy, percent),
        opt(q.tagging, percent),
        opt(q.tagging_unseen, percent),
    ];
    format!("| {} |\n", cells.join(" | "))
}

pub fn markdown(report: &Report) -> String {
    let mut s = format!(
        "Word table: {} ({} bytes on disk; its numbers alone take {} bytes at f32, the \
         baseline of every ratio below)\n\n",
        report.teacher,
        thousands(report.teacher_file_bytes),
        thousands(report.table_bytes),
    );
    s += "| artifact | precision | sizes | lookup rows | lookup params | total params | bytes on disk \
          | resident bytes | smaller on disk | smaller resident | similarity (Spearman) \
          | analogy % | tagging % | unseen % |\n";
    s += &format!("|{}\n", "---|".repeat(14));
    for r in &report.rows {
        s += &row(report, r);
    }
    s += "\nsizes: measured = the file, and the heap its model holds once loaded by the \
          runtime's default engine; encoded = the f32 file written at that precision in memory \
          by the runtime's writer (the bytes `export --precision` writes), then measured; \
          counted = parameters x bytes (+ a 4-byte scale per int8 row), word strings not \
          included. A file's total params are what it stores: ONNX LSTMs keep a recurrent bias \
          beside the input bias (zero in sublex's files), 8 x state size per LSTM more than \
          the run trained. Scores are the runs' own (f32, in burn); the word table's are the \
          teacher's on the same sets.\n";
    s
}
