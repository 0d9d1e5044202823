//! What `sublex-train tagger` reports: the grid's outcomes and the chosen tagger's dev and
//! test accuracy (`report.json`, `report.md`), and the chosen tagger's description
//! (`tagger.json`).

use super::eval::Evaluation;
use super::model::TaggerConfig;
use serde::{Deserialize, Serialize};

/// One grid point's outcome, in the report.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PointResult {
    pub lr: f64,
    pub dropout: f64,
    pub epochs: usize,
    pub best_epoch: usize,
    pub dev_accuracy: f64,
    pub seconds: f64,
}

/// What `tagger` reports (`report.json`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TaggerReport {
    pub model: String,
    pub train: String,
    /// Extra training sentences (`--extra-train`) and how many.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra_train: Option<String>,
    #[serde(default)]
    pub extra_sentences: usize,
    /// The tagger run distilled from (`--distill`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distill: Option<String>,
    pub dev: String,
    pub test: String,
    pub grid: String,
    /// Successive halving's rungs (epochs); empty when every point trained to its end.
    #[serde(default)]
    pub halving: Vec<usize>,
    pub points: Vec<PointResult>,
    pub chosen_lr: f64,
    pub chosen_dropout: f64,
    /// Rows of every lookup table: characters, word rows, frozen teacher rows.
    pub lookup_rows: usize,
    pub parameters: usize,
    pub train_sentences: usize,
    pub train_tokens: usize,
    pub seconds: f64,
    pub dev_eval: Evaluation,
    pub test_eval: Evaluation,
}

/// The chosen tagger's description (`tagger.json`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TaggerInfo {
    pub config: TaggerConfig,
    pub lr: f64,
    pub dropout: f64,
}

/// The report as a Markdown table, for people.
pub fn render(r: &TaggerReport) -> String {
    let pct = |x: f64| format!("{:.2}", 100.0 * x);
    let halving = match r.halving.as_slice() {
        [] => String::new(),
        rungs => format!(
            " (successive halving at epochs {})",
            rungs
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let extra = match &r.extra_train {
        Some(path) => format!(" + extra {path} ({} sentences)", r.extra_sentences),
        None => String::new(),
    };
    let mut s = format!(
        "# {} tagger\n\ntrain {} ({} sentences, {} tokens){extra}, dev {}, test {}\n\n\
         | set | accuracy | unseen-word accuracy (tokens) |\n|---|---|---|\n\
         | dev | {} | {} ({}) |\n| test | {} | {} ({}) |\n\n\
         lookup rows {}, parameters {}, grid `{}`{} chosen lr {:e} dropout {}, {:.0} s in all\n\n\
         | lr | dropout | epochs | best epoch | dev accuracy | seconds |\n|---|---|---|---|---|---|\n",
        r.model, r.train, r.train_sentences, r.train_tokens, r.dev, r.test,
        pct(r.dev_eval.accuracy), pct(r.dev_eval.unseen_accuracy), r.dev_eval.unseen_tokens,
        pct(r.test_eval.accuracy), pct(r.test_eval.unseen_accuracy), r.test_eval.unseen_tokens,
        r.lookup_rows, r.parameters, r.grid, halving, r.chosen_lr, r.chosen_dropout, r.seconds,
    );
    for p in &r.points {
        s += &format!(
            "| {:e} | {} | {} | {} | {} | {:.0} |\n",
            p.lr,
            p.dropout,
            p.epochs,
            p.best_epoch,
            pct(p.dev_accuracy),
            p.seconds
        );
    }
    s += "\nMost frequent test errors (gold -> predicted):\n\n| gold | predicted | count |\n|---|---|---|\n";
    for c in &r.test_eval.confusions {
        s += &format!("| {} | {} | {} |\n", c.gold, c.predicted, c.count);
    }
    s
}
