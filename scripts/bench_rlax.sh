#!/usr/bin/env bash
# Measures rlax's λ-return and V-trace under jax.jit on CPU at the shapes of
# `cargo bench -p mgrl-returns --bench returns`, in a virtual environment of its own.
# Usage: scripts/bench_rlax.sh [--rounds N] [--layout tb|bt|tb-scalar|all]
# (all by default: [T, B] arrays vmapped over axis 1 with γ, λ as arrays, as measured before;
# [B, T] arrays vmapped over axis 0 with scalar γ, λ; [T, B] with scalar γ, λ)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv-rlax
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import rlax, jax" 2>/dev/null; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --upgrade pip
    "$VENV/bin/pip" install --quiet "jax[cpu]" rlax
fi
"$VENV/bin/python" scripts/bench_rlax.py "$@"
