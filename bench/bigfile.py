"""Big files: peak memory and time of `--select F` on multi-hundred-MB files, and of one 100 MB line.

    python -m bench.bigfile                          # 256 MB and 1 GB files, a 100 MB line (~10 min, ~7 GB RAM)
    python -m bench.bigfile --sizes 64 --line-mb 10  # a quick pass

Each measurement runs in its own process, so its peak RSS is its own. The floor is a plain streaming loop
(`for line in f: json.loads(line)`), which holds one line at a time: the gap between the floor and dslint is
what materialising every row costs. Results: bench/results/bigfile.json and a table on stdout.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results" / "bigfile.json"
WORDS = ("river mountain tax invoice sourdough chess tide orchid bicycle kernel compiler lattice harbour violin "
         "glacier meadow lantern quartz saddle thimble walnut zephyr").split()

MEASURE = """
import json, resource, sys, time
start = time.perf_counter()
task, path, select = sys.argv[1], sys.argv[2], sys.argv[3]
if task == "floor":
    rows = 0
    with open(path, "rb") as fh:
        for line in fh:
            json.loads(line)
            rows += 1
    out = {"rows": rows}
else:
    from dslint.config import Config
    from dslint.engine import lint
    report = lint([path], Config(select=select.split(","), fast=True, no_cache=True))
    out = {"rows": report.rows, "records": report.records, "findings": len(report.findings),
           "codes": sorted({f.code for f in report.findings})}
usage = resource.getrusage(resource.RUSAGE_SELF)
out["wall_s"] = time.perf_counter() - start
out["cpu_s"] = usage.ru_utime + usage.ru_stime
out["peak_rss_mib"] = usage.ru_maxrss / 1024
print(json.dumps(out))
"""


def record(rng: random.Random, i: int) -> dict[str, Any]:
    words = lambda n: " ".join(rng.choice(WORDS) for _ in range(n))  # noqa: E731
    return {"messages": [{"role": "system", "content": "You are a helpful assistant."},
                         {"role": "user", "content": f"Question {i}: {words(rng.randint(8, 40))}?"},
                         {"role": "assistant", "content": f"{words(rng.randint(20, 90))}."}]}


def make_file(path: Path, size_mb: int, seed: int = 0) -> int:
    """A chat JSONL file of about `size_mb` MiB (varied records); returns the number of lines."""
    rng = random.Random(seed)
    target, written, n = size_mb * 1024 * 1024, 0, 0
    with open(path, "w", encoding="utf-8") as fh:
        while written < target:
            line = json.dumps(record(rng, n)) + "\n"
            fh.write(line)
            written += len(line)
            n += 1
    return n


def make_long_line(path: Path, line_mb: int) -> None:
    """Two ordinary records around one record whose answer is `line_mb` MiB long."""
    rng = random.Random(1)
    big = {"prompt": "Summarise the following.", "completion": ("word " * (line_mb * 1024 * 1024 // 5)).strip()}
    with open(path, "w", encoding="utf-8") as fh:
        for value in (record(rng, 0), big, record(rng, 1)):
            fh.write(json.dumps(value) + "\n")


def measure(task: str, path: Path, select: str = "F") -> dict[str, Any]:
    proc = subprocess.run([sys.executable, "-c", MEASURE, task, str(path), select], capture_output=True, text=True)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run(sizes: list[int], line_mb: int, folder: Path) -> list[dict[str, Any]]:
    results = []
    for size in sizes:
        path = folder / f"big-{size}mb.jsonl"
        t = time.perf_counter()
        lines = make_file(path, size)
        print(f"bigfile: wrote {path.name} ({lines:,} lines) in {time.perf_counter() - t:.0f}s", file=sys.stderr)
        file_mib = path.stat().st_size / 2**20
        for task in ("floor", "lint"):
            r = measure(task, path)
            r.update(case=f"{size} MB file", task=task, file_mib=round(file_mib, 1))
            results.append(r)
            print(f"bigfile: {r}", file=sys.stderr)
        path.unlink()
    if line_mb:
        path = folder / f"line-{line_mb}mb.jsonl"
        make_long_line(path, line_mb)
        for task, select in (("floor", "F"), ("lint", "F"), ("lint", "F,S,D001")):
            r = measure(task, path, select)
            r.update(case=f"one {line_mb} MB line", task=task if task == "floor" else f"lint --select {select}",
                     file_mib=round(path.stat().st_size / 2**20, 1))
            results.append(r)
            print(f"bigfile: {r}", file=sys.stderr)
        path.unlink()
    return results


def table(results: list[dict[str, Any]]) -> str:
    lines = ["| case | task | rows | CPU (s) | wall (s) | peak RSS (MiB) | RSS / file size |",
             "|---|---|---|---|---|---|---|"]
    for r in results:
        if "error" in r:
            lines.append(f"| {r['case']} | {r['task']} | error: {r['error']} | | | | |")
            continue
        ratio = r["peak_rss_mib"] / r["file_mib"] if r["file_mib"] else 0
        lines.append(f"| {r['case']} | {r['task']} | {r['rows']:,} | {r['cpu_s']:.1f} | {r['wall_s']:.1f} "
                     f"| {r['peak_rss_mib']:,.0f} "
                     f"| {ratio:.1f}x |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bigfile", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="256,1024", help="file sizes in MiB, comma-separated")
    parser.add_argument("--line-mb", type=int, default=100, help="size of the one long line (0: skip)")
    parser.add_argument("--tmp", type=Path, default=None, help="folder for the generated files (default: a temp dir)")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        results = run(sizes, args.line_mb, Path(tmp))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"results": results}, indent=2) + "\n")
    print(table(results))
    return 0 if all("error" not in r for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
