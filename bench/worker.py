"""One measurement per process, so peak memory and cold start are the measured task's own.

    python -m bench.worker TASK --path FILE [options]     -> one JSON object on stdout

Tasks: lint (dslint in-process, with per-step timings), json-floor (a plain json.loads loop over the file),
embed-floor (the embedding model alone on the texts dslint embeds), datalab (cleanlab Datalab find_issues on the
same embeddings dslint used), seed-cache (stand-in vectors stored under the real model's cache key).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from typing import Any

STARTED = time.perf_counter()
FAMILIES = ("F", "S", "D", "L", "V")


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def _config(args: argparse.Namespace) -> Any:
    from dslint.config import Config

    cfg = Config(fast=args.fast, cache_dir=args.cache_dir, no_cache=args.no_cache)
    if args.model:
        cfg.embedding_model = args.model
    if args.select:
        cfg.select = args.select.split(",")
    return cfg


def task_lint(args: argparse.Namespace) -> dict[str, Any]:
    """dslint on the file: wall time, per-step timings, what each family flagged (record indices)."""
    imported = time.perf_counter()
    from dslint.engine import lint

    cfg = _config(args)
    start = time.perf_counter()
    report = lint([args.path], cfg)
    wall = time.perf_counter() - start
    flagged: dict[str, set[int]] = {f: set() for f in FAMILIES}
    codes: dict[str, int] = {}
    for f in report.findings:
        codes[f.code] = codes.get(f.code, 0) + 1
        if f.location.record is not None and f.code[:1] in flagged:
            flagged[f.code[:1]].add(f.location.record)
    return {
        "wall": wall, "import": start - imported, "rows": report.rows, "records": report.records,
        "timings": report.timings, "codes": codes, "flagged": {k: sorted(v) for k, v in flagged.items()},
        "skipped": [[s.check, s.reason] for s in report.skipped],
        "metrics": {k: v for k, v in report.metrics.items() if isinstance(v, (int, float))},
    }


def task_json_floor(args: argparse.Namespace) -> dict[str, Any]:
    """The parsing floor: read the file line by line and json.loads each line, nothing else."""
    start, cpu = time.perf_counter(), time.process_time()
    rows = bad = 0
    with open(args.path, "rb") as fh:
        for line in fh:
            rows += 1
            try:
                json.loads(line)
            except ValueError:
                bad += 1
    return {"wall": time.perf_counter() - start, "cpu": time.process_time() - cpu, "rows": rows, "bad": bad}


def _records(path: str) -> list[Any]:
    from dslint.data import load_sources

    return [r for s in load_sources([path]) for r in s.records]


def task_embed_floor(args: argparse.Namespace) -> dict[str, Any]:
    """The embedding floor: the model alone (load + encode) on the distinct texts dslint embeds."""
    texts = list(dict.fromkeys(r.text for r in _records(args.path)))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    start = time.perf_counter()
    from sentence_transformers import SentenceTransformer

    from dslint.embed import default_model_path

    model = SentenceTransformer(default_model_path(), device="cpu")
    loaded, cpu = time.perf_counter(), time.process_time()
    model.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
    done = time.perf_counter()
    return {"load": loaded - start, "encode": done - loaded, "encode_cpu": time.process_time() - cpu,
            "texts": len(texts),
            "texts_per_s": len(texts) / max(done - loaded, 1e-9)}


def _embeddings(args: argparse.Namespace, texts: list[str]) -> Any:
    """The vectors dslint used for these texts: read through dslint's own embedder and cache."""
    from dslint.cache import open_cache
    from dslint.embed import embed_texts, load_embedder

    cfg = _config(args)
    return embed_texts(texts, load_embedder(cfg), open_cache(cfg))


def task_datalab(args: argparse.Namespace) -> dict[str, Any]:
    """cleanlab Datalab find_issues (near_duplicate, and label when there are labels) on dslint's embeddings.

    Each issue type is a find_issues call of its own on one Datalab (the label check with features fits its own
    kNN classifier, so nothing is computed twice), timed apart. Datalab's label check from features fails on sets
    whose exact duplicates outnumber its k + 1 neighbours ("Values in pred_probs must be between 0 and 1": its
    out-of-sample correction subtracts a self-vote the neighbour list did not hold). Then the label check is run
    the way cleanlab's docs recommend instead: pred_probs from 5-fold `cross_val_predict` of
    `LogisticRegression(max_iter=400)` on the same vectors (timed and counted as Datalab's), passed to find_issues.
    The failed attempt's time is reported apart and not counted.
    """
    records = _records(args.path)
    texts = [r.text for r in records]
    labels = [r.label for r in records]
    has_labels = all(lab is not None for lab in labels) and len(set(labels)) > 1
    t0 = time.perf_counter()
    features = _embeddings(args, texts)
    t1 = time.perf_counter()
    from cleanlab import Datalab

    data: dict[str, Any] = {"text": texts}
    if has_labels:
        data["label"] = labels
    t2 = time.perf_counter()
    lab = Datalab(data=data, label_name="label" if has_labels else None, verbosity=0)
    steps: dict[str, dict[str, float]] = {}
    with _timed(steps, "near_duplicate"):
        lab.find_issues(features=features, issue_types={"near_duplicate": {}})
    label_via = None
    if has_labels:
        with _timed(steps, "label (features: kNN classifier)"):
            lab.find_issues(features=features, issue_types={"label": {}})
        label_via = "features (its kNN classifier)"
        if _found(lab, "label") is None:
            steps["failed: label (features)"] = steps.pop("label (features: kNN classifier)")
            with _timed(steps, "label (pred_probs: 5-fold LogisticRegression)"):
                lab.find_issues(pred_probs=_recommended_pred_probs(features, lab), issue_types={"label": {}})
            label_via = "pred_probs from 5-fold cross_val_predict(LogisticRegression(max_iter=400))"
    counted = [v for k, v in steps.items() if not k.startswith("failed")]
    flagged: dict[str, list[int]] = {}
    failed: list[str] = []
    for name in ("near_duplicate", "label") if has_labels else ("near_duplicate",):
        issues = _found(lab, name)
        if issues is None:
            failed.append(name)
            continue
        mask = issues[f"is_{name}_issue"].to_numpy()
        flagged[name] = [records[i].index for i in range(len(records)) if mask[i]]
    return {"find_issues": sum(v["wall"] for v in counted), "find_issues_cpu": sum(v["cpu"] for v in counted),
            "steps": steps, "label_via": label_via, "import": t2 - t1, "embeddings_read": t1 - t0,
            "records": len(records), "flagged": flagged, "failed_issue_types": failed, "dim": int(features.shape[1])}


class _timed:
    """Context manager: wall and CPU seconds of a block, stored under `name` in `steps`."""

    def __init__(self, steps: dict[str, dict[str, float]], name: str):
        self.steps, self.name = steps, name

    def __enter__(self) -> None:
        self.start = (time.perf_counter(), time.process_time())

    def __exit__(self, *exc: Any) -> None:
        self.steps[self.name] = {"wall": time.perf_counter() - self.start[0],
                                 "cpu": time.process_time() - self.start[1]}


def _found(lab: Any, name: str) -> Any:
    """Datalab's issues of one type, or None when the check failed (Datalab logs the error, leaves it out)."""
    try:
        return lab.get_issues(name)
    except ValueError:
        return None


def _recommended_pred_probs(features: Any, lab: Any) -> Any:
    """Out-of-sample pred_probs as cleanlab's text-classification tutorial computes them, on one BLAS thread (it
    was faster that way for dslint's own logistic regression on this 2-core machine, so Datalab gets it too)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_predict
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        return cross_val_predict(LogisticRegression(max_iter=400), features, lab.labels, cv=5,
                                 method="predict_proba")


def stand_in_vectors(texts: list[str], dim: int) -> Any:
    """Deterministic L2-normalised hashed character n-gram vectors of the real model's dimension."""
    import numpy as np
    from sklearn.feature_extraction.text import HashingVectorizer

    vec = HashingVectorizer(n_features=dim, analyzer="char_wb", ngram_range=(3, 4), alternate_sign=False,
                            norm="l2", lowercase=True)
    return np.asarray(vec.transform(texts).toarray(), dtype=np.float32)


def task_seed_cache(args: argparse.Namespace) -> dict[str, Any]:
    """Store stand-in vectors for every text, prompt and target of the file under the real model's cache key,
    so a full-profile run measures everything except the model's own encoding time."""
    from dslint.cache import open_cache
    from dslint.embed import load_embedder

    records = _records(args.path)
    strings = list(dict.fromkeys(s for r in records for s in (r.text, r.prompt, r.target) if s))
    cfg = _config(args)
    embedder_id = load_embedder(cfg).id  # the real model's cache key (it names the model's files and options)
    start = time.perf_counter()
    cache = open_cache(cfg)
    step = 20_000
    for i in range(0, len(strings), step):
        chunk = strings[i:i + step]
        cache.put_many(embedder_id, dict(zip(chunk, stand_in_vectors(chunk, 384))))
    wall = time.perf_counter() - start
    stored = len(cache.get_many(embedder_id, strings))
    if stored != len(strings):  # a seeded run would silently encode with the real model for an hour
        raise SystemExit(f"seed-cache: only {stored} of {len(strings)} vectors readable from the cache")
    return {"strings": len(strings), "wall": wall, "embedder_id": embedder_id}


TASKS = {"lint": task_lint, "json-floor": task_json_floor, "embed-floor": task_embed_floor,
         "datalab": task_datalab, "seed-cache": task_seed_cache}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.worker")
    parser.add_argument("task", choices=sorted(TASKS))
    parser.add_argument("--path", required=True)
    parser.add_argument("--fast", action="store_true")
    parser.add_argument("--model", default=None, help="embedding model (default: dslint's; 'lexical')")
    parser.add_argument("--select", default=None)
    parser.add_argument("--cache-dir", default=os.environ.get("DSLINT_CACHE_DIR", "/tmp/dslint-bench/cache"))
    parser.add_argument("--no-cache", action="store_true")
    args = parser.parse_args(argv)
    os.environ["DSLINT_QUIET"] = "1"
    result = TASKS[args.task](args)
    result["peak_rss_mib"] = peak_rss_mib()
    result["process_s"] = time.perf_counter() - STARTED
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["cpu_s"] = usage.ru_utime + usage.ru_stime  # less sensitive than wall time to a busy machine
    result["load_avg"] = os.getloadavg()[0]  # the machine is shared: how busy it was at the end
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
