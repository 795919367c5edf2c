//! The actor-critic network on dfdx, generic over device and dtype:
//!
//!   h = torso(x),                          an MLP, or MinAtar's convolution then a dense layer;
//!   e = ReLU(W_η η + b_η),                 the embedding of the meta-parameters η (if any);
//!   logits = W_π h + U_π e + b_π,          V = w_v h + u_v e + b_v,
//!   V̄ = w̄ h + b̄                           (optional: the outer value head, see below),
//!
//! which is the paper's "embedding of η concatenated to the torso's output" (Xu et al. 2018,
//! §1.4) written with the head's weight split in two ([W_π U_π][h; e] = W_π h + U_π e). η is
//! an input, a constant: no gradient flows into it (DESIGN.md §2).
//!
//! The loss the learner differentiates is one weighted sum of the heads (`meta::heads`):
//!
//!   S(θ) = Σₜ w_pg,t log π(aₜ|xₜ) + Σₜ w_v,t V(xₜ) + w_H Σₜ H(π(·|xₜ)),   H = −Σₐ π log π,
//!
//! taken over the first N rows of a batch (those with actions); the rows after them are there
//! for their values only. With the outer value head (Bonnet et al. 2022) the sum has the term
//! Σₜ w̄ₜ V̄(xₜ) too. V̄ estimates values under the fixed η̄, so it takes no η input.

use super::sparse::{SparseRows, SPARSE_BELOW, SPARSE_MIN_OUTPUTS};
use super::{scalar, to_f64, upload, Flat, Model, Params};
use crate::meta::{HeadModel, HeadWeights, Heads, OuterValues, ParamsOf};
use anyhow::{bail, ensure, Result};
use dfdx::prelude::*;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// `[agent.network]`: the torso.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum NetworkConfig {
    /// Dense layers with ReLU on the flattened observation.
    Mlp {
        #[serde(default = "default_hidden")]
        hidden: Vec<usize>,
    },
    /// Young & Tian (2019), MinAtar's network: one 3 × 3 convolution (stride 1, no padding)
    /// with `channels` output channels and ReLU, then a dense layer of `hidden` units with
    /// ReLU; for `[C, H, W]` observations.
    Conv {
        #[serde(default = "default_channels")]
        channels: usize,
        #[serde(default = "default_conv_hidden")]
        hidden: usize,
    },
}

fn default_hidden() -> Vec<usize> {
    vec![64, 64]
}
fn default_channels() -> usize {
    16
}
fn default_conv_hidden() -> usize {
    128
}

impl Default for NetworkConfig {
    fn default() -> Self {
        NetworkConfig::Mlp { hidden: default_hidden() }
    }
}

/// The 3 × 3 convolution's kernel size.
const KERNEL: usize = 3;

/// A layer of the torso.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Layer {
    /// ReLU(x W + b), W `[inputs, outputs]`.
    Dense { inputs: usize, outputs: usize },
    /// ReLU of a valid 3 × 3 convolution of a `[C, H, W]` input to `[channels, H−2, W−2]`,
    /// computed as a matrix product of the unfolded input (the input is a constant, unfolded
    /// once per batch on the host).
    Conv { c: usize, h: usize, w: usize, channels: usize },
}

impl Layer {
    fn outputs(&self) -> usize {
        match *self {
            Layer::Dense { outputs, .. } => outputs,
            Layer::Conv { h, w, channels, .. } => (h + 1 - KERNEL) * (w + 1 - KERNEL) * channels,
        }
    }

    /// (fan-in, shape of the weight, outputs of the bias).
    fn weight(&self) -> (usize, usize, usize) {
        match *self {
            Layer::Dense { inputs, outputs } => (inputs, inputs * outputs, outputs),
            Layer::Conv { c, channels, .. } => (c * KERNEL * KERNEL, c * KERNEL * KERNEL * channels, channels),
        }
    }
}

/// The first layer's input X: the (unfolded, for a convolution) observations on the device,
/// or, where at most [`SPARSE_BELOW`] of them are non-zero, those entries on the host for the
/// sparse product (`net/sparse.rs`).
#[derive(Debug, Clone)]
enum Input<E: Dtype, D: Device<E>> {
    Dense(Tensor<(usize, usize), E, D>),
    Sparse(Arc<SparseRows<E>>),
}

/// A batch on the device: the first layer's input, the one-hot actions of the first N rows
/// (zero rows after them), and η.
#[derive(Debug, Clone)]
pub struct NetBatch<E: Dtype, D: Device<E>> {
    x: Input<E, D>,
    rows: usize,
    head_rows: usize,
    actions: Vec<usize>,
    onehot: Tensor<(usize, usize), E, D>,
    /// 1 for the first N rows, 0 after (the entropy's weights).
    head_mask: Tensor<(usize,), E, D>,
    eta: Tensor<(usize,), E, D>,
}

/// A `[rows, columns]` tensor recorded on tape `T`.
type Matrix<E, D, T> = Tensor<(usize, usize), E, D, T>;
/// The start of the forward pass ([`ActorCritic::start`]) off the tape, to read its gradient
/// by, and the same on a tape.
type Started<E, D> = (Matrix<E, D, NoneTape>, Matrix<E, D, OwnedTape<E, D>>);
/// Policy logits, `[R, A]`.
type Logits<E, D, T> = Matrix<E, D, T>;
/// Values, `[R]`.
type Values<E, D, T> = Tensor<(usize,), E, D, T>;

/// What the network computes for a batch, recorded on tape `T`.
struct Outputs<E: Dtype, D: Device<E>, T> {
    logits: Logits<E, D, T>,
    values: Values<E, D, T>,
    /// V̄, with the outer value head.
    outer: Option<Values<E, D, T>>,
}

/// The actor-critic network: torso, η embedding, policy and value heads.
#[derive(Debug, Clone)]
pub struct ActorCritic<E: Dtype, D: Device<E>> {
    dev: D,
    obs_len: usize,
    torso: Vec<Layer>,
    actions: usize,
    /// K, the number of η inputs, and the embedding's width.
    eta_inputs: usize,
    eta_width: usize,
    /// Whether the network has the outer value head V̄.
    outer_value: bool,
    _dtype: std::marker::PhantomData<E>,
}

impl<E: Dtype, D: Device<E>> ActorCritic<E, D> {
    /// The network of `config` for observations of `obs_shape` and `actions` actions,
    /// conditioned on `eta_inputs` meta-parameters through an embedding of `eta_width`.
    pub fn new(
        dev: D,
        config: &NetworkConfig,
        obs_shape: &[usize],
        actions: usize,
        eta_inputs: usize,
        eta_width: usize,
    ) -> Result<Self> {
        let obs_len: usize = obs_shape.iter().product();
        let torso = match config {
            NetworkConfig::Mlp { hidden } => {
                if hidden.contains(&0) {
                    bail!("`hidden` = {hidden:?}: every layer needs at least one unit");
                }
                let sizes: Vec<usize> = std::iter::once(obs_len).chain(hidden.iter().copied()).collect();
                sizes.windows(2).map(|w| Layer::Dense { inputs: w[0], outputs: w[1] }).collect()
            }
            &NetworkConfig::Conv { channels, hidden } => {
                let &[c, h, w] = obs_shape else {
                    bail!(
                        "a `conv` network needs image observations [C, H, W]; this environment's are {obs_shape:?} \
                         (use type = \"mlp\")"
                    );
                };
                if h < KERNEL || w < KERNEL || channels == 0 || hidden == 0 {
                    bail!("a `conv` network needs H, W ≥ {KERNEL} (got {h} × {w}) and positive `channels`, `hidden`");
                }
                let conv = Layer::Conv { c, h, w, channels };
                vec![conv, Layer::Dense { inputs: conv.outputs(), outputs: hidden }]
            }
        };
        ensure!(actions >= 1, "the network needs at least one action");
        Ok(ActorCritic {
            dev,
            obs_len,
            torso,
            actions,
            eta_inputs,
            eta_width: if eta_inputs > 0 { eta_width } else { 0 },
            outer_value: false,
            _dtype: std::marker::PhantomData,
        })
    }

    /// η as the network's input, checked against the number of η inputs it was built for.
    fn eta_input(&self, eta: &[f64]) -> Result<Flat<E, D>> {
        ensure!(eta.len() == self.eta_inputs, "the network takes {} η inputs, got {}", self.eta_inputs, eta.len());
        Ok(upload(&self.dev, eta))
    }

    /// The network with the outer value head V̄ (Bonnet et al. 2022).
    pub fn with_outer_value(mut self) -> Self {
        self.outer_value = true;
        self
    }

    /// The numbers of θ.
    pub fn num_params(&self) -> usize {
        self.layout().iter().map(|(_, len, _)| len).sum()
    }

    /// The numbers one observation's forward pass computes (every layer's outputs and the
    /// heads).
    pub fn activation_width(&self) -> usize {
        self.torso.iter().map(Layer::outputs).sum::<usize>() + self.actions + 2 + self.eta_width
    }

    fn features(&self) -> usize {
        self.torso.last().map_or(self.obs_len, Layer::outputs)
    }

    /// Every tensor of θ: name, length, and the bound b of its uniform initialisation U(−b, b).
    fn layout(&self) -> Vec<(String, usize, f64)> {
        let mut all = Vec::new();
        for (i, layer) in self.torso.iter().enumerate() {
            let (fan_in, w, b) = layer.weight();
            let bound = 1.0 / (fan_in as f64).sqrt();
            all.push((format!("torso.{i}.weight"), w, bound));
            all.push((format!("torso.{i}.bias"), b, bound));
        }
        let (f, a, k, e) = (self.features(), self.actions, self.eta_inputs, self.eta_width);
        let head = 1.0 / (f as f64).sqrt();
        // A small policy head starts near the uniform policy (as CleanRL's 0.01 scale).
        all.push(("policy.weight".into(), f * a, 0.01 * head));
        all.push(("policy.bias".into(), a, 0.0));
        all.push(("value.weight".into(), f, head));
        all.push(("value.bias".into(), 1, 0.0));
        if k > 0 {
            all.push(("eta.weight".into(), k * e, 1.0 / (k as f64).sqrt()));
            all.push(("eta.bias".into(), e, 0.0));
            all.push(("policy.eta".into(), e * a, 0.01 / (e as f64).sqrt()));
            all.push(("value.eta".into(), e, 1.0 / (e as f64).sqrt()));
        }
        if self.outer_value {
            all.push(("outer.weight".into(), f, head));
            all.push(("outer.bias".into(), 1, 0.0));
        }
        all
    }

    /// X as the first layer reads it, sparse where few of its entries are non-zero and the
    /// layer is wide ([`SPARSE_BELOW`], [`SPARSE_MIN_OUTPUTS`]).
    fn input(&self, obs: &[f32], rows: usize) -> Input<E, D> {
        let (x, columns) = self.unfold(obs, rows);
        if self.torso.first().is_some_and(|l| l.weight().2 >= SPARSE_MIN_OUTPUTS) {
            if let Some(sparse) = SparseRows::from_dense_below(&x, columns, SPARSE_BELOW) {
                return Input::Sparse(Arc::new(sparse));
            }
        }
        let rows = x.len() / columns;
        Input::Dense(self.dev.tensor_from_vec(x, (rows, columns)))
    }

    /// X row-major and its columns: the observations, or their 3 × 3 patches for a
    /// convolution (`[R·P, C·9]`, P output positions per row).
    fn unfold(&self, obs: &[f32], rows: usize) -> (Vec<E>, usize) {
        match self.torso.first() {
            Some(&Layer::Conv { c, h, w, .. }) => {
                let (oh, ow) = (h + 1 - KERNEL, w + 1 - KERNEL);
                let cols = c * KERNEL * KERNEL;
                let mut x = Vec::with_capacity(rows * oh * ow * cols);
                for row in obs.chunks_exact(c * h * w) {
                    for i in 0..oh {
                        for j in 0..ow {
                            for ch in 0..c {
                                for di in 0..KERNEL {
                                    let start = ch * h * w + (i + di) * w + j;
                                    x.extend(row[start..start + KERNEL].iter().map(|&v| scalar::<E>(v as f64)));
                                }
                            }
                        }
                    }
                }
                (x, cols)
            }
            _ => (obs.iter().map(|&v| scalar::<E>(v as f64)).collect(), self.obs_len),
        }
    }

    /// Where the tape starts: X W₁, the first layer's product (before its bias), or X itself
    /// for a network without a torso. Computed off the tape, so that no gradient is computed
    /// for X; [`ActorCritic::first_weight_grad`] gives W₁'s.
    fn start(&self, p: &Params<E, D>, batch: &NetBatch<E, D>) -> Matrix<E, D, NoneTape> {
        let Some(first) = self.torso.first() else {
            let Input::Dense(x) = &batch.x else { unreachable!("a network without a torso reads X densely") };
            return x.clone();
        };
        let (_, _, outputs) = first.weight();
        match &batch.x {
            Input::Dense(x) => {
                let inputs = x.shape().1;
                x.clone().matmul(p.tensors[0].clone().reshape_like(&(inputs, outputs)))
            }
            Input::Sparse(x) => {
                let z = x.matmul(&host(&p.tensors[0]), outputs);
                self.dev.tensor_from_vec(z, (x.rows(), outputs))
            }
        }
    }

    /// ∂L/∂W₁ = Xᵀ ∂L/∂Z from the gradient at the start Z = X W₁ (flat, as θ holds W₁).
    fn first_weight_grad(&self, batch: &NetBatch<E, D>, dz: Matrix<E, D, NoneTape>) -> Flat<E, D> {
        let (rows, outputs) = *dz.shape();
        match &batch.x {
            Input::Dense(x) => {
                let inputs = x.shape().1;
                x.clone().permute::<_, Axes2<1, 0>>().matmul(dz).reshape_like(&(inputs * outputs,))
            }
            Input::Sparse(x) => {
                debug_assert_eq!(x.rows(), rows);
                let g = x.t_matmul(&host(&dz), outputs);
                let len = g.len();
                self.dev.tensor_from_vec(g, (len,))
            }
        }
    }

    /// The logits `[R, A]` and values `[R]` of a batch, recorded on tape `T`.
    /// `start` is X W₁ for a network with a torso, X without ([`ActorCritic::start`]).
    fn forward<T: Tape<E, D>>(
        &self,
        p: &Params<E, D>,
        start: Matrix<E, D, T>,
        batch: &NetBatch<E, D>,
    ) -> Outputs<E, D, T> {
        let r = batch.rows;
        let t = |i: usize| p.tensors[i].retaped::<T>();
        let mut h = start;
        let mut i = 0;
        for (k, layer) in self.torso.iter().enumerate() {
            let (_, _, outputs) = layer.weight();
            if k > 0 {
                let inputs = h.shape().1;
                h = h.matmul(t(i).reshape_like(&(inputs, outputs)));
            }
            let rows = h.shape().0;
            h = (h + t(i + 1).broadcast_like::<_, Axis<0>>(&(rows, outputs))).relu();
            if let Layer::Conv { .. } = layer {
                h = h.reshape_like(&(r, layer.outputs()));
            }
            i += 2;
        }
        let (f, a) = (self.features(), self.actions);
        let (mut policy_bias, mut value_bias) = (t(i + 1), t(i + 3));
        if self.eta_inputs > 0 {
            let (k, e) = (self.eta_inputs, self.eta_width);
            let eta = batch.eta.retaped::<T>();
            let embedding = (eta.matmul(t(i + 4).reshape_like(&(k, e))) + t(i + 5)).relu();
            let (embedding, tape) = embedding.split_tape();
            policy_bias = policy_bias + embedding.clone().put_tape(tape).matmul(t(i + 6).reshape_like(&(e, a)));
            value_bias = value_bias + embedding.put_tape(T::default()).matmul(t(i + 7).reshape_like(&(e, 1)));
        }
        let (h, tape) = h.split_tape();
        let outer = self.outer_value.then(|| {
            let o = if self.eta_inputs > 0 { i + 8 } else { i + 4 };
            let v = h.clone().put_tape(T::default()).matmul(t(o).reshape_like(&(f, 1)));
            (v + t(o + 1).broadcast_like::<_, Axis<0>>(&(r, 1))).reshape_like(&(r,))
        });
        let logits = h.clone().put_tape(tape).matmul(t(i).reshape_like(&(f, a)))
            + policy_bias.broadcast_like::<_, Axis<0>>(&(r, a));
        let values = h.put_tape(T::default()).matmul(t(i + 2).reshape_like(&(f, 1)))
            + value_bias.broadcast_like::<_, Axis<0>>(&(r, 1));
        Outputs { logits, values: values.reshape_like(&(r,)), outer }
    }

    /// log π(·|x) for each row of `obs` (`[B, obs_len]`), conditioned on `eta`: what an actor
    /// samples from. Returns `[B, A]` row-major.
    pub fn log_policy(&self, params: &Params<E, D>, obs: &[f32], eta: &[f64]) -> Result<Vec<f64>> {
        let batch = self.batch(obs, &[], eta)?;
        let logits = self.forward(params, self.start(params, &batch), &batch).logits;
        Ok(logits.log_softmax::<Axis<1>>().as_vec().into_iter().map(to_f64).collect())
    }
}

impl<E: Dtype, D: Device<E>> HeadModel for ActorCritic<E, D> {
    type Dtype = E;
    type Device = D;
    type Batch = NetBatch<E, D>;

    fn heads(&self, params: &ParamsOf<Self>, batch: &NetBatch<E, D>) -> Result<Heads> {
        Ok(self.read_heads(&self.forward(params, self.start(params, batch), batch), batch))
    }

    fn weighted_grad(
        &self,
        params: &ParamsOf<Self>,
        batch: &NetBatch<E, D>,
        w: &HeadWeights,
    ) -> Result<ParamsOf<Self>> {
        let (start, traced) = self.traced_start(params, batch)?;
        let outputs = self.forward(params, traced, batch);
        self.backward(params, batch, &start, outputs, w)
    }

    /// One forward pass, recorded, for both the heads and the gradient.
    fn heads_and_grad(
        &self,
        params: &ParamsOf<Self>,
        batch: &NetBatch<E, D>,
        weights: &mut dyn FnMut(&Heads) -> Result<HeadWeights>,
    ) -> Result<(Heads, ParamsOf<Self>)> {
        let (start, traced) = self.traced_start(params, batch)?;
        let outputs = self.forward(params, traced, batch);
        let heads = self.read_heads(&outputs, batch);
        let w = weights(&heads)?;
        Ok((heads, self.backward(params, batch, &start, outputs, &w)?))
    }
}

impl<E: Dtype, D: Device<E>> ActorCritic<E, D> {
    /// The heads of the network's outputs, copied to the host (a recorded output is read
    /// without recording anything more).
    fn read_heads<T: Tape<E, D>>(&self, outputs: &Outputs<E, D, T>, batch: &NetBatch<E, D>) -> Heads {
        let logits = outputs.logits.retaped::<NoneTape>();
        let log_p: Vec<f64> = logits.log_softmax::<Axis<1>>().as_vec().into_iter().map(to_f64).collect();
        let a = self.actions;
        let rows = log_p.chunks_exact(a).take(batch.head_rows);
        let log_pi = rows.clone().zip(&batch.actions).map(|(l, &act)| l[act]).collect();
        let entropy = rows.map(|l| -l.iter().map(|l| l.exp() * l).sum::<f64>()).collect();
        let split = |v: &Values<E, D, T>| {
            let mut values: Vec<f64> = v.retaped::<NoneTape>().as_vec().into_iter().map(to_f64).collect();
            let bootstrap = values.split_off(batch.head_rows);
            (values, bootstrap)
        };
        let (values, bootstrap) = split(&outputs.values);
        let outer = outputs.outer.as_ref().map(split).map(|(values, bootstrap)| OuterValues { values, bootstrap });
        Heads { log_pi: Some(log_pi), values, entropy: Some(entropy), bootstrap, outer }
    }

    /// The start ([`ActorCritic::start`]), and the same recording onto a tape with a gradient
    /// for it and for every tensor of θ (also those the batch does not reach, such as an unused
    /// η embedding: their gradient is 0).
    fn traced_start(&self, params: &Params<E, D>, batch: &NetBatch<E, D>) -> Result<Started<E, D>> {
        let start = self.start(params, batch);
        let mut grads = Gradients::leaky();
        for t in &params.tensors {
            grads.try_alloc_for(t).map_err(|e| anyhow::anyhow!("allocating gradients: {e:?}"))?;
        }
        grads.try_alloc_for(&start).map_err(|e| anyhow::anyhow!("allocating gradients: {e:?}"))?;
        Ok((start.clone(), start.traced(grads)))
    }

    /// ∇θ of the weighted sum of the heads (module doc), from a forward pass recorded from
    /// `start`.
    fn backward(
        &self,
        params: &Params<E, D>,
        batch: &NetBatch<E, D>,
        start: &Matrix<E, D, NoneTape>,
        Outputs { logits, values, outer }: Outputs<E, D, OwnedTape<E, D>>,
        w: &HeadWeights,
    ) -> Result<Params<E, D>> {
        let (n, r, a) = (batch.head_rows, batch.rows, self.actions);
        ensure!(w.values.len() == n, "actor-critic: {} value weights for {n} rows", w.values.len());
        let pad = |x: &[f64]| -> Tensor<(usize,), E, D> {
            let mut v: Vec<E> = x.iter().map(|&x| scalar(x)).collect();
            v.resize(r, E::default());
            self.dev.tensor_from_vec(v, (r,))
        };
        let w_pg = pad(w.log_pi.as_deref().unwrap_or(&vec![0.0; n]));
        let w_v = pad(&w.values);
        // Σₜ w_pg,t log π(aₜ|xₜ) + w_H Σₜ H(π(·|xₜ)), over the first N rows.
        let (z, tape) = logits.split_tape();
        let log_p = z.clone().put_tape(tape).log_softmax::<Axis<1>>();
        let pg = (log_p * (batch.onehot.clone() * w_pg.broadcast_like::<_, Axis<1>>(&(r, a)))).sum();
        let p = z.clone().put_tape(OwnedTape::default()).softmax::<Axis<1>>();
        let log_p2 = z.put_tape(OwnedTape::default()).log_softmax::<Axis<1>>();
        let neg_entropy = (p * log_p2).sum::<(usize,), Axis<1>>();
        let entropy_term = (neg_entropy * batch.head_mask.clone()).sum() * scalar::<E>(-w.entropy);
        let mut value_term = (values * w_v).sum();
        if let (Some(outer), Some(w_outer)) = (outer, &w.outer) {
            value_term = value_term + (outer * pad(w_outer)).sum();
        }
        let grads = (pg + value_term + entropy_term).backward();
        let mut tensors: Vec<Flat<E, D>> = params.tensors.iter().map(|t| grads.get(t)).collect();
        if !self.torso.is_empty() {
            tensors[0] = self.first_weight_grad(batch, grads.get(start));
        }
        Ok(Params { tensors })
    }
}

impl<E: Dtype, D: Device<E>> Model for ActorCritic<E, D> {
    fn param_names(&self) -> Vec<String> {
        self.layout().into_iter().map(|(name, _, _)| name).collect()
    }

    fn init(&self, rng: &mut ChaCha8Rng) -> ParamsOf<Self> {
        let host: Vec<Vec<f64>> = self
            .layout()
            .into_iter()
            .map(|(_, len, b)| (0..len).map(|_| rng.gen_range(-1.0..=1.0) * b).collect())
            .collect();
        Params::from_host(&self.dev, &host)
    }

    fn batch(&self, obs: &[f32], actions: &[usize], eta: &[f64]) -> Result<NetBatch<E, D>> {
        ensure!(
            obs.len().is_multiple_of(self.obs_len),
            "{} observation values are not rows of {}",
            obs.len(),
            self.obs_len
        );
        let rows = obs.len() / self.obs_len;
        let n = actions.len();
        ensure!(n <= rows, "{n} actions for {rows} rows");
        let mut onehot = vec![E::default(); rows * self.actions];
        for (i, &a) in actions.iter().enumerate() {
            ensure!(a < self.actions, "action {a} of row {i} is not one of the {} actions", self.actions);
            onehot[i * self.actions + a] = E::ONE;
        }
        let mask = (0..rows).map(|i| if i < n { E::ONE } else { E::default() }).collect();
        Ok(NetBatch {
            x: self.input(obs, rows),
            rows,
            head_rows: n,
            actions: actions.to_vec(),
            onehot: self.dev.tensor_from_vec(onehot, (rows, self.actions)),
            head_mask: self.dev.tensor_from_vec(mask, (rows,)),
            eta: self.eta_input(eta)?,
        })
    }

    fn condition(&self, batch: &NetBatch<E, D>, eta: &[f64]) -> Result<NetBatch<E, D>> {
        Ok(NetBatch { eta: self.eta_input(eta)?, ..batch.clone() })
    }
}

/// A tensor's numbers on the host (a copy of its contiguous memory, not an element-wise walk).
fn host<S: Shape, E: Dtype, D: Device<E>>(t: &Tensor<S, E, D>) -> Vec<E> {
    let mut v = vec![E::default(); t.shape().num_elements()];
    t.copy_into(&mut v);
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    const ACTIONS: usize = 3;

    type Net = ActorCritic<f64, Cpu>;
    type Batch = NetBatch<f64, Cpu>;

    /// A network of `config` on `[2, 5, 5]` observations with two η inputs, and a batch of 6
    /// rows (4 with actions) of 0/1 observations with about 8% set: sparse, and the same
    /// batch with X dense.
    fn setup(config: NetworkConfig) -> (Net, Params<f64, Cpu>, Batch, Batch) {
        let model = ActorCritic::<f64, Cpu>::new(Cpu::default(), &config, &[2, 5, 5], ACTIONS, 2, 4).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let params = model.init(&mut rng);
        let rows = 6;
        let obs: Vec<f32> = (0..rows * 50).map(|_| if rng.gen_bool(0.08) { 1.0 } else { 0.0 }).collect();
        let sparse = model.batch(&obs, &[0, 2, 1, 1], &[0.9, 0.5]).unwrap();
        assert!(matches!(sparse.x, Input::Sparse(_)), "0/1 observations with 8% set are read sparsely");
        let (x, columns) = model.unfold(&obs, rows);
        let dense_x = model.dev.tensor_from_vec(x.clone(), (x.len() / columns, columns));
        let dense = NetBatch { x: Input::Dense(dense_x), ..sparse.clone() };
        (model, params, sparse, dense)
    }

    fn weights() -> HeadWeights {
        HeadWeights {
            log_pi: Some(vec![0.3, -1.2, 0.7, 0.2]),
            values: vec![0.5, -0.4, 1.1, 0.9],
            entropy: 0.01,
            outer: None,
        }
    }

    /// The weighted sum of the heads that `weighted_grad` differentiates (module doc).
    fn objective(model: &Net, params: &Params<f64, Cpu>, batch: &Batch) -> f64 {
        let (h, w) = (model.heads(params, batch).unwrap(), weights());
        let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(a, b)| a * b).sum::<f64>();
        dot(h.log_pi.as_ref().unwrap(), w.log_pi.as_ref().unwrap())
            + dot(&h.values, &w.values)
            + w.entropy * h.entropy.unwrap().iter().sum::<f64>()
    }

    fn configs() -> [NetworkConfig; 2] {
        // First layers wide enough to be read sparsely (SPARSE_MIN_OUTPUTS).
        [
            NetworkConfig::Mlp { hidden: vec![SPARSE_MIN_OUTPUTS, 5] },
            NetworkConfig::Conv { channels: SPARSE_MIN_OUTPUTS, hidden: 6 },
        ]
    }

    #[test]
    fn sparse_and_dense_inputs_give_the_same_heads_and_gradients() {
        for config in configs() {
            let (model, params, sparse, dense) = setup(config.clone());
            assert_eq!(model.heads(&params, &sparse).unwrap(), model.heads(&params, &dense).unwrap(), "{config:?}");
            let (a, b) = (
                model.weighted_grad(&params, &sparse, &weights()).unwrap(),
                model.weighted_grad(&params, &dense, &weights()).unwrap(),
            );
            for (name, (a, b)) in model.param_names().iter().zip(a.to_host().iter().zip(b.to_host())) {
                let gap = a.iter().zip(&b).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
                assert!(gap < 1e-12, "{config:?} {name}: sparse and dense gradients differ by {gap}");
            }
        }
    }

    #[test]
    fn narrow_first_layers_and_dense_observations_are_read_densely() {
        let dense = |config: NetworkConfig, on: f64| {
            let model = ActorCritic::<f64, Cpu>::new(Cpu::default(), &config, &[2, 5, 5], ACTIONS, 0, 0).unwrap();
            let mut rng = ChaCha8Rng::seed_from_u64(5);
            let obs: Vec<f32> = (0..4 * 50).map(|_| if rng.gen_bool(on) { 1.0 } else { 0.0 }).collect();
            matches!(model.batch(&obs, &[], &[]).unwrap().x, Input::Dense(_))
        };
        assert!(dense(NetworkConfig::Conv { channels: 16, hidden: 8 }, 0.05), "MinAtar's 16 channels");
        assert!(dense(NetworkConfig::Mlp { hidden: vec![256] }, 0.5), "half the inputs set");
        assert!(!dense(NetworkConfig::Mlp { hidden: vec![256] }, 0.05));
    }

    #[test]
    fn gradients_of_both_inputs_match_central_differences() {
        for config in configs() {
            let (model, params, sparse, dense) = setup(config.clone());
            for batch in [&sparse, &dense] {
                let grad = model.weighted_grad(&params, batch, &weights()).unwrap().to_host();
                let host = params.to_host();
                // Every entry of the first layer's weight (most are not reached: their
                // gradient is 0) and of the next layer's.
                for tensor in [0, 2] {
                    for k in 0..host[tensor].len() {
                        let at = |d: f64| {
                            let mut p = host.clone();
                            p[tensor][k] += d;
                            objective(&model, &Params::from_host(&Cpu::default(), &p), batch)
                        };
                        let h = 1e-6;
                        let numeric = (at(h) - at(-h)) / (2.0 * h);
                        assert!(
                            (numeric - grad[tensor][k]).abs() < 1e-7,
                            "{config:?} tensor {tensor} entry {k}: {} against central differences {numeric}",
                            grad[tensor][k]
                        );
                    }
                }
            }
        }
    }
}
