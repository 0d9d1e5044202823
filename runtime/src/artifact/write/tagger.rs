//! The tagger's graph (issue 4): the character model's two directions over padded words,
//! the word-level BiLSTM over the sentence and the MLP, built on the embedder's pieces.

use super::*;

impl GraphBuilder {
    pub(super) fn tagger(&mut self, s: &TaggerShapes, w: &TaggerWeights) {
        let c = &s.chars;
        self.tagger_initializers(s, w);
        // tract needs initial states when the batch (here: words) is symbolic.
        self.zero_states(TAGGER_CHARS, "dir0", "one_1d", "char_hidden_1d");
        self.tagger_char_states(c.hidden);
        self.char_vector(c, &w.chars, "word_vectors");
        self.tagger_sentence(s);
    }

    /// The weights and the index constants of a tagger graph.
    fn tagger_initializers(&mut self, s: &TaggerShapes, w: &TaggerWeights) {
        let c = &s.chars;
        self.char_weights(c, &w.chars);
        self.weight("word_W", &s.w(), &w.w);
        self.weight("word_R", &s.r(), &w.r);
        self.initializers.push(f32_tensor("word_B", &s.b(), &w.b));
        self.weight("mlp_weight", &s.mlp_weight(), &w.mlp_weight);
        self.initializers
            .push(f32_tensor("mlp_bias", &[s.mlp], &w.mlp_bias));
        self.weight("out_weight", &s.out_weight(), &w.out_weight);
        self.initializers
            .push(f32_tensor("out_bias", &[s.tags], &w.out_bias));
        self.initializers.extend([
            i64_tensor("dir0", &[1], &[0]),
            i64_tensor("dir1", &[1], &[1]),
            i64_tensor("dir2", &[1], &[2]),
            i64_tensor("axis0", &[1], &[0]),
            i64_tensor("axes_time_dir", &[2], &[0, 1]),
            i64_tensor("axes_mask", &[2], &[1, 3]),
            i64_tensor("axis1", &[1], &[1]),
            i64_tensor("rows", &[2], &[-1, 2 * s.word_hidden as i64]),
            i64_tensor("one_1d", &[1], &[1]),
            i64_tensor("char_hidden_1d", &[1], &[c.hidden as i64]),
        ]);
    }

    /// The character BiLSTM over a sentence's padded words: its final states `f` and `b`.
    fn tagger_char_states(&mut self, hidden: usize) {
        // Each direction of the character BiLSTM runs as a forward LSTM of its own.
        for (dir, start, end) in [("fwd", "dir0", "dir1"), ("bwd", "dir1", "dir2")] {
            for weight in ["W", "R", "B"] {
                self.add(
                    "Slice",
                    &[weight, start, end, "axis0"],
                    &format!("{weight}_{dir}"),
                    vec![],
                );
            }
        }
        self.add(
            "Transpose",
            &[TAGGER_LAST],
            "last_t",
            vec![attr_ints("perm", &[1, 0])],
        );
        self.add("Unsqueeze", &["last_t", "axes_mask"], "mask", vec![]);
        for (input, dir, state) in [(TAGGER_CHARS, "fwd", "f"), (TAGGER_REVERSED, "bwd", "b")] {
            let name = |part: &str| format!("{part}_{dir}");
            self.add(
                "Gather",
                &["chars_table", input],
                &name("embedded"),
                vec![attr_int("axis", 0)],
            );
            self.add(
                "Transpose",
                &[&name("embedded")],
                &name("x"),
                vec![attr_ints("perm", &[1, 0, 2])],
            );
            self.nodes.push(node(
                "LSTM",
                &[
                    &name("x"),
                    &name("W"),
                    &name("R"),
                    &name("B"),
                    "",
                    "h0",
                    "c0",
                ],
                &[&name("Y")],
                vec![attr_int("hidden_size", hidden as i64)],
            ));
            // Y [time, 1, words, H] ⊙ mask [time, 1, words, 1], summed over time: the state
            // after each word's last character.
            self.add("Mul", &[&name("Y"), "mask"], &name("Y_last"), vec![]);
            self.nodes.push(node(
                "ReduceSum",
                &[&name("Y_last"), "axes_time_dir"],
                &[state],
                vec![attr_int("keepdims", 0)],
            ));
        }
    }

    /// The word-level BiLSTM over the sentence's vectors, then the MLP.
    fn tagger_sentence(&mut self, s: &TaggerShapes) {
        // The sentence is one sequence: [words, 1, dim].
        self.add("Unsqueeze", &["word_vectors", "axis1"], "sentence", vec![]);
        self.nodes.push(node(
            "LSTM",
            &["sentence", "word_W", "word_R", "word_B"],
            &["word_Y"],
            vec![
                attr_int("hidden_size", s.word_hidden as i64),
                attr_string("direction", "bidirectional"),
            ],
        ));
        // [words, 2, 1, Hw] -> [words, 1, 2, Hw] -> [words, 2 Hw]: forward then backward.
        self.add(
            "Transpose",
            &["word_Y"],
            "word_Y_t",
            vec![attr_ints("perm", &[0, 2, 1, 3])],
        );
        self.add("Reshape", &["word_Y_t", "rows"], "h", vec![]);
        self.add("MatMul", &["h", "mlp_weight"], "mlp_in", vec![]);
        self.add("Add", &["mlp_in", "mlp_bias"], "mlp_pre", vec![]);
        self.add("Relu", &["mlp_pre"], "mlp", vec![]);
        self.add("MatMul", &["mlp", "out_weight"], "out_in", vec![]);
        self.add("Add", &["out_in", "out_bias"], TAGGER_OUTPUT, vec![]);
    }
}
