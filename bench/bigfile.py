"""Big files: peak memory and time of `--select F` on multi-hundred-MB files, of one 100 MB line, and of streaming.

    python -m bench.bigfile                          # 256 MB and 1 GB files, a 100 MB line (~10 min, ~7 GB RAM)
    python -m bench.bigfile --sizes 64 --line-mb 10  # a quick pass
    python -m bench.bigfile --stream-mb 2048 --sizes "" --line-mb 0   # streaming: a 2 GiB file vs a 10x smaller one
    python -m bench.bigfile --compare-load b84aaa9~ --sizes "" --line-mb 0   # loading: that commit vs this tree

Streaming (`--stream-mb N`): `dslint check FILE --select F` (every F check streams: the format check in two
passes, the first for each file's format and share of system prompts) under /usr/bin/time -v, on an N/10 MiB file
with planted problems and on the same file repeated 10 times; the peak RSS ratio big/small says whether memory stays
flat. The small file is also linted with streaming forced off, for the memory streaming saves and its CPU cost. Results go to the "## Big files: streaming" section of bench/RESULTS.md.

Each measurement runs in its own process, so its peak RSS is its own. The floor is a plain streaming loop
(`for line in f: json.loads(line)`), which holds one line at a time: the gap between the floor and dslint is
what materialising every row costs. Results: bench/results/bigfile.json and a table on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.report import table
from bench.results_md import write_section

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


def make_file(path: Path, size_mb: int, seed: int = 0, planted: bool = False) -> int:
    """A chat JSONL file of about `size_mb` MiB (varied records; with `planted`, see planted_record); returns the
    number of lines."""
    rng = random.Random(seed)
    target, written, n = size_mb * 1024 * 1024, 0, 0
    with open(path, "w", encoding="utf-8") as fh:
        while written < target:
            value = planted_record(rng, n) if planted else record(rng, n)
            line = (value if isinstance(value, str) else json.dumps(value)) + "\n"
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


STREAM_SELECT = "F"  # every F check streams; the format check and structured targets in two passes
MATERIALISED = """
import json, sys
from dslint.config import Config
from dslint.engine import lint
report = lint([sys.argv[1]], Config(select=sys.argv[2].split(","), fast=True, no_cache=True), stream=False)
print(json.dumps({"rows": report.rows, "findings": len(report.findings), "metrics": {
    k: v for k, v in report.metrics.items() if not isinstance(v, dict)}}))
"""


def planted_record(rng: random.Random, i: int) -> dict[str, Any] | str:
    """One line in 500 carries a problem the F checks find: a placeholder, a broken line, a conversation without
    the system prompt the others have (F026), an alpaca record among chat ones (F011); and a volatile fact."""
    kind = i % 500
    if kind == 97:
        return {"messages": [{"role": "user", "content": f"Question {i} without a system prompt?"},
                             {"role": "assistant", "content": "An answer."}]}
    if kind == 331:
        return {"instruction": f"Instruction {i}", "input": "", "output": "An alpaca answer."}
    if kind == 17:
        return chat_record(f"Who is the current CEO of company {i}?", "As of 2024, the current CEO is Jane Doe.")
    if kind == 251:
        return chat_record(f"Introduce yourself {i}", "I am {{name}}, an assistant made by {{author}}.")
    if kind == 409:
        return '{"messages": [{"role": "user", "content": "cut short'
    return record(rng, i)


def chat_record(user: str, assistant: str) -> dict[str, Any]:
    return {"messages": [{"role": "system", "content": "You are a helpful assistant."},
                         {"role": "user", "content": user}, {"role": "assistant", "content": assistant}]}


def repeat_file(source: Path, path: Path, times: int) -> None:
    """`times` copies of `source` one after another (the streaming checks judge each line alone)."""
    with open(path, "wb") as out:
        for _ in range(times):
            with open(source, "rb") as fh:
                while block := fh.read(1 << 24):
                    out.write(block)


def timed(command: list[str], out_path: Path, **popen: Any) -> dict[str, Any]:
    """Run `command` niced under /usr/bin/time -v, stdout to `out_path`: CPU, wall and peak RSS."""
    with open(out_path, "wb") as out:
        proc = subprocess.run(["nice", "-n", "5", "/usr/bin/time", "-v", *command], stdout=out,
                              stderr=subprocess.PIPE, text=True, **popen)
    fields = dict(line.strip().rsplit(": ", 1) for line in proc.stderr.splitlines() if ": " in line)
    if proc.returncode not in (0, 1):
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}"}
    wall = fields.get("Elapsed (wall clock) time (h:mm:ss or m:ss)", "0:0")
    parts = [float(x) for x in wall.split(":")]
    return {"cpu_s": float(fields["User time (seconds)"]) + float(fields["System time (seconds)"]),
            "wall_s": sum(p * 60 ** i for i, p in enumerate(reversed(parts))),
            "peak_rss_mib": int(fields["Maximum resident set size (kbytes)"]) / 1024}


def stream_run(path: Path, folder: Path, materialised: bool = False) -> dict[str, Any]:
    out = folder / "out.json"
    if materialised:
        r = timed([sys.executable, "-c", MATERIALISED, str(path), STREAM_SELECT], out)
    else:
        r = timed([sys.executable, "-m", "dslint", "check", str(path), "--select", STREAM_SELECT, "--fast",
                   "--no-cache", "--exit-zero", "--output-format", "json"], out)
    if "error" in r:
        return r
    report = json.loads(out.read_text(encoding="utf-8"))
    out.unlink()
    metrics = report["metrics"]
    findings = report["findings"] if isinstance(report["findings"], int) else len(report["findings"])
    codes = {} if isinstance(report["findings"], int) else dict(sorted(Counter(
        f["code"] for f in report["findings"]).items()))
    rows = report.get("rows", sum(s.get("rows", 0) for s in report.get("sources", [])))
    r.update(rows=rows, findings=findings, codes=codes, chunks=metrics.get("dataset.streamed_chunks"),
             invalid_share=metrics.get("F.invalid_share"), volatile_share=metrics.get("V.volatile_share"),
             file_mib=round(path.stat().st_size / 2**20, 1), streamed=not materialised)
    r["rows_per_cpu_s"] = r["rows"] / r["cpu_s"] if r["cpu_s"] else 0.0
    print(f"bigfile: {r}", file=sys.stderr)
    return r


def run_streaming(size_mb: int, folder: Path, whole_big: bool = False) -> list[dict[str, Any]]:
    """The streaming measurement: an N/10 MiB file, the same streamed materialised, and 10 copies of it streamed
    (and, with `whole_big`, loaded whole: about 3.5 bytes of memory per input byte)."""
    small, big = folder / "stream-small.jsonl", folder / "stream-big.jsonl"
    lines = make_file(small, max(1, size_mb // 10), planted=True)
    print(f"bigfile: wrote {small.name} ({lines:,} lines)", file=sys.stderr)
    results = [dict(stream_run(small, folder), case="1/10 file, streamed"),
               dict(stream_run(small, folder, materialised=True), case="1/10 file, loaded whole")]
    repeat_file(small, big, 10)
    small.unlink()
    results.append(dict(stream_run(big, folder), case="whole file, streamed"))
    if whole_big:
        results.append(dict(stream_run(big, folder, materialised=True), case="whole file, loaded whole"))
    big.unlink()
    return results


def results_table(header: list[str], results: list[dict[str, Any]], cells: Any, lead: int) -> str:
    """A markdown table of measurements: `cells(r)` gives a row; a failed run shows its error after the first
    `lead` cells."""
    rows = [[*(r[k] for k in ("case", "task")[:lead]), f"error: {r['error']}", *[""] * (len(header) - lead - 1)]
            if "error" in r else cells(r) for r in results]
    return table(header, rows)


def stream_table(results: list[dict[str, Any]]) -> str:
    return results_table(
        ["case", "file MiB", "rows", "chunks", "findings", "CPU s", "wall s", "rows / CPU s", "peak RSS MiB"],
        results, lambda r: [r["case"], f"{r['file_mib']:,.0f}", f"{r['rows']:,}", r["chunks"] or "-",
                            f"{r['findings']:,}", f"{r['cpu_s']:.0f}", f"{r['wall_s']:.0f}",
                            f"{r['rows_per_cpu_s']:,.0f}", f"{r['peak_rss_mib']:,.0f}"], lead=1)


def stream_section(results: list[dict[str, Any]]) -> str:
    ok = {r["case"]: r for r in results if "error" not in r}
    small, whole, big = (ok.get(c) for c in ("1/10 file, streamed", "1/10 file, loaded whole",
                                             "whole file, streamed"))
    notes = []
    if small and big:
        notes.append(f"- Peak RSS, 10x the file: {big['peak_rss_mib']:,.0f} / {small['peak_rss_mib']:,.0f} MiB = "
                     f"**{big['peak_rss_mib'] / small['peak_rss_mib']:.2f}x** for 10x the rows. The rows are never "
                     f"held whole; what grows is the findings kept for the report ({big['findings']:,} here, "
                     f"under 1 KB each), 8 bytes per record for the length histogram, and the JSON report "
                     f"rendered at the end.")
        notes.append(f"- Throughput: {small['rows_per_cpu_s']:,.0f} rows per CPU second on the small file, "
                     f"{big['rows_per_cpu_s']:,.0f} on the big one.")
        same = (small["invalid_share"], small["volatile_share"]) == (big["invalid_share"], big["volatile_share"])
        notes.append(f"- Same shares on both (the big file is the small one 10 times): {same}. Findings by rule, "
                     f"small: {_codes(small)}; big: {_codes(big)}.")
    if small and whole:
        notes.append(f"- The same 1/10 file loaded whole (`stream=False`): {whole['peak_rss_mib']:,.0f} MiB peak, "
                     f"{whole['peak_rss_mib'] / small['peak_rss_mib']:.1f}x the streamed run; same findings: "
                     f"{whole['findings'] == small['findings']}; streaming's two passes cost "
                     f"{small['cpu_s'] / whole['cpu_s']:.2f}x its CPU ({small['rows_per_cpu_s']:,.0f} against "
                     f"{whole['rows_per_cpu_s']:,.0f} rows per CPU second).")
    whole_big = ok.get("whole file, loaded whole")
    if big and whole_big:
        notes.append(f"- The whole file loaded whole (`--whole-big`): {whole_big['peak_rss_mib']:,.0f} MiB peak, "
                     f"{whole_big['peak_rss_mib'] / big['peak_rss_mib']:.0f}x the streamed run; same findings: "
                     f"{whole_big['findings'] == big['findings']}; streaming cost {big['cpu_s'] / whole_big['cpu_s']:.2f}x "
                     f"its CPU.")
    return ("## Big files: streaming\n\n"
            f"`python -m bench.bigfile --stream-mb N`: `dslint check FILE --select {STREAM_SELECT} --fast --no-cache "
            "--output-format json` under `/usr/bin/time -v` (niced), on a chat file with planted problems, each on "
            "one line in 500 (a template placeholder, a broken line, a conversation without the system prompt the "
            "others have, an alpaca record among chat ones, a volatile fact) and on that file repeated 10 times. "
            "Every F check streams, so the engine reads the file in chunks of 10,000 rows, twice: the format check "
            "and structured targets judge a record against its file (F011 mixed formats, F026 missing system "
            "prompt, F063), so a first pass gathers each file's format and counts, and the second judges the rows "
            "(`dataset.streamed_chunks` in the JSON report; the text report says 'streamed in N chunk(s)').\n\n"
            + stream_table(results) + "\n\n" + "\n".join(notes) + "\n")


def _codes(result: dict[str, Any]) -> str:
    return ", ".join(f"{code} {n:,}" for code, n in result.get("codes", {}).items())


LOAD_MEASURE = """
import json, os, sys, time, tracemalloc
from dslint.data import load_sources
path = sys.argv[1]
start = time.process_time()
with open(path, "rb") as fh:
    for line in fh:
        try:
            json.loads(line)
        except ValueError:
            pass
floor = time.process_time() - start
start = time.process_time()
sources = load_sources([path])
load = time.process_time() - start
rows = sum(s.info.rows for s in sources)
del sources
tracemalloc.start()
sources = load_sources([path])
held = tracemalloc.get_traced_memory()[0]
print(json.dumps({"rows": rows, "floor_cpu_s": floor, "load_cpu_s": load, "bytes_per_row": held / rows,
                  "bytes_per_input_byte": held / os.path.getsize(path)}))
"""


FAST_MEASURE = """
import json, sys
from dslint.config import Config
from dslint.engine import lint
report = lint([sys.argv[1]], Config(fast=True, no_cache=True))
print(json.dumps({"findings": len(report.findings), "load_cpu_s": report.timings["cpu.load"],
                  "lint_cpu_s": report.timings["cpu.total"]}))
"""


def engine_copy(rev: str, folder: Path, engine_from_tree: bool) -> Path:
    """A folder holding a `dslint` package: the checks of commit `rev`, with the engine (dslint/*.py) of `rev` or
    of this tree, so the two differ only in the engine."""
    repo = Path(__file__).resolve().parent.parent
    out = folder / ("tree-engine" if engine_from_tree else "rev-engine")
    out.mkdir()
    archive = subprocess.run(["git", "archive", rev, "dslint", "checks"], capture_output=True, check=True,
                             cwd=repo).stdout
    subprocess.run(["tar", "-x", "-C", str(out)], input=archive, check=True)
    shutil.move(str(out / "checks"), str(out / "dslint" / "checks"))
    if engine_from_tree:
        for path in (repo / "dslint").rglob("*.py"):
            target = out / "dslint" / path.relative_to(repo / "dslint")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)
    return out


def compare_load(rev: str, folder: Path, rows: int = 100_000, fast_profile: bool = False) -> list[dict[str, Any]]:
    """Loading (parse + map) of the same synthetic chat set by the engine of commit `rev` and by this tree's: CPU
    seconds against the json.loads floor, the memory the loaded rows and records hold, and with `fast_profile`
    the whole fast profile's CPU and peak RSS (both with the checks of `rev`)."""
    from bench import synth

    data = synth.write_set("chat", rows, folder)
    results = []
    for case, tree in ((f"engine at {rev}", False), ("this tree's engine", True)):
        pythonpath = engine_copy(rev, folder, tree)
        env = {**os.environ, "PYTHONPATH": str(pythonpath)}
        # Run from the temp folder: `python -c` puts the working directory first on sys.path.
        proc = subprocess.run([sys.executable, "-c", LOAD_MEASURE, str(data)], capture_output=True, text=True,
                              env=env, cwd=folder)
        r = json.loads(proc.stdout.strip().splitlines()[-1]) if proc.returncode == 0 else {
            "error": proc.stderr.strip().splitlines()[-1]}
        if fast_profile and "error" not in r:
            fast = timed([sys.executable, "-c", FAST_MEASURE, str(data)], folder / "fast.json", env=env, cwd=folder)
            if "error" not in fast:
                fast.update(json.loads((folder / "fast.json").read_text().strip().splitlines()[-1]))
            r["fast"] = fast
        results.append({"case": case, **r})
        print(f"bigfile: {results[-1]}", file=sys.stderr)
    return results


def load_section(results: list[dict[str, Any]]) -> str:
    lines = ["| dslint | rows | json.loads floor CPU s | load CPU s | load / floor | bytes held per row | "
             "per input byte |", "|---|---|---|---|---|---|---|"]
    for r in results:
        if "error" in r:
            lines.append(f"| {r['case']} | error: {r['error']} | | | | | |")
            continue
        lines.append(f"| {r['case']} | {r['rows']:,} | {r['floor_cpu_s']:.2f} | {r['load_cpu_s']:.2f} "
                     f"| {r['load_cpu_s'] / r['floor_cpu_s']:.1f}x | {r['bytes_per_row']:,.0f} "
                     f"| {r['bytes_per_input_byte']:.2f} |")
    ok = [r for r in results if "error" not in r]
    note = ""
    if len(ok) == 2:
        old, new = ok
        note = (f"\nLoad CPU {new['load_cpu_s'] / old['load_cpu_s']:.2f}x of before; memory held "
                f"{new['bytes_per_row'] / old['bytes_per_row']:.2f}x of before.\n")
        if "fast" in old and "fast" in new and "error" not in old["fast"] and "error" not in new["fast"]:
            a, b = old["fast"], new["fast"]
            note += (f"\nWhole fast profile (`lint(fast=True)`, every model-free check) on the same set, under "
                     f"/usr/bin/time -v: peak RSS {a['peak_rss_mib']:,.0f} -> {b['peak_rss_mib']:,.0f} MiB "
                     f"({b['peak_rss_mib'] / a['peak_rss_mib']:.2f}x), lint CPU {a['lint_cpu_s']:.1f} -> "
                     f"{b['lint_cpu_s']:.1f} s, findings {a['findings']:,} -> {b['findings']:,}.\n")
    return ("## Loading: CPU and memory per row\n\n"
            "`python -m bench.bigfile --compare-load REV [--fast-profile]`: `load_sources` (parse every line, detect "
            "the format, map to records) on a 100k-row synthetic chat set from bench/synth.py, by the engine "
            "(dslint/*.py) of commit REV and by this tree's, both with the checks of REV, each in its own process; "
            "CPU seconds (process time) next to a plain `json.loads` loop over the same file in the same process, "
            "and the memory the loaded rows and records hold (tracemalloc).\n\n"
            + "\n".join(lines) + "\n" + note)


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


def size_table(results: list[dict[str, Any]]) -> str:
    return results_table(
        ["case", "task", "rows", "CPU (s)", "wall (s)", "peak RSS (MiB)", "RSS / file size"], results,
        lambda r: [r["case"], r["task"], f"{r['rows']:,}", f"{r['cpu_s']:.1f}", f"{r['wall_s']:.1f}",
                   f"{r['peak_rss_mib']:,.0f}",
                   f"{(r['peak_rss_mib'] / r['file_mib'] if r['file_mib'] else 0):.1f}x"], lead=2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bigfile", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="256,1024", help="file sizes in MiB, comma-separated")
    parser.add_argument("--line-mb", type=int, default=100, help="size of the one long line (0: skip)")
    parser.add_argument("--tmp", type=Path, default=None, help="folder for the generated files (default: a temp dir)")
    parser.add_argument("--compare-load", metavar="REV", default="",
                        help="loading: compare the engine of git commit REV with this tree's on 100k chat rows")
    parser.add_argument("--fast-profile", action="store_true",
                        help="with --compare-load: also the whole fast profile's CPU and peak RSS")
    parser.add_argument("--stream-mb", type=int, default=0,
                        help="streaming: size in MiB of the big file (a tenth of it is the small one); 0: skip")
    parser.add_argument("--whole-big", action="store_true",
                        help="with --stream-mb: also load the big file whole (needs ~3.5x its size in memory)")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        if sizes or args.line_mb:
            results = run(sizes, args.line_mb, Path(tmp))
            RESULTS.parent.mkdir(parents=True, exist_ok=True)
            RESULTS.write_text(json.dumps({"results": results}, indent=2) + "\n")
            print(size_table(results))
        if args.compare_load:
            loaded = compare_load(args.compare_load, Path(tmp), fast_profile=args.fast_profile)
            write_section("## Loading: CPU and memory per row", load_section(loaded))
            print(load_section(loaded))
            results += loaded
        if args.stream_mb:
            streamed = run_streaming(args.stream_mb, Path(tmp), args.whole_big)
            (RESULTS.parent / "bigfile-stream.json").write_text(json.dumps({"results": streamed}, indent=2) + "\n")
            write_section("## Big files: streaming", stream_section(streamed))
            print(stream_table(streamed))
            results += streamed
    return 0 if all("error" not in r for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
