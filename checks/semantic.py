"""Semantic near-duplicates within the training set (D003): records whose embeddings are nearly the same direction.

Uses the shared `embeddings` (L2-normalised, cached) and `neighbors` (faiss kNN graph) artifacts, so label-noise
checks and this one pay for one embedding pass. Needs a model: skipped under --fast.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np

from dslint.check import Check
from dslint.checks.duplicates import (UnionFind, cluster_findings, dropped_by_prior, duplicate_rate,
                                      exact_copies)
from dslint.data import Record
from dslint.model import Finding, Metric, Rule, Severity
from dslint.suppress import noqa_suppresses


def semantic_clusters(indices: np.ndarray, similarities: np.ndarray, members: set[int], threshold: float,
                      redirect: dict[int, int] | None = None, labels: list[Any] | None = None
                      ) -> tuple[dict[int, list[int]], dict[int, tuple[int, float]]]:
    """Clusters of positions linked by a neighbour edge with cosine >= threshold, among `members` only.

    A neighbour outside `members` is replaced by `redirect[neighbour]` (the record an earlier tier keeps for it),
    so a record whose nearest neighbours are all copies of X still links to X's kept record."""
    redirect = redirect or {}
    uf = UnionFind()
    scores: dict[int, tuple[int, float]] = {}
    for i in sorted(members):
        for j, sim in zip(indices[i].tolist(), similarities[i].tolist()):
            if sim < threshold:
                break  # neighbours come best first
            j = j if j in members else redirect.get(j, -1)
            if j < 0 or j == i or (labels is not None and labels[i] != labels[j]):
                continue
            if uf.find(i) != uf.find(j):
                uf.union(i, j)
                scores.setdefault(max(i, j), (min(i, j), sim))
                scores.setdefault(min(i, j), (max(i, j), sim))
    return uf.clusters(), scores


class SemanticDuplicatesCheck(Check):
    name = "semantic-duplicates"
    # Late: records the exact and lexical tiers already drop are left to them (one finding per dropped record).
    late = True
    rules = (
        Rule("D003", "semantic-duplicate",
             "same meaning as {other} (cosine {sim:.3f}; cluster of {n}, keeping {kept})", Severity.WARNING,
             summary="Semantic near-duplicate of an earlier record (embedding cosine above a threshold)",
             doc="""## What it does
Embeds every record (prompt and target; the default model is all-MiniLM-L6-v2, run offline, vectors cached)
and links two records when the cosine similarity of their embeddings is at least `threshold`, looking at each
record's nearest neighbours in the shared kNN graph (`neighbors-k`, exact faiss inner-product search; an
HNSW index above 50,000 records). Linked records form clusters; the first occurrence is kept and every
other member is reported with `details.cluster`, `details.kept`, `details.cluster_size`, `details.match` and
`details.similarity`. Exact copies are left to D001 and records D002 reports to D002; records with different labels are
never merged (that is a label conflict, not a duplicate). Needs the model: skipped under `--fast`.

## Why is this bad?
Paraphrases of one example ("How do I reset my password?" / "What are the steps to reset my password?") with
the same answer teach the same thing several times, just like copies, but no lexical test sees them.

## Example
```jsonl
{"prompt": "How can I reset my password?", "completion": "Open Settings > Account > Reset password."}
{"prompt": "What are the steps to reset my password?", "completion": "Open Settings > Account > Reset password."}
```

## Options
`threshold` (default 0.95): minimum cosine similarity. Cosine is absolute, so it means the same on every
data set: 1.0 is the same text, at 0.95 and above all-MiniLM-L6-v2 pairs are paraphrases or copies with small
edits, at 0.90 they are often the same template with a different entity.
"""),
    )

    @dataclass(frozen=True)
    class Options:
        threshold: float = 0.95

        def __post_init__(self) -> None:
            if not -1.0 <= self.threshold <= 1.0:
                raise ValueError(f"threshold must be a cosine in [-1, 1], got {self.threshold}")

    def run(self, records: list[Record], neighbors: Any, prior_findings: list[Finding]
            ) -> Iterator[Finding | Metric]:
        pos_of = {r.index: p for p, r in enumerate(records)}
        earlier = exact_copies(records)
        earlier.update({pos_of[i]: pos_of[k] for i, k in dropped_by_prior(prior_findings, ("D002",)).items()
                        if i in pos_of and k in pos_of})
        for pos in earlier:  # a D001-kept record may itself be dropped by D002: follow to the record that stays
            while earlier[pos] in earlier and earlier[earlier[pos]] != earlier[pos]:
                earlier[pos] = earlier[earlier[pos]]
        members = set(range(len(records))) - set(earlier)
        clusters, scores = semantic_clusters(neighbors.indices, neighbors.similarities, members,
                                             self.options.threshold, earlier, [r.label for r in records])
        # A record whose near-duplicate finding was suppressed stays a member (it is kept on purpose) but is not
        # reported again under another code.
        yield from (f for f in cluster_findings(self, "D003", records, clusters, scores)
                    if not noqa_suppresses(records[pos_of[f.location.record]].noqa, "D002"))
        semantic = [records[p].index for ms in clusters.values() for p in ms[1:]]
        yield duplicate_rate([*semantic, *(records[p].index for p in earlier)], len(records))
        yield Metric("D.semantic_duplicates", len(semantic))


CHECKS = (SemanticDuplicatesCheck,)
