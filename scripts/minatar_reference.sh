#!/usr/bin/env bash
# Records episodes of the five reference MinAtar games (every random draw, action, reward,
# game over and observation) into envs/tests/data/minatar/<game>.bin, which
# envs/tests/minatar_reference.rs replays against our games. minatar lives in .venv-minatar.
# Usage: scripts/minatar_reference.sh [game ...]   (default: all five)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv-minatar
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import minatar" 2>/dev/null; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --upgrade pip
    "$VENV/bin/pip" install --quiet "minatar==1.0.15" "numpy>=1.24"
fi
mkdir -p envs/tests/data/minatar
"$VENV/bin/python" scripts/minatar_reference.py envs/tests/data/minatar "$@"
