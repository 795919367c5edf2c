"""rlax's lambda_returns and vtrace_td_error_and_advantage, vmapped over B and jitted on
CPU, timed for the value alone and the value plus the VJP with respect to every input.
Prints elements (T·B) per second; run by scripts/bench_rlax.sh."""

import time

import jax
import jax.numpy as jnp
import numpy as np
import rlax

jax.config.update("jax_enable_x64", True)  # mgrl's returns compute in f64


def lambda_return(r, d, v, v_next, log_rho, gamma, lam):
    del v, log_rho
    return rlax.lambda_returns(r, gamma * d, v_next, lam)


def vtrace(r, d, v, v_next, log_rho, gamma, lam):
    # rlax takes v_tm1 = V(x_t) and v_t = V(x_{t+1}); time-major [T] per environment.
    out = rlax.vtrace_td_error_and_advantage(v, v_next, r, gamma * d, jnp.exp(log_rho), lambda_=lam)
    return out.errors + v, out.pg_advantage


def batched(fn):
    # Inputs are [T, B]; rlax works on [T]: vmap over the environment axis.
    return jax.vmap(fn, in_axes=(1, 1, 1, 1, 1, 1, 1), out_axes=1)


def timeit(f, *args, reps=50):
    jax.block_until_ready(f(*args))
    best = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(reps):
            out = f(*args)
        jax.block_until_ready(out)
        best.append((time.perf_counter() - t0) / reps)
    return min(best)


def main():
    print(f"jax {jax.__version__}, rlax {rlax.__version__ if hasattr(rlax, '__version__') else '?'}, devices {jax.devices()}")
    rng = np.random.default_rng(0)
    for name, fn in [("lambda_return", lambda_return), ("vtrace", vtrace)]:
        f = batched(fn)
        value = jax.jit(f)

        def with_vjp(*args):
            out, pullback = jax.vjp(f, *args)
            cot = jax.tree_util.tree_map(jnp.ones_like, out)
            return out, pullback(cot)

        value_vjp = jax.jit(with_vjp)
        for t, b in [(128, 1024), (20, 256)]:
            shape = (t, b)
            args = [
                rng.uniform(-1, 1, shape),
                (rng.uniform(0, 1, shape) > 0.01).astype(np.float64),
                rng.uniform(-1, 1, shape),
                rng.uniform(-1, 1, shape),
                rng.uniform(-0.5, 0.5, shape),
                np.full(shape, 0.99),
                np.full(shape, 0.95),
            ]
            args = [jnp.asarray(a) for a in args]
            for label, g in [("value", value), ("value+vjp", value_vjp)]:
                s = timeit(g, *args)
                print(f"{name}/{label}/T{t}xB{b}: {s * 1e3:.3f} ms  {t * b / s / 1e6:.2f} Melem/s")


if __name__ == "__main__":
    main()
