"""Steps per second of the Python MinAtar implementations, for BENCHMARKS.md beside
`cargo bench -p mgrl-envs --bench minatar`.

- gymnax (JAX): each game's `<Game>-MinAtar` environment, `step` (with its automatic reset,
  float32 observation and final observation) vmapped over B = 1024 copies and jitted on the CPU, uniformly random
  actions. Two ways of driving it: one jitted call per step from Python (the observations
  come back each step, as an agent on the host would use them), and `lax.scan` over 100 steps
  inside one jitted call (no Python between steps; the observations stay in the loop carry).
- minatar (the reference package): one environment stepped from Python with random actions
  from the minimal action set, the observation taken each step (`state()`), resetting at
  the end of episodes.

Each figure is the median of 5 timed repeats after a warm-up (compilation excluded).
Usage: python scripts/minatar_bench.py [seconds per repeat]
"""

import statistics
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np

B = 1024
SCAN = 100
REPEATS = 5


def median_rate(run, steps_per_call, seconds):
    """Median steps/s of `run()` over REPEATS repeats of about `seconds` each."""
    run()
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < 0.2:
        run()
        calls += 1
    per_repeat = max(1, int(calls * seconds / 0.2))
    rates = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        for _ in range(per_repeat):
            run()
        rates.append(per_repeat * steps_per_call / (time.perf_counter() - start))
    return statistics.median(rates)


def gymnax_rates(name, seconds):
    import gymnax

    env, params = gymnax.make(name)
    n = env.num_actions

    def one_step(carry):
        key, state = carry
        key, k_act, k_step = jax.random.split(key, 3)
        actions = jax.random.randint(k_act, (B,), 0, n)
        obs, state, reward, terminated, truncated, _ = jax.vmap(env.step, in_axes=(0, 0, 0, None))(
            jax.random.split(k_step, B), state, actions, params
        )
        return (key, state), (obs, reward, terminated, truncated)

    key = jax.random.PRNGKey(0)
    _, state = jax.vmap(env.reset, in_axes=(0, None))(jax.random.split(key, B), params)

    step = jax.jit(one_step)
    carry = [(key, state)]

    def per_call():
        carry[0], out = step(carry[0])
        jax.block_until_ready(out)

    @jax.jit
    def scanned(carry, obs):
        def body(c, _):
            c, (o, *_) = one_step(c[0])
            return (c, o), None

        (carry, obs), _ = jax.lax.scan(body, (carry, obs), None, length=SCAN)
        return carry, obs

    obs0 = jnp.zeros((B,) + tuple(env.observation_space(params).shape), jnp.float32)
    scan_carry = [(key, state), obs0]

    def per_scan():
        scan_carry[0], scan_carry[1] = scanned(scan_carry[0], scan_carry[1])
        jax.block_until_ready(scan_carry[1])

    return median_rate(per_call, B, seconds), median_rate(per_scan, B * SCAN, seconds)


def minatar_rate(game, seconds):
    from minatar import Environment

    env = Environment(game)
    env.seed(0)
    actions = env.minimal_action_set()
    rng = np.random.RandomState(0)
    env.reset()
    chunk = 1000

    def run():
        for _ in range(chunk):
            _, over = env.act(actions[rng.randint(len(actions))])
            env.state()
            if over:
                env.reset()

    return median_rate(run, chunk, seconds)


def main(seconds):
    print(f"jax {jax.__version__} on {jax.devices()[0].platform}, B = {B}")
    for name in [
        "Breakout-MinAtar",
        "Asterix-MinAtar",
        "Freeway-MinAtar",
        "Seaquest-MinAtar",
        "SpaceInvaders-MinAtar",
    ]:
        per_call, per_scan = gymnax_rates(name, seconds)
        print(f"gymnax {name}: {per_call:,.0f} steps/s (a jitted call a step), {per_scan:,.0f} steps/s (lax.scan of {SCAN})")
    for game in ["asterix", "breakout", "freeway", "seaquest", "space_invaders"]:
        print(f"minatar {game}: {minatar_rate(game, seconds):,.0f} steps/s (one environment)")


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 1.0)
