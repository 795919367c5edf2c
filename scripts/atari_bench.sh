#!/usr/bin/env bash
# BENCHMARKS.md's Atari rows: mgrl's raw and vectorised frames per second next to ale-py's and
# EnvPool's, in one session. Usage: scripts/atari_bench.sh [GAME] [ENVS] [THREADS] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
GAME=${1:-pong} ENVS=${2:-8} THREADS=${3:-2} SECONDS_=${4:-5}
VENV=.venv-atari
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import ale_py, envpool" 2>/dev/null; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet "ale-py==0.12.1" "gymnasium==1.4.0" "opencv-python-headless==5.1.0.*" numpy envpool
fi
ROMS=$(scripts/fetch-atari-roms.sh)
export MGRL_ATARI_ROMS=$ROMS
cargo build --release -q -p mgrl-envs --features atari --example atari_bench
"${CARGO_TARGET_DIR:-target}/release/examples/atari_bench" "$GAME" "$ENVS" "$THREADS" "$SECONDS_"
"$VENV/bin/python" scripts/atari_bench.py "$GAME" "$ENVS" "$THREADS" "$SECONDS_" "$ROMS"
