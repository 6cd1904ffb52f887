"""Train/eval leakage (D005-D008): training records that are in the eval set exactly, nearly, in meaning, or
that share a long word n-gram (13 words by default) with an eval record. Error level: a leaked eval set makes
every metric measured on it a lie.

Every finding sits on the TRAINING record (the one to remove) and names the eval record in its message and in
`details` (`eval_path`, `eval_line`, `eval_record`). Each leaked record is reported once, by the first test that
finds it, in this order: exact prompt (D005), shared 13-gram (D008), near (D006), semantic (D007).
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

import numpy as np

from dslint.check import Check
from dslint.checks.duplicates import MinHashes, fmix64, candidate_pairs, jaccard
from dslint.data import Record, normalize_text
from dslint.errors import SkipCheck
from dslint.model import Finding, Metric, Rule, Severity

_WORD = re.compile(r"\w+")
LEAK_CODES = ("D005", "D006", "D007", "D008")

_WHY = """## Why is this bad?
A model that saw an eval example during training is graded on memory, not skill: every number measured on
that eval set is inflated, and nobody can tell by how much. Remove the training record (or the eval one)."""


def _need_eval(eval_records: list[Record]) -> None:
    if not eval_records:
        raise SkipCheck("no eval set: pass --eval PATH (or eval_sources=...) to check train/eval leakage")


def eval_where(rec: Record) -> str:
    return f"{rec.path}:{rec.line if rec.line is not None else rec.index}"


def leak_finding(check: Check, code: str, rec: Record, match: Record, score: float | None = None,
                 extra: dict[str, Any] | None = None, **values: Any) -> Finding:
    details = {"eval_path": match.path, "eval_line": match.line, "eval_record": match.index, **(extra or {})}
    if score is not None:
        details["similarity"] = round(float(score), 4)
    return check.finding(code, rec, score=None if score is None else round(float(score), 4), details=details,
                         eval=eval_where(match), **values)


def leak_rate(leaked: Iterable[int], n: int) -> Iterator[Metric]:
    leaked = set(leaked)
    yield Metric("D.leaked_records", len(leaked))
    yield Metric("D.leak_rate", round(len(leaked) / n, 6) if n else 0.0)


def prior_leaks(prior_findings: Iterable[Finding], codes: Iterable[str]) -> set[int]:
    codes = set(codes)
    return {f.location.record for f in prior_findings if f.code in codes and f.location.record is not None}


# ---- long n-gram overlap -----------------------------------------------------------------------------------------

def ngram_hashes(text: str, n: int) -> tuple[np.ndarray, list[str]]:
    """64-bit hashes of the word n-grams of the normalised, casefolded text (position k = words[k:k+n]), and
    the words. Deterministic across runs."""
    words = _WORD.findall(normalize_text(text, casefold=True))
    if len(words) < n:
        return np.zeros(0, dtype=np.uint64), words
    ids = np.array([zlib.crc32(w.encode("utf-8", "surrogatepass")) for w in words], dtype=np.uint64)
    width = len(ids) - n + 1
    h = np.zeros(width, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(n):
            h = fmix64(h * np.uint64(0x100000001B3) + ids[j:j + width])
    return h, words


class EvalOverlapCheck(Check):
    name = "eval-overlap"
    rules = (
        Rule("D005", "eval-exact-leak", "prompt is also in the eval set ({eval})", Severity.ERROR,
             summary="A training prompt equals an eval prompt (after normalisation)",
             doc=f"""## What it does
Flags a training record whose prompt equals the prompt of a record in the eval set (`--eval PATH`) after the
D001 normalisation (NFKC, whitespace, casefold). The answer does not matter: seeing the eval question in
training is enough to leak it.

{_WHY}

## Example
`train.jsonl` and `eval.jsonl` both hold `{{"prompt": "What is the capital of Australia?", ...}}`: the training
record is reported and names the eval file and line.
"""),
        Rule("D008", "eval-ngram-overlap",
             "shares a {n}-word passage with the eval set ({eval}): \"{passage}\"", Severity.ERROR,
             summary="A training record shares a long word n-gram (13 words) with an eval record",
             doc=f"""## What it does
Flags a training record that contains a run of `ngram` consecutive words (13 by default, after normalisation
and casefolding) that also occurs in an eval record: the contamination test used for GPT-3 and later models.
It catches an eval passage pasted into a longer training example, which whole-record similarity misses.
Not reported for records D005 already reports.

{_WHY}

## Example
A training answer quotes the passage of an eval reading-comprehension question word for word.

## Options
`ngram` (default 13): passage length in words.
"""),
    )

    @dataclass(frozen=True)
    class Options:
        ngram: int = 13

        def __post_init__(self) -> None:
            if self.ngram < 1:
                raise ValueError(f"ngram must be a positive number of words, got {self.ngram}")

    def run(self, records: list[Record], eval_records: list[Record]) -> Iterator[Finding | Metric]:
        _need_eval(eval_records)
        eval_prompts: dict[str, Record] = {}
        for ev in eval_records:
            key = normalize_text(ev.prompt, casefold=True)
            if key:
                eval_prompts.setdefault(key, ev)
        leaked: set[int] = set()
        for rec in records:
            match = eval_prompts.get(normalize_text(rec.prompt, casefold=True))
            if match is not None:
                leaked.add(rec.index)
                yield leak_finding(self, "D005", rec, match, 1.0)
        yield from self._ngrams(records, eval_records, leaked)
        yield from leak_rate(leaked, len(records))

    def _ngrams(self, records: list[Record], eval_records: list[Record], leaked: set[int]) -> Iterator[Finding]:
        n = self.options.ngram
        owner: dict[int, Record] = {}
        for ev in eval_records:
            for h in ngram_hashes(ev.text, n)[0].tolist():
                owner.setdefault(h, ev)
        if not owner:
            return
        for rec in records:
            if rec.index in leaked:
                continue
            hashes, words = ngram_hashes(rec.text, n)
            hits = [k for k, h in enumerate(hashes.tolist()) if h in owner]
            if hits:
                leaked.add(rec.index)
                first = hits[0]
                yield leak_finding(self, "D008", rec, owner[int(hashes[first])], extra={"shared_ngrams": len(hits)},
                                   n=n, passage=" ".join(words[first:first + n]))


class EvalNearLeakCheck(Check):
    name = "eval-near-overlap"
    late = True  # after eval-overlap: records D005/D008 report are not reported again
    rules = (
        Rule("D006", "eval-near-leak", "near-duplicate of eval record {eval} (Jaccard {sim:.2f})", Severity.ERROR,
             summary="A training record is a lexical near-duplicate of an eval record (MinHash, verified Jaccard)",
             doc=f"""## What it does
Flags a training record whose text (prompt and answer) has a Jaccard similarity of at least `threshold` with
an eval record, on character 5-gram sets after normalisation: the same MinHash LSH candidates and exact
verification as D002, across the two sets. Records D005 or D008 already report are left to them. No model
needed.

{_WHY}

## Example
The eval record says "What's the capital of Australia?", the training record "What is the capital of
Australia ?" with the same answer.

## Options
`threshold` (default 0.8): minimum Jaccard similarity.
"""),
    )

    @dataclass(frozen=True)
    class Options:
        threshold: float = 0.8

    def run(self, records: list[Record], eval_records: list[Record], minhash: MinHashes, eval_minhash: MinHashes,
            prior_findings: list[Finding]) -> Iterator[Finding | Metric]:
        _need_eval(eval_records)
        done = prior_leaks(prior_findings, ("D005", "D008"))
        n = len(records)
        both = MinHashes(np.concatenate([minhash.signatures, eval_minhash.signatures]),
                         [*minhash.texts, *eval_minhash.texts])
        train = [p for p, r in enumerate(records) if r.index not in done]
        best: dict[int, tuple[int, float]] = {}
        memo: dict[int, np.ndarray] = {}
        for i, j in candidate_pairs(both.signatures, [*train, *range(n, n + len(eval_records))],
                                    self.options.threshold, cross_from=n):
            score = jaccard(both.shingles_of(i, memo), both.shingles_of(j, memo))
            if score >= self.options.threshold and score > best.get(i, (-1, -1.0))[1]:
                best[i] = (j - n, score)
        for p in sorted(best):
            e, score = best[p]
            yield leak_finding(self, "D006", records[p], eval_records[e], score, sim=score)
        yield from leak_rate([*prior_leaks(prior_findings, LEAK_CODES), *(records[p].index for p in best)], n)


class EvalSemanticLeakCheck(Check):
    name = "eval-semantic-overlap"
    late = True  # after the lexical tiers: a record they report is not reported again
    rules = (
        Rule("D007", "eval-semantic-leak", "same meaning as eval record {eval} (cosine {sim:.3f})", Severity.ERROR,
             summary="A training record is a semantic near-duplicate of an eval record (embedding cosine)",
             doc=f"""## What it does
Flags a training record whose embedding has a cosine similarity of at least `threshold` with an eval record's
(same model, cache and meaning of the threshold as D003): a paraphrased eval question with the same answer.
Records another leakage rule already reports are left to it. Needs the model: skipped under `--fast`.

{_WHY}

## Example
Eval: "How many legs does a spider have?" / "Eight." Training: "A spider has how many legs?" / "8 legs."

## Options
`threshold` (default 0.95): minimum cosine similarity.
"""),
    )

    @dataclass(frozen=True)
    class Options:
        threshold: float = 0.95

    def run(self, records: list[Record], eval_records: list[Record], embeddings: np.ndarray,
            eval_embeddings: np.ndarray, prior_findings: list[Finding]) -> Iterator[Finding | Metric]:
        _need_eval(eval_records)
        from dslint.knn import knn

        done = prior_leaks(prior_findings, LEAK_CODES)
        nearest = knn(embeddings, eval_embeddings, 1)
        leaked = []
        for p, rec in enumerate(records):
            if rec.index in done or nearest.indices.shape[1] == 0:
                continue
            e, sim = int(nearest.indices[p, 0]), float(nearest.similarities[p, 0])
            if e >= 0 and sim >= self.options.threshold:
                leaked.append(rec.index)
                yield leak_finding(self, "D007", rec, eval_records[e], sim, sim=sim)
        yield from leak_rate([*done, *leaked], len(records))


CHECKS = (EvalOverlapCheck, EvalNearLeakCheck, EvalSemanticLeakCheck)
