"""Volatility speed: CPU µs per record of the V rules, before and after a change, against a json.loads loop.

    .venv/bin/python bench/volatility_speed.py [--baseline REV] [FILE ...]
        default files: the Dolly set and a 20k synthetic chat set (bench/synth.py)
        --baseline REV: the git revision of checks/volatility.py to compare with (default 9bcbdb6, the last one
                        before the derived-needs pre-filter); "" to skip it

On the same records in the same process (process CPU time, so other load on the machine matters less): a plain
json.loads loop over the file (the parsing floor), `detect()` of the baseline revision and of the working tree over
every record, and the whole V check through the engine (`report.timings["cpu.check.volatility"]`, which also
loads nothing: the records are parsed before the check runs). Reports µs per record and each as a ratio to the
floor. The span counts differ only where a revision changed what the rules find (bench/volatility_equivalence.py
checks a pure speed change finds exactly the same). Skips with a message when /work/shared/data (or $DSLINT_SHARED_DATA) is absent and no file is given.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import dslint  # noqa: E402
from volatility import DOLLY  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 11, 29)


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


def baseline_module(rev: str, folder: str) -> ModuleType | None:
    """checks/volatility.py as of git revision `rev`, imported under another name (None when git cannot show it)."""
    try:
        source = subprocess.run(["git", "show", f"{rev}:checks/volatility.py"], cwd=ROOT, check=True,
                                capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    path = Path(folder) / "volatility_baseline.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("volatility_baseline", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def records_of(path: Path) -> list[Any]:
    from dslint.artifacts import Artifacts
    from dslint.config import Config
    from dslint.engine import _as_inputs, load_sources

    config = Config()
    return Artifacts({"sources": load_sources(_as_inputs(str(path)), config.field_map, "train"),
                      "config": config}).get("records")


def detect_cpu(module: ModuleType, records: list[Any]) -> tuple[float, int]:
    """(CPU seconds, spans found) of module.detect over every record with a target, as the check calls it."""
    window = module.Window(TODAY)
    start = time.process_time()
    found = 0
    for rec in records:
        if rec.target.strip():
            found += len(module.detect(rec.prompt, rec.target, window, request=module.request_text(rec)))
    return time.process_time() - start, found


def measure(path: Path, baseline: ModuleType | None) -> str:
    from dslint.checks import volatility as current

    n, json_cpu = json_loop_cpu(path)
    records = records_of(path)
    floor = json_cpu / n * 1e6
    current._PLANS.clear()  # each measurement pays the one-time pre-filter build (about a third of a second)
    now_cpu, now_found = detect_cpu(current, records)
    cells = [path.name, f"{n:,}", f"{floor:.1f}"]
    if baseline is not None:
        base_cpu, base_found = detect_cpu(baseline, records)
        spans = f"{base_found:,} / {now_found:,}"
        cells += [f"{base_cpu / n * 1e6:.0f} ({base_cpu / json_cpu:.0f}x)"]
    else:
        spans = f"- / {now_found:,}"
        cells += ["-"]
    current._PLANS.clear()
    report = dslint.lint(str(path), select=["V"], fast=True)
    check_cpu = report.timings["cpu.check.volatility"]
    cells += [f"{now_cpu / n * 1e6:.0f} ({now_cpu / json_cpu:.0f}x)",
              f"{base_cpu / now_cpu:.1f}x" if baseline is not None else "-",
              f"{check_cpu / n * 1e6:.0f} ({check_cpu / json_cpu:.0f}x)", spans]
    return "| " + " | ".join(cells) + " |"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="9bcbdb6", help="git revision of checks/volatility.py to compare with")
    parser.add_argument("files", nargs="*")
    args = parser.parse_args(argv)
    if not args.files and not DOLLY.exists():
        print(f"skipped: {DOLLY} is absent")
        return 0
    print("| file | records | json.loads µs/rec | detect() before µs/rec (x floor) | detect() now µs/rec (x floor) "
          "| speed-up | V check in the engine µs/rec (x floor) | spans before / now |")
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        baseline = baseline_module(args.baseline, tmp) if args.baseline else None
        if args.files:
            paths = [Path(p) for p in args.files]
        else:
            import synth

            paths = [DOLLY, synth.write_set("chat", 20_000, tmp)]
        for path in paths:
            print(measure(path, baseline))
    return 0


if __name__ == "__main__":
    sys.exit(main())
