"""Training frames per second of a fully-jitted JAX actor-critic (PureJaxRL style) on gymnax's
MinAtar Breakout, doing the work of mgrl's IMPALA agent in `examples/bench/breakout_conv.toml`.
Run by scripts/bench_purejaxrl.sh; prints JSON lines (one per timed repeat, then the median).

What one update computes (all inside one `jax.jit`-ed function, `jax.lax.scan` over steps):

- Acting: B = 64 copies of `gymnax.make("Breakout-MinAtar")` vmapped, T = 20 steps
  (1,280 frames an update), aₜ ~ Categorical(softmax(logits_θ(xₜ))), automatic reset.
  gymnax's 1,000-step time limit is switched off (mgrl's `minatar/breakout` has none), so an
  episode ends only when it terminates; the discount after a terminal step is 0.
- Network (`--network`), f32: `mlp`: the 10×10×4 observation flattened, Dense(256) ReLU,
  Dense(256) ReLU; `conv` (MinAtar's, Young & Tian 2019): Conv 3×3, 16 channels, stride 1,
  VALID (→ 8×8×16), ReLU, flatten, Dense(128) ReLU. Then a policy head (3 logits) and a value
  head (1), both linear on the torso. Flax's default initialisers.
- Targets: the λ-return with γ = 0.99, λ = 1 (V-trace with ρ = c = 1, which it is on-policy),
  by a reverse `jax.lax.scan` over T:
      Gₜ = rₜ + γ dₜ [(1 − λ) V(xₜ₊₁) + λ Gₜ₊₁],   G_T = V(x_T),   dₜ = 0 if step t terminated,
  bootstrapping on V of the observation after the last step. V in the targets is a constant
  in θ (computed from stop_gradient(V)), and Aₜ = Gₜ − stop_gradient(V(xₜ)).
- Loss, the mean over T×B:
      L = mean[ b/2 (Gₜ − V(xₜ))² − log π(aₜ|xₜ) Aₜ − c H(π(·|xₜ)) ],   b = 0.5, c = 0.01.
- Optimiser: global-norm gradient clipping at 40, then RMSProp (optax.rmsprop, lr 3e-3,
  decay 0.99, eps 1e-5 outside the square root: Δθ = −lr g / (√ν + ε), ν from zero).

With `--meta`, the same agent learns its discount as in Xu, van Hasselt & Silver (2018),
"Meta-Gradient Reinforcement Learning": γ = sigmoid(x), x a learnt scalar started at
logit(0.9) so that its movement is easy to see (mgrl's meta examples start γ where the config
says). One update, with τ the PREVIOUS unroll and τ′ the one acted in this update (so every
unroll is used once as τ′ and once, in the next update, as τ; this is mgrl's order too:
agents/src/learner/mod.rs, steps 1–5):
  1. inner step on τ:  g = κ ∇θ L(τ, θ, γ),  κ = min(1, 40/‖∇θ L‖),  θ′ = θ − s ⊙ g,
     s = lr / (√ν′ + ε) the RMSProp scale with g folded into ν′;
  2. act τ′ with θ′;
  3. J′ = L(τ′, θ′, γ̄ = 0.99, λ̄ = 1), the same loss form as L (value, policy gradient and
     entropy terms, as mgrl's J′ is its inner loss with η̄), g′ = ∇θ′ J′;
  4. dJ′/dx = g′ᵀ ∂θ′/∂x = −(κ s ⊙ g′)ᵀ ∂(∇θ L)/∂x by `jax.vjp` through step 1, with the
     clipping factor κ and the RMSProp scale s HELD FIXED (constants, as mgrl does:
     agents/src/optim.rs), then Adam (lr 1e-3) on x. The targets of J′ are constants in θ′
     (a semi-gradient), as in L.
The network is not conditioned on γ (no η embedding, mgrl's `eta_conditioning = false`).
The value of θ′ itself is exactly optax's update; only its derivative treats κ and s as fixed.
(Checked once in f64: θ′ equals θ − κ s ⊙ ∇θ L to 1e-15, and dJ′/dx equals a central finite
difference of x ↦ J′(θ′(x)) with κ, s and J′'s targets frozen to 1e-9 relative, both networks.)

Where this matches mgrl's agent: B, T, the network shapes, the loss and its constants, the
optimiser (including ε outside the root and the fixed-preconditioner meta-gradient), acting
and learning alternating synchronously with the current θ, termination-only discounting,
the meta-step order. Where it differs: mgrl computes the targets in f64 on the host through
its return plugin (here all f32 in the graph); different initialisation and random streams;
gymnax's observation is H×W×C (mgrl's C×H×W); mgrl's Adam on x runs in f64; and here the whole
update is one XLA program (mgrl runs its environments, network and optimiser as separate
Rust calls). Frames per second here counts environment steps (B·T per update; MinAtar has
no frame skip), the same unit as mgrl's training throughput.

Threads: XLA on the CPU uses every core the process may run on by default (its thread pools
are sized from the process's CPU affinity). `--threads N` pins the process to N cores
(os.sched_setaffinity, before jax is imported), which is what limits XLA; with N = 1 it also
sets XLA_FLAGS=--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1. The same
effect from outside: `taskset -c 0 python ...`. mgrl sizes its worker pool from the same
affinity (Rust's available_parallelism), so `taskset -c 0 mgrl ...` pins it likewise and the
two can be compared at equal thread counts.
`cpu_per_wall` in the output is the process CPU time over wall time (≈ cores kept busy).

Timing: the update is compiled ahead of time (reported as compile_s), run once to warm up,
then `--repeats` times `--updates` updates are timed, blocking on the result
(`block_until_ready`) at the end of each repeat.
"""

import argparse
import functools
import json
import os
import statistics
import time

B = 64  # environments
T = 20  # steps per unroll
GAMMA = 0.99  # the discount of L (and γ̄ of J′ under --meta)
LAMBDA = 1.0
VALUE_COST = 0.5  # b
ENTROPY_COST = 0.01  # c
MAX_GRAD_NORM = 40.0
LR, DECAY, EPS = 3e-3, 0.99, 1e-5  # RMSProp
META_LR = 1e-3  # Adam on x
GAMMA_INIT = 0.9  # γ = sigmoid(x) at the start of a --meta run


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--network", choices=["mlp", "conv"], default="conv")
    parser.add_argument("--meta", action="store_true", help="meta-learn γ (Xu et al. 2018)")
    parser.add_argument("--updates", type=int, default=50, help="updates per timed repeat")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None, help="CPU cores/threads for XLA (default: all)")
    return parser.parse_args()


def limit_threads(n):
    """Restricts XLA to n CPU threads; must run before jax is imported.

    XLA sizes its CPU thread pools from the CPUs the process may run on, so pinning the
    process to n CPUs is what limits it (checked with jax 0.10.2: 15 OS threads at n = 1
    against 22 with both cores). For n = 1 the classic single-thread flags are added too
    (XLA ignores the second, a leftover of TensorFlow's options, without complaint)."""
    cpus = sorted(os.sched_getaffinity(0))
    if n < 1 or n > len(cpus):
        raise SystemExit(f"--threads {n}: this process may use {len(cpus)} CPUs")
    os.sched_setaffinity(0, cpus[:n])
    if n == 1:
        flags = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " " + flags).strip()


ARGS = parse_args()
if ARGS.threads is not None:
    limit_threads(ARGS.threads)

import flax.linen as nn  # noqa: E402  (after the thread settings)
import gymnax  # noqa: E402
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import optax  # noqa: E402
from flax import struct  # noqa: E402


class ActorCritic(nn.Module):
    num_actions: int
    network: str

    @nn.compact
    def __call__(self, x):
        if self.network == "conv":
            x = nn.relu(nn.Conv(16, kernel_size=(3, 3), strides=1, padding="VALID")(x))
            x = x.reshape(*x.shape[:-3], -1)
            x = nn.relu(nn.Dense(128)(x))
        else:
            x = x.reshape(*x.shape[:-3], -1)
            x = nn.relu(nn.Dense(256)(x))
            x = nn.relu(nn.Dense(256)(x))
        logits = nn.Dense(self.num_actions)(x)
        value = nn.Dense(1)(x)[..., 0]
        return logits, value


@struct.dataclass
class Unroll:
    obs: jax.Array  # [T + 1, B, 10, 10, 4]: x₀ … x_T (x_T only bootstraps)
    action: jax.Array  # [T, B]
    reward: jax.Array  # [T, B]
    not_terminal: jax.Array  # [T, B]: 0 where step t ended its episode


@struct.dataclass
class Carry:
    params: dict
    opt_state: tuple
    env_state: object
    obs: jax.Array  # [B, 10, 10, 4], the next observation to act on
    episode_return: jax.Array  # [B], the running return of each environment's episode
    key: jax.Array
    # --meta only:
    x: jax.Array = None  # γ = sigmoid(x)
    meta_opt_state: tuple = None
    last_unroll: Unroll = None  # τ of the next update


def lambda_returns(reward, discount, bootstrap, next_values, lam):
    """Gₜ = rₜ + discountₜ [(1 − λ) V(xₜ₊₁) + λ Gₜ₊₁], G_T = bootstrap, by a reverse scan."""

    def step(g_next, xs):
        r, d, v_next = xs
        g = r + d * ((1.0 - lam) * v_next + lam * g_next)
        return g, g

    _, g = jax.lax.scan(step, bootstrap, (reward, discount, next_values), reverse=True)
    return g


def loss_fn(net, params, unroll, gamma):
    """IMPALA's loss with λ-return targets under discount gamma (differentiable in gamma)."""
    logits, values = net.apply(params, unroll.obs)  # [T + 1, B, A], [T + 1, B]
    logits, v = logits[:-1], values[:-1]
    fixed = jax.lax.stop_gradient(values)  # the targets are constants in θ, not in γ
    g = lambda_returns(unroll.reward, gamma * unroll.not_terminal, fixed[-1], fixed[1:], LAMBDA)
    advantage = g - fixed[:-1]
    log_pi = jax.nn.log_softmax(logits)
    log_pi_a = jnp.take_along_axis(log_pi, unroll.action[..., None], axis=-1)[..., 0]
    entropy = -(jnp.exp(log_pi) * log_pi).sum(-1)
    value_loss = 0.5 * VALUE_COST * jnp.square(g - v)
    policy_loss = -log_pi_a * advantage
    loss = jnp.mean(value_loss + policy_loss - ENTROPY_COST * entropy)
    return loss, {"loss": loss, "entropy": entropy.mean()}


def make_update(network, meta):
    env, env_params = gymnax.make("Breakout-MinAtar")
    env_params = env_params.replace(max_steps_in_episode=2**31 - 1)  # no time limit, as mgrl
    net = ActorCritic(env.num_actions, network)
    tx = optax.chain(
        optax.clip_by_global_norm(MAX_GRAD_NORM),
        optax.rmsprop(LR, decay=DECAY, eps=EPS, eps_in_sqrt=False),
    )
    meta_tx = optax.adam(META_LR)
    grad_fn = jax.grad(functools.partial(loss_fn, net), has_aux=True)  # ∇θ L(τ, θ, γ)
    step_envs = jax.vmap(env.step, in_axes=(0, 0, 0, None))

    def act(params, env_state, obs, episode_return, key):
        """T steps of B environments under π_θ; returns the unroll and episode statistics."""

        def step(carry, _):
            env_state, obs, episode_return, key = carry
            key, k_act, k_env = jax.random.split(key, 3)
            logits, _ = net.apply(params, obs)
            action = jax.random.categorical(k_act, logits)
            next_obs, env_state, reward, terminated, truncated, _ = step_envs(
                jax.random.split(k_env, B), env_state, action, env_params
            )
            done = terminated | truncated  # truncated is never set: the time limit is off
            episode_return = episode_return + reward
            finished = (jnp.where(done, episode_return, 0.0).sum(), done.sum())
            episode_return = jnp.where(done, 0.0, episode_return)
            out = (obs, action, reward, 1.0 - terminated.astype(jnp.float32), finished)
            return (env_state, next_obs, episode_return, key), out

        (env_state, obs_next, episode_return, key), (obs, action, reward, not_terminal, finished) = jax.lax.scan(
            step, (env_state, obs, episode_return, key), None, length=T
        )
        unroll = Unroll(jnp.concatenate([obs, obs_next[None]]), action, reward, not_terminal)
        stats = {"return_sum": finished[0].sum(), "episodes": finished[1].sum()}
        return unroll, env_state, obs_next, episode_return, key, stats

    def update(c: Carry):
        """Plain: act τ with θ, then one clipped-RMSProp step on L(τ, θ, γ = 0.99)."""
        unroll, env_state, obs, episode_return, key, stats = act(c.params, c.env_state, c.obs, c.episode_return, c.key)
        grads, metrics = grad_fn(c.params, unroll, GAMMA)
        updates, opt_state = tx.update(grads, c.opt_state, c.params)
        params = optax.apply_updates(c.params, updates)
        c = c.replace(
            params=params, opt_state=opt_state, env_state=env_state, obs=obs, episode_return=episode_return, key=key
        )
        return c, {**metrics, **stats}

    def meta_update(c: Carry):
        """--meta: inner step on τ = the last unroll, act τ′ with θ′, meta-step on J′(τ′, θ′)."""

        def inner(x):
            # θ′(x) = θ − κ s ⊙ ∇θ L(τ, θ, sigmoid(x)) with κ and s held fixed. Its value is
            # optax's update; only the derivative by x sees κ s as constants.
            grads, metrics = grad_fn(c.params, c.last_unroll, jax.nn.sigmoid(x))
            fixed = jax.lax.stop_gradient(grads)
            updates, opt_state = tx.update(fixed, c.opt_state, c.params)
            kappa = jnp.minimum(1.0, MAX_GRAD_NORM / optax.global_norm(fixed))
            nu = optax.tree_utils.tree_get(opt_state, "nu")
            scale = jax.tree.map(lambda n: kappa * LR / (jnp.sqrt(n) + EPS), nu)
            new_params = jax.tree.map(
                lambda p, u, s, g, f: p + u - s * (g - f), c.params, updates, scale, grads, fixed
            )
            return new_params, (opt_state, metrics)

        params, inner_vjp, (opt_state, metrics) = jax.vjp(inner, c.x, has_aux=True)
        unroll, env_state, obs, episode_return, key, stats = act(params, c.env_state, c.obs, c.episode_return, c.key)
        # J′ at θ′ on τ′ with γ̄; its gradient by θ′ pulled back through the inner step.
        meta_grads, meta_metrics = grad_fn(params, unroll, GAMMA)
        (dx,) = inner_vjp(meta_grads)
        x_updates, meta_opt_state = meta_tx.update(dx, c.meta_opt_state)
        x = optax.apply_updates(c.x, x_updates)
        c = c.replace(
            params=params,
            opt_state=opt_state,
            env_state=env_state,
            obs=obs,
            episode_return=episode_return,
            key=key,
            x=x,
            meta_opt_state=meta_opt_state,
            last_unroll=unroll,
        )
        metrics = {**metrics, **stats, "meta_loss": meta_metrics["loss"], "dJ_dx": dx, "gamma": jax.nn.sigmoid(x)}
        return c, metrics

    def init(key):
        key, k_net, k_env = jax.random.split(key, 3)
        obs, env_state = jax.vmap(env.reset, in_axes=(0, None))(jax.random.split(k_env, B), env_params)
        params = net.init(k_net, obs)
        c = Carry(params, tx.init(params), env_state, obs, jnp.zeros(B), key)
        if meta:
            x = jnp.log(GAMMA_INIT / (1.0 - GAMMA_INIT))  # logit(0.9)
            # The first τ: one unroll acted with the initial θ (before any timing).
            unroll, env_state, obs, episode_return, key, _ = act(params, env_state, obs, c.episode_return, key)
            c = c.replace(
                env_state=env_state,
                obs=obs,
                episode_return=episode_return,
                key=key,
                x=x,
                meta_opt_state=meta_tx.init(x),
                last_unroll=unroll,
            )
        return c

    return net, jax.jit(init), jax.jit(meta_update if meta else update)


def main():
    args = ARGS
    _, init, update = make_update(args.network, args.meta)
    carry = jax.block_until_ready(init(jax.random.PRNGKey(args.seed)))

    start = time.perf_counter()
    update = update.lower(carry).compile()
    compile_s = time.perf_counter() - start
    carry, _ = update(carry)  # warm-up
    jax.block_until_ready(carry)

    common = {
        "impl": "purejaxrl",
        "env": "Breakout-MinAtar",
        "network": args.network,
        "meta": args.meta,
        "B": B,
        "T": T,
        "updates": args.updates,
        "frames": args.updates * B * T,
        "jax": jax.__version__,
        "device": str(jax.devices()[0]),
        "threads": args.threads if args.threads is not None else len(os.sched_getaffinity(0)),
        "xla_flags": os.environ.get("XLA_FLAGS", ""),
        "compile_s": round(compile_s, 3),
    }
    rates = []
    for repeat in range(args.repeats):
        history = []
        cpu0, start = time.process_time(), time.perf_counter()
        for _ in range(args.updates):
            carry, metrics = update(carry)
            history.append(metrics)
        jax.block_until_ready(carry)
        seconds = time.perf_counter() - start
        cpu = time.process_time() - cpu0
        rates.append(args.updates * B * T / seconds)
        history = jax.device_get(history)
        episodes = sum(int(m["episodes"]) for m in history)
        record = {
            **common,
            "repeat": repeat,
            "seconds": round(seconds, 4),
            "frames_per_s": round(rates[-1], 1),
            "cpu_per_wall": round(cpu / seconds, 2),
            "loss": float(history[-1]["loss"]),
            "episodes": episodes,
            # Mean return of the episodes that ended during this repeat's updates.
            "mean_episode_return": sum(float(m["return_sum"]) for m in history) / episodes if episodes else None,
        }
        if args.meta:
            record.update(
                gamma=float(history[-1]["gamma"]),
                meta_loss=float(history[-1]["meta_loss"]),
                dJ_dx=float(history[-1]["dJ_dx"]),
            )
        print(json.dumps(record), flush=True)
    summary = {**common, "repeat": "median", "repeats": args.repeats, "frames_per_s": round(statistics.median(rates), 1)}
    if args.meta:
        summary.update(gamma_init=GAMMA_INIT, gamma=float(jax.nn.sigmoid(carry.x)))
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
