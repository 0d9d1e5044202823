//! Length buckets: words of one length per batch, so nothing is padded.

/// Indices of `lengths` grouped by length (ascending) and cut into batches of at most
/// `batch` words, in index order inside each length.
pub fn length_batches(lengths: &[usize], batch: usize) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..lengths.len()).collect();
    order.sort_by_key(|&i| (lengths[i], i));
    let mut batches = Vec::new();
    for group in order.chunk_by(|&a, &b| lengths[a] == lengths[b]) {
        batches.extend(group.chunks(batch.max(1)).map(<[usize]>::to_vec));
    }
    batches
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_hold_one_length_and_every_index_once() {
        let lengths = [3, 1, 3, 2, 3, 1, 3];
        let batches = length_batches(&lengths, 2);
        assert_eq!(batches, vec![vec![1, 5], vec![3], vec![0, 2], vec![4, 6]]);
    }
}
