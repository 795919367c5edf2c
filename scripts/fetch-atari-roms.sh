#!/usr/bin/env bash
# Fetches the Atari 2600 ROMs that Gymnasium users have: they ship inside the `ale-py` wheel on
# PyPI (ale_py/roms/*.bin). Downloads one pinned wheel with pip (no install, no Python import),
# unpacks its ROMs into a folder and prints that folder; point mgrl at it with
# `export MGRL_ATARI_ROMS=<folder>` or `[env] rom_dir = "<folder>"`.
# Usage: scripts/fetch-atari-roms.sh [folder]   (default: $MGRL_ATARI_ROMS, else ~/.cache/mgrl/atari-roms)
set -euo pipefail
ALE_PY_VERSION=0.12.1
DEST=${1:-${MGRL_ATARI_ROMS:-$HOME/.cache/mgrl/atari-roms}}

if [ -f "$DEST/pong.bin" ] && [ "$(ls "$DEST"/*.bin | wc -l)" -ge 100 ]; then
    echo "$DEST already holds $(ls "$DEST"/*.bin | wc -l) ROMs" >&2
    echo "$DEST"
    exit 0
fi
command -v python3 >/dev/null || { echo "fetch-atari-roms: needs python3 (for pip download)" >&2; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# Any CPython wheel of this version holds the same ROMs; pick this machine's platform.
python3 -m pip download --quiet --no-deps --only-binary=:all: --dest "$TMP" "ale-py==$ALE_PY_VERSION" >&2
WHEEL=$(ls "$TMP"/ale_py-*.whl)
mkdir -p "$DEST"
python3 - "$WHEEL" "$DEST" <<'PY'
import sys, zipfile, os
wheel, dest = sys.argv[1], sys.argv[2]
n = 0
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if name.startswith("ale_py/roms/") and name.endswith(".bin"):
            with open(os.path.join(dest, os.path.basename(name)), "wb") as f:
                f.write(z.read(name))
            n += 1
if n == 0:
    sys.exit(f"fetch-atari-roms: {wheel} holds no ale_py/roms/*.bin")
print(f"fetch-atari-roms: {n} ROMs from {os.path.basename(wheel)} into {dest}", file=sys.stderr)
PY
echo "$DEST"
