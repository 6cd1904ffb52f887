"""Format-family acceptance figures on the shared data sets (not a test; skips what is absent).

  python bench/format_eval.py            # all three
  python bench/format_eval.py spider     # one of: spider, toy, llamafactory

spider: every gold query of Spider dev parses as sqlite (nothing flagged), and a copy with a tenth of the
queries corrupted (fixed seed, five kinds of syntax damage) is flagged exactly there (precision / recall).
toy: OpenAI's cookbook toy chat set under --profile openai: the expected findings at their lines, no errors.
llamafactory: each demo file's detected format, and the placeholder findings of identity.json / alpaca_en_demo.
"""

from __future__ import annotations

import json
import random
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path

import dslint
from dslint.config import Config

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def corrupt(query: str, rng: random.Random) -> str:
    """One syntax error in a query: a dangling clause, a lost ')', a misspelt SELECT, a stray '(' or ', FROM'."""
    kinds = ["dangling", "misspell", "open-paren", "comma-from"]
    if ")" in query:
        kinds.append("drop-paren")
    kind = rng.choice(kinds)
    if kind == "dangling":
        return query.rstrip().rstrip(";") + " WHERE"
    if kind == "misspell":
        return re.sub(r"(?i)\bselect\b", "SELCT", query, count=1)
    if kind == "open-paren":
        return re.sub(r"(?i)\bselect\b", "SELECT (", query, count=1)
    if kind == "comma-from":
        return re.sub(r"(?i)\s+from\b", " FROM FROM", query, count=1)
    i = query.rindex(")")
    return query[:i] + query[i + 1:]


def sql_config(**extra: object) -> Config:
    return Config(select=["F062"], fields={"prompt": "question", "target": "query"},
                  checks={"structured-targets": {"target-format": "sql", "sql-dialect": "sqlite"}}, **extra)


def spider() -> None:
    path = DATA / "spider_dev" / "dev.json"
    if not path.exists():
        print(f"spider: skipped ({path} not found)")
        return
    items = json.loads(path.read_text(encoding="utf-8"))
    report = dslint.lint(str(path), sql_config())
    print(f"spider: {len(items)} gold queries (sqlite), {report.count('F062')} flagged")
    rng = random.Random(13)
    chosen = set(rng.sample(range(len(items)), len(items) // 10))
    copy = [dict(it, query=corrupt(it["query"], rng)) if i in chosen else it for i, it in enumerate(items)]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "dev_corrupted.json"
        out.write_text(json.dumps(copy, indent=1), encoding="utf-8")
        report = dslint.lint(str(out), sql_config())
    flagged = {f.location.record for f in report.findings if f.code == "F062"}
    hit = len(flagged & chosen)
    print(f"spider corrupted copy: {len(chosen)} corrupted, {len(flagged)} flagged, {hit} correct -> "
          f"precision {hit / max(1, len(flagged)):.3f}, recall {hit / len(chosen):.3f}")
    for i in sorted(chosen - flagged)[:5]:
        print(f"  missed: {copy[i]['query']}")


def toy() -> None:
    folder = DATA / "openai_cookbook_toy_chat"
    if not folder.exists():
        print(f"toy: skipped ({folder} not found)")
        return
    expected = json.loads((folder / "expected_findings.json").read_text())
    report = dslint.lint(str(folder / "toy_chat_fine_tuning.jsonl"), Config(select=["F"], profile="openai"))
    got = sorted((f.location.line, f.code, str(f.severity)) for f in report.findings if f.location.line)
    print("toy: expected (0-based line -> 1-based):",
          [(line + 1, kinds) for line, kinds in expected["per_line"]])
    print("toy: reported:", got)
    print("toy: errors:", sum(1 for f in report.findings if f.severity >= dslint.Severity.ERROR))
    limited = dslint.lint(str(folder / "toy_chat_fine_tuning.jsonl"),
                          Config(select=["F070", "F071"], profile="openai", checks={"tokens": {"max-seq-len": 4096}}))
    print("toy with max-seq-len 4096 (the cookbook's limit):",
          [(f.location.line, f.code, f.message) for f in limited.findings])


def llamafactory() -> None:
    folder = DATA / "llamafactory_demo"
    if not folder.exists():
        print(f"llamafactory: skipped ({folder} not found)")
        return
    files = ["alpaca_en_demo.json", "alpaca_zh_demo.json", "identity.json", "dpo_en_demo.json", "kto_en_demo.json",
             "glaive_toolcall_en_demo.json", "mllm_demo.json", "v1_sft_demo.jsonl", "v1_dpo_demo.jsonl"]
    for name in files:
        report = dslint.lint(str(folder / name), Config(select=["F"], profile="llama-factory"))
        src = report.sources[0]
        counts = Counter(f.code for f in report.findings)
        print(f"llamafactory {name}: read as {src.format}, {src.records}/{src.rows} records, "
              f"F.invalid_share {report.metrics.get('F.invalid_share', 0):.3f}, findings {dict(sorted(counts.items()))}")


def main(argv: list[str]) -> int:
    wanted = argv or ["spider", "toy", "llamafactory"]
    for name in wanted:
        {"spider": spider, "toy": toy, "llamafactory": llamafactory}[name]()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
