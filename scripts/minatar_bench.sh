#!/usr/bin/env bash
# Measures steps/s of gymnax's MinAtar games (jitted and vmapped over 1024 copies on the CPU)
# and of the reference minatar package, to compare with
# `cargo bench -p mgrl-envs --bench minatar` (see BENCHMARKS.md). Lives in .venv-minatar-bench.
# Usage: scripts/minatar_bench.sh [seconds per repeat, default 1]
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv-minatar-bench
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import gymnax, minatar" 2>/dev/null; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --upgrade pip
    "$VENV/bin/pip" install --quiet "jax[cpu]" "gymnax==1.0.1" "minatar==1.0.15"
fi
JAX_PLATFORMS=cpu "$VENV/bin/python" scripts/minatar_bench.py "$@"
