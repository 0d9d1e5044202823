//! Polyak averaging of a model's weights: an exponential moving average over the optimizer's
//! steps, evaluated and kept in place of the last step's weights. Adam at the tagger's
//! learning rate leaves the weights jumping around a minimum (dev accuracy moves by ±0.1
//! from one epoch to the next near convergence); their average sits nearer its centre.

use crate::adam::values;
use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::tensor::{Tensor, TensorData};

/// The running average of every float parameter of a module, in the module's visiting order.
#[derive(Clone, Debug)]
pub struct Average {
    /// The weight of the average so far at each step: `a ← decay · a + (1 - decay) · w`.
    decay: f32,
    values: Vec<Vec<f32>>,
}

impl Average {
    /// An empty average: the first [`Average::update`] starts it at the model's weights.
    pub fn new(decay: f32) -> Average {
        Average {
            decay,
            values: Vec::new(),
        }
    }

    /// Folds the model's current weights into the average.
    pub fn update<M: Module>(&mut self, model: &M) {
        let mut folder = Fold {
            average: self,
            index: 0,
        };
        model.visit(&mut folder);
    }

    /// The model with its float parameters replaced by the average (unchanged when nothing
    /// was folded in yet).
    pub fn apply<M: Module>(&self, model: M) -> M {
        if self.values.is_empty() {
            return model;
        }
        model.map(&mut Replace {
            values: &self.values,
            index: 0,
        })
    }
}

struct Fold<'a> {
    average: &'a mut Average,
    index: usize,
}

impl ModuleVisitor for Fold<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let weights = values(param.val());
        let (decay, values) = (self.average.decay, &mut self.average.values);
        match values.get_mut(self.index) {
            Some(average) => {
                assert_eq!(average.len(), weights.len(), "the model changed shape");
                for (a, w) in average.iter_mut().zip(&weights) {
                    *a = decay * *a + (1.0 - decay) * w;
                }
            }
            None => values.push(weights),
        }
        self.index += 1;
    }
}

struct Replace<'a> {
    values: &'a [Vec<f32>],
    index: usize,
}

impl ModuleMapper for Replace<'_> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let average = self.values[self.index].clone();
        self.index += 1;
        param.map(|tensor| {
            let data = TensorData::new(average, tensor.shape());
            Tensor::from_data(data, &tensor.device())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Device;

    #[derive(Module, Debug)]
    struct Two {
        a: Param<Tensor<2>>,
        b: Param<Tensor<1>>,
    }

    fn two(a: [[f32; 2]; 2], b: [f32; 3]) -> Two {
        let device = Device::flex();
        Two {
            a: Param::from_tensor(Tensor::from_floats(a, &device)),
            b: Param::from_tensor(Tensor::from_floats(b, &device)),
        }
    }

    /// Two updates at decay 0.75: the first weights, then 0.75 of them plus 0.25 of the
    /// second, parameter by parameter.
    #[test]
    fn folds_each_parameter_at_its_decay() {
        let mut average = Average::new(0.75);
        let untouched = average.apply(two([[9.0; 2]; 2], [9.0; 3]));
        assert_eq!(values(untouched.b.val()), [9.0; 3]);
        average.update(&two([[4.0, 0.0], [-4.0, 8.0]], [1.0, 2.0, 3.0]));
        average.update(&two([[0.0, 4.0], [4.0, 0.0]], [5.0, 2.0, -1.0]));
        let averaged = average.apply(two([[0.0; 2]; 2], [0.0; 3]));
        assert_eq!(values(averaged.a.val()), [3.0, 1.0, -2.0, 6.0]);
        assert_eq!(values(averaged.b.val()), [2.0, 2.0, 2.0]);
        assert_eq!(averaged.a.val().dims(), [2, 2]);
    }
}
