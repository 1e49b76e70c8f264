"""Run every benchmark and print a report: ``python -m bench.run [--quick]``.

Writes ``bench/results/latest.md`` and ``bench/results/latest.json``."""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
import traceback
from datetime import datetime
from pathlib import Path

from bench.common import Figure

RESULTS = Path(__file__).resolve().parent / "results"


def table(figures: list[Figure]) -> str:
    lines = ["| benchmark | unit | ours p50 | ours p99 | baseline p50 | baseline p99 | ratio p50 | goal | samples |",
             "|---|---|---|---|---|---|---|---|---|"]
    for f in figures:
        if f.unit == "per turn":  # what one turn costs, counted (not timed)
            lines.append(f"| {f.name} | per turn | {f.ours_p50:.2f} |  |  |  | — | {f.goal} | {f.samples} |")
        elif f.unit == "count":  # a check, not a timing: found / out of
            lines.append(f"| {f.name} | count | {f.ours_p50:.0f} |  | of {f.base_p50:.0f} |  | — | {f.goal} | "
                         f"{f.samples} |")
        else:
            lines.append(f"| {f.name} | {f.unit} | {f.ours_p50:.4g} | {f.ours_p99:.4g} | {f.base_p50:.4g} | "
                         f"{f.base_p99:.4g} | {f.ratio:.2f} | {f.goal} | {f.samples} |")
    return "\n".join(lines)


def notes(figures: list[Figure]) -> str:
    return "\n".join(f"- {f.name}: {f.note}" for f in figures if f.note)


def git_state() -> dict[str, object]:
    """The commit measured, and any files changed since (figures belong to a tree)."""
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True,
                               check=True).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return {}
    return {"commit": head, "changed": [line[3:] for line in dirty]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke run)")
    parser.add_argument("--only", action="append", default=[],
                        help="run only these (dates, slack, email, length, throughput, scale, load, crash); "
                             "repeatable")
    parser.add_argument("--backend", choices=["tiny", "postgres"], default="tiny",
                        help="the store of the service under test (postgres: a fresh schema on "
                             "WEBNACCS_BENCH_DATABASE_URL or the local server, dropped afterwards)")
    args = parser.parse_args(argv)
    os.environ["BENCH_BACKEND"] = args.backend
    from bench import (
        bench_crash,
        bench_dates,
        bench_email,
        bench_length,
        bench_load,
        bench_scale,
        bench_slack,
        bench_throughput,
    )

    suites = {"dates": bench_dates.run, "slack": bench_slack.run, "email": bench_email.run,
              "length": bench_length.run, "throughput": bench_throughput.run,
              "scale": bench_scale.run, "load": bench_load.run, "crash": bench_crash.run}
    unknown = set(args.only) - suites.keys()
    if unknown:
        parser.error(f"unknown suite(s): {', '.join(sorted(unknown))}")
    figures: list[Figure] = []
    timings: dict[str, float] = {}
    failed: list[str] = []
    for name, suite in suites.items():
        if args.only and name not in args.only:
            continue
        print(f"running {name} …", file=sys.stderr, flush=True)
        began = time.perf_counter()
        try:
            figures += suite(quick=args.quick)
        except Exception:  # one broken suite must not cost the figures of the others
            traceback.print_exc()
            failed.append(name)
        timings[name] = round(time.perf_counter() - began, 1)
        print(f"  {name}: {timings[name]:.0f} s", file=sys.stderr, flush=True)
    report = table(figures) + "\n\n" + notes(figures)
    if failed:
        report += f"\n\nSuites that failed (see the traceback above): {', '.join(failed)}"
    print(report)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.md").write_text(report + "\n", encoding="utf-8")
    meta = {"when": datetime.now().isoformat(timespec="seconds"), "python": platform.python_version(),
            "machine": platform.machine(), "cpus": os.cpu_count(), "quick": args.quick, "backend": args.backend,
            "seconds": timings, "failed": failed, "git": git_state()}
    (RESULTS / "latest.json").write_text(json.dumps({"meta": meta, "figures": [f.as_dict() for f in figures]},
                                                    ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
