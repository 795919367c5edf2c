#!/usr/bin/env bash
# Training frames/s of a fully-jitted JAX actor-critic (PureJaxRL style) on gymnax's MinAtar
# Breakout, the peer of mgrl's `examples/bench/breakout_conv.toml` (see the docstring of
# scripts/bench_purejaxrl.py for exactly what is computed). CPU only; prints JSON lines.
#
# Usage: scripts/bench_purejaxrl.sh [--venv DIR] [bench_purejaxrl.py flags...]
#   e.g. scripts/bench_purejaxrl.sh --network conv --meta --updates 50 --repeats 3 --threads 1
# The virtual environment (default /tmp/venv-jax, or $VENV) is created and filled on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-/tmp/venv-jax}
if [ "${1:-}" = "--venv" ]; then
    VENV=$2
    shift 2
fi
# Pinned: the versions this script was checked with on Python 3.11. gymnax 1.0.1 imports `six`
# without declaring it.
PACKAGES=("jax[cpu]==0.10.2" "jaxlib==0.10.2" "optax==0.2.8" "flax==0.12.8" "gymnax==1.0.1" "six==1.17.0")
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" - <<'PY' 2>/dev/null; then
import importlib.metadata as m, sys
want = {"jax": "0.10.2", "jaxlib": "0.10.2", "optax": "0.2.8", "flax": "0.12.8", "gymnax": "1.0.1", "six": "1.17.0"}
sys.exit(any(m.version(k) != v for k, v in want.items()))
PY
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --upgrade pip
    "$VENV/bin/pip" install --quiet "${PACKAGES[@]}"
fi
JAX_PLATFORMS=cpu exec "$VENV/bin/python" scripts/bench_purejaxrl.py "$@"
