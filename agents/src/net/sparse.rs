//! The first layer's product with a sparse input: observations that are mostly zeros, as
//! MinAtar's 0/1 grids (Breakout starts with 33 of its 400 cells set):
//!
//!   Z = X W,        Z[r] = Σ_{i : X[r,i] ≠ 0} X[r,i] W[i],                 (forward)
//!   ∂L/∂W[i] = Σ_{r : X[r,i] ≠ 0} X[r,i] ∂L/∂Z[r],                         (backward)
//!
//! each costing nnz(X) · n operations instead of rows · inputs · n for a dense product. X is
//! data, so ∂L/∂X is not wanted; a dense product on the tape computes it anyway (a third
//! matrix product, thrown away), this one does not.
//!
//! The rows of X are stored compressed (CSR: each row's column indices and values).

use dfdx::prelude::Dtype;

/// Use the sparse product when at most this share of the input is non-zero. A non-zero
/// costs an n-wide multiply-add, against gemm's packed kernels for the dense product, which
/// do many times more work at several times the speed per element.
pub const SPARSE_BELOW: f64 = 0.2;

/// ... and when the layer has at least this many outputs n: narrower rows spend more on
/// finding the non-zeros than on adding (MinAtar's convolution, n = 16 channels, ran 11%
/// slower sparse; BENCHMARKS.md).
pub const SPARSE_MIN_OUTPUTS: usize = 64;

/// Rows of X per share of the work handed to another thread (`mgrl_core::parallel`): enough
/// that a share outweighs its hand-over (10–15 µs).
const ROWS_PER_SHARE: usize = 256;

/// X `[rows, columns]` with only its non-zero entries.
#[derive(Debug, Clone, PartialEq)]
pub struct SparseRows<E> {
    columns: usize,
    /// Row r's entries are `indices[offsets[r]..offsets[r + 1]]`, with their `values`.
    offsets: Vec<usize>,
    indices: Vec<u32>,
    values: Vec<E>,
}

impl<E: Dtype> SparseRows<E> {
    /// The non-zero entries of the row-major `x`, rows of `columns`, if at most `density` of
    /// them are non-zero (counted first, so that a dense `x` costs one pass and no copy).
    pub fn from_dense_below(x: &[E], columns: usize, density: f64) -> Option<Self> {
        let nonzero = x.iter().filter(|&&v| v != E::default()).count();
        (nonzero as f64 <= density * x.len() as f64).then(|| Self::from_dense(x, columns))
    }

    /// The non-zero entries of the row-major `x`, rows of `columns`.
    fn from_dense(x: &[E], columns: usize) -> Self {
        let mut rows = SparseRows { columns, offsets: vec![0], indices: Vec::new(), values: Vec::new() };
        for row in x.chunks_exact(columns) {
            for (i, &v) in row.iter().enumerate().filter(|(_, &v)| v != E::default()) {
                rows.indices.push(i as u32);
                rows.values.push(v);
            }
            rows.offsets.push(rows.indices.len());
        }
        rows
    }

    pub fn rows(&self) -> usize {
        self.offsets.len() - 1
    }

    /// Row r's (column, value) pairs.
    fn row(&self, r: usize) -> impl Iterator<Item = (usize, E)> + '_ {
        let span = self.offsets[r]..self.offsets[r + 1];
        self.indices[span.clone()].iter().map(|&i| i as usize).zip(self.values[span].iter().copied())
    }

    /// How many shares to split the work in: one per thread for large batches.
    fn shares(&self) -> usize {
        mgrl_core::parallel::threads().min(self.rows() / ROWS_PER_SHARE).max(1)
    }

    /// Z = X W for W `[columns, n]` row-major; Z is `[rows, n]`. Shares of Z's rows run on
    /// the machine's threads.
    pub fn matmul(&self, w: &[E], n: usize) -> Vec<E> {
        let mut z = vec![E::default(); self.rows() * n];
        let per = self.rows().div_ceil(self.shares()).max(1);
        let shares = z.chunks_mut(per * n).enumerate();
        mgrl_core::parallel::for_each_share(shares, |(k, z)| {
            for (r, z) in (k * per..).zip(z.chunks_exact_mut(n)) {
                for (i, x) in self.row(r) {
                    axpy(z, x, &w[i * n..(i + 1) * n]);
                }
            }
        });
        z
    }

    /// Xᵀ G for G `[rows, n]` row-major (G = ∂L/∂Z gives ∂L/∂W); the result is `[columns, n]`.
    /// Each share of the threads writes the rows of the result for its own range of X's
    /// columns, reading all of G.
    pub fn t_matmul(&self, g: &[E], n: usize) -> Vec<E> {
        let mut out = vec![E::default(); self.columns * n];
        let per = self.columns.div_ceil(self.shares()).max(1);
        let shares = out.chunks_mut(per * n).enumerate();
        mgrl_core::parallel::for_each_share(shares, |(k, out)| {
            let mine = k * per..k * per + out.len() / n;
            for (r, g) in g.chunks_exact(n).enumerate() {
                for (i, x) in self.row(r).filter(|(i, _)| mine.contains(i)) {
                    axpy(&mut out[(i - mine.start) * n..(i - mine.start + 1) * n], x, g);
                }
            }
        });
        out
    }
}

/// y += a x.
fn axpy<E: Dtype>(y: &mut [E], a: E, x: &[E]) {
    for (y, &x) in y.iter_mut().zip(x) {
        *y += a * x;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// The dense product of `x` `[rows, k]` and `w` `[k, n]`, the textbook way.
    fn dense(x: &[f64], w: &[f64], k: usize, n: usize) -> Vec<f64> {
        let rows = x.len() / k;
        let mut z = vec![0.0; rows * n];
        for r in 0..rows {
            for j in 0..n {
                z[r * n + j] = (0..k).map(|i| x[r * k + i] * w[i * n + j]).sum();
            }
        }
        z
    }

    fn transpose(x: &[f64], k: usize) -> Vec<f64> {
        let rows = x.len() / k;
        (0..k).flat_map(|i| (0..rows).map(move |r| x[r * k + i])).collect()
    }

    #[test]
    fn products_equal_the_dense_ones() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let (rows, k, n) = (7, 9, 5);
        // About 30% non-zero, values other than 1, and an all-zero row.
        let mut x: Vec<f64> =
            (0..rows * k).map(|_| if rng.gen_bool(0.3) { rng.gen_range(-2.0..2.0) } else { 0.0 }).collect();
        x[2 * k..3 * k].fill(0.0);
        let w: Vec<f64> = (0..k * n).map(|_| rng.gen_range(-1.0..1.0)).collect();
        let g: Vec<f64> = (0..rows * n).map(|_| rng.gen_range(-1.0..1.0)).collect();
        let sparse = SparseRows::from_dense(&x, k);
        assert_eq!(sparse.rows(), rows);
        let density = x.iter().filter(|&&v| v != 0.0).count() as f64 / (rows * k) as f64;
        assert_eq!(SparseRows::from_dense_below(&x, k, density), Some(sparse.clone()));
        assert_eq!(SparseRows::from_dense_below(&x, k, density - 1e-9), None);
        let close = |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(a, b)| (a - b).abs() < 1e-12);
        assert!(close(&sparse.matmul(&w, n), &dense(&x, &w, k, n)), "X W");
        assert!(close(&sparse.t_matmul(&g, n), &dense(&transpose(&x, k), &g, rows, n)), "Xᵀ G");
    }

    #[test]
    fn products_split_over_threads_equal_the_dense_ones() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        // Enough rows for several shares, and a row count and width that do not divide evenly.
        let (rows, k, n) = (3 * ROWS_PER_SHARE + 17, 13, 3);
        let x: Vec<f64> = (0..rows * k).map(|_| if rng.gen_bool(0.1) { 1.0 } else { 0.0 }).collect();
        let w: Vec<f64> = (0..k * n).map(|_| rng.gen_range(-1.0..1.0)).collect();
        let g: Vec<f64> = (0..rows * n).map(|_| rng.gen_range(-1.0..1.0)).collect();
        let pool = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap();
        let sparse = SparseRows::from_dense(&x, k);
        let (z, t) = pool.install(|| {
            assert_eq!(sparse.shares(), 3);
            (sparse.matmul(&w, n), sparse.t_matmul(&g, n))
        });
        let close = |a: &[f64], b: &[f64]| a.len() == b.len() && a.iter().zip(b).all(|(a, b)| (a - b).abs() < 1e-12);
        assert!(close(&z, &dense(&x, &w, k, n)), "X W");
        assert!(close(&t, &dense(&transpose(&x, k), &g, rows, n)), "Xᵀ G");
    }
}
