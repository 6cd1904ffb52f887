"""Benchmark of the D family (duplicates and leakage): a repeatable evaluation on the real sets in
/work/shared/data, speed and memory of each tier at 10k and 100k synthetic rows, and the semantic tier side by side
with cleanlab Datalab's near_duplicate issue on the same embeddings. Writes the "## Duplicates" section of
bench/RESULTS.md (only that section).

    .venv/bin/python bench/duplicates.py                  # everything (tens of minutes on 2 busy shared cores)
    .venv/bin/python bench/duplicates.py --rows 10000     # one size only
    .venv/bin/python bench/duplicates.py --no-write       # print, leave RESULTS.md alone
    .venv/bin/python bench/duplicates.py --reuse DIR      # keep each measurement in DIR; a rerun reuses them

Each tier runs in a fresh child process so its peak resident memory (getrusage) is its own. Times are wall
seconds of `dslint.lint()` (or of the stage) inside the child; figures on this shared machine carry noise, ratios
measured in the same run are steadier.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script or as bench.<name>
from bench.results_md import write_section as write_results_section  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("DSLINT_SHARED_DATA", "/work/shared/data"))
RESULTS = ROOT / "bench" / "RESULTS.md"
HEADING = "## Duplicates"
DOLLY = DATA / "dolly15k_first6400" / "dolly15k_first6400_instruction_response.jsonl"
FASTCHAT = DATA / "fastchat_sharegpt_dummy" / "dummy_conversation.json"
ALPACA = DATA / "llamafactory_demo" / "alpaca_en_demo.json"
DOLLY_FIELDS = {"prompt": "instruction", "target": "response"}


# ---- synthetic data with planted duplicates -------------------------------------------------------------------------

def _vocabulary(rng: random.Random, size: int = 6000) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return ["".join(rng.choice(letters) for _ in range(rng.randint(3, 9))) for _ in range(size)]


def synthetic_rows(n: int, seed: int = 0, exact_share: float = 0.02, near_share: float = 0.02
                   ) -> tuple[list[dict[str, str]], list[tuple[int, int, str]]]:
    """n prompt/completion rows of random words; a share are exact copies (case/whitespace changed) and near
    copies (one word replaced, one added) of an earlier row. Returns rows and (copy, original, kind)."""
    rng = random.Random(seed)
    vocab = _vocabulary(rng)
    rows: list[dict[str, str]] = []
    planted: list[tuple[int, int, str]] = []
    for i in range(n):
        roll = rng.random()
        if i > 10 and roll < exact_share:
            o = rng.randrange(i)
            src = rows[o]
            rows.append({"prompt": "  " + src["prompt"].upper(), "completion": src["completion"]})
            planted.append((i, o, "exact"))
        elif i > 10 and roll < exact_share + near_share:
            o = rng.randrange(i)
            words = rows[o]["prompt"].split()
            words[rng.randrange(len(words))] = rng.choice(vocab)
            words.insert(rng.randrange(len(words)), rng.choice(vocab))
            rows.append({"prompt": " ".join(words), "completion": rows[o]["completion"]})
            planted.append((i, o, "near"))
        else:
            rows.append({"prompt": " ".join(rng.choice(vocab) for _ in range(rng.randint(25, 45))) + "?",
                         "completion": " ".join(rng.choice(vocab) for _ in range(rng.randint(5, 20))) + "."})
    # planted originals may themselves be copies: resolve to the first occurrence
    # an exact copy of an exact copy is a copy of the first occurrence
    exact_of = {c: o for c, o, kind in planted if kind == "exact"}
    resolved = []
    for c, o, kind in planted:
        while o in exact_of:
            o = exact_of[o]
        resolved.append((c, o, kind))
    return rows, resolved


def synthetic_embeddings(n: int, dim: int = 384, seed: int = 0, planted_share: float = 0.02
                         ) -> tuple[Any, list[tuple[int, int]]]:
    """L2-normalised vectors around 200 topic centres (so neighbours are not trivially far) with planted
    near-copies (cosine ~0.97-0.99 to an earlier vector). Returns vectors and (copy, original) pairs."""
    import numpy as np

    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(200, dim)).astype(np.float32)
    vectors = centres[rng.integers(0, 200, n)] + 1.2 * rng.normal(size=(n, dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    planted = []
    for c in np.flatnonzero(rng.random(n) < planted_share):
        if c < 10:
            continue
        o = int(rng.integers(0, c))
        noise = rng.normal(size=dim).astype(np.float32)
        noise /= np.linalg.norm(noise)
        v = vectors[o] + rng.uniform(0.12, 0.22) * noise
        vectors[c] = v / np.linalg.norm(v)
        planted.append((int(c), o))
    return vectors, planted


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")


# ---- child process: one measured tier -----------------------------------------------------------------------------

def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_lint(spec: dict[str, Any]) -> dict[str, Any]:
    """Lint spec["path"] with spec["config"]; report time, peak memory and findings (line -> code, kept)."""
    import dslint
    from dslint.config import Config

    cfg = Config(**spec["config"])
    start = time.perf_counter()
    report = dslint.lint(spec["path"], cfg, eval=spec.get("eval"))
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_mib": _peak_mib(), "records": report.records,
            "findings": [[f.location.record, f.code, f.details.get("kept")] for f in report.findings],
            "skipped": [s.reason for s in report.skipped]}


def child_semantic(spec: dict[str, Any]) -> dict[str, Any]:
    """dslint's semantic stage (faiss kNN + threshold clustering) or Datalab's near_duplicate on the same vectors."""
    import numpy as np

    vectors, planted = synthetic_embeddings(spec["n"], dim=spec.get("dim", 384), seed=spec["seed"])
    start = time.perf_counter()
    if spec["tool"] == "datalab":
        from cleanlab import Datalab

        lab = Datalab(data={"id": list(range(len(vectors)))}, verbosity=0)
        lab.find_issues(features=vectors, issue_types={"near_duplicate": {}})
        issues = lab.get_issues("near_duplicate")
        sets = lab.get_info("near_duplicate")["near_duplicate_sets"]
        flagged = set(np.flatnonzero(issues["is_near_duplicate_issue"].to_numpy()).tolist())
        found = sum(1 for c, o in planted if c in flagged and o in set(np.asarray(sets[c]).tolist()))
    else:
        import dslint.knn as knn_module
        from dslint.checks.semantic import semantic_clusters

        if spec.get("exact_max") is not None:
            knn_module.EXACT_SEARCH_MAX = spec["exact_max"]
        graph = knn_module.knn(vectors, vectors, 10, exclude_self=True)
        clusters, _ = semantic_clusters(graph.indices, graph.similarities, set(range(len(vectors))),
                                        spec.get("threshold", 0.95))
        root = {m: r for r, ms in clusters.items() for m in ms}
        flagged = set(root)
        found = sum(1 for c, o in planted if c in root and root.get(o) == root[c])
    seconds = time.perf_counter() - start
    planted_members = {x for pair in planted for x in pair}
    return {"seconds": seconds, "peak_mib": _peak_mib(), "planted": len(planted), "found": found,
            "flagged": len(flagged), "flagged_unplanted": len(flagged - planted_members)}


REUSE: Path | None = None  # --reuse DIR: keep each child's result there and reuse it on a rerun


def run_child(kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    saved = None
    if REUSE is not None:
        saved = REUSE / (hashlib.sha256(json.dumps([kind, spec], sort_keys=True).encode()).hexdigest()[:16] + ".json")
        if saved.exists():
            return json.loads(saved.read_text())
    env = {**os.environ, "DSLINT_QUIET": "1", "PYTHONHASHSEED": "0"}
    out = subprocess.run([sys.executable, __file__, "--child", kind, json.dumps(spec)], capture_output=True,
                         text=True, env=env, cwd=ROOT)
    if out.returncode != 0:
        raise RuntimeError(f"child {kind} failed:\n{out.stderr[-3000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if saved is not None:
        saved.write_text(json.dumps(result))
    return result


# ---- the measurements ----------------------------------------------------------------------------------------------

def recall(findings: list[list[Any]], planted: list[tuple[int, int, str]], kind: str, codes: tuple[str, ...]
           ) -> tuple[int, int]:
    flagged = {rec: kept for rec, code, kept in findings if code in codes}
    pairs = [(c, o) for c, o, k in planted if k == kind]
    return sum(1 for c, o in pairs if flagged.get(c) == o or (c in flagged and flagged.get(o) == flagged[c])), len(pairs)


def tiers_at(n: int, work: Path) -> list[dict[str, Any]]:
    saved = REUSE / f"tiers_{n}.json" if REUSE is not None else None
    if saved is not None and saved.exists():
        return json.loads(saved.read_text())
    out = _tiers_at(n, work)
    if saved is not None:
        saved.write_text(json.dumps(out))
    return out


def _tiers_at(n: int, work: Path) -> list[dict[str, Any]]:
    rows, planted = synthetic_rows(n, seed=n)
    path = work / f"synthetic_{n}.jsonl"
    write_jsonl(path, rows)
    out = []
    planted_rows = {c for c, _, _ in planted}
    for tier, select in (("exact (D001, D004)", ["D001", "D004"]), ("near (D002)", ["D002"]),
                         ("hook: D001 D002 D004", ["D001", "D002", "D004"])):
        res = run_child("lint", {"path": str(path), "config": {"select": select, "fast": True, "no_cache": True}})
        exact = recall(res["findings"], planted, "exact", ("D001", "D002"))
        near = recall(res["findings"], planted, "near", ("D002",))
        false = sum(1 for rec, code, _ in res["findings"] if code in ("D001", "D002") and rec not in planted_rows)
        out.append({"rows": n, "tier": tier, "seconds": res["seconds"], "rows_s": n / res["seconds"],
                    "peak_mib": res["peak_mib"], "exact": exact, "near": near, "false": false})
    return out


def model_tier(n: int, work: Path) -> list[dict[str, Any]]:
    """The semantic tier with the real model on a cold then a warm cache (the same cache folder)."""
    rows, planted = synthetic_rows(n, seed=7)
    path = work / f"model_{n}.jsonl"
    write_jsonl(path, rows)
    cache = work / "model-cache"
    out = []
    for state in ("cold", "warm"):
        res = run_child("lint", {"path": str(path), "run": state, "config": {"select": ["D001", "D002", "D003"],
                                                                               "cache_dir": str(cache)}})
        out.append({"rows": n, "cache": state, "seconds": res["seconds"], "rows_s": n / res["seconds"],
                    "peak_mib": res["peak_mib"], "skipped": res["skipped"],
                    "d003": sum(1 for _, code, _ in res["findings"] if code == "D003")})
    return out


def side_dim(n: int) -> int:
    """384 (all-MiniLM-L6-v2's width) up to 10k rows; 64 above, because an exact 100k x 100k search at 384
    dimensions takes tens of minutes on this shared machine for each tool. Both tools always get the same vectors."""
    return 384 if n <= 10_000 else 64


def semantic_side_by_side(n: int) -> dict[str, Any]:
    row: dict[str, Any] = {"rows": n, "dim": side_dim(n)}
    for tool in ("dslint", "datalab"):
        row[tool] = run_child("semantic", {"n": n, "seed": 11, "tool": tool, **({"dim": row["dim"]} if n > 10_000 else {})})
    return row


def knn_crossover(side: dict[str, Any]) -> dict[str, Any]:
    """Exact (flat, from the side-by-side run) against HNSW search on the same vectors: time and recall."""
    n = side["rows"]
    dim = {"dim": side["dim"]} if n > 10_000 else {}
    return {"rows": n, "dim": side["dim"], "flat": side["dslint"],
            "hnsw": run_child("semantic", {"n": n, "seed": 11, "tool": "dslint", "exact_max": 0, **dim})}


# ---- real sets: the issue's done-when checks --------------------------------------------------------------------

def real_sets() -> list[str]:
    """Findings on the shared real sets against their computed_stats.json."""
    import dslint
    from dslint.config import Config
    from dslint.data import load_sources, normalize_text
    from dslint.schema import FieldMap

    lines = []
    if not DATA.is_dir():
        return [f"(skipped: {DATA} is absent)"]

    # Dolly: every duplicate-instruction group (casefolded) must be found, as D001 or D004 clusters.
    stats = json.loads((DOLLY.parent / "computed_stats.json").read_text())
    start = time.perf_counter()
    report = dslint.lint(str(DOLLY), Config(select=["D001", "D002", "D004"], fast=True, fields=DOLLY_FIELDS,
                                            no_cache=True))
    seconds = time.perf_counter() - start
    records = load_sources([str(DOLLY)], FieldMap(**DOLLY_FIELDS))[0].records
    groups: dict[str, list[int]] = collections.defaultdict(list)
    for r in records:
        groups[normalize_text(r.data["instruction"], casefold=True)].append(r.index)
    dup_groups = {k: v for k, v in groups.items() if len(v) > 1}
    flagged = {f.location.record: f.details["kept"] for f in report.findings if f.code in ("D001", "D004")}
    found = sum(1 for v in dup_groups.values() if all(flagged.get(i) == v[0] for i in v[1:]))
    extra = sum(len(v) - 1 for v in dup_groups.values())
    counts = collections.Counter(f.code for f in report.findings)
    lines.append(f"- **Dolly 15k, first 6,400 rows** (fields instruction/response, {seconds:.1f} s for D001+D002+D004): "
                 f"{found}/{stats['dup_instruction_groups']} duplicate-instruction groups of computed_stats.json "
                 f"found whole ({extra} extra rows: {stats['dup_instruction_extra_rows']} expected), as "
                 f"{counts['D001']} D001 (exact pairs: {stats['dup_instruction_response_pairs_extra_rows']} expected) "
                 f"+ {counts['D004']} D004; D002 adds {counts['D002']} near-duplicates.")

    # FastChat: repeated opening prompts as clusters with counts.
    stats = json.loads((FASTCHAT.parent / "computed_stats.json").read_text())
    start = time.perf_counter()
    report = dslint.lint(str(FASTCHAT), Config(select=["D001", "D002", "D004"], fast=True, no_cache=True))
    seconds = time.perf_counter() - start
    sizes = {}
    excerpt = {}
    fc_records = {r.index: r for r in load_sources([str(FASTCHAT)])[0].records}
    from dslint.checks.duplicates import opening_prompt

    for f in report.findings:
        if f.code == "D004":
            sizes[f.details["kept"]] = f.details["cluster_size"]
            excerpt[f.details["kept"]] = normalize_text(opening_prompt(fc_records[f.details["kept"]]), casefold=True)
    top = sorted(sizes.items(), key=lambda kv: -kv[1])[:5]
    ours = ", ".join(f"'{excerpt[k]}' x{n}" for k, n in top)
    theirs = ", ".join(f"'{p}' x{n}" for p, n in stats["top_dup_first"])
    d004 = sum(1 for f in report.findings if f.code == "D004")
    lines.append(f"- **FastChat ShareGPT dummy** (500 conversations, {seconds:.1f} s): {len(sizes)} clusters of repeated "
                 f"opening prompts, {d004} D004 findings ({stats['dup_first_user_msg_extra']} expected); largest: {ours} "
                 f"(computed_stats: {theirs}). D002 flags {sum(1 for f in report.findings if f.code == 'D002')} "
                 f"whole conversations as near-duplicates (templated identity answers).")

    # LLaMA-Factory alpaca_en_demo: the 14 exact duplicate rows.
    stats = json.loads((ALPACA.parent / "computed_stats_alpaca.json").read_text())["alpaca_en_demo.json"]
    report = dslint.lint(str(ALPACA), Config(select=["D001", "D002", "D004"], fast=True, no_cache=True))
    counts = collections.Counter(f.code for f in report.findings)
    lines.append(f"- **LLaMA-Factory alpaca_en_demo.json** (999 rows): {counts['D001']} D001 exact duplicates "
                 f"({stats['exact_dup_rows_extra']} expected), {counts['D002']} D002, {counts['D004']} D004.")
    return lines


def jaccard_bins() -> list[str]:
    """How the default Jaccard threshold was chosen: verified pairs per Jaccard band on Dolly."""
    from dslint.checks.duplicates import MinHashes, candidate_pairs, jaccard, minhash_signatures
    from dslint.data import load_sources
    from dslint.schema import FieldMap

    records = load_sources([str(DOLLY)], FieldMap(**DOLLY_FIELDS))[0].records
    texts = [r.text for r in records]
    hashes = MinHashes(minhash_signatures(texts), texts)
    memo: dict[int, Any] = {}
    bins = collections.Counter()
    for i, j in candidate_pairs(hashes.signatures, range(len(texts)), 0.5):
        score = jaccard(hashes.shingles_of(i, memo), hashes.shingles_of(j, memo))
        if score >= 0.5:
            bins[min(int(score * 10), 10)] += 1
    return [f"{b / 10:.1f}-{b / 10 + 0.1:.1f}: {bins[b]}" if b < 10 else f"1.0: {bins[b]}" for b in sorted(bins)]


# ---- report ------------------------------------------------------------------------------------------------------

def fmt_rate(x: float) -> str:
    return f"{x / 1000:.1f}k/s" if x >= 1000 else f"{x:.0f}/s"


def kept_tail() -> str:
    """What the current section holds after the synthetic tier table (the model, Datalab and crossover parts),
    for --tiers-only."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
    section = text[text.find(HEADING):] if HEADING in text else ""
    section = section[:section.find("\n## ", 1)] if "\n## " in section[1:] else section
    table = section.find("| rows | tier |")
    end = section.find("\n\n", table) if table >= 0 else -1
    return section[end:].strip("\n") if end >= 0 else ""


def render(real: list[str], bins: list[str], tiers: list[dict], model: list[dict], side: list[dict],
           cross: list[dict], total: float, note: str = "", tail: str | None = None) -> str:
    out = [HEADING, "", f"Generated by `python bench/duplicates.py` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
           f" ({total:.0f} s in all; shared 2-core machine, expect ±30% noise on single figures). {note}".rstrip(), "",
           "### Real sets (the issue's done-when checks)", "", *real, "",
           f"Verified Dolly pairs per character-5-gram Jaccard band (how the D002 default 0.8 was chosen): "
           f"{'; '.join(bins)}.", "",
           "### Each tier on synthetic rows", "",
           "Prompt/completion rows of 25-45 random words; 2% planted exact copies (upper-cased, extra spaces) and 2% "
           "planted near copies (one word replaced, one inserted). Every tier runs `dslint.lint()` on a JSONL file in "
           "a fresh process; `peak MiB` is that process's maximum resident set (Python + numpy + the data); recall is "
           "planted copies reported against the right kept record; `false` counts D001/D002 findings on unplanted rows.",
           "", "| rows | tier | lint s | rows/s | peak MiB | exact recall | near recall | false |",
           "|---|---|---|---|---|---|---|---|"]
    for t in tiers:
        out.append(f"| {t['rows']:,} | {t['tier']} | {t['seconds']:.1f} | {fmt_rate(t['rows_s'])} | "
                   f"{t['peak_mib']:.0f} | {t['exact'][0]}/{t['exact'][1]} | {t['near'][0]}/{t['near'][1]} | "
                   f"{t['false']} |")
    if tail is not None:
        return "\n".join(out + ["", tail]) + "\n"
    if model:
        out += ["", "Semantic tier with the real model (all-MiniLM-L6-v2, CPU), D001+D002+D003, same cache folder "
                "twice: the cold run embeds every text, the warm run embeds none.", "",
                "| rows | cache | lint s | rows/s | peak MiB | D003 findings |", "|---|---|---|---|---|---|"]
        for m in model:
            out.append(f"| {m['rows']:,} | {m['cache']} | {m['seconds']:.1f} | {fmt_rate(m['rows_s'])} | "
                       f"{m['peak_mib']:.0f} | {m['d003']} |")
    out += ["", "### Semantic tier side by side with cleanlab Datalab", "",
            "Embedding 100k texts is too slow here (~10-80 texts/s on this shared CPU), so both tools get the SAME "
            "precomputed synthetic embeddings: unit vectors (384-d at 10k, 64-d at 100k: see `side_dim`) around 200 "
            "topic centres, 2% planted near-copies "
            "(cosine ~0.97-0.99 to an earlier vector). dslint = its semantic stage (faiss kNN graph, k=10, + "
            "threshold-0.95 clustering, what D003 runs); Datalab = `find_issues(features=..., "
            "issue_types={'near_duplicate': {}})` with its defaults. Recall: planted copy flagged with its original in "
            "the same cluster / near-duplicate set. `unplanted flagged` = records flagged that were not planted.", "",
            "| rows | dslint s | Datalab s | Datalab / dslint | dslint recall | Datalab recall | dslint unplanted flagged | Datalab unplanted flagged | dslint peak MiB | Datalab peak MiB |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for s in side:
        d, c = s["dslint"], s["datalab"]
        out.append(f"| {s['rows']:,} ({s['dim']}-d) | {d['seconds']:.1f} | {c['seconds']:.1f} | {c['seconds'] / d['seconds']:.1f}x | "
                   f"{d['found']}/{d['planted']} | {c['found']}/{c['planted']} | {d['flagged_unplanted']} | "
                   f"{c['flagged_unplanted']} | {d['peak_mib']:.0f} | {c['peak_mib']:.0f} |")
    if cross:
        out += ["", "Exact (faiss IndexFlatIP) against approximate (HNSW, M=32) neighbour search, same vectors "
                "(sets `knn.EXACT_SEARCH_MAX`):", "", "| rows | flat s | HNSW s | flat recall | HNSW recall |",
                "|---|---|---|---|---|"]
        for x in cross:
            out.append(f"| {x['rows']:,} ({x['dim']}-d) | {x['flat']['seconds']:.1f} | {x['hnsw']['seconds']:.1f} | "
                       f"{x['flat']['found']}/{x['flat']['planted']} | {x['hnsw']['found']}/{x['hnsw']['planted']} |")
    return "\n".join(out) + "\n"


def write_section(text: str) -> None:
    """Replace (or append) only the '## Duplicates' section of RESULTS.md."""
    write_results_section(HEADING, text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--rows", default="10000,100000", help="synthetic sizes, comma-separated")
    parser.add_argument("--model-rows", type=int, default=1000, help="rows for the real-model cold/warm run (0: skip)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/RESULTS.md alone")
    parser.add_argument("--reuse", help="folder keeping each measurement; a rerun reuses what is there")
    parser.add_argument("--note", default="", help="a sentence added under the heading (how this run was made)")
    parser.add_argument("--tiers-only", action="store_true",
                        help="re-measure the real sets and the synthetic tiers only; keep the rest of the section")
    args = parser.parse_args(argv)
    global REUSE
    if args.reuse:
        REUSE = Path(args.reuse)
        REUSE.mkdir(parents=True, exist_ok=True)
    if args.child:
        kind, spec = args.child[0], json.loads(args.child[1])
        print(json.dumps(child_lint(spec) if kind == "lint" else child_semantic(spec)))
        return 0
    began = time.perf_counter()
    sizes = [int(x) for x in args.rows.split(",") if x]
    real = real_sets()
    bins = jaccard_bins() if DATA.is_dir() else []
    print("\n".join(real), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = REUSE / "work" if REUSE is not None else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        tiers = [t for n in sizes for t in tiers_at(n, work)]
        print(json.dumps(tiers, indent=1), flush=True)
        if args.tiers_only:
            text = render(real, bins, tiers, [], [], [], time.perf_counter() - began, args.note, tail=kept_tail())
            print(text)
            if not args.no_write:
                write_section(text)
            return 0
        side = [semantic_side_by_side(n) for n in sizes]
        print(json.dumps(side, indent=1), flush=True)
        cross = [knn_crossover(s) for s in side]
        model = model_tier(args.model_rows, work) if args.model_rows else []
    text = render(real, bins, tiers, model, side, cross, time.perf_counter() - began, args.note)
    print(text)
    if not args.no_write:
        write_section(text)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
