#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Compares two builds of one Google Benchmark program in one sitting.

    scripts/bench_compare.py BEFORE AFTER [--rounds 3] [--repetitions 3] [--filter REGEX]

Runs BEFORE and AFTER alternately, ROUNDS times each, every time with REPETITIONS repetitions,
and prints per benchmark the median of the round medians for both, and after / before. The
machine's figures drift from one day to the next (benchmarks/README.md, "Calibration"), so only
figures from one sitting are compared. CPU time is used, except for benchmarks that measure wall
time (their name contains /real_time). Allocation counters (allocs/iter) of AFTER are shown.
"""
import argparse
import json
import statistics
import subprocess
import sys


def run(program, repetitions, bench_filter):
    args = [program, f"--benchmark_repetitions={repetitions}",
            "--benchmark_report_aggregates_only=true", "--benchmark_format=json"]
    if bench_filter:
        args.append(f"--benchmark_filter={bench_filter}")
    out = subprocess.run(args, check=True, capture_output=True, text=True, timeout=1800).stdout
    medians = {}
    for b in json.loads(out)["benchmarks"]:
        wanted = "aggregate" if repetitions > 1 else "iteration"
        if b.get("run_type") != wanted or (wanted == "aggregate" and b.get("aggregate_name") != "median"):
            continue
        name = b["run_name"]
        unit = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}[b["time_unit"]]
        t = b["real_time"] if "/real_time" in name else b["cpu_time"]
        medians[name] = (t * unit, b.get("allocs/iter"))
    return medians


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("before")
    p.add_argument("after")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--repetitions", type=int, default=3)
    p.add_argument("--filter", default="")
    a = p.parse_args()
    before, after = {}, {}
    for r in range(a.rounds):
        for program, into in ((a.before, before), (a.after, after)):
            for name, value in run(program, a.repetitions, a.filter).items():
                into.setdefault(name, []).append(value)
        print(f"round {r + 1} of {a.rounds} done", file=sys.stderr)
    print(f"| benchmark | before ns | after ns | after / before | allocs/iter after |")
    print("|---|---|---|---|---|")
    for name, values in after.items():
        t_after = statistics.median(v[0] for v in values)
        allocs = values[-1][1]
        allocs_text = "" if allocs is None else f"{allocs:.3g}"
        if name in before:
            t_before = statistics.median(v[0] for v in before[name])
            print(f"| `{name}` | {t_before:.1f} | {t_after:.1f} | {t_after / t_before:.2f} | {allocs_text} |")
        else:
            print(f"| `{name}` | — | {t_after:.1f} | — | {allocs_text} |")


if __name__ == "__main__":
    main()
