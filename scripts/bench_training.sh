#!/usr/bin/env bash
# Whole-agent training frames per second on MinAtar Breakout (BENCHMARKS.md, "Training
# throughput"): mgrl's actor-critic (examples/bench/breakout_conv.toml: 64 environments × T = 20,
# RMSProp, V-trace on-policy) with MinAtar's convolutional network and with an MLP 256 × 2, each
# plain and meta-learning γ, against the same agent fully jitted in JAX on gymnax's Breakout
# (scripts/bench_purejaxrl.py), alternating the two so that both see the same machine.
# mgrl's figure includes its start-up (the run's own wall clock); JAX's excludes compilation
# and one warm-up update (bench_purejaxrl.py times only the updates).
# Usage: scripts/bench_training.sh [REPEATS] [UPDATES]   (defaults 3 and 100)
#   BEFORE=path/to/another/mgrl: that build measured too, in the same alternation (e.g. the
#   commit before a change), in its own columns.
set -euo pipefail
cd "$(dirname "$0")/.."
REPEATS=${1:-3}
UPDATES=${2:-100}
cargo build --release -q -p mgrl-agents
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# mgrl: frames/s of one run of UPDATES updates (its own wall clock, startup included).
mgrl_fps() {  # binary network meta out
    local bin=$1
    shift
    local sets=(--set "run.updates=$UPDATES" --set "run.checkpoint_interval=100000")
    [ "$1" = mlp ] && sets+=(--set 'agent.network={type="mlp",hidden=[256,256]}')
    [ "$2" = meta ] && sets+=(--set "return.gamma={value=0.9,learnable=true}")
    "$bin" run examples/bench/breakout_conv.toml "${sets[@]}" --out "$3" >"$3.log" 2>&1
    sed -n 's/^finished \([0-9]*\) updates (\([0-9]*\) frames.* in \([0-9.]*\) s$/\2 \3/p' "$3.log" |
        awk '{ printf "%.0f\n", $1 / $2 }'
}

jax_fps() {  # network meta
    local flags=(--network "$1" --updates "$UPDATES" --repeats 1)
    [ "$2" = meta ] && flags+=(--meta)
    scripts/bench_purejaxrl.sh "${flags[@]}" |
        python3 -c 'import json,sys; rows=[json.loads(l) for l in sys.stdin if l.strip()]; print(round([r for r in rows if r.get("repeat") == "median"][-1]["frames_per_s"]))'
}

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

if [ -n "${BEFORE:-}" ]; then
    echo "| network | meta | mgrl frames/s (each) | before (each) | JAX frames/s (each) | mgrl median | before median | JAX median | mgrl / before | mgrl / JAX |"
    echo "|---|---|---|---|---|---:|---:|---:|---:|---:|"
else
    echo "| network | meta | mgrl frames/s (each) | JAX frames/s (each) | mgrl median | JAX median | mgrl / JAX |"
    echo "|---|---|---|---|---:|---:|---:|"
fi
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
for net in conv mlp; do
    for meta in plain meta; do
        ours=(); before=(); theirs=()
        for r in $(seq "$REPEATS"); do
            ours+=("$(mgrl_fps target/release/mgrl "$net" "$meta" "$TMP/$net-$meta-$r")")
            [ -n "${BEFORE:-}" ] && before+=("$(mgrl_fps "$BEFORE" "$net" "$meta" "$TMP/before-$net-$meta-$r")")
            theirs+=("$(jax_fps "$net" "$meta")")
        done
        m=$(printf '%s\n' "${ours[@]}" | median)
        j=$(printf '%s\n' "${theirs[@]}" | median)
        if [ -n "${BEFORE:-}" ]; then
            b=$(printf '%s\n' "${before[@]}" | median)
            echo "| $net | $meta | ${ours[*]} | ${before[*]} | ${theirs[*]} | $m | $b | $j | $(ratio "$m" "$b")× | $(ratio "$m" "$j")× |"
        else
            echo "| $net | $meta | ${ours[*]} | ${theirs[*]} | $m | $j | $(ratio "$m" "$j")× |"
        fi
    done
done
