"""Exact and lexical near-duplicates within the training set (D001, D002, D004): no model, fast enough for a hook.

Exact: records whose normalised text (dslint.data.normalize_text: NFKC, whitespace collapsed, casefolded by
default) and label are equal. Near: MinHash signatures of character 5-gram shingles (datasketch's "affine32"
scheme, computed in bulk with numpy), candidate pairs from LSH banding with the bands datasketch.MinHashLSH would
choose, each candidate verified with the exact Jaccard similarity of the shingle sets. The banding is done in
numpy rather than with MinHashLSH.insert/query (equal candidates, tested; see bench/duplicates.py for speed).
Clusters come from union-find; the record kept is the first occurrence, every other member gets the finding.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Mapping, Sequence

import numpy as np

from dslint.artifacts import provides
from dslint.check import Check
from dslint.data import Record, normalize_text
from dslint.model import Finding, Metric, Rule, Severity

SHINGLE_CHARS = 5
NUM_PERM = 128
MINHASH_SEED = 1
# Signatures are computed over batches of about this many characters (peak ~NUM_PERM * 4 B * this per batch).
SHINGLE_CHUNK = 65_536
MEMO_MAX = 20_000
BUCKET_ALL_PAIRS = 32
FIRST_TURN, FULL_PROMPT = "first-turn", "full"

_U64 = np.uint64


# ---- shingles and MinHash (per-record work, batched) -------------------------------------------------------------

def fmix64(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finaliser: spreads the weak low bits of a polynomial hash over the whole word."""
    with np.errstate(over="ignore"):
        h = h ^ (h >> _U64(33))
        h = h * _U64(0xFF51AFD7ED558CCD)
        h = h ^ (h >> _U64(33))
        h = h * _U64(0xC4CEB9FE1A85EC53)
        return h ^ (h >> _U64(33))


def _rolling(cps: np.ndarray, k: int) -> np.ndarray:
    """Mixed polynomial hashes of every window of k code points (position p = cps[p:p+k])."""
    width = len(cps) - k + 1
    h = np.zeros(width, dtype=_U64)
    with np.errstate(over="ignore"):
        for j in range(k):
            h = h * _U64(1_000_003) + cps[j:j + width]
    return fmix64(h + _U64(k))


def _codepoints(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(_U64)


def shingles(text: str, k: int = SHINGLE_CHARS) -> np.ndarray:
    """Sorted unique 64-bit hashes of the character k-grams of the casefolded, normalised text.

    A text shorter than k is one shingle; an empty text has none. Deterministic across runs and machines.
    """
    norm = normalize_text(text, casefold=True)
    if not norm:
        return np.zeros(0, dtype=_U64)
    cps = _codepoints(norm)
    return np.unique(_rolling(cps, min(k, len(cps))))


def _batch_shingles(texts: Sequence[str], k: int = SHINGLE_CHARS) -> tuple[np.ndarray, np.ndarray]:
    """The shingle hashes of several texts at once (with repeats, which do not change a MinHash) and, for each
    hash, the position of its text; texts without shingles contribute nothing. Same hashes as shingles()."""
    norms = [normalize_text(t, casefold=True) for t in texts]
    lengths = np.array([len(n) for n in norms], dtype=np.int64)
    parts_h, parts_o = [], []
    for i in np.flatnonzero((lengths > 0) & (lengths < k)).tolist():  # short texts: one whole-text shingle
        parts_h.append(shingles(norms[i]))
        parts_o.append(np.full(1, i, dtype=np.int64))
    long_ = np.flatnonzero(lengths >= k)
    if len(long_):
        cps = _codepoints("".join(norms[i] for i in long_.tolist()))
        rolled = _rolling(cps, k)
        lens = lengths[long_]
        starts = np.concatenate(([0], np.cumsum(lens)[:-1]))
        counts = lens - k + 1
        before = np.concatenate(([0], np.cumsum(counts)[:-1]))
        offsets = np.arange(int(counts.sum())) - np.repeat(before, counts) + np.repeat(starts, counts)
        parts_h.append(rolled[offsets])  # windows that cross into the next text are never taken
        parts_o.append(np.repeat(long_, counts))
    if not parts_h:
        return np.zeros(0, dtype=_U64), np.zeros(0, dtype=np.int64)
    owners = np.concatenate(parts_o)
    order = np.argsort(owners, kind="stable")
    return np.concatenate(parts_h)[order], owners[order]


def _permutations(num_perm: int = NUM_PERM, seed: int = MINHASH_SEED) -> tuple[np.ndarray, np.ndarray]:
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 32, size=num_perm, dtype=np.uint64).astype(np.uint32) | np.uint32(1)  # odd: a bijection
    b = gen.randint(0, 1 << 32, size=num_perm, dtype=np.uint64).astype(np.uint32)
    return a, b


def minhash_signatures(texts: Sequence[str], num_perm: int = NUM_PERM) -> np.ndarray:
    """MinHash signatures (n x num_perm, uint32; datasketch's "affine32" scheme) of the texts' shingles.

    A text without shingles gets the all-max signature (it matches nothing). Work goes in batches of about
    SHINGLE_CHUNK characters, so memory stays bounded whatever the size of the set."""
    a, b = _permutations(num_perm)
    sig = np.full((len(texts), num_perm), np.iinfo(np.uint32).max, dtype=np.uint32)
    start = 0
    while start < len(texts):
        stop, size = start, 0
        while stop < len(texts) and (size < SHINGLE_CHUNK or stop == start):
            size += len(texts[stop])
            stop += 1
        hashes, owners = _batch_shingles(texts[start:stop])
        _fold(sig, hashes, owners + start, a, b)
        start = stop
    return sig


def _fold(sig: np.ndarray, hashes: np.ndarray, owners: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
    """Min-fold the permuted shingle hashes of a batch (owners ascending) into their records' signatures, over
    column chunks so that one huge text cannot blow up memory."""
    hv = hashes.astype(np.uint32)  # low 32 bits of the mixed hash
    for lo in range(0, len(hv), SHINGLE_CHUNK):
        part, own = hv[lo:lo + SHINGLE_CHUNK], owners[lo:lo + SHINGLE_CHUNK]
        starts = np.concatenate(([0], np.flatnonzero(own[1:] != own[:-1]) + 1))
        with np.errstate(over="ignore"):
            permuted = a[:, None] * part[None, :] + b[:, None]  # (perm, shingles); uint32 wraparound = mod 2^32
        rows = own[starts]
        sig[rows] = np.minimum(sig[rows], np.minimum.reduceat(permuted, starts, axis=1).T)


def jaccard(x: np.ndarray, y: np.ndarray) -> float:
    """Exact Jaccard similarity of two sorted unique shingle arrays."""
    if not len(x) or not len(y):
        return 0.0
    inter = len(np.intersect1d(x, y, assume_unique=True))
    return inter / (len(x) + len(y) - inter)


@dataclass(frozen=True)
class MinHashes:
    """MinHash signatures of some texts, with the texts kept to recompute shingles for verification."""

    signatures: np.ndarray
    texts: Sequence[str]

    def shingles_of(self, i: int, memo: dict[int, np.ndarray]) -> np.ndarray:
        if i not in memo:
            memo[i] = shingles(self.texts[i])
        return memo[i]


@provides("minhash")
def _minhash(texts: list[str]) -> MinHashes:
    return MinHashes(minhash_signatures(texts), texts)


@provides("eval_minhash")
def _eval_minhash(eval_texts: list[str]) -> MinHashes:
    return MinHashes(minhash_signatures(eval_texts), eval_texts)


def lsh_threshold(threshold: float) -> float:
    """The LSH banding threshold for a verification threshold: set lower so few true pairs are missed."""
    return max(0.05, threshold - 0.15)


@functools.lru_cache(maxsize=32)
def band_params(threshold: float, num_perm: int = NUM_PERM) -> tuple[int, int]:
    """(bands, rows per band) minimising equal-weighted false positive and false negative probability mass
    around `threshold` (the same criterion as datasketch.MinHashLSH)."""
    s = np.linspace(0.0, 1.0, 401)
    best, best_err = (num_perm // 4, 4), float("inf")
    for r in range(1, num_perm + 1):
        for b in range(1, num_perm // r + 1):
            p = 1.0 - (1.0 - s ** r) ** b
            err = np.trapezoid(np.where(s < threshold, p, 0.0), s) + np.trapezoid(np.where(s >= threshold, 1 - p, 0.0), s)
            if err < best_err:
                best, best_err = (b, r), err
    return best


def bucket_groups(signatures: np.ndarray, rows: np.ndarray, threshold: float) -> Iterator[np.ndarray]:
    """For each LSH band, the groups (two or more, ascending positions) of `rows` whose band values are equal."""
    bands, per = band_params(round(threshold, 3), signatures.shape[1])
    sig = signatures[rows]
    for band in range(bands):
        key = np.full(len(rows), band, dtype=_U64)
        for col in range(band * per, (band + 1) * per):
            key = fmix64(key ^ sig[:, col].astype(_U64))
        order = np.argsort(key, kind="stable")
        ordered = key[order]
        cuts = np.flatnonzero(ordered[1:] != ordered[:-1]) + 1
        starts = np.concatenate(([0], cuts))
        ends = np.concatenate((cuts, [len(rows)]))
        shared = ends - starts > 1
        for start, end in zip(starts[shared].tolist(), ends[shared].tolist()):
            yield rows[np.sort(order[start:end])]


def candidate_pairs(signatures: np.ndarray, members: Sequence[int], threshold: float,
                    cross_from: int | None = None) -> list[tuple[int, int]]:
    """Candidate pairs (i < j) sharing an LSH bucket, ordered by j then i. With `cross_from`, only pairs with
    i < cross_from <= j (one from each side). Buckets above BUCKET_ALL_PAIRS members contribute a star and a
    chain (O(m) pairs) instead of every pair: their members agree on a whole band, so they are linked anyway."""
    rows = np.array([m for m in members if not _empty(signatures[m])], dtype=np.int64)
    seen: set[tuple[int, int]] = set()
    for group in bucket_groups(signatures, rows, lsh_threshold(threshold)):
        g = group.tolist()
        if cross_from is None:
            if len(g) <= BUCKET_ALL_PAIRS:
                seen.update((g[x], g[y]) for x in range(len(g)) for y in range(x + 1, len(g)))
            else:
                seen.update((g[0], j) for j in g[1:])
                seen.update(zip(g, g[1:]))
        else:
            left = [i for i in g if i < cross_from]
            right = [j for j in g if j >= cross_from]
            if len(left) * len(right) <= BUCKET_ALL_PAIRS ** 2:
                seen.update((i, j) for i in left for j in right)
            elif left and right:
                seen.update((left[0], j) for j in right)
                seen.update((i, right[0]) for i in left)
    return sorted(seen, key=lambda p: (p[1], p[0]))


def _empty(signature: np.ndarray) -> bool:
    return bool(signature[0] == np.iinfo(np.uint32).max and (signature == signature[0]).all())


# ---- clusters ----------------------------------------------------------------------------------------------------

class UnionFind:
    """Disjoint sets over arbitrary ints; the root of a set is always its smallest member (the one kept)."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        root = x
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        while x != root:  # path compression
            self.parent[x], x = root, self.parent.get(x, x)
        return root

    def union(self, x: int, y: int) -> None:
        rx, ry = self.find(x), self.find(y)
        if rx != ry:
            self.parent[max(rx, ry)] = min(rx, ry)

    def clusters(self) -> dict[int, list[int]]:
        """Sets with more than one member, keyed by their smallest member, members sorted."""
        out: dict[int, list[int]] = {}
        for x in list(self.parent):
            out.setdefault(self.find(x), []).append(x)
        for root, members in out.items():
            if root not in members:
                members.append(root)
            members.sort()
        return {k: v for k, v in out.items() if len(v) > 1}


def group_by_key(keys: Sequence[Any]) -> dict[int, list[int]]:
    """Positions with equal keys, keyed by the first position; only groups of two or more."""
    first: dict[Any, int] = {}
    groups: dict[int, list[int]] = {}
    for i, key in enumerate(keys):
        if key is None:
            continue
        j = first.setdefault(key, i)
        if j != i:
            groups.setdefault(j, [j]).append(i)
    return groups


def describe(rec: Record, other: Record) -> str:
    """How a message names `rec` as seen from `other`: "line 12", "other.jsonl:12" or "record 7"."""
    where = f"line {rec.line}" if rec.line is not None else f"record {rec.index}"
    return where if rec.path == other.path else f"{rec.path}:{rec.line if rec.line is not None else rec.index}"


def cluster_findings(check: Check, code: str, records: Sequence[Record], clusters: Mapping[int, list[int]],
                     scores: Mapping[int, tuple[int, float]] | None = None, **values: Any) -> Iterator[Finding]:
    """One finding per dropped member of each cluster (positions into `records`); the first member is kept.

    `scores[pos] = (other_pos, score)` names the member that linked `pos` into its cluster and how closely."""
    for root, members in clusters.items():
        kept = records[root]
        for pos in members[1:]:
            rec = records[pos]
            other_pos, score = scores.get(pos, (root, 1.0)) if scores else (root, 1.0)
            yield check.finding(
                code, rec, score=round(float(score), 4), related=[records[m].index for m in members if m != pos],
                details={"cluster": kept.index, "kept": kept.index, "cluster_size": len(members),
                         "match": records[other_pos].index, "similarity": round(float(score), 4)},
                kept=describe(kept, rec), other=describe(records[other_pos], rec), n=len(members), sim=score,
                **values)


def dropped_by_prior(prior_findings: Iterable[Finding], codes: Sequence[str]) -> dict[int, int]:
    """Record index -> kept record index, for records earlier duplicate tiers already drop."""
    out: dict[int, int] = {}
    for f in prior_findings:
        if f.code in codes and f.location.record is not None and "kept" in f.details:
            out[f.location.record] = int(f.details["kept"])
    return out


def duplicate_rate(dropped: Iterable[int], n: int) -> Metric:
    return Metric("D.duplicate_rate", round(len(set(dropped)) / n, 6) if n else 0.0)


# ---- exact duplicates and repeated prompts -----------------------------------------------------------------------

def exact_key(rec: Record, casefold: bool) -> tuple[str, str | None]:
    return normalize_text(rec.text, casefold), rec.label


def exact_copies(records: Sequence[Record]) -> dict[int, int]:
    """Position -> position of the first occurrence, for every later exact copy (casefolded D001 key).

    The near and semantic tiers leave these to D001 (whatever D001's own options or suppressions), so a copy is
    never reported twice and suppressing D001 on a record does not make it reappear as D002/D003."""
    groups = group_by_key([exact_key(r, True) for r in records])
    return {pos: first for first, members in groups.items() for pos in members[1:]}


def opening_prompt(rec: Record) -> str:
    """The first user turn of a conversation (chat, ShareGPT); the whole prompt for single-turn formats."""
    turns = rec.data.get("messages") if rec.format == "chat" else (
        rec.data.get("conversations") if rec.format == "sharegpt" else None)
    if isinstance(turns, list):
        role_key, content_key = ("role", "content") if rec.format == "chat" else ("from", "value")
        for turn in turns:
            if isinstance(turn, Mapping) and str(turn.get(role_key, "")).lower() in ("user", "human"):
                from dslint.schema import message_text

                return message_text(turn.get(content_key))
    return rec.prompt


class ExactDuplicatesCheck(Check):
    name = "exact-duplicates"
    rules = (
        Rule("D001", "exact-duplicate",
             "exact duplicate of {kept} after normalisation (cluster of {n})", Severity.WARNING,
             summary="Exact duplicate of an earlier record (after NFKC, whitespace and case normalisation)",
             doc="""## What it does
Flags every record whose text (prompt and target) and label equal those of an earlier record after
normalisation: Unicode NFKC, runs of whitespace collapsed, trimmed, and casefolded (option `casefold`).
The first occurrence is kept and gets no finding; each later copy gets one, with `details.cluster`,
`details.kept` (the kept record's index) and `details.cluster_size`.

## Why is this bad?
Copies add no information but add weight: the model sees the same example several times, overfits it and
the set looks bigger than it is. `dslint clean` drops exactly the records that carry this finding.

## Example
```jsonl
{"instruction": "Name a primary colour.", "output": "Red."}
{"instruction": "name a  primary colour.", "output": "Red."}
```
The second line is reported as a duplicate of line 1.

## Options
`casefold` (default true): ignore case when comparing.
"""),
        Rule("D004", "repeated-prompt",
             "prompt repeats {kept} with a different answer ({n} records share it)", Severity.INFO,
             summary="The same prompt (opening user turn) appears in several records with different answers",
             doc="""## What it does
Flags records whose prompt equals an earlier record's prompt (same normalisation as D001) while the
whole record differs (exact copies are D001). For conversations (chat, ShareGPT) the prompt compared is the
opening user turn by default (option `prompt-view = "first-turn"`); `prompt-view = "full"` compares every
turn before the last answer. Records without an answer (classification texts) are not compared: one text with
two labels is a label conflict, which the label checks report.

## Why is this bad?
A prompt repeated many times overweights one behaviour and lowers the diversity of the set; with different
answers it may also teach contradictory targets. Sometimes it is intended (several good answers), hence
the info level.

## Example
```jsonl
{"conversations": [{"from": "human", "value": "What is up?"}, {"from": "gpt", "value": "Not much."}]}
{"conversations": [{"from": "human", "value": "what is up?"}, {"from": "gpt", "value": "All good, you?"}]}
```
The second line repeats the opening prompt of line 1.

## Options
`casefold` (default true), `prompt-view` ("first-turn" or "full").
"""),
    )

    @dataclass(frozen=True)
    class Options:
        casefold: bool = True
        prompt_view: str = FIRST_TURN

        def __post_init__(self) -> None:
            if self.prompt_view not in (FIRST_TURN, FULL_PROMPT):
                raise ValueError(f"prompt-view must be '{FIRST_TURN}' or '{FULL_PROMPT}', got {self.prompt_view!r}")

    def run(self, records: list[Record]) -> Iterator[Finding | Metric]:
        casefold = self.options.casefold
        exact = group_by_key([exact_key(r, casefold) for r in records])
        yield from cluster_findings(self, "D001", records, exact)
        dropped = {pos for members in exact.values() for pos in members[1:]}
        view = opening_prompt if self.options.prompt_view == FIRST_TURN else (lambda r: r.prompt)
        # Records without an answer (classification texts) have nothing to repeat a prompt with: a text with two
        # labels is a label conflict, reported by the label checks.
        prompt_keys = [None if pos in dropped or not r.target else (normalize_text(view(r), casefold) or None)
                       for pos, r in enumerate(records)]
        repeated = group_by_key(prompt_keys)
        yield from cluster_findings(self, "D004", records, repeated)
        yield duplicate_rate((records[p].index for p in dropped), len(records))
        yield Metric("D.exact_duplicates", len(dropped))
        yield Metric("D.repeated_prompt_clusters", len(repeated))


# ---- lexical near-duplicates -------------------------------------------------------------------------------------

class NearDuplicatesCheck(Check):
    name = "near-duplicates"
    rules = (
        Rule("D002", "near-duplicate",
             "near-duplicate of {other} (Jaccard {sim:.2f} on character 5-grams; cluster of {n}, keeping {kept})",
             Severity.WARNING,
             summary="Lexical near-duplicate of an earlier record (MinHash LSH, verified Jaccard)",
             doc="""## What it does
Finds records that are almost the same text as an earlier one: the Jaccard similarity of their sets of
character 5-grams (after the D001 normalisation, casefolded) is at least `threshold`. Candidates come from
MinHash LSH (128 permutations, banded for a Jaccard 0.15 below the threshold so few true pairs are missed) and
every candidate pair is verified with the exact Jaccard similarity, so the sketch adds no false positives. Records are grouped into clusters
(union-find); the first occurrence is kept, every other member is reported with `details.cluster`,
`details.kept`, `details.cluster_size`, `details.match` (the record it matched) and `details.similarity`.
Exact copies (casefolded) are left to D001; records with different labels are never merged. No model needed:
runs under `--fast` and in the pre-commit hook.

## Why is this bad?
Near-copies (a changed name, a typo, extra punctuation) overweight one example just like exact copies do.

## Example
```jsonl
{"prompt": "Summarise the plot of Hamlet in two sentences.", "completion": "..."}
{"prompt": "Summarize the plot of Hamlet in two sentences!", "completion": "..."}
```

## Options
`threshold` (default 0.8): minimum Jaccard similarity of the character 5-gram sets. Chosen on real sets: on
Dolly (6,400 rows) pairs at 0.8 and above are copies with small edits, while between 0.7 and 0.8 most are
different questions sharing a template or a passage.
"""),
    )

    @dataclass(frozen=True)
    class Options:
        threshold: float = 0.8

        def __post_init__(self) -> None:
            if not 0.0 < self.threshold <= 1.0:
                raise ValueError(f"threshold must be in (0, 1], got {self.threshold}")

    def run(self, records: list[Record], minhash: MinHashes) -> Iterator[Finding | Metric]:
        earlier = exact_copies(records)
        members = [p for p in range(len(records)) if p not in earlier]
        clusters, scores = near_clusters(minhash, members, self.options.threshold,
                                         labels=[r.label for r in records])
        yield from cluster_findings(self, "D002", records, clusters, scores)
        near = [records[p].index for ms in clusters.values() for p in ms[1:]]
        yield duplicate_rate([*near, *(records[p].index for p in earlier)], len(records))
        yield Metric("D.near_duplicates", len(near))


def near_clusters(hashes: MinHashes, members: Sequence[int], threshold: float,
                  labels: Sequence[Any] | None = None) -> tuple[dict[int, list[int]], dict[int, tuple[int, float]]]:
    """Clusters of near-duplicate positions (verified Jaccard >= threshold) and, for each non-first member, the
    member that linked it and their Jaccard."""
    uf = UnionFind()
    scores: dict[int, tuple[int, float]] = {}
    memo: dict[int, np.ndarray] = {}
    for i, j in candidate_pairs(hashes.signatures, members, threshold):
        if (labels is not None and labels[i] != labels[j]) or uf.find(i) == uf.find(j):
            continue
        score = jaccard(hashes.shingles_of(i, memo), hashes.shingles_of(j, memo))
        if score >= threshold:
            uf.union(i, j)
            scores.setdefault(j, (i, score))
            scores.setdefault(i, (j, score))
        if len(memo) > MEMO_MAX:  # bound memory on huge sets; shingles are cheap to recompute
            memo.clear()
    return uf.clusters(), scores


CHECKS = (ExactDuplicatesCheck, NearDuplicatesCheck)
