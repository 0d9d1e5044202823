//! The relational loss's neighbours beyond the batch (`reconstruct --relation-queue`).

use crate::teacher::Teacher;
use crate::train::teacher_rows;
use burn::tensor::{Device, Tensor, TensorData};
use std::collections::VecDeque;

/// The last `len` training words of earlier batches, with their student vectors as they
/// were computed then: the relational loss's neighbours beyond the batch. Batches are shuffled
/// across lengths, so the queue holds words of every length.
pub(crate) struct RelationQueue {
    len: usize,
    rows: VecDeque<usize>,
    /// The words' student vectors, one after another.
    student: VecDeque<f32>,
}

impl RelationQueue {
    pub(crate) fn new(len: usize) -> RelationQueue {
        RelationQueue {
            len,
            rows: VecDeque::with_capacity(len),
            student: VecDeque::new(),
        }
    }

    /// Teacher and (fixed) student vectors of the words held, or none while it is empty.
    pub(crate) fn tensors(
        &self,
        teacher: &Teacher,
        device: &Device,
    ) -> Option<(Tensor<2>, Tensor<2>)> {
        if self.rows.is_empty() {
            return None;
        }
        let rows: Vec<usize> = self.rows.iter().copied().collect();
        let values: Vec<f32> = self.student.iter().copied().collect();
        let student = TensorData::new(values, [rows.len(), teacher.dim()]);
        Some((
            teacher_rows(teacher, &rows, device),
            Tensor::from_data(student, device),
        ))
    }

    /// Takes in `batch`'s words and their student vectors `output`, dropping the oldest.
    pub(crate) fn push(&mut self, batch: &[usize], output: &Tensor<2>) {
        if self.len == 0 {
            return;
        }
        let [_, dim] = output.dims();
        let values = output
            .clone()
            .into_data()
            .try_into_vec::<f32>()
            .expect("the student's vectors are f32");
        for (&row, vector) in batch.iter().zip(values.chunks_exact(dim)) {
            if self.rows.len() == self.len {
                self.rows.pop_front();
                self.student.drain(..dim);
            }
            self.rows.push_back(row);
            self.student.extend(vector);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relation_queue_keeps_the_latest_words_and_their_vectors() {
        let device = Device::flex();
        let batch = |v: Vec<f32>| Tensor::<2>::from_data(TensorData::new(v, [2, 1]), &device);
        let mut queue = RelationQueue::new(3);
        queue.push(&[4, 7], &batch(vec![0.5, 1.5]));
        queue.push(&[2, 9], &batch(vec![2.5, 3.5]));
        assert_eq!(queue.rows, [7, 2, 9]);
        assert_eq!(queue.student, [1.5, 2.5, 3.5]);
        let mut off = RelationQueue::new(0);
        off.push(&[4, 7], &batch(vec![0.5, 1.5]));
        assert!(off.rows.is_empty() && off.student.is_empty());
    }
}
