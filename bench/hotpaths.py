"""Before/after of the fast profile's model-free hot paths (MinHash, D001/D002, S007, content, format, L002) in ONE
process on the SAME records: the modules of an earlier git revision are loaded beside the current ones, each step
runs with both, and the script prints CPU seconds per step and whether each step's findings and metrics are equal.

    .venv/bin/python bench/hotpaths.py                          # chat and classification, 100k rows, rev 1c9b777
    .venv/bin/python bench/hotpaths.py --rows 10000 --rev HEAD~3

A step whose results differ prints what differs; for D002 (a deliberate change of the MinHash scheme) it also
prints the recall of the planted near copies before and after (bench/synth.py's truth file).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script or as bench.hotpaths
MODULES = ("duplicates", "format", "size", "conflicts")


def old_module(rev: str, name: str, folder: Path) -> ModuleType:
    """checks/<name>.py as it was at `rev`, loaded inside the dslint.checks package (relative imports work)."""
    path = folder / f"{name}_{rev.replace('/', '_')}.py"
    path.write_text(subprocess.run(["git", "show", f"{rev}:checks/{name}.py"], cwd=ROOT, check=True,
                                   capture_output=True, text=True).stdout)
    spec = importlib.util.spec_from_file_location(f"dslint.checks._before_{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def cpu(step: Callable[[], Any]) -> tuple[float, Any]:
    started = time.process_time()
    out = step()
    return time.process_time() - started, out


def comparable(results: list[Any]) -> list[tuple]:
    return [(r.code, r.location.record, r.message, json.dumps(r.details, sort_keys=True, default=str))
            if hasattr(r, "code") else (r.name, json.dumps(r.value, sort_keys=True, default=str)) for r in results]


def steps(m: dict[str, ModuleType], inputs: dict[str, Any]) -> dict[str, tuple[float, list[Any]]]:
    """Each step's CPU seconds and results with the modules `m` (the exact_keys artifact when the module has it)."""
    d, recs, texts = m["duplicates"], inputs["records"], inputs["texts"]
    out: dict[str, tuple[float, list[Any]]] = {}
    t, sig = cpu(lambda: d.minhash_signatures(texts))
    out["artifact.minhash"] = (t, [])
    keys: Any = ()
    if hasattr(d, "exact_digests"):
        t, keys = cpu(lambda: d.exact_digests(recs))
        out["artifact.exact_keys"] = (t, [])
    extra = (keys,) if keys != () else ()
    out["check.exact-duplicates"] = cpu(lambda: list(d.ExactDuplicatesCheck().run(recs, *extra)))
    out["check.near-duplicates"] = cpu(lambda: list(d.NearDuplicatesCheck().run(recs, d.MinHashes(sig, texts), *extra)))
    out["check.dataset-shape"] = cpu(lambda: list(m["size"].DatasetShapeCheck().run(recs)))
    out["check.content"] = cpu(lambda: list(m["format"].ContentCheck().run(recs, inputs["config"])))
    out["check.format"] = cpu(lambda: list(m["format"].FormatCheck().run(
        inputs["rows"], recs, inputs["sources"], inputs["profile"], inputs["config"])))
    out["check.conflicting-targets"] = cpu(lambda: list(m["conflicts"].ConflictingTargetCheck().run(
        recs, inputs["label_data"])))
    return out


def near_recall(results: list[Any], truth: dict[str, Any]) -> str:
    flagged = {f.location.line - 1 for f in results if getattr(f, "code", "") == "D002"}  # row = line - 1
    planted = truth["near_dups"]
    found = sum(1 for a, b in planted if max(a, b) in flagged)
    return f"{found}/{len(planted)} planted near copies flagged D002"


def compare(path: Path, before: dict[str, ModuleType], after: dict[str, ModuleType]) -> list[str]:
    from bench.synth import load_truth
    from dslint.artifacts import Artifacts
    from dslint.config import Config
    from dslint.data import load_sources
    from dslint.engine import _as_inputs
    from dslint.profiles import get_profile

    config = Config(fast=True, no_cache=True)
    sources = load_sources(_as_inputs(str(path)), config.field_map, "train")
    store = Artifacts({"sources": sources, "eval_sources": [], "config": config, "profile": get_profile(config.profile)})
    inputs = {name: store.get(name) for name in ("records", "texts", "rows", "label_data", "profile", "config")}
    inputs["sources"] = sources
    b, a = steps(before, inputs), steps(after, inputs)
    lines = [f"### {path.name}", "", "| step | before CPU s | after CPU s | before / after | same results |",
             "|---|---|---|---|---|"]
    for name in a:
        tb, rb = b.get(name, (0.0, []))
        ta, ra = a[name]
        same = comparable(rb) == comparable(ra)
        ratio = f"{tb / ta:.1f}x" if tb and ta else "(new)"
        lines.append(f"| {name} | {tb:.2f} | {ta:.2f} | {ratio} | {'yes' if same else 'NO'} |")
        if not same and name == "check.near-duplicates":
            truth = load_truth(path)
            nb = sum(1 for r in rb if getattr(r, "code", "") == "D002")
            na = sum(1 for r in ra if getattr(r, "code", "") == "D002")
            lines.append(f"|  D002 findings | {nb} | {na} | | before: {near_recall(rb, truth)};"
                         f" after: {near_recall(ra, truth)} |")
    total_b = sum(t for t, _ in b.values())
    total_a = sum(t for t, _ in a.values())
    lines.append(f"| all these steps | {total_b:.2f} | {total_a:.2f} | {total_b / total_a:.1f}x | |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rev", default="1c9b777", help="git revision of the 'before' modules")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--kinds", default="chat,classification")
    parser.add_argument("--folder", help="where the synthetic sets are written (reused when present)")
    args = parser.parse_args(argv)
    from bench.synth import write_set

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.folder or tmp)
        before = {name: old_module(args.rev, name, Path(tmp)) for name in MODULES}
        after = {name: importlib.import_module(f"dslint.checks.{name}") for name in MODULES}
        for kind in args.kinds.split(","):
            print("\n".join(compare(write_set(kind, args.rows, folder), before, after)), "\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
