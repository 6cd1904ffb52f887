"""Volatility benchmark: recall on RealTime QA news questions, false positives on hand-labelled settled rows.

    .venv/bin/python bench/volatility.py            # prints a markdown section (paste under "## Volatility")
    .venv/bin/python bench/volatility.py --write    # ... and replaces that section in bench/RESULTS.md
        [--baseline REV] [--speed] [--learned]     # ... with before/after F1, the speed table, the learned scorer

Runs the V rules through the engine (`dslint.lint(..., select=["V"], fast=True)`) with today's real date.
RealTime QA rows are all time-sensitive (weekly news quizzes, 2020-2022). They are read two ways:
  "answer only":       prompt = question + the choices, target = the correct choice
  "answer + evidence": the same, with the news passage that supports the answer appended to the target
The settled rows are the rows labelled "settled" in bench/volatility_labels.json (how they were picked and the
labelling rule are in that file); the rows labelled "volatile" there give a small second recall figure. Splits:
"test3" (400 rows labelled before any rule ran on them and before the recall changes of that session, never tuned
on: the honest figure), "test2" (400 rows, held out once, then spent: its misses were used to tune the ranking,
running-count and office detectors), "test" (250 rows, not tuned on row by row, but its known false-positive kinds
were fixed in general), "heldout" and "dev" (both used for tuning).
Skips with a message when /work/shared/data (or $DSLINT_SHARED_DATA) is absent.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import dslint

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script or as bench.<name>
from bench.results_md import write_section as write_results_section  # noqa: E402

HERE = Path(__file__).resolve().parent
DATA = Path(os.environ.get("DSLINT_SHARED_DATA", "/work/shared/data"))
REALTIMEQA = DATA / "realtimeqa_news" / "realtimeqa_backnumber_2020_2022.jsonl"
DOLLY = DATA / "dolly15k_first6400" / "dolly15k_first6400_instruction_response.jsonl"
ALPACA = DATA / "llamafactory_demo" / "alpaca_en_demo.json"
LABELS = HERE / "volatility_labels.json"
RESULTS = HERE / "RESULTS.md"
RECORD_CODES = [f"V{i:03d}" for i in range(1, 10)]


def realtimeqa_records(with_evidence: bool) -> list[dict[str, str]]:
    """RealTime QA as alpaca records: question + choices -> the correct choice (+ the evidence passage)."""
    out = []
    for line in REALTIMEQA.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        choices = row.get("choices") or []
        answer = [choices[int(a)] for a in row.get("answer") or [] if str(a).isdigit() and int(a) < len(choices)]
        options = "\n".join(f"{chr(65 + i)}. {c}" for i, c in enumerate(choices))
        target = answer[0] if answer else ""
        if with_evidence and row.get("evidence"):
            target = f"{target}. {row['evidence']}"
        out.append({"instruction": row["question_sentence"], "input": options, "output": target})
    return out


def labelled_records(split: str) -> tuple[list[dict[str, str]], list[str], list[str]]:
    """One split ('dev', 'heldout', 'test', 'test2', 'test3') of the hand-labelled rows: alpaca records, labels, ids."""
    labels = json.loads(LABELS.read_text(encoding="utf-8"))[split]
    dolly = [json.loads(x) for x in DOLLY.read_text(encoding="utf-8").splitlines()]
    alpaca = json.loads(ALPACA.read_text(encoding="utf-8"))
    records, gold, ids = [], [], []
    for key, label in labels["dolly15k_first6400"].items():
        row = dolly[int(key)]
        records.append({"instruction": row["instruction"], "input": "", "output": row["response"]})
        gold.append(label)
        ids.append(f"dolly:{key}")
    for key, label in labels["alpaca_en_demo"].items():
        row = alpaca[int(key)]
        records.append({"instruction": row["instruction"], "input": row.get("input", ""), "output": row["output"]})
        gold.append(label)
        ids.append(f"alpaca:{key}")
    return records, gold, ids


def flagged(records: list[dict[str, Any]]) -> tuple[dict[int, list[str]], dict[str, Any]]:
    """Record index -> V codes fired, and the run's V metrics."""
    report = dslint.lint(records, select=["V"], fast=True)
    hits: dict[int, list[str]] = {}
    for f in report.findings:
        if f.code in RECORD_CODES and f.location.record is not None:
            hits.setdefault(f.location.record, []).append(f.code)
    return hits, {k: v for k, v in report.metrics.items() if k.startswith("V.")}


def per_code(hits: dict[int, list[str]], rows: set[int] | None = None) -> str:
    counts = Counter(code for i, codes in hits.items() if rows is None or i in rows for code in codes)
    return ", ".join(f"{c} {counts[c]}" for c in RECORD_CODES if counts[c]) or "none"


def measure() -> str:
    from dslint.checks.volatility import CODES

    names = {code: cat for cat, code in CODES.items()}
    lines = [f"Run on {dt.date.today().isoformat()} (recency window: 3 years back, 5 ahead). Codes: "
             + ", ".join(f"{c} {names[c]}" for c in RECORD_CODES) + ".", ""]
    lines += ["| data | rows | flagged | rate | flags per code |", "|---|---|---|---|---|"]
    for title, evidence in (("RealTime QA, answer only (recall)", False),
                            ("RealTime QA, answer + evidence (recall)", True)):
        recs = realtimeqa_records(evidence)
        hits, _ = flagged(recs)
        lines.append(f"| {title} | {len(recs):,} | {len(hits):,} | {len(hits) / len(recs):.1%} | {per_code(hits)} |")
    lines.append("")
    for split, title in (("test3", "fresh test3 (labelled before the rules ran on it, never tuned on)"),
                         ("test2", "test2 (held out once, then tuned on: spent)"),
                         ("test", "test (not tuned on row by row)"), ("heldout", "second tuning round"),
                         ("dev", "development")):
        lines += labelled_lines(split, title)
    return "\n".join(lines) + "\n"


def labelled_lines(split: str, title: str) -> list[str]:
    """The false-positive rate, recall, precision and F1 on one split of the hand-labelled rows."""
    records, gold, ids = labelled_records(split)
    hits, _ = flagged(records)
    settled = {i for i, g in enumerate(gold) if g == "settled"}
    volatile = {i for i, g in enumerate(gold) if g == "volatile"}
    fp, tp = settled & set(hits), volatile & set(hits)
    precision = len(tp) / (len(tp) + len(fp)) if tp or fp else 0.0
    recall = len(tp) / len(volatile) if volatile else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return [
        f"**{title.capitalize()} labelled rows** ({len(records)} dolly + alpaca rows, {len(volatile)} labelled "
        "volatile; see bench/volatility_labels.json):", "",
        "| rows | n | flagged | rate | flags per code |", "|---|---|---|---|---|",
        f"| settled (false-positive rate) | {len(settled)} | {len(fp)} | {len(fp) / len(settled):.1%} | "
        f"{per_code(hits, settled)} |",
        f"| volatile (recall) | {len(volatile)} | {len(tp)} | {recall:.1%} | {per_code(hits, volatile)} |", "",
        f"Precision {precision:.1%}, recall {recall:.1%}, F1 {f1:.2f}. False positives: "
        + (", ".join(f"{ids[i]} ({'/'.join(hits[i])})" for i in sorted(fp)) or "none")
        + ". Missed: " + (", ".join(ids[i] for i in sorted(volatile - tp)) or "none") + ".", "",
    ]


def learned_lines(seed: int = 0) -> list[str]:
    """Does an embedding classifier beat the rules on the untouched test split? Logistic regression on MiniLM
    embeddings, trained on the dev + second-round labelled rows plus RealTime QA (volatile) and 1,500 other dolly rows
    (assumed settled), then scored alone and OR-ed with the rules on the test split."""
    import random

    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from dslint.embed import SentenceTransformerEmbedder, default_model_path

    def text(r: dict[str, str]) -> str:
        return f"{r['instruction']}\n{r['input']}\n{r['output']}".strip()

    train_recs, train_y = [], []
    for split in ("dev", "heldout"):
        recs, gold, _ = labelled_records(split)
        train_recs += recs
        train_y += [g == "volatile" for g in gold]
    rtq = realtimeqa_records(True)
    used = {int(k) for split in ("dev", "heldout", "test", "test2", "test3")
            for k in json.loads(LABELS.read_text(encoding="utf-8"))[split]["dolly15k_first6400"]}
    dolly = [json.loads(x) for x in DOLLY.read_text(encoding="utf-8").splitlines()]
    rng = random.Random(seed)
    extra = [dolly[i] for i in rng.sample(sorted(set(range(len(dolly))) - used), 1500)]
    train_recs += rtq + [{"instruction": d["instruction"], "input": "", "output": d["response"]} for d in extra]
    train_y += [True] * len(rtq) + [False] * len(extra)
    test_recs, test_gold, _ = labelled_records("test")
    test_y = np.array([g == "volatile" for g in test_gold])
    embedder = SentenceTransformerEmbedder(default_model_path())
    x_train = embedder.encode([text(r) for r in train_recs])
    x_test = embedder.encode([text(r) for r in test_recs])
    clf = LogisticRegression(max_iter=2000, class_weight="balanced").fit(x_train, np.array(train_y))
    proba = clf.predict_proba(x_test)[:, 1]
    hits, _ = flagged(test_recs)
    rules = np.array([i in hits for i in range(len(test_recs))])

    def scores(pred: np.ndarray) -> str:
        tp, fp = int((pred & test_y).sum()), int((pred & ~test_y).sum())
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / int(test_y.sum())
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        return f"{fp / int((~test_y).sum()):.1%} | {r:.1%} | {p:.1%} | {f1:.2f}"

    lines = ["**Learned scorer experiment** (test split; `--learned`): logistic regression on all-MiniLM-L6-v2 "
             f"embeddings, trained on {len(train_recs):,} rows (dev + second-round labels, RealTime QA as volatile, "
             "1,500 other dolly rows as settled).", "",
             "| scorer | false-positive rate | recall | precision | F1 |", "|---|---|---|---|---|",
             f"| rules (V001-V009) | {scores(rules)} |"]
    for threshold in (0.5, 0.8, 0.9):
        lines.append(f"| embedding classifier, p >= {threshold} | {scores(proba >= threshold)} |")
        lines.append(f"| rules OR classifier p >= {threshold} | {scores(rules | (proba >= threshold))} |")
    lines += ["", f"The test split has {int(test_y.sum())} volatile rows, so one row moves recall by "
              f"{1 / int(test_y.sum()):.1%}: a scorer is worth adding only if it beats the rules' F1 by more "
              "than that."]
    return lines + [""]


def baseline_lines(rev: str) -> list[str]:
    """F1 per split of checks/volatility.py at git revision `rev` next to the working tree's (same records, detect()
    as the check calls it, today's date)."""
    import tempfile

    from bench.volatility_speed import baseline_module, records_of
    from dslint.checks import volatility as current

    lines = [f"**Before / after** (`--baseline {rev}`: checks/volatility.py at {rev} vs now, same rows):", "",
             "| split | before: FP rate, recall, precision, F1 | now: FP rate, recall, precision, F1 |",
             "|---|---|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        old = baseline_module(rev, tmp)
        if old is None:
            return [f"(baseline {rev} not available from git)", ""]
        for split in ("test3", "test2", "test", "heldout", "dev"):
            recs, gold, _ = labelled_records(split)
            path = Path(tmp) / f"{split}.jsonl"
            path.write_text("\n".join(json.dumps(r) for r in recs) + "\n", encoding="utf-8")
            rows = records_of(path)
            cells = []
            for module in (old, current):
                window = module.Window(dt.date.today())
                hits = {i for i, r in enumerate(rows)
                        if module.detect(r.prompt, r.target, window, request=module.request_text(r))}
                cells.append(_scores(hits, gold))
            lines.append(f"| {split} | {cells[0]} | {cells[1]} |")
    return lines + [""]


def _scores(hits: set[int], gold: list[str]) -> str:
    tp = sum(gold[i] == "volatile" for i in hits)
    fp = len(hits) - tp
    precision = tp / len(hits) if hits else 0.0
    recall = tp / gold.count("volatile")
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return f"{fp / gold.count('settled'):.1%}, {recall:.1%}, {precision:.1%}, **{f1:.2f}**"


def speed_lines() -> list[str]:
    """The table of bench/volatility_speed.py (Dolly and a 20k synthetic chat set, against the default baseline)."""
    import contextlib
    import io

    from bench import volatility_speed

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        volatility_speed.main([])
    return ["**Speed** (`bench/volatility_speed.py`, process CPU, one run on a shared 2-core machine; the 'before' "
            "column is the revision before the pre-filter):", "", *out.getvalue().splitlines(), ""]


def write_section(body: str) -> None:
    """Replace (or add) the '## Volatility' section of bench/RESULTS.md, leaving the others alone."""
    write_results_section("## Volatility", "## Volatility\n\nMeasured by `bench/volatility.py`.\n\n" + body)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="replace the Volatility section of bench/RESULTS.md")
    parser.add_argument("--learned", action="store_true",
                        help="also run the embedding-classifier experiment (loads the model; about a minute)")
    parser.add_argument("--baseline", default="", metavar="REV",
                        help="also score checks/volatility.py at git revision REV on every split (before / after)")
    parser.add_argument("--speed", action="store_true", help="also run bench/volatility_speed.py (a few minutes)")
    args = parser.parse_args(argv)
    missing = [p for p in (REALTIMEQA, DOLLY, ALPACA) if not p.exists()]
    if missing:
        print(f"skipped: shared data not found ({', '.join(map(str, missing))})")
        return 0
    body = measure()
    if args.baseline:
        body += "\n".join(baseline_lines(args.baseline)) + "\n"
    if args.speed:
        body += "\n".join(speed_lines()) + "\n"
    if args.learned:
        body += "\n".join(learned_lines()) + "\n"
    print(body)
    if args.write:
        write_section(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
