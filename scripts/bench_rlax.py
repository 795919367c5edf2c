"""rlax's lambda_returns and vtrace_td_error_and_advantage, vmapped over B and jitted on
CPU, timed for the value alone and the value plus the VJP with respect to every input, at
the shapes of `cargo bench -p mgrl-returns --bench returns`. Run by scripts/bench_rlax.sh.

Each function computes what the mgrl plugin of the same name returns: the value targets and
the advantages (Gₜ − V(xₜ) for the λ-return), in f64, from [T, B] arrays. V-trace is called
with stop_target_gradients=False so that its VJP is the full derivative, as ours is (rlax's
default stops the gradient through the targets, which leaves almost nothing to differentiate).

Prints, per case, the best of `--rounds` rounds of wall-clock time per call and the process
CPU time per call (all threads), and the throughput in elements (T·B) per second of each.
"""

import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np
import rlax

jax.config.update("jax_enable_x64", True)  # mgrl's returns compute in f64

SHAPES = [(128, 1024), (20, 256)]


def lambda_return(r, d, v, v_next, log_rho, gamma, lam):
    del log_rho
    g = rlax.lambda_returns(r, gamma * d, v_next, lam)
    return g, g - v


def vtrace(r, d, v, v_next, log_rho, gamma, lam):
    # rlax takes v_tm1 = V(x_t) and v_t = V(x_{t+1}), time-major [T] per environment.
    out = rlax.vtrace_td_error_and_advantage(
        v, v_next, r, gamma * d, jnp.exp(log_rho), lambda_=lam, stop_target_gradients=False
    )
    return out.errors + v, out.pg_advantage


def batched(fn):
    # Inputs are [T, B]; rlax works on [T]: vmap over the environment axis.
    return jax.vmap(fn, in_axes=(1,) * 7, out_axes=1)


def timeit(f, args, rounds, reps):
    jax.block_until_ready(f(*args))
    wall, cpu = [], []
    for _ in range(rounds):
        w0, c0 = time.perf_counter(), time.process_time()
        for _ in range(reps):
            out = f(*args)
        jax.block_until_ready(out)
        wall.append((time.perf_counter() - w0) / reps)
        cpu.append((time.process_time() - c0) / reps)
    return min(wall), min(cpu)


def inputs(rng, t, b):
    shape = (t, b)
    arrays = [
        rng.uniform(-1, 1, shape),  # rewards
        (rng.uniform(0, 1, shape) > 0.01).astype(np.float64),  # discounts: 1% episode ends
        rng.uniform(-1, 1, shape),  # values
        rng.uniform(-1, 1, shape),  # next values
        rng.uniform(-0.5, 0.5, shape),  # log rhos
        np.full(shape, 0.99),  # gamma
        np.full(shape, 0.95),  # lambda
    ]
    return [jnp.asarray(a) for a in arrays]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10, help="rounds per case; the best is kept")
    args = parser.parse_args()
    print(f"jax {jax.__version__}, rlax {getattr(rlax, '__version__', '?')}, devices {jax.devices()}")
    rng = np.random.default_rng(0)
    for name, fn in [("lambda_return", lambda_return), ("vtrace", vtrace)]:
        f = batched(fn)

        def with_vjp(*xs, f=f):
            out, pullback = jax.vjp(f, *xs)
            cot = jax.tree_util.tree_map(jnp.ones_like, out)
            return out, pullback(cot)

        for t, b in SHAPES:
            xs = inputs(rng, t, b)
            reps = max(5, 2_000_000 // (t * b))
            for label, g in [("value", jax.jit(f)), ("value+vjp", jax.jit(with_vjp))]:
                wall, cpu = timeit(g, xs, args.rounds, reps)
                print(
                    f"{name}/{label}/T{t}xB{b}: wall {wall * 1e6:9.1f} µs ({t * b / wall / 1e6:7.1f} Melem/s)"
                    f"   cpu {cpu * 1e6:9.1f} µs ({t * b / cpu / 1e6:7.1f} Melem/s)"
                )


if __name__ == "__main__":
    main()
