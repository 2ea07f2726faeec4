#!/usr/bin/env bash
# Runs the benchmark suite (docs/PERFORMANCE.md says how to read it).
#   Benchmarks/run.sh                       every benchmark
#   Benchmarks/run.sh --filter 'Replay.*'   only those whose name matches
# Extra arguments go to `swift package benchmark`. The generated histories and the
# ledgers built from them are shared by the benchmarks of one run through
# LEDGER_BENCH_FIXTURES (emptied at the start of each run); ledgers that benchmarks
# write go to LEDGER_BENCH_DIR (default: the system temporary directory, which must be
# on a real disk for the fdatasync figures to mean anything).
set -euo pipefail
cd "$(dirname "$0")"
export LEDGER_BENCH_FIXTURES="${LEDGER_BENCH_FIXTURES:-${TMPDIR:-/tmp}/ledger-bench-fixtures}"
rm -rf "$LEDGER_BENCH_FIXTURES"
mkdir -p "$LEDGER_BENCH_FIXTURES"
trap 'rm -rf "$LEDGER_BENCH_FIXTURES"' EXIT
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(date -u +%Y-%m-%dT%H:%M:%SZ)"
swift package --allow-writing-to-package-directory benchmark --no-progress "$@"
