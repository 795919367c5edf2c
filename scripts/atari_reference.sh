#!/usr/bin/env bash
# Records the ale-py / Gymnasium / OpenCV references that envs/tests/atari_*.rs replay, into
# envs/tests/data/atari/ (see scripts/atari_reference.py). Python packages live in .venv-atari.
# Usage: scripts/atari_reference.sh   (ROMs from $MGRL_ATARI_ROMS or scripts/fetch-atari-roms.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv-atari
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import ale_py, cv2, gymnasium" 2>/dev/null; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet "ale-py==0.12.1" "gymnasium==1.4.0" "opencv-python-headless==5.1.0.*" "numpy"
fi
ROMS=$(scripts/fetch-atari-roms.sh)
mkdir -p envs/tests/data/atari
"$VENV/bin/python" scripts/atari_reference.py envs/tests/data/atari "$ROMS"
