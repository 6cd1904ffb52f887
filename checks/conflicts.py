"""L family, conflicts and outliers: the same (or a near-identical) prompt taught different answers, and records
far from everything else in embedding space.

Exact-prompt conflicts (L002) need only the records, so they run in --fast; near-identical prompts (L003) and
outliers (L004) need embeddings. A conflict is reported on each record whose answer differs from its group's
majority answer (ties go to the answer seen first), with the other members as `related`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any, Iterator, Sequence

import numpy as np

from dslint.artifacts import provides
from dslint.check import Check
from dslint.checks.duplicates import UnionFind
from dslint.data import Record, normalize_text
from dslint.errors import SkipCheck
from dslint.model import Metric, Rule, Severity

from .labels import LABEL_FIELD, NONE, LabelData, target_key

SHOW_CHARS = 60


def answer_keys(records: Sequence[Record], label_data: LabelData) -> list[str | None]:
    """What must agree between records with the same prompt: the label, or the normalised target."""
    if label_data.mode != NONE:
        return list(label_data.labels)
    return [target_key(r.target) if r.target.strip() else None for r in records]


def show_answer(key: str, label_data: LabelData) -> str:
    """A label as the data spells it, or a normalised target, cut to SHOW_CHARS."""
    text = label_data.show(key)
    return text if len(text) <= SHOW_CHARS else text[: SHOW_CHARS - 1] + "…"


@dataclass(frozen=True)
class Conflict:
    """One record whose answer disagrees with the majority of its group."""

    position: int
    given: str
    group: tuple[int, ...]  # positions of every member, first = the group's id
    majority: str
    kept: int  # first member carrying the majority answer
    answers: dict[str, int]


def group_conflicts(groups: Sequence[Sequence[int]], keys: Sequence[str | None]) -> list[Conflict]:
    """Within each group, the members whose answer is not the majority answer (ties: first answer seen)."""
    out = []
    for members in groups:
        answered = [i for i in members if keys[i] is not None]
        counts = Counter(keys[i] for i in answered)
        if len(counts) < 2:
            continue
        first_seen = {k: n for n, k in enumerate(dict.fromkeys(keys[i] for i in answered))}
        majority = max(counts, key=lambda k: (counts[k], -first_seen[k]))
        kept = next(i for i in answered if keys[i] == majority)
        group = tuple(sorted(answered))
        out.extend(Conflict(i, keys[i], group, majority, kept, dict(counts))  # type: ignore[arg-type]
                   for i in answered if keys[i] != majority)
    return out


def exact_groups(records: Sequence[Record]) -> list[list[int]]:
    """Positions of records sharing a prompt after normalisation (NFKC, whitespace, casefold), groups of 2+."""
    by_prompt: dict[str, list[int]] = defaultdict(list)
    for i, rec in enumerate(records):
        if rec.prompt.strip():
            by_prompt[normalize_text(rec.prompt, casefold=True)].append(i)
    return [members for members in by_prompt.values() if len(members) > 1]


def _where(rec: Record) -> str:
    return f"line {rec.line}" if rec.line is not None else f"record {rec.index}"


class _ConflictCheck(Check):
    """Shared reporting of conflicts: one finding per minority record, and the share as a metric."""

    def report(self, code: str, conflicts: list[Conflict], records: Sequence[Record],
               label_data: LabelData) -> Iterator[Any]:
        what = "target" if label_data.mode == NONE else "label"
        field = "label" if label_data.mode == LABEL_FIELD else "target"
        for c in conflicts:
            rec, kept = records[c.position], records[c.kept]
            given = _shown(rec, c.given, label_data)
            majority = _shown(kept, c.majority, label_data)
            agree = c.answers[c.majority]
            yield self.finding(
                code, rec, field=field,
                related=[records[i].index for i in c.group if i != c.position], what=what, given=given,
                majority=majority, other=_where(kept), agree=agree, size=len(c.group),
                details={"group": records[c.group[0]].index, "kept": kept.index, "group_size": len(c.group),
                         "given": given, "majority": majority,
                         "answers": {show_answer(k, label_data): v for k, v in c.answers.items()}})


def _shown(rec: Record, key: str, label_data: LabelData) -> str:
    """What a record answered, as written: its own target for open-ended sets, else the label."""
    return show_answer(rec.target.strip(), label_data) if label_data.mode == NONE else show_answer(key, label_data)


def share(conflicts: list[Conflict], keys: Sequence[str | None]) -> float:
    """Conflicting records over records with an answer: the least share that must change to make groups agree."""
    answered = sum(1 for k in keys if k is not None)
    return round(len(conflicts) / answered, 4) if answered else 0.0


class ConflictingTargetCheck(_ConflictCheck):
    """L002: records with the same prompt (after normalisation) but a different target or label."""

    name = "conflicting-targets"
    rules = (
        Rule("L002", "conflicting-target",
             "{what} {given!r} differs from {majority!r} given to the same prompt ({other}; {agree} of {size} "
             "agree)", Severity.WARNING,
             summary="The same prompt (after normalisation) appears with different targets or labels",
             doc="""## What it does
Groups records whose prompt is identical after normalisation (Unicode NFKC, whitespace collapsed, case folded) and
compares their answers: the label when the set has labels (see L006), otherwise the target (case, whitespace and
trailing punctuation ignored). Every record whose answer differs from the group's majority answer is reported
(on a tie, the answer seen first counts as the majority). Needs no model, so it runs with `--fast`.

## Why is this bad?
The model is taught two different answers to one question. For a classifier it is label noise in its purest form;
for a generative set it teaches the model to answer at random, or to average contradicting facts. (Open-ended
prompts such as "write a poem" can legitimately have several answers: suppress those records with `_dslint_noqa`.)

## Example
```json
{"messages": [{"role": "user", "content": "Is 17 prime?"}, {"role": "assistant", "content": "Yes."}]}
{"messages": [{"role": "user", "content": "is 17 prime? "}, {"role": "assistant", "content": "No."}]}
```
"""),
    )

    def run(self, records: list[Record], label_data: LabelData) -> Iterator[Any]:
        groups = exact_groups(records)
        keys = grouped_answer_keys(records, label_data, groups)
        conflicts = group_conflicts(groups, keys)
        yield from self.report("L002", conflicts, records, label_data)
        answered = sum(1 for k in answer_keys(records, label_data) if k is not None) if label_data.mode != NONE \
            else sum(1 for r in records if r.target.strip())
        yield Metric("L.conflict_share", round(len(conflicts) / answered, 4) if answered else 0.0)


def grouped_answer_keys(records: Sequence[Record], label_data: LabelData,
                        groups: Sequence[Sequence[int]]) -> list[str | None]:
    """answer_keys() for the members of `groups`, None elsewhere: most records share their prompt with no other
    record, and normalising every target was most of this check's time."""
    if label_data.mode != NONE:
        return answer_keys(records, label_data)
    keys: list[str | None] = [None] * len(records)
    for members in groups:
        for i in members:
            target = records[i].target
            keys[i] = target_key(target) if target.strip() else None
    return keys


class SemanticConflictCheck(_ConflictCheck):
    """L003: near-identical prompts (cosine above a threshold) with different targets or labels."""

    name = "semantic-conflicts"
    rules = (
        Rule("L003", "semantic-conflict",
             "{what} {given!r} differs from {majority!r} given to a near-identical prompt ({other}; {agree} of "
             "{size} agree)", Severity.WARNING,
             summary="Near-identical prompts (embedding cosine above a threshold) with different targets or labels",
             doc="""## What it does
Links records whose prompts are near-identical in meaning (cosine similarity of their prompt embeddings at or
above `threshold`, default 0.95) into groups and compares their answers as L002 does. Records already reported by
L002 (an identical prompt) are not reported again, but they count in this check's conflict share, which feeds the
noise-amplification rule (L005).

## Why is this bad?
A paraphrased question deserves the same answer. When near-identical prompts carry different labels or targets,
one of them is usually wrong, and for generative sets this is the main visible form of label noise.

## Example
```json
{"text": "How do I top up my card?", "label": "top_up"}
{"text": "How can I top up my card?", "label": "card_linking"}
```

## Options
- `threshold` (default 0.95): prompt cosine similarity from which two prompts count as the same question.
"""),
    )

    @dataclass(frozen=True)
    class Options:
        threshold: float = 0.95

    def run(self, records: list[Record], label_data: LabelData, prompt_neighbors: Any) -> Iterator[Any]:
        keys = answer_keys(records, label_data)
        groups = similar_groups(prompt_neighbors.indices, prompt_neighbors.similarities, self.options.threshold)
        conflicts = group_conflicts(groups, keys)
        exact = {c.position for c in group_conflicts(exact_groups(records), keys)}
        yield from self.report("L003", [c for c in conflicts if c.position not in exact], records, label_data)
        # The share counts every conflicting record, exact ones included (L005 reads it).
        yield Metric("L.semantic_conflict_share", share(conflicts, keys))


@provides("prompt_neighbors", heavy=True)
def _prompt_neighbors(prompts: list[str], texts: list[str], config: Any, artifacts: Any) -> Any:
    """kNN graph of the prompts (artifacts.Neighbors). When every text is its prompt (no targets, e.g. a
    classification set) it is the shared `neighbors` graph of the texts: reused, not embedded and searched twice."""
    if prompts == texts:
        return artifacts.get("neighbors")
    from dslint.knn import knn

    vectors = artifacts.get("prompt_embeddings")
    return knn(vectors, vectors, config.neighbors_k, exclude_self=True)


def similar_groups(indices: np.ndarray, similarities: np.ndarray, threshold: float) -> list[list[int]]:
    """Connected components of the graph linking records whose similarity is at or above `threshold`."""
    links = UnionFind()
    # Only the links above the threshold reach Python, in the row-major order a loop over the graph would take.
    rows, cols = np.nonzero((indices >= 0) & (similarities >= threshold))
    for i, j in zip(rows.tolist(), indices[rows, cols].tolist()):
        links.union(i, j)
    return list(links.clusters().values())


class OutlierCheck(Check):
    """L004: records whose nearest neighbours are all far away (junk, boilerplate, another domain)."""

    name = "outliers"
    rules = (
        Rule("L004", "outlier",
             "far from every other record: mean cosine {sim:.2f} to its nearest neighbours (set median {median:.2f})",
             Severity.WARNING,
             summary="Record far from everything else in embedding space (junk, markup, another domain)",
             doc="""## What it does
Scores every record by its mean cosine similarity to its k nearest neighbours (the shared kNN graph,
`neighbors-k`), the same kNN distance cleanlab uses for out-of-distribution scores, and reports the records whose
distance lies far outside the set's own spread: above the third quartile plus `iqr-factor` times the
inter-quartile range, and at least `min-gap` above the median distance. Sets smaller than `min-records` are
skipped, since their spread says nothing.

## Why is this bad?
Lorem ipsum, scraped HTML, code in a prose set or a record from another task teach the model something you did
not intend, and a single odd record is easy to miss by eye.

## Example
`<div class="nav"><a href="/">Home</a></div>` in a set of customer-support conversations.

## Options
- `iqr-factor` (default 3.0): how many inter-quartile ranges above the third quartile counts as far.
- `min-gap` (default 0.1): the least distance above the median distance for a record to be reported.
- `min-records` (default 20): smaller sets are skipped.
"""),
    )

    @dataclass(frozen=True)
    class Options:
        iqr_factor: float = 3.0
        min_gap: float = 0.1
        min_records: int = 20

    def run(self, records: list[Record], neighbors: Any) -> Iterator[Any]:
        if len(records) < self.options.min_records:
            raise SkipCheck(f"{len(records)} records: outliers need at least {self.options.min_records}")
        sims = mean_neighbor_similarity(neighbors.indices, neighbors.similarities)
        dist = 1.0 - sims
        q1, median, q3 = np.percentile(dist, [25, 50, 75])
        limit = max(q3 + self.options.iqr_factor * (q3 - q1), median + self.options.min_gap)
        far = np.flatnonzero(dist > limit)
        for i in far[np.argsort(-dist[far], kind="stable")]:
            yield self.finding("L004", records[int(i)], score=float(dist[i]), sim=float(sims[i]),
                               median=float(1.0 - median),
                               details={"mean_similarity": round(float(sims[i]), 4), "limit": round(float(1 - limit), 4)})
        yield Metric("L.outlier_share", round(len(far) / len(records), 4))


def mean_neighbor_similarity(indices: np.ndarray, similarities: np.ndarray) -> np.ndarray:
    """Mean similarity to the real neighbours of each record (padding -1 ignored; 0 when it has none)."""
    valid = indices >= 0
    counts = valid.sum(axis=1)
    total = np.where(valid, similarities, 0.0).sum(axis=1)
    return np.divide(total, counts, out=np.zeros(len(indices), dtype=np.float64), where=counts > 0)


CHECKS = (ConflictingTargetCheck, SemanticConflictCheck, OutlierCheck)
