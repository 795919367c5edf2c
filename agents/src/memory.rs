//! What an experiment's arrays will take, estimated from its options before any is allocated,
//! so that `mgrl check` and `mgrl run` refuse an experiment that cannot fit in the memory the
//! machine has available (MemAvailable of /proc/meminfo) instead of aborting part-way.
//!
//! The estimate is of the arrays that grow with the options: the environments' observation
//! buffers, the unroll buffers and `[T, B]` arrays, per-state tables and the network's
//! parameters with the copies the learner keeps of them. It is rough (a factor of two either
//! way); it exists to refuse what is out of reach by orders of magnitude.

use mgrl_core::config::Experiment;
use mgrl_envs::EnvSpec;

const F32: f64 = 4.0;
const F64: f64 = 8.0;

/// Copies of an unroll's observations alive at once: the actor's, τ and τ′.
const UNROLL_COPIES: f64 = 3.0;
/// `[T, B]` arrays of f64 the learner holds at once (rewards, discounts, masks, heads,
/// targets, weights, their tangents and cotangents).
const TB_ARRAYS: f64 = 24.0;
/// Copies of θ the learner keeps: θ, θ′, the gradient, two optimiser moments, and the
/// meta-gradient's direction and cotangent.
const PARAM_COPIES: f64 = 7.0;
/// Numbers a tabular environment (one observation number per state, as the chains) keeps
/// per state in each copy: its reward of each state.
const ENV_STATE_NUMBERS: f64 = 3.0;
/// Numbers per learnt entry: the value, its unconstrained x, Adam's two moments, the gradient.
const LEARNT_NUMBERS: f64 = 5.0;

/// The bytes an experiment's agent will allocate, in parts, each blamed on a key of the file.
#[derive(Debug)]
pub struct Footprint {
    parts: Vec<Part>,
    /// The key of the largest of B, T and a tabular environment's number of states: what
    /// makes the rollout's arrays large.
    blame: Vec<&'static str>,
    /// The numbers the meta-gradient learns.
    learnt: f64,
}

#[derive(Debug)]
struct Part {
    /// The key that sizes it alone (a network's), else the footprint's `blame`.
    key: Option<Vec<&'static str>>,
    what: String,
    bytes: f64,
}

impl Footprint {
    /// What every agent has: the observation buffers of B environments (the current and the
    /// final observations), the unroll buffers ((T+1)·B observations) and `[T, B]` arrays, and
    /// per-state tables (the environments' own and the learnt per-state meta-parameters).
    pub fn rollout(exp: &Experiment, spec: &EnvSpec, num_envs: usize, unroll: usize) -> Self {
        let (b, t, obs) = (num_envs as f64, unroll as f64, spec.obs_len() as f64);
        let metas = || exp.ret.meta.iter().chain(exp.reward_transforms.iter().flat_map(|r| r.meta.iter()));
        // One number per learnt scalar, one per state of a learnt per-state table.
        let per_state = spec.num_states.unwrap_or(1) as f64;
        let learnt = metas().filter(|m| m.learnable).map(|m| if m.per_state { per_state } else { 1.0 }).sum();
        let mut factors = vec![(num_envs, vec!["agent", "num_envs"]), (unroll, vec!["agent", "unroll"])];
        if spec.num_states == Some(spec.obs_len()) {
            factors.push((spec.obs_len(), states_key(exp)));
        }
        let blame = factors.into_iter().max_by_key(|(n, _)| *n).map(|(_, key)| key).expect("two factors");
        let mut footprint = Footprint { parts: Vec::new(), blame, learnt };
        footprint.add(None, format!("observation buffers of {num_envs} environments"), 2.0 * b * obs * F32);
        footprint.add(
            None,
            format!("unrolls of {unroll} steps × {num_envs} environments"),
            (UNROLL_COPIES * (t + 1.0) * b * obs) * F32 + TB_ARRAYS * t * b * F64,
        );
        if let Some(states) = spec.num_states {
            let tables = metas().filter(|m| m.learnable && m.per_state).count() as f64;
            let env_tables = if spec.obs_len() == states { ENV_STATE_NUMBERS * b } else { 0.0 };
            footprint.add(
                None,
                format!("per-state tables of {states} states"),
                (env_tables + LEARNT_NUMBERS * tables) * states as f64 * F64,
            );
        }
        footprint
    }

    /// Adds a network of `params` numbers of `bytes` each, blamed on `key`, with the copies
    /// the learner keeps, and one per learnt number when the meta-gradient keeps a trace.
    pub fn network(mut self, exp: &Experiment, key: &[&'static str], what: &str, params: usize, bytes: f64) -> Self {
        let traces = match &exp.meta {
            Some(m) if m.trace_decay > 0.0 => self.learnt,
            _ => 0.0,
        };
        self.add(
            Some(key.to_vec()),
            format!("{what} ({params} parameters)"),
            (PARAM_COPIES + traces) * params as f64 * bytes,
        );
        self
    }

    /// Adds the activations of a network `width` numbers wide per row, kept for the forward
    /// and backward passes of (T+1)·B rows, τ's and τ′'s.
    pub fn activations(mut self, num_envs: usize, unroll: usize, width: usize) -> Self {
        let rows = (unroll as f64 + 1.0) * num_envs as f64;
        self.add(None, "the network's activations".into(), 4.0 * rows * width as f64 * F32);
        self
    }

    fn add(&mut self, key: Option<Vec<&'static str>>, what: String, bytes: f64) {
        self.parts.push(Part { key, what, bytes });
    }

    /// The whole estimate, in bytes.
    pub fn bytes(&self) -> f64 {
        self.parts.iter().map(|p| p.bytes).sum()
    }

    /// Refuses a footprint larger than the memory available now, at the key that makes its
    /// largest part large. Where the available memory cannot be read, nothing is refused.
    pub fn check(&self, exp: &Experiment) -> anyhow::Result<()> {
        match available_memory() {
            Some(available) => self.check_against(exp, available),
            None => Ok(()),
        }
    }

    fn check_against(&self, exp: &Experiment, available: f64) -> anyhow::Result<()> {
        let total = self.bytes();
        if total <= available {
            return Ok(());
        }
        let mut parts: Vec<&Part> = self.parts.iter().collect();
        parts.sort_by(|a, b| b.bytes.total_cmp(&a.bytes));
        let listed: Vec<String> = parts.iter().map(|p| format!("{} {}", human(p.bytes), p.what)).collect();
        let message = format!(
            "the experiment needs about {} ({}), but {} of memory is available (MemAvailable in /proc/meminfo)",
            human(total),
            listed.join(", "),
            human(available)
        );
        Err(exp.doc.error(parts[0].key.as_ref().unwrap_or(&self.blame), message).into())
    }
}

/// The key that sets the number of states: `[env] states` where the file has it, else the
/// environment's name.
pub fn states_key(exp: &Experiment) -> Vec<&'static str> {
    if exp.env.options.contains_key("states") {
        vec!["env", "states"]
    } else {
        vec!["env", "name"]
    }
}

/// MemAvailable of /proc/meminfo in bytes; `None` where it cannot be read (not Linux).
pub fn available_memory() -> Option<f64> {
    mem_available(&std::fs::read_to_string("/proc/meminfo").ok()?)
}

fn mem_available(meminfo: &str) -> Option<f64> {
    let line = meminfo.lines().find_map(|l| l.strip_prefix("MemAvailable:"))?;
    let kib: f64 = line.trim().strip_suffix("kB")?.trim().parse().ok()?;
    Some(kib * 1024.0)
}

/// Bytes as `512 B`, `3.2 MiB`, `4.7 GiB`.
fn human(bytes: f64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut value = bytes;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < units.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{value:.0} B")
    } else {
        format!("{value:.1} {}", units[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mem_available_is_read_in_bytes_and_its_absence_is_none() {
        let text = "MemTotal:       16318588 kB\nMemFree:         1034040 kB\nMemAvailable:    8159292 kB\n";
        assert_eq!(mem_available(text), Some(8159292.0 * 1024.0));
        assert_eq!(mem_available("MemTotal: 1 kB\n"), None);
    }

    #[test]
    fn sizes_are_written_in_binary_units() {
        assert_eq!(human(512.0), "512 B");
        assert_eq!(human(4.7 * 1024.0 * 1024.0 * 1024.0), "4.7 GiB");
    }
}
