"""The core benchmark: dslint's fast and full profiles over synthetic sets of growing size, side by side with
their floors (json.loads loop, the embedding model alone) and with cleanlab Datalab on the same embeddings.

Every measurement runs in its own process (bench/worker.py), so peak memory is that task's own. Results are
kept as JSON (bench/results/core.json) and rendered to bench/RESULTS.md by bench/report.py.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from . import synth

HERE = Path(__file__).resolve().parent
RESULTS_JSON = HERE / "results" / "core.json"
SIZES = {"1k": 1_000, "10k": 10_000, "100k": 100_000, "1M": 1_000_000}
KINDS = ("chat", "classification")
TIMEOUT = 3600


@dataclass
class Options:
    sizes: list[str]
    kinds: tuple[str, ...] = KINDS
    data_dir: Path = Path(os.environ.get("DSLINT_BENCH_DIR", "/tmp/dslint-bench"))
    model_sizes: tuple[str, ...] = ("1k",)  # sizes where the full profile embeds with the real model, cold
    datalab: bool = True
    datalab_max: int = 100_000
    full_max: int = 100_000  # largest size that gets a full-profile run
    append_size: str = "100k"
    merge: bool = False  # keep earlier results of the sizes not measured now
    results: Path = RESULTS_JSON  # another core*.json beside it lets a long run (1M) go on in parallel
    log: Callable[[str], None] = lambda msg: print(msg, file=sys.stderr, flush=True)


@dataclass
class Results:
    machine: dict[str, Any] = field(default_factory=dict)
    runs: list[dict[str, Any]] = field(default_factory=list)
    path: Path | None = None  # saved after every measurement, so a stopped run keeps what it measured

    def add(self, **run: Any) -> dict[str, Any]:
        self.runs.append(run)
        if self.path is not None:
            self.save(self.path)
        return run

    def save(self, path: Path = RESULTS_JSON) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"machine": self.machine, "runs": self.runs}, indent=1))
        os.replace(tmp, path)


def machine_info() -> dict[str, Any]:
    """Cores, memory, CPU model and the library versions the figures depend on."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kib = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                           if line.startswith("MemTotal")))
    except (OSError, StopIteration, ValueError):
        mem_kib = 0
    versions = subprocess.run(
        [sys.executable, "-c", "import sys, torch, cleanlab, faiss, sentence_transformers as st, sklearn;"
         "print(sys.version.split()[0], torch.__version__, cleanlab.__version__, faiss.__version__, st.__version__,"
         " sklearn.__version__)"], capture_output=True, text=True).stdout.split()
    names = ("python", "torch", "cleanlab", "faiss", "sentence_transformers", "sklearn")
    return {"cores": os.cpu_count(), "memory_gib": round(mem_kib / 2**20, 1), "cpu": cpu,
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), **dict(zip(names, versions))}


def worker(task: str, path: Path, *, cache_dir: Path, log: Callable[[str], None], **opts: Any) -> dict[str, Any]:
    """Run one worker task in a fresh process; its JSON plus the process's whole wall time (or an error)."""
    cmd = [sys.executable, "-m", "bench.worker", task, "--path", str(path), "--cache-dir", str(cache_dir)]
    for key, value in opts.items():
        if value is True:
            cmd.append(f"--{key.replace('_', '-')}")
        elif value not in (None, False):
            cmd += [f"--{key.replace('_', '-')}", str(value)]
    env = {**os.environ, "DSLINT_QUIET": "1", "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, cwd=HERE.parent, env=env)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {TIMEOUT}s", "proc_wall": time.perf_counter() - start}
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-1:] or ["(no stderr)"]
        log(f"    ! {task} failed: {tail[0]}")
        return {"error": tail[0], "proc_wall": wall}
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["proc_wall"] = wall
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("dslint:")]
    if warnings:  # e.g. a cache that could not be written: it explains a slow "warm" run
        out["warnings"] = warnings[-5:]
        log(f"    ! {warnings[-1]}")
    return out


def fresh_cache(opts: Options, name: str) -> Path:
    path = opts.data_dir / "cache" / name
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def bench_startup(opts: Options, res: Results) -> None:
    """`dslint check` on a 10-row file with --fast: whole-process wall, best and median of 5."""
    path = opts.data_dir / "tiny_10.jsonl"
    synth.generate("chat", 10, path)
    exe = str(Path(sys.executable).with_name("dslint"))
    env = {**os.environ, "DSLINT_CACHE_DIR": str(opts.data_dir / "cache" / "tiny")}

    def timed(cmd: list[str]) -> tuple[list[float], list[float]]:
        walls, cpus = [], []
        for _ in range(5):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run(cmd, capture_output=True, env=env, cwd=opts.data_dir)
            walls.append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        return walls, cpus

    cli, cli_cpu = timed([exe, "check", str(path), "--fast", "--exit-zero"])
    bare, _ = timed([sys.executable, "-c", "pass"])
    imports = subprocess.run([sys.executable, "-c", "import sys, dslint.cli, dslint.engine; "
                              "print(' '.join(sorted(m for m in ('torch', 'sentence_transformers', 'faiss', "
                              "'cleanlab', 'sklearn', 'datasets', 'pandas', 'pyarrow', 'numpy') if m in sys.modules)))"],
                             capture_output=True, text=True, cwd=HERE.parent).stdout.strip()
    res.add(task="startup", kind="chat", size=10, best=min(cli), median=statistics.median(cli),
            cpu_best=min(cli_cpu), python_best=min(bare), heavy_imports_at_import=imports,
            load_avg=os.getloadavg()[0])
    opts.log(f"  startup: best {min(cli):.2f}s median {statistics.median(cli):.2f}s (python alone {min(bare):.2f}s)")


def bench_size(opts: Options, res: Results, kind: str, label: str) -> None:
    """Floors, fast profile, full profile (cold and warm) and Datalab for one set."""
    n = SIZES[label]
    t = time.perf_counter()
    path = synth.write_set(kind, n, opts.data_dir)
    opts.log(f"{kind} {label}: data ready ({time.perf_counter() - t:.1f}s)")
    base = {"kind": kind, "size": n, "label": label}
    floor = res.add(task="json-floor", **base, **worker("json-floor", path, cache_dir=opts.data_dir, log=opts.log))
    opts.log(f"  json floor {floor.get('wall', float('nan')):.2f}s")
    fast = res.add(task="lint", profile="fast", cache="n/a", **base,
                   **worker("lint", path, fast=True, cache_dir=fresh_cache(opts, f"fast_{kind}_{label}"),
                          log=opts.log))
    opts.log(f"  fast {fast.get('wall', float('nan')):.2f}s peak {fast.get('peak_rss_mib', 0):.0f} MiB")
    if n > opts.full_max:
        return
    cache = fresh_cache(opts, f"{kind}_{label}")
    if label in opts.model_sizes:
        res.add(task="embed-floor", **base, **worker("embed-floor", path, cache_dir=cache, log=opts.log))
        embeddings = "model"
    else:
        seed = res.add(task="seed-cache", **base, **worker("seed-cache", path, cache_dir=cache, log=opts.log))
        opts.log(f"  seeded {seed.get('strings', 0)} stand-in vectors")
        if "error" in seed:
            return  # without the stand-ins the full run would encode every row with the real model
        embeddings = "stand-in"
    for temp in ("cold", "warm"):
        if embeddings == "stand-in" and temp == "warm":
            break  # a seeded run is already warm: it measures everything but the model's encoding
        run = res.add(task="lint", profile="full", cache=temp if embeddings == "model" else "seeded",
                      embeddings=embeddings, **base, **worker("lint", path, cache_dir=cache, log=opts.log))
        opts.log(f"  full ({run['cache']}) {run.get('wall', float('nan')):.2f}s peak {run.get('peak_rss_mib', 0):.0f} MiB")
    if opts.datalab and n <= opts.datalab_max:
        lab = res.add(task="datalab", embeddings=embeddings, **base,
                      **worker("datalab", path, cache_dir=cache, log=opts.log))
        opts.log(f"  datalab find_issues {lab.get('find_issues', float('nan')):.2f}s")
    if label == opts.append_size and kind == "chat":
        bench_append(opts, res, path, cache, base)


def bench_append(opts: Options, res: Results, path: Path, cache: Path, base: dict[str, Any]) -> None:
    """Append 1% new rows and re-run the full profile on the warm cache: only the new rows need the model."""
    grown = synth.write_appended(path, 0.01)
    run = res.add(task="lint", profile="full", cache="warm+1%", embeddings="model for new rows", **base,
                  **worker("lint", grown, cache_dir=cache, log=opts.log))
    opts.log(f"  full after +1% rows (warm) {run.get('wall', float('nan')):.2f}s")


def previous(opts: Options) -> list[dict[str, Any]]:
    """Runs kept from the last results file when merging: every size not being measured again."""
    if not (opts.merge and opts.results.exists()):
        return []
    sizes = {SIZES[label] for label in opts.sizes}
    runs = json.loads(opts.results.read_text())["runs"]
    rerun_startup = "1k" in opts.sizes
    return [r for r in runs if r.get("size") not in sizes and not (rerun_startup and r.get("task") == "startup")]


def run(opts: Options) -> Results:
    opts.data_dir.mkdir(parents=True, exist_ok=True)
    res = Results(machine=machine_info(), runs=previous(opts), path=opts.results)
    started = time.perf_counter()
    if not opts.merge or "1k" in opts.sizes:
        bench_startup(opts, res)
        res.save(opts.results)
    for label in opts.sizes:
        for kind in opts.kinds:
            bench_size(opts, res, kind, label)
            res.save(opts.results)
    res.machine["bench_wall_s"] = time.perf_counter() - started
    res.save(opts.results)
    return res
