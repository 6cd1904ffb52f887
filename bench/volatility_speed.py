"""Volatility speed: CPU seconds of check.volatility against a plain json.loads loop over the same file.

    .venv/bin/python bench/volatility_speed.py [FILE ...]    # default: the Dolly set and a 20k synthetic chat set

Prints records/s of the V family (`dslint.lint(path, select=["V"], fast=True)`, report.timings
"cpu.check.volatility") and its ratio to a json.loads loop, both measured in the same run (process CPU time).
Skips with a message when /work/shared/data (or $DSLINT_SHARED_DATA) is absent and no file is given.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import dslint  # noqa: E402
from volatility import DOLLY  # noqa: E402


def json_loop_cpu(path: Path) -> tuple[int, float]:
    """(lines, CPU seconds) of json.loads over every line of a JSONL file (or one json.load of a JSON file)."""
    start = time.process_time()
    with open(path, encoding="utf-8", errors="replace") as fh:
        if path.suffix == ".json":
            n = len(json.load(fh))
        else:
            n = 0
            for line in fh:
                try:
                    json.loads(line)
                except ValueError:
                    pass
                n += 1
    return n, time.process_time() - start


def measure(path: Path) -> str:
    n, json_cpu = json_loop_cpu(path)
    report = dslint.lint(str(path), select=["V"], fast=True)
    cpu = report.timings["cpu.check.volatility"]
    return (f"| {path.name} | {n:,} | {cpu:.2f} | {n / cpu:,.0f} | {json_cpu:.2f} | {cpu / json_cpu:.1f}x |")


def main(paths: list[str]) -> None:
    print("| file | records | V CPU s | V records/s | json.loads loop CPU s | V / json.loads |")
    print("|---|---|---|---|---|---|")
    if paths:
        for p in paths:
            print(measure(Path(p)))
        return
    if not DOLLY.exists():
        print(f"skipped: {DOLLY} is absent")
        return
    import synth

    print(measure(DOLLY))
    with tempfile.TemporaryDirectory() as tmp:
        print(measure(synth.write_set("chat", 20_000, tmp)))


if __name__ == "__main__":
    main(sys.argv[1:])
