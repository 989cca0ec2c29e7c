#!/usr/bin/env bash
# Runs the fuzz targets named (every target if none) in turn for SECONDS each (default 3600),
#   fuzz/run-all.sh [SECONDS [TARGET...]]
# keeping each one's corpus in fuzz/corpus/TARGET and any crash in fuzz/artifacts/TARGET;
# the log of each run goes to fuzz/logs/TARGET.log. cargo fuzz needs a nightly compiler, or RUSTC_BOOTSTRAP=1 on stable.
set -uo pipefail
cd "$(dirname "$0")"
seconds="${1:-3600}"
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(pipeline html jsonl decode)
mkdir -p logs
for target in "${targets[@]}"; do
    mkdir -p "corpus/$target"
    RUSTC_BOOTSTRAP="${RUSTC_BOOTSTRAP:-1}" cargo fuzz run -O "$target" "corpus/$target" -- \
        -max_total_time="$seconds" -timeout=120 -rss_limit_mb=4096 -max_len=65536 -print_final_stats=1 \
        > "logs/$target.log" 2>&1
    echo "$target: exit $?; $(grep -E '^stat::number_of_executed_units|^#[0-9]+ +DONE' "logs/$target.log" | tr '\n' ' ')"
done
