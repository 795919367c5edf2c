#!/usr/bin/env bash
# BENCHMARKS.md's Atari rows: mgrl's raw emulator frames per second (one thread) next to
# ale-py's, and its vectorised, preprocessed frames per second (observations as f32 and as
# bytes) next to ale-py's AtariVectorEnv and EnvPool's (same games, preprocessing, environments
# and threads). Every measurement is a process of its own, run under `flock /tmp/bench.lock` (no
# two benchmarks at once on a shared machine), the peers interleaved, REPS rounds; then the
# medians and ratios.
# Usage: scripts/atari_bench.sh [REPS] [ENVS] [THREADS] [SECONDS] [GAME...]
#   (defaults 3, 8, 2, 5, pong breakout space_invaders); ATARI_BENCH_VENV: the Python venv
#   (default .venv-atari, made and filled with the pinned peers when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${1:-3} ENVS=${2:-8} THREADS=${3:-2} SECS=${4:-5}
shift $(( $# < 4 ? $# : 4 ))
GAMES=("${@:-pong breakout space_invaders}")
read -r -a GAMES <<< "${GAMES[*]}"
VENV=${ATARI_BENCH_VENV:-.venv-atari}
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import ale_py, envpool, gymnasium" 2>/dev/null; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet "ale-py==0.12.1" "gymnasium==1.4.0" "envpool==1.2.5" numpy
fi
ROMS=$(scripts/fetch-atari-roms.sh)
export MGRL_ATARI_ROMS=$ROMS
cargo build --release -q -p mgrl-envs --features atari --example atari_bench
BIN="${CARGO_TARGET_DIR:-target}/release/examples/atari_bench"
OUT=$(mktemp)
lock() { flock /tmp/bench.lock "$@" | tee -a "$OUT"; }
for rep in $(seq "$REPS"); do
    for game in "${GAMES[@]}"; do
        lock "$BIN" raw "$game" 1 1 "$SECS"
        lock "$VENV/bin/python" scripts/atari_bench.py raw "$game" 1 1 "$SECS" "$ROMS"
        lock "$BIN" vec "$game" "$ENVS" "$THREADS" "$SECS"
        lock "$BIN" vec-bytes "$game" "$ENVS" "$THREADS" "$SECS"
        lock "$VENV/bin/python" scripts/atari_bench.py alepy-vec "$game" "$ENVS" "$THREADS" "$SECS" "$ROMS"
        lock "$VENV/bin/python" scripts/atari_bench.py envpool "$game" "$ENVS" "$THREADS" "$SECS" "$ROMS"
    done
    echo "-- round $rep of $REPS done"
done
echo "== medians of $REPS rounds ($(date -u +%F), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
python3 - "$OUT" <<'PY'
import collections, statistics, sys
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    peer, mode, game, envs, threads, fps = line.split()
    runs[(game, mode, peer, envs, threads)].append(float(fps))
med = {k: statistics.median(v) for k, v in runs.items()}
print("| game | measure | peer | envs × threads | frames/s (median) | runs | mgrl ÷ peer | mgrl bytes ÷ peer |")
print("|---|---|---|---|---|---|---|---|")
for (game, mode, peer, envs, threads), m in sorted(med.items()):
    def ratio(ours_name):
        ours = next((v for (g, mo, p, *_), v in med.items() if g == game and mo == mode and p == ours_name), None)
        return "" if peer.startswith("mgrl") or ours is None else f"{ours / m:.2f}"
    runs_ = ", ".join(f"{x:.0f}" for x in runs[(game, mode, peer, envs, threads)])
    print(f"| {game} | {mode} | {peer} | {envs} × {threads} | {m:.0f} | {runs_} | {ratio('mgrl')} | {ratio('mgrl-bytes')} |")
PY
