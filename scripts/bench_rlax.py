"""rlax's lambda_returns and vtrace_td_error_and_advantage, vmapped over B and jitted on
CPU, timed for the value alone and the value plus the VJP with respect to every input, at
the shapes of `cargo bench -p mgrl-returns --bench returns`. Run by scripts/bench_rlax.sh.

Each function computes what the mgrl plugin of the same name returns: the value targets and
the advantages (Gₜ − V(xₜ) for the λ-return), in f64. V-trace is called with
stop_target_gradients=False so that its VJP is the full derivative, as ours is (rlax's
default stops the gradient through the targets, which leaves almost nothing to differentiate).

Three layouts (`--layout`, all by default, timed case by case one after the other):
  tb         the inputs as [T, B] arrays, γ and λ among them as [T, B] arrays of one value,
             vmapped over axis 1; the VJP is with respect to all seven arrays. The layout of
             the numbers recorded before the option existed, measured exactly as then.
  bt         rlax's own layout: [B, T] arrays (each environment's steps contiguous) vmapped
             over axis 0, γ and λ passed as scalars (discount_t = γ·dₜ, λ a scalar as
             rlax.lambda_returns and rlax.vtrace_td_error_and_advantage accept), the VJP with
             respect to the five arrays and the scalar γ, λ.
  tb-scalar  [T, B] arrays vmapped over axis 1 with scalar γ, λ as in bt: which of bt's two
             changes, the layout or the scalars, makes a difference.
On the first call of each case every layout is run on the same numbers (the [B, T] arrays are
the [T, B] ones transposed) and must agree with tb to 1e-12: values, advantages, the arrays'
cotangents, and the scalar γ, λ cotangents against the sums of the per-step ones.

Prints, per case and layout, the best of `--rounds` rounds of wall-clock time per call and
the process CPU time per call (all threads), and the throughput in elements (T·B) per second
of each.
"""

import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np
import rlax

jax.config.update("jax_enable_x64", True)  # mgrl's returns compute in f64

SHAPES = [(128, 1024), (20, 256)]
GAMMA, LAMBDA = 0.99, 0.95
TOLERANCE = 1e-12


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


def batched_scalar_eta(fn, axis):
    # Inputs [T, B] (axis 1) or [B, T] (axis 0, rlax's own layout); γ and λ scalars, shared.
    return jax.vmap(fn, in_axes=(axis,) * 5 + (None, None), out_axes=axis)


def value_and_vjp(f):
    def with_vjp(*xs):
        out, pullback = jax.vjp(f, *xs)
        cot = jax.tree_util.tree_map(jnp.ones_like, out)
        return out, pullback(cot)

    return with_vjp


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
        np.full(shape, GAMMA),  # gamma
        np.full(shape, LAMBDA),  # lambda
    ]
    return [jnp.asarray(a) for a in arrays]


def inputs_scalar_eta(xs_tb, transpose):
    # The same numbers as the [T, B] inputs, laid out [B, T] (contiguous per environment) with
    # `transpose`, with γ and λ as f64 scalars (passed as arguments, so traced, not constants).
    arrays = [jnp.asarray(np.ascontiguousarray(np.asarray(x).T)) if transpose else x for x in xs_tb[:5]]
    return arrays + [jnp.asarray(GAMMA, dtype=jnp.float64), jnp.asarray(LAMBDA, dtype=jnp.float64)]


def check_agreement(case, f_tb, f_other, xs_tb, xs_other, transpose):
    """The layout `f_other` (scalar γ, λ; [B, T] with `transpose`) against tb, value and
    value+VJP, on the same numbers: equal to TOLERANCE. Returns the largest difference."""
    worst = []
    tr = (lambda a: a.T) if transpose else (lambda a: a)

    def close(what, a, b, scale=None):
        # Relative to the reference's magnitude (at least 1), or to `scale` where given.
        a, b = np.asarray(a), np.asarray(b)
        scale = np.maximum(1.0, np.abs(b) if scale is None else scale)
        err = np.max(np.abs(a - b) / scale)
        assert a.shape == b.shape and err <= TOLERANCE, f"{case}: {what} differ by {err:.3g}"
        worst.append(err)

    (g_tb, a_tb), (g_o, a_o) = f_tb[0](*xs_tb), f_other[0](*xs_other)
    close("values", g_o, tr(g_tb))
    close("advantages", a_o, tr(a_tb))
    ((vg_tb, va_tb), cot_tb), ((vg_o, va_o), cot_o) = f_tb[1](*xs_tb), f_other[1](*xs_other)
    close("values (vjp)", vg_o, tr(vg_tb))
    close("advantages (vjp)", va_o, tr(va_tb))
    for i in range(5):
        close(f"cotangent of input {i}", cot_o[i], tr(cot_tb[i]))
    # A scalar's cotangent is the sum of the per-step ones, summed in another order: compared
    # relative to the sum of their magnitudes, the scale of its rounding.
    for i, name in [(5, "gamma"), (6, "lambda")]:
        per_step = np.asarray(cot_tb[i])
        close(f"cotangent of {name}", cot_o[i], per_step.sum(), scale=np.abs(per_step).sum())
    return max(worst)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10, help="rounds per case; the best is kept")
    parser.add_argument(
        "--layout",
        choices=["tb", "bt", "tb-scalar", "all"],
        default="all",
        help="tb: [T, B] arrays vmapped over axis 1, γ and λ as [T, B] arrays (the earlier "
        "measurement); bt: [B, T] arrays vmapped over axis 0, γ and λ scalars; tb-scalar: "
        "[T, B] arrays, γ and λ scalars; all (default)",
    )
    args = parser.parse_args()
    layouts = ["tb", "bt", "tb-scalar"] if args.layout == "all" else [args.layout]
    print(f"jax {jax.__version__}, rlax {getattr(rlax, '__version__', '?')}, devices {jax.devices()}")
    rng = np.random.default_rng(0)
    for name, fn in [("lambda_return", lambda_return), ("vtrace", vtrace)]:
        f = {"tb": batched(fn), "bt": batched_scalar_eta(fn, 0), "tb-scalar": batched_scalar_eta(fn, 1)}
        jitted = {k: (jax.jit(g), jax.jit(value_and_vjp(g))) for k, g in f.items()}
        for t, b in SHAPES:
            xs = {"tb": inputs(rng, t, b)}
            xs["bt"] = inputs_scalar_eta(xs["tb"], transpose=True)
            xs["tb-scalar"] = inputs_scalar_eta(xs["tb"], transpose=False)
            for layout in ["bt", "tb-scalar"]:
                worst = check_agreement(
                    f"{name}/T{t}xB{b}/{layout}", jitted["tb"], jitted[layout], xs["tb"], xs[layout], layout == "bt"
                )
                print(f"{name}/T{t}xB{b}: layouts tb and {layout} agree (largest relative difference {worst:.2g})")
            reps = max(5, 2_000_000 // (t * b))
            for i, label in enumerate(["value", "value+vjp"]):
                for layout in layouts:
                    wall, cpu = timeit(jitted[layout][i], xs[layout], args.rounds, reps)
                    print(
                        f"{name}/{label}/T{t}xB{b}/{layout}: wall {wall * 1e6:9.1f} µs ({t * b / wall / 1e6:7.1f} Melem/s)"
                        f"   cpu {cpu * 1e6:9.1f} µs ({t * b / cpu / 1e6:7.1f} Melem/s)",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
