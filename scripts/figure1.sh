#!/usr/bin/env bash
# Reproduces both panels of Figure 1 of Xu, van Hasselt & Silver (2018): each experiment
# over 10 seeds (runs/figure1a-lambda/seed-*, runs/figure1b-gamma/seed-*: metrics.csv holds
# the meta-parameters over training), then the plots into runs/<name>/plots/. Each invocation
# starts both experiments over: their run folders from an earlier one are removed first (the
# runs are seeded, so they come out the same).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin mgrl
for example in figure1a_lambda figure1b_gamma; do
    name=$(grep -m1 '^name = ' "examples/$example.toml" | cut -d'"' -f2)
    rm -rf "runs/$name"
    target/release/mgrl run "examples/$example.toml" --seeds 10
    target/release/mgrl plot "runs/$name"
done
