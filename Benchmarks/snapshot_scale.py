#!/usr/bin/env python3
"""Opening and as-of queries with and without snapshots, on a generated history of N events.

Usage: Benchmarks/snapshot_scale.py EVENTS [--snapshot-every N] [--runs R] [--work DIR] [--ledger PATH]

Builds nothing: it runs the release `ledger` binary (`swift build -c release --product ledger`).
Generates the history, imports it (the writer takes a snapshot every N events, by default
1,000,000 as the writer's default), then times each command R times (default 5) and prints the medians:

  - open the writer (`ledger append DIR --snapshot-every 0` with empty input): from the newest snapshot, and
    with the snapshots moved away (a full replay of the log);
  - `ledger balance` as of a position and as of a business time, from snapshots and with
    `--no-snapshots` (a fold from the log's start), at points between two snapshots;
  - `ledger invoice` (every read model but the histories) as of the same position.

Each timed command is checked to give the same output with and without snapshots.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LEDGER = os.path.join(ROOT, ".build", "release", "ledger")


def run(arguments, stdin=None):
    started = time.monotonic()
    result = subprocess.run([LEDGER] + arguments, stdin=stdin, capture_output=True)
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        sys.exit(f"ledger {' '.join(arguments)} exited {result.returncode}: {result.stderr.decode()}")
    return elapsed, result.stdout, result.stderr


def median_of(runs, arguments):
    times = []
    output = None
    for _ in range(runs):
        with open(os.devnull, "rb") as empty:
            elapsed, stdout, _ = run(arguments, stdin=empty)
        times.append(elapsed)
        output = stdout
    return statistics.median(times), output


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("events", type=int)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--work", default="/tmp/ledger-snapshot-scale")
    parser.add_argument("--ledger", help="reuse this ledger instead of generating and importing")
    parser.add_argument("--skip-open", action="store_true", help="do not time the writer's open")
    parser.add_argument("--snapshot-every", type=int, default=1_000_000, help="the import's snapshot interval")
    options = parser.parse_args()
    os.makedirs(options.work, exist_ok=True)
    directory = options.ledger or os.path.join(options.work, f"ledger-{options.events}-every-{options.snapshot_every}")
    if not options.ledger:
        history = os.path.join(options.work, f"history-{options.events}.jsonl")
        if not os.path.exists(history):
            run(["generate", "--events", str(options.events), "--seed", "7", "--output", history])
        shutil.rmtree(directory, ignore_errors=True)
        run(["init", directory])
        elapsed, _, _ = run(["import", directory, history, "--no-sqlite", "--snapshot-every", str(options.snapshot_every)])
        print(f"import of {options.events:,} events (a snapshot every {options.snapshot_every:,} on the way): {elapsed:.1f} s")
    stats = json.loads(run(["stats", directory, "--json"])[1])
    head = stats["head_position"]
    print(f"ledger: {head:,} events, {stats['snapshots']} snapshots ({stats['snapshot_bytes'] / 1e6:.1f} MB), "
          f"newest at {stats['newest_snapshot_position']}")
    listing = json.loads(run(["snapshots", directory, "--json"])[1])
    positions = sorted(entry["position"] for entry in listing)
    times = sorted(entry["latest_at"] for entry in listing if entry["latest_at"])

    results = []

    def compare(name, arguments):
        with_snapshots, output = median_of(options.runs, arguments)
        without, reference = median_of(options.runs, arguments + ["--no-snapshots"])
        if output != reference:
            sys.exit(f"{name}: the answers with and without snapshots differ")
        results.append((name, with_snapshots, without))

    # Writer open: from the newest snapshot, then with the snapshots moved away.
    if not options.skip_open:
        opened, _ = median_of(options.runs, ["append", directory, "--no-sqlite", "--snapshot-every", "0"])
        aside = directory + "-snapshots-aside"
        shutil.rmtree(aside, ignore_errors=True)
        os.rename(os.path.join(directory, "snapshots"), aside)
        try:
            replayed, _ = median_of(max(1, min(options.runs, 3)), ["append", directory, "--no-sqlite", "--snapshot-every", "0"])
        finally:
            os.rename(aside, os.path.join(directory, "snapshots"))
        results.append(("open the writer (ledger append, no input)", opened, replayed))

    # Half-way between the two snapshots around the middle of the log.
    middle = head // 2
    below = max([p for p in positions if p <= middle] or [0])
    above = min([p for p in positions if p > middle] or [head])
    position = (below + above) // 2
    # One worker's balance, the question finance asks ("what was w-17's balance on 31 March?"):
    # the fold is the same as for every balance, the printing is one row.
    first = run(["balance", directory, "--csv"])[1].decode().splitlines()[1].split(",")
    one = ["--tenant", first[0], "--worker", first[1], "--csv"]
    compare(f"balance of one worker --as-of-position {position:,}", ["balance", directory, "--as-of-position", str(position)] + one)
    if len(times) >= 2:
        moment = times[len(times) // 2]
        compare(f"balance of one worker --as-of {moment}", ["balance", directory, "--as-of", moment] + one)
    compare("balance of one worker (head)", ["balance", directory] + one)
    compare(f"invoice --tenant {first[0]} --as-of-position {position:,}",
            ["invoice", directory, "--tenant", first[0], "--as-of-position", str(position), "--csv"])

    print(f"\nmedians of {options.runs} runs (process start included):")
    print(f"{'command':<58} {'with snapshots':>15} {'without':>10} {'ratio':>8}")
    for name, with_snapshots, without in results:
        print(f"{name:<58} {with_snapshots * 1000:>12.0f} ms {without * 1000:>7.0f} ms {without / with_snapshots:>7.1f}x")


if __name__ == "__main__":
    main()
