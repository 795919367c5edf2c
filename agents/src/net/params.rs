//! θ as the network holds it: a list of flat tensors on the network's device.
//!
//! Inner steps and meta-gradients are elementwise maps and inner products over θ, so they run
//! where θ lives: nothing the size of θ crosses to the host during an update. Only scalars
//! (inner products, norms) come back. A layer's weight is stored flat and reshaped where it
//! is used, which keeps every optimiser and meta-gradient formula a one-line map over
//! tensors.

use dfdx::prelude::*;

/// One flat tensor of θ.
pub type Flat<E, D> = Tensor<(usize,), E, D>;

/// A number of dtype `E` from an `f64` (every float dtype represents the ones used here).
pub fn scalar<E: Dtype>(x: f64) -> E {
    E::from_f64(x).expect("a float dtype holds every finite f64 up to rounding")
}

/// θ, a gradient, or any array shaped like θ: one flat tensor per parameter.
#[derive(Debug, Clone)]
pub struct Params<E: Dtype, D: Device<E>> {
    pub tensors: Vec<Flat<E, D>>,
}

impl<E: Dtype, D: Device<E>> Params<E, D> {
    /// Zeros shaped like `self`.
    pub fn zeros_like(&self) -> Self {
        self.map(|t| t.device().zeros_like(&t))
    }

    /// `f` applied to every tensor.
    pub fn map(&self, f: impl Fn(Flat<E, D>) -> Flat<E, D>) -> Self {
        Params { tensors: self.tensors.iter().map(|t| f(t.clone())).collect() }
    }

    /// `f` applied to every pair of tensors of `self` and `other`.
    pub fn zip(&self, other: &Self, f: impl Fn(Flat<E, D>, Flat<E, D>) -> Flat<E, D>) -> Self {
        debug_assert_eq!(self.tensors.len(), other.tensors.len());
        Params { tensors: self.tensors.iter().zip(&other.tensors).map(|(a, b)| f(a.clone(), b.clone())).collect() }
    }

    /// self + k·other.
    pub fn add_scaled(&self, other: &Self, k: f64) -> Self {
        self.zip(other, |a, b| a + b * scalar::<E>(k))
    }

    /// ⟨self, other⟩, summed over every tensor.
    pub fn dot(&self, other: &Self) -> f64 {
        self.tensors.iter().zip(&other.tensors).map(|(a, b)| to_f64((a.clone() * b.clone()).sum().as_vec()[0])).sum()
    }

    /// ‖self‖₂.
    pub fn norm(&self) -> f64 {
        self.dot(self).sqrt()
    }

    /// Elements in all tensors.
    pub fn len(&self) -> usize {
        self.tensors.iter().map(|t| t.shape().0).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The index of the first tensor with a NaN or infinite entry (one reduction per tensor).
    pub fn first_non_finite(&self) -> Option<usize> {
        self.tensors.iter().position(|t| !to_f64(t.clone().square().sum().as_vec()[0]).is_finite())
    }

    /// Every tensor copied to the host, for checkpoints.
    pub fn to_host(&self) -> Vec<Vec<f64>> {
        // (dfdx's CPU copy of an empty tensor indexes its first element.)
        let copy =
            |t: &Flat<E, D>| if t.shape().0 == 0 { Vec::new() } else { t.as_vec().into_iter().map(to_f64).collect() };
        self.tensors.iter().map(copy).collect()
    }

    /// Tensors on `dev` from host arrays.
    pub fn from_host(dev: &D, host: &[Vec<f64>]) -> Self {
        Params { tensors: host.iter().map(|h| upload(dev, h)).collect() }
    }
}

/// An `E` as `f64`.
pub fn to_f64<E: Dtype>(x: E) -> f64 {
    x.to_f64().unwrap_or(f64::NAN)
}

/// A host array as a flat tensor on `dev`.
pub fn upload<E: Dtype, D: Device<E>>(dev: &D, host: &[f64]) -> Flat<E, D> {
    dev.tensor_from_vec(host.iter().map(|&x| scalar(x)).collect(), (host.len(),))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_and_inner_products_match_the_host_arithmetic() {
        let dev = Cpu::default();
        let a = Params::<f64, Cpu>::from_host(&dev, &[vec![1.0, 2.0], vec![3.0]]);
        let b = Params::from_host(&dev, &[vec![0.5, -1.0], vec![2.0]]);
        assert_eq!(a.dot(&b), 0.5 - 2.0 + 6.0);
        assert_eq!(a.add_scaled(&b, 2.0).to_host(), vec![vec![2.0, 0.0], vec![7.0]]);
        assert_eq!(a.len(), 3);
        assert_eq!(a.first_non_finite(), None);
        let bad = Params::<f64, Cpu>::from_host(&dev, &[vec![1.0], vec![f64::NAN, 0.0]]);
        assert_eq!(bad.first_non_finite(), Some(1));
        let empty = Params::<f64, Cpu>::from_host(&dev, &[vec![]]);
        assert_eq!(empty.to_host(), vec![Vec::<f64>::new()]);
    }
}
