#!/usr/bin/env bash
# Records Gymnasium CartPole-v1 episodes (initial state, actions, every f64 state, reward,
# termination, truncation) into envs/tests/data/cartpole_reference.json, which the test
# envs/tests/cartpole.rs replays against our CartPole. Gymnasium lives in .venv-gym.
# Usage: scripts/cartpole_reference.sh
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv-gym
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --upgrade pip
    "$VENV/bin/pip" install --quiet "gymnasium==1.0.0" numpy
fi
"$VENV/bin/python" scripts/cartpole_reference.py envs/tests/data/cartpole_reference.json
