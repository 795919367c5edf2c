//! The checks listed in the module doc of [`super`], against a [`Subject`].

use super::subject::{Fault, Form, Outputs, Rng, Subject, CONTINUES, DISCOUNTS};
use super::{Check, Failure};
use crate::{Batch, Domain, MetaKind};

/// The step of the differences.
const H: f64 = 1e-6;
/// Largest error of a JVP or a VJP against differences, relative to max(1, |difference|).
const DERIVATIVE_TOLERANCE: f64 = 1e-7;
/// Largest difference between a meta-parameter given as a scalar and as the same value at
/// every step, relative to max(1, |per-step result|): rounding only.
const SCALAR_TOLERANCE: f64 = 1e-12;
/// Largest error of ⟨VJP(u), v⟩ against ⟨u, JVP(v)⟩, relative to max(1, |⟨u, JVP(v)⟩|).
const ADJOINT_TOLERANCE: f64 = 1e-10;
/// Shapes [T, B] of the random batches, and how many batches of each.
const SHAPES: [(usize, usize); 3] = [(5, 3), (3, 2), (4, 1)];
const ONE_STEP: [(usize, usize); 2] = [(1, 2), (1, 1)];
const SEEDS: u64 = 2;

/// A batch to check on: its description, shape and arrays.
struct Case {
    label: String,
    batch: Batch,
    arrays: Vec<Vec<f64>>,
}

impl Case {
    fn random(p: Subject, (t, b): (usize, usize), seed: u64) -> Self {
        let batch = Batch { t, b };
        Case { label: format!("T×B = {t}×{b}, seed {seed}"), batch, arrays: p.random_arrays(batch, seed) }
    }

    /// A failure at element `i` of array `k`.
    fn failure(&self, p: Subject, k: usize, i: usize, what: String) -> Failure {
        Failure {
            case: self.label.clone(),
            input: p.name(k).into(),
            step: Some((i / self.batch.b, i % self.batch.b)),
            what,
            numbers: None,
        }
    }

    /// A failure that concerns no element in particular.
    fn failure_of(&self, input: &str, what: String) -> Failure {
        Failure { case: self.label.clone(), input: input.into(), step: None, what, numbers: None }
    }
}

/// The worst error and the worst failure of a check, gathered over its comparisons.
pub(super) struct Tally {
    worst: Option<f64>,
    failure: Option<(f64, Failure)>,
}

impl Tally {
    /// A check that compares numbers.
    fn numeric() -> Self {
        Tally { worst: Some(0.0), failure: None }
    }

    /// A check that passes or fails without a number.
    fn verdict() -> Self {
        Tally { worst: None, failure: None }
    }

    /// Compares the plugin's `got` with the reference `want`.
    fn compare(&mut self, got: f64, want: f64, tolerance: f64, failure: impl FnOnce() -> Failure) {
        let error = (got - want).abs() / want.abs().max(1.0);
        let error = if error.is_nan() { f64::INFINITY } else { error };
        self.worst = self.worst.map(|w| w.max(error));
        if error > tolerance && self.failure.as_ref().is_none_or(|(e, _)| error > *e) {
            self.failure = Some((error, Failure { numbers: Some((got, want)), ..failure() }));
        }
    }

    /// Records a failure that has no number (an error, a panic, a missing output).
    fn fail(&mut self, failure: Failure) {
        self.worst = self.worst.map(|_| f64::INFINITY);
        if self.failure.as_ref().is_none_or(|(e, _)| *e < f64::INFINITY) {
            self.failure = Some((f64::INFINITY, failure));
        }
    }

    fn merge(&mut self, other: Tally) {
        self.worst = self.worst.zip(other.worst).map(|(a, b)| a.max(b));
        if let Some((e, f)) = other.failure {
            if self.failure.as_ref().is_none_or(|(mine, _)| e > *mine) {
                self.failure = Some((e, f));
            }
        }
    }

    fn row(self, plugin: &str, name: &'static str) -> Check {
        Check { plugin: plugin.into(), name, worst: self.worst, failure: self.failure.map(|(_, f)| f) }
    }
}

/// Every check of one configuration, in the order of the module doc.
pub(super) fn all(label: &str, p: Subject, round_trip: Tally) -> Vec<Check> {
    let random: Vec<Case> =
        SHAPES.iter().flat_map(|&shape| (0..SEEDS).map(move |seed| Case::random(p, shape, seed))).collect();
    let one_step: Vec<Case> = ONE_STEP.iter().map(|&shape| Case::random(p, shape, 0)).collect();
    let edges = edge_cases(p);

    let [mut jvp, mut vjp, mut adjoint] = [Tally::numeric(), Tally::numeric(), Tally::numeric()];
    for case in &random {
        let [j, v, a] = derivatives(p, case);
        jvp.merge(j);
        vjp.merge(v);
        adjoint.merge(a);
    }
    let all_of = |cases: &[Case]| {
        let mut tally = Tally::numeric();
        for [j, v, a] in cases.iter().map(|c| derivatives(p, c)) {
            tally.merge(j);
            tally.merge(v);
            tally.merge(a);
        }
        tally
    };
    let mut rows = vec![
        jvp.row(label, "jvp"),
        vjp.row(label, "vjp"),
        adjoint.row(label, "adjoint"),
        all_of(&one_step).row(label, "T = 1"),
        all_of(&edges).row(label, "domain edges"),
    ];
    if let Subject::Return(_) = p {
        rows.push(episode_ends(p).row(label, "episode ends"));
    }
    let mut finite = Tally::verdict();
    for case in random.iter().chain(&one_step).chain(&edges) {
        finite.merge(finite_outputs(p, case));
    }
    rows.extend([
        finite.row(label, "finite outputs"),
        non_finite_inputs(p).row(label, "non-finite inputs"),
        scalar_meta(p).row(label, "scalar meta-parameters"),
        meta_read(p).row(label, "meta-parameters read"),
        meta_count(p).row(label, "meta-parameter count"),
        round_trip.row(label, "serde round trip"),
    ]);
    rows
}

/// Batches with one meta-parameter at an edge of its domain at every step: a closed bound
/// itself, 0.05 inside an open finite one, ±100 for an infinite one.
fn edge_cases(p: Subject) -> Vec<Case> {
    let base = Case::random(p, SHAPES[0], 7);
    let mut cases = Vec::new();
    for (m, spec) in p.meta_params().iter().enumerate().filter(|(_, s)| s.kind == MetaKind::Value) {
        let Domain { lo, hi, lo_closed, hi_closed } = spec.domain;
        let edge = |bound: f64, closed: bool, inward: f64| match (bound.is_finite(), closed) {
            (false, _) => -100.0 * inward,
            (true, true) => bound,
            (true, false) => bound + 0.05 * inward,
        };
        for value in [edge(lo, lo_closed, 1.0), edge(hi, hi_closed, -1.0)] {
            let k = p.meta_offset() + m;
            let mut arrays = base.arrays.clone();
            arrays[k] = vec![value; base.batch.len()];
            let label = format!("{}, `{}` = {value} at every step", base.label, spec.name);
            cases.push(Case { label, batch: base.batch, arrays });
        }
    }
    cases
}

/// The derivative of every output along element `i` of array `k`: central differences, or
/// one-sided ones of second order where a step would leave the array's domain.
fn difference(p: Subject, c: &Case, k: usize, i: usize) -> Result<Outputs, Fault> {
    let x = c.arrays[k][i];
    let inside = |v: f64| p.domain(k).is_none_or(|d| d.contains(v));
    let weights: Vec<(f64, f64)> = if inside(x + H) && inside(x - H) {
        vec![(H, 1.0), (-H, -1.0)]
    } else {
        let s = if inside(x + H) { 1.0 } else { -1.0 };
        vec![(0.0, -3.0 * s), (s * H, 4.0 * s), (2.0 * s * H, -s)]
    };
    let mut sum: Option<Outputs> = None;
    for (delta, weight) in weights {
        let mut arrays = c.arrays.clone();
        arrays[k][i] = x + delta;
        let y = p.eval(c.batch, &arrays)?;
        let acc = sum.get_or_insert_with(|| y.iter().map(|o| vec![0.0; o.len()]).collect());
        for (a, o) in acc.iter_mut().zip(&y) {
            for (a, o) in a.iter_mut().zip(o) {
                *a += weight * o / (2.0 * H);
            }
        }
    }
    Ok(sum.unwrap_or_default())
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(a, b)| a * b).sum()
}

/// The `jvp`, `vjp` and `adjoint` tallies of one batch.
fn derivatives(p: Subject, c: &Case) -> [Tally; 3] {
    let [mut jvp, mut vjp, mut adjoint] = [Tally::numeric(), Tally::numeric(), Tally::numeric()];
    let (n, b) = (c.batch.len(), c.batch.b);
    let mut rng = Rng::new(17);
    let u: Outputs = p.outputs().iter().map(|_| rng.array(n, -1.0, 1.0)).collect();
    let cot = p.vjp(c.batch, &c.arrays, &u).map_err(|f| c.failure_of("every input", format!("VJP {f}")));
    if let Err(f) = &cot {
        vjp.fail(f.clone());
        adjoint.fail(f.clone());
    }
    let inputs: Vec<usize> = (0..c.arrays.len()).filter(|&k| p.differentiable(k)).collect();
    for &k in &inputs {
        for i in 0..n {
            let fd = match difference(p, c, k, i) {
                Ok(fd) => fd,
                Err(f) => {
                    jvp.fail(c.failure(p, k, i, format!("the outputs a step away: {f}")));
                    continue;
                }
            };
            let mut e = vec![0.0; n];
            e[i] = 1.0;
            let mut dx = vec![None; c.arrays.len()];
            dx[k] = Some(&e[..]);
            match p.jvp(c.batch, &c.arrays, &dx) {
                Ok(t) => {
                    for (o, (name, fd)) in p.outputs().iter().zip(&fd).enumerate() {
                        for (j, &want) in fd.iter().enumerate() {
                            let got = t.get(o).and_then(|t| t.get(j)).copied().unwrap_or(f64::NAN);
                            jvp.compare(got, want, DERIVATIVE_TOLERANCE, || {
                                let what =
                                    format!("JVP of the {name} at step {}, env {} (want: differences)", j / b, j % b);
                                c.failure(p, k, i, what)
                            });
                        }
                    }
                }
                Err(f) => jvp.fail(c.failure(p, k, i, format!("JVP {f}"))),
            }
            if let Ok(cot) = &cot {
                let want: f64 = fd.iter().zip(&u).map(|(d, u)| dot(d, u)).sum();
                let got = cot.get(k).and_then(Option::as_ref).and_then(|v| v.get(i)).copied().unwrap_or(f64::NAN);
                vjp.compare(got, want, DERIVATIVE_TOLERANCE, || {
                    c.failure(p, k, i, "VJP of a random cotangent u (want: differences of ⟨u, outputs⟩)".into())
                });
            }
        }
    }
    let v: Vec<Vec<f64>> = c.arrays.iter().map(|_| rng.array(n, -1.0, 1.0)).collect();
    let dx: Vec<Option<&[f64]>> = (0..v.len()).map(|k| p.differentiable(k).then_some(&v[k][..])).collect();
    match (p.jvp(c.batch, &c.arrays, &dx), &cot) {
        (Ok(t), Ok(cot)) => {
            let want: f64 = t.iter().zip(&u).map(|(t, u)| dot(t, u)).sum();
            let got: f64 =
                inputs.iter().map(|&k| cot.get(k).and_then(Option::as_ref).map_or(0.0, |c| dot(c, &v[k]))).sum();
            adjoint.compare(got, want, ADJOINT_TOLERANCE, || {
                c.failure_of("every input", "⟨VJP(u), v⟩ for random u, v (want: ⟨u, JVP(v)⟩)".into())
            });
        }
        (Err(f), _) => adjoint.fail(c.failure_of("every input", format!("JVP {f}"))),
        (_, Err(_)) => {}
    }
    [jvp, vjp, adjoint]
}

/// Nothing of the episode that follows a truncation (row 3 of environment 1 of a 7 × 2 batch;
/// environment 0 terminates after row 1) reaches the outputs up to it, their JVP, or, from
/// cotangents up to it, the VJP.
fn episode_ends(p: Subject) -> Tally {
    const ROW: usize = 3;
    const ENV: usize = 1;
    let mut tally = Tally::numeric();
    let mut c = Case::random(p, (7, 2), 11);
    c.label = format!("{}, a truncation after step {ROW} of env {ENV}", c.label);
    let (n, b) = (c.batch.len(), c.batch.b);
    c.arrays[DISCOUNTS] = vec![1.0; n];
    c.arrays[CONTINUES] = vec![1.0; n];
    c.arrays[CONTINUES][ROW * b + ENV] = 0.0;
    (c.arrays[DISCOUNTS][b], c.arrays[CONTINUES][b]) = (0.0, 0.0);
    let this_episode: Vec<usize> = (0..=ROW).map(|t| t * b + ENV).collect();
    let next_episode: Vec<usize> = (ROW + 1..c.batch.t).map(|t| t * b + ENV).collect();
    let inputs: Vec<usize> = (0..c.arrays.len()).filter(|&k| p.differentiable(k)).collect();

    let redrawn = p.random_arrays(c.batch, 12);
    let mut changed = c.arrays.clone();
    for &k in &inputs {
        for &i in &next_episode {
            changed[k][i] = redrawn[k][i];
        }
    }
    let (before, after) = match (p.eval(c.batch, &c.arrays), p.eval(c.batch, &changed)) {
        (Ok(x), Ok(y)) => (x, y),
        (Err(f), _) | (_, Err(f)) => {
            tally.fail(c.failure_of("every input", format!("outputs: {f}")));
            return tally;
        }
    };
    let output_at = |i: usize, what: &str| {
        let step = Some((i / b, i % b));
        Failure {
            case: c.label.clone(),
            input: "the next episode's inputs".into(),
            step,
            what: what.into(),
            numbers: None,
        }
    };
    for (name, (x, y)) in p.outputs().iter().zip(before.iter().zip(&after)) {
        for &i in &this_episode {
            tally.compare(y[i], x[i], 0.0, || output_at(i, &format!("{name} with them redrawn")));
        }
    }
    let ones: Vec<f64> = (0..n).map(|i| if next_episode.contains(&i) { 1.0 } else { 0.0 }).collect();
    let dx: Vec<Option<&[f64]>> = (0..c.arrays.len()).map(|k| p.differentiable(k).then_some(&ones[..])).collect();
    match p.jvp(c.batch, &c.arrays, &dx) {
        Ok(t) => {
            for (name, t) in p.outputs().iter().zip(&t) {
                for &i in &this_episode {
                    tally.compare(t[i], 0.0, 0.0, || output_at(i, &format!("JVP of the {name} along them")));
                }
            }
        }
        Err(f) => tally.fail(c.failure_of("every input", format!("JVP {f}"))),
    }
    let this: Vec<f64> = (0..n).map(|i| if this_episode.contains(&i) { 1.0 } else { 0.0 }).collect();
    let dy: Outputs = p.outputs().iter().map(|_| this.clone()).collect();
    match p.vjp(c.batch, &c.arrays, &dy) {
        Ok(cot) => {
            for &k in &inputs {
                for &i in &next_episode {
                    let got = cot.get(k).and_then(Option::as_ref).and_then(|v| v.get(i)).copied().unwrap_or(f64::NAN);
                    tally.compare(got, 0.0, 0.0, || c.failure(p, k, i, "VJP of cotangents on this episode".into()));
                }
            }
        }
        Err(f) => tally.fail(c.failure_of("every input", format!("VJP {f}"))),
    }
    tally
}

/// Finite outputs for a finite batch.
fn finite_outputs(p: Subject, c: &Case) -> Tally {
    let mut tally = Tally::verdict();
    match p.eval(c.batch, &c.arrays) {
        Ok(y) => {
            for (name, y) in p.outputs().iter().zip(&y) {
                if let Some(i) = y.iter().position(|v| !v.is_finite()) {
                    let what = format!("the {name} at step {}, env {} is {}", i / c.batch.b, i % c.batch.b, y[i]);
                    tally.fail(c.failure_of("every input", what));
                }
            }
        }
        Err(f) => tally.fail(c.failure_of("every input", format!("outputs: {f}"))),
    }
    tally
}

/// A NaN or an infinity at step 1 of environment 0 of any array the plugin reads (whose
/// redrawing changes its outputs; the λ-return reads no log ρ) is an error from each method;
/// in any array, never a panic.
fn non_finite_inputs(p: Subject) -> Tally {
    let mut tally = Tally::verdict();
    let c = Case::random(p, (3, 2), 13);
    let (n, i) = (c.batch.len(), c.batch.b);
    let ones = vec![1.0; n];
    let other = p.random_arrays(c.batch, 14);
    let outputs = p.eval(c.batch, &c.arrays).ok();
    for k in 0..c.arrays.len() {
        let mut redrawn = c.arrays.clone();
        redrawn[k] = other[k].clone();
        let read = p.eval(c.batch, &redrawn).ok() != outputs;
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let mut arrays = c.arrays.clone();
            arrays[k][i] = bad;
            let dx: Vec<Option<&[f64]>> = (0..arrays.len()).map(|k| p.differentiable(k).then_some(&ones[..])).collect();
            let dy: Outputs = p.outputs().iter().map(|_| ones.clone()).collect();
            let outcomes = [
                ("outputs", p.eval(c.batch, &arrays).map(drop)),
                ("JVP", p.jvp(c.batch, &arrays, &dx).map(drop)),
                ("VJP", p.vjp(c.batch, &arrays, &dy).map(drop)),
            ];
            for (method, outcome) in outcomes {
                match outcome {
                    Err(Fault::Error(_)) => {}
                    Err(Fault::Panic(m)) => {
                        tally.fail(c.failure(p, k, i, format!("{method} with {bad} panicked: {m}")))
                    }
                    Ok(()) if read => tally.fail(c.failure(p, k, i, format!("{method} with {bad} returned no error"))),
                    Ok(()) => {}
                }
            }
        }
    }
    tally
}

/// Changing any one meta-parameter array changes the outputs.
fn meta_read(p: Subject) -> Tally {
    let mut tally = Tally::verdict();
    let c = Case::random(p, SHAPES[0], 3);
    let other = p.random_arrays(c.batch, 4);
    for k in p.meta_offset()..c.arrays.len() {
        let mut changed = c.arrays.clone();
        changed[k] = other[k].clone();
        match (p.eval(c.batch, &c.arrays), p.eval(c.batch, &changed)) {
            (Ok(x), Ok(y)) if x == y => {
                tally.fail(c.failure_of(p.name(k), "redrawn at every step, it changed no output".into()))
            }
            (Ok(_), Ok(_)) => {}
            (Err(f), _) | (_, Err(f)) => tally.fail(c.failure_of(p.name(k), format!("outputs: {f}"))),
        }
    }
    tally
}

/// Every meta-parameter given as one scalar gives what the same value at every step gives:
/// the outputs, their JVP (scalar tangents of the meta-parameters), and the VJP, whose
/// cotangent of a scalar is the sum over the batch of the per-step ones.
fn scalar_meta(p: Subject) -> Tally {
    let mut tally = Tally::numeric();
    let mut c = Case::random(p, SHAPES[0], 8);
    c.label = format!("{}, every meta-parameter one value at every step", c.label);
    let (n, off) = (c.batch.len(), p.meta_offset());
    let mut rng = Rng::new(19);
    for a in &mut c.arrays[off..] {
        *a = vec![a[0]; n];
    }
    let v: Vec<Vec<f64>> = (0..c.arrays.len())
        .map(|k| if k < off { rng.array(n, -1.0, 1.0) } else { vec![rng.uniform(-1.0, 1.0); n] })
        .collect();
    let dx: Vec<Option<&[f64]>> = (0..v.len()).map(|k| p.differentiable(k).then_some(&v[k][..])).collect();
    let u: Outputs = p.outputs().iter().map(|_| rng.array(n, -1.0, 1.0)).collect();
    let mut compare =
        |what: &str, steps: Result<Outputs, Fault>, scalars: Result<Outputs, Fault>, sum_from: usize| match (
            steps, scalars,
        ) {
            (Ok(x), Ok(y)) => {
                for (k, (x, y)) in x.iter().zip(&y).enumerate() {
                    let x = if k >= sum_from { vec![x.iter().sum()] } else { x.clone() };
                    for (i, (&want, got)) in x.iter().zip(y).enumerate() {
                        tally.compare(*got, want, SCALAR_TOLERANCE, || {
                            c.failure_of(&format!("{what} {k}"), format!("element {i} with scalars (want: per step)"))
                        });
                    }
                }
            }
            (Err(f), _) | (_, Err(f)) => tally.fail(c.failure_of("every input", format!("{what}: {f}"))),
        };
    compare("output", p.eval(c.batch, &c.arrays), p.eval_as(c.batch, &c.arrays, Form::Scalars), usize::MAX);
    let jvp = |form| p.jvp_as(c.batch, &c.arrays, &dx, form);
    compare("JVP of output", jvp(Form::Steps), jvp(Form::Scalars), usize::MAX);
    let vjp = |form| {
        p.vjp_as(c.batch, &c.arrays, &u, form)
            .map(|cot| cot.into_iter().map(|c| c.unwrap_or_default()).collect::<Outputs>())
    };
    compare("VJP of array", vjp(Form::Steps), vjp(Form::Scalars), off);
    tally
}

/// One meta-parameter left out, or one more given than declared, is an error.
fn meta_count(p: Subject) -> Tally {
    let mut tally = Tally::verdict();
    let c = Case::random(p, (3, 2), 5);
    let declared = p.meta_params().len();
    let mut more = c.arrays.clone();
    more.push(vec![0.5; c.batch.len()]);
    let fewer = (declared > 0).then(|| c.arrays[..c.arrays.len() - 1].to_vec());
    for arrays in fewer.into_iter().chain([more]) {
        let given = arrays.len() - p.meta_offset();
        let what = |how: String| format!("{given} meta-parameters given for {declared} declared: {how}");
        match p.eval(c.batch, &arrays) {
            Err(Fault::Error(_)) => {}
            Err(f) => tally.fail(c.failure_of("meta-parameters", what(f.to_string()))),
            Ok(_) => tally.fail(c.failure_of("meta-parameters", what("no error".into()))),
        }
    }
    tally
}

/// The serde round trip: the plugin serialised, read back by `parse` and compared by `same`.
pub(super) fn round_trip<B>(
    serialised: Result<String, String>,
    parse: impl Fn(&str) -> Result<B, String>,
    same: impl Fn(&B) -> Tally,
) -> Tally {
    let failure =
        |what: String| Failure { case: "TOML".into(), input: "options".into(), step: None, what, numbers: None };
    match serialised.and_then(|text| parse(&text).map_err(|e| format!("reading back {text:?}: {e}"))) {
        Ok(back) => same(&back),
        Err(e) => {
            let mut tally = Tally::numeric();
            tally.fail(failure(e));
            tally
        }
    }
}

/// The outputs of `a` and `b` on a random batch, element by element: equal.
pub(super) fn same_outputs(a: Subject, b: Subject) -> Tally {
    let mut tally = Tally::numeric();
    let c = Case::random(a, SHAPES[0], 6);
    match (a.eval(c.batch, &c.arrays), b.eval(c.batch, &c.arrays)) {
        (Ok(x), Ok(y)) => {
            for (name, (x, y)) in a.outputs().iter().zip(x.iter().zip(&y)) {
                for (i, (x, y)) in x.iter().zip(y).enumerate() {
                    tally.compare(*y, *x, 0.0, || {
                        let step = Some((i / c.batch.b, i % c.batch.b));
                        let what = format!("the {name} read back (want: before)");
                        Failure { case: c.label.clone(), input: "options".into(), step, what, numbers: None }
                    });
                }
            }
        }
        (Err(f), _) | (_, Err(f)) => tally.fail(c.failure_of("every input", format!("outputs: {f}"))),
    }
    tally
}
