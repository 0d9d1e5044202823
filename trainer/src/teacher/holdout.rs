//! The held-out split of a teacher's words (issue 15): choices about reconstruction (the loss,
//! its temperature) are made on words the student never trained on, never on the benchmark
//! sets.

/// Whether `word` is in the held-out `fraction` of any teacher. A hash of the word alone
/// decides, so every run on a teacher (any loss, seed or row count) holds out the same words
/// and their scores compare.
pub fn held_out(word: &str, fraction: f64) -> bool {
    if fraction <= 0.0 {
        return false;
    }
    // FNV-1a over the bytes, then splitmix64's finaliser so the top bits are uniform even
    // for short words.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in word.as_bytes() {
        h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^= h >> 31;
    ((h >> 11) as f64 / (1u64 << 53) as f64) < fraction
}

#[cfg(test)]
mod tests {
    use super::*;

    /// About the asked share of words is held out, the same ones every time, none at 0.
    #[test]
    fn the_split_is_fixed_and_near_its_fraction() {
        let words: Vec<String> = (0..20_000).map(|i| format!("w{i}")).collect();
        let share = |f: f64| words.iter().filter(|w| held_out(w, f)).count() as f64 / 20_000.0;
        assert!((share(0.05) - 0.05).abs() < 0.006, "{}", share(0.05));
        assert_eq!(share(0.0), 0.0);
        let first: Vec<bool> = words.iter().map(|w| held_out(w, 0.05)).collect();
        assert!(words
            .iter()
            .zip(&first)
            .all(|(w, &h)| held_out(w, 0.05) == h));
        // A larger fraction keeps the smaller one's words.
        assert!(words.iter().all(|w| !held_out(w, 0.05) || held_out(w, 0.1)));
    }
}
