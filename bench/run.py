"""Run every benchmark and print a report: ``python -m bench.run [--quick]``.

Writes ``bench/results/latest.md`` and ``bench/results/latest.json``."""

from __future__ import annotations

import argparse
import json
import platform
import sys
from datetime import datetime
from pathlib import Path

from bench.common import Figure

RESULTS = Path(__file__).resolve().parent / "results"


def table(figures: list[Figure]) -> str:
    lines = ["| benchmark | unit | ours p50 | ours p99 | baseline p50 | baseline p99 | ratio p50 | goal | samples |",
             "|---|---|---|---|---|---|---|---|---|"]
    for f in figures:
        lines.append(f"| {f.name} | {f.unit} | {f.ours_p50:.4g} | {f.ours_p99:.4g} | {f.base_p50:.4g} | "
                     f"{f.base_p99:.4g} | {f.ratio:.2f} | {f.goal} | {f.samples} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke run)")
    parser.add_argument("--only", action="append", default=[], help="run only these (dates, slack, email, scale)")
    args = parser.parse_args(argv)
    from bench import bench_dates

    suites = {"dates": bench_dates.run}
    figures: list[Figure] = []
    for name, suite in suites.items():
        if args.only and name not in args.only:
            continue
        print(f"running {name} …", file=sys.stderr, flush=True)
        figures += suite(quick=args.quick)
    report = table(figures)
    print(report)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.md").write_text(report + "\n", encoding="utf-8")
    meta = {"when": datetime.now().isoformat(timespec="seconds"), "python": platform.python_version(),
            "machine": platform.machine(), "quick": args.quick}
    (RESULTS / "latest.json").write_text(json.dumps({"meta": meta, "figures": [f.as_dict() for f in figures]},
                                                    ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
