"""Exact and lexical near-duplicates within the training set (D001, D002, D004): no model, fast enough for a hook.

Exact: records whose normalised text (dslint.data.normalize_text: NFKC, whitespace collapsed, casefolded by
default) and label are equal. Near: one-permutation MinHash signatures (128 bins, densified) of character
5-gram shingles, computed in bulk with numpy; candidate pairs from LSH banding (bands chosen as
datasketch.MinHashLSH does, weighted towards recall); candidates whose signatures agree far below the threshold
are dropped, every other one verified with the exact Jaccard similarity of the shingle sets. The banding is
done in numpy (equal candidates to MinHashLSH with the same bands, tested; see bench/duplicates.py for speed).
Clusters come from union-find; the record kept is the first occurrence, every other member gets the finding."""

from __future__ import annotations

import functools
import hashlib
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
# Signatures are computed over batches of about this many characters (peak ~50 B * this per batch).
SHINGLE_CHUNK = 1 << 20
EMPTY_BIN = np.uint32(np.iinfo(np.uint32).max)
MEMO_MAX = 20_000
PAIR_BLOCK = 4_096  # pairs verified together (their shingle sets are held at once)
BUCKET_ALL_PAIRS = 32
# Candidates whose MinHash estimate is this far below the threshold are dropped unverified (see plausible_pairs).
ESTIMATE_MARGIN = 0.3
MISS_WEIGHT = 0.7  # LSH banding: weight of false negatives against false positives (see band_params)
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
        keep = np.ones(len(rolled), dtype=bool)
        keep[(np.cumsum(lens)[:-1, None] - np.arange(1, k)).ravel()] = False  # windows crossing into the next text
        parts_h.append(rolled[keep])
        parts_o.append(np.repeat(long_, lens - k + 1))
    if not parts_h:
        return np.zeros(0, dtype=_U64), np.zeros(0, dtype=np.int64)
    if len(parts_h) == 1:
        return parts_h[0], parts_o[0]
    owners = np.concatenate(parts_o)
    order = np.argsort(owners, kind="stable")
    return np.concatenate(parts_h)[order], owners[order]


def _text_batches(texts: Sequence[str]) -> Iterator[tuple[int, int]]:
    """Consecutive (start, stop) ranges of about SHINGLE_CHUNK characters (at least one text each)."""
    start = 0
    while start < len(texts):
        stop, size = start, 0
        while stop < len(texts) and (size < SHINGLE_CHUNK or stop == start):
            size += len(texts[stop])
            stop += 1
        yield start, stop
        start = stop


def _sorted_by_owner_then_hash(hashes: np.ndarray, owners: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both arrays ordered by (owner, hash): one sort of a packed key (owner, top 40 bits of the hash), ten
    times faster than np.lexsort; the exact two-key sort only when two different hashes tie (rare)."""
    if len(owners) and int(owners.max()) < 1 << 24:
        key = (owners.astype(_U64) << _U64(40)) | (hashes >> _U64(24))
        order = np.argsort(key)
        packed, ordered = key[order], hashes[order]
        if not ((packed[1:] == packed[:-1]) & (ordered[1:] != ordered[:-1])).any():  # ties only between copies
            return ordered, owners[order]
    order = np.lexsort((hashes, owners))
    return hashes[order], owners[order]


def shingle_sets(texts: Sequence[str]) -> list[np.ndarray]:
    """shingles(t) for each text, computed in bulk (one sort per batch instead of one numpy pass per text)."""
    out: list[np.ndarray] = []
    for start, stop in _text_batches(texts):
        hashes, owners = _batch_shingles(texts[start:stop])
        hashes, owners = _sorted_by_owner_then_hash(hashes, owners)
        new = np.ones(len(hashes), dtype=bool)
        new[1:] = (hashes[1:] != hashes[:-1]) | (owners[1:] != owners[:-1])
        hashes, owners = hashes[new], owners[new]
        out.extend(np.split(hashes, np.searchsorted(owners, np.arange(1, stop - start))))
    return out


def minhash_signatures(texts: Sequence[str], num_perm: int = NUM_PERM) -> np.ndarray:
    """One-permutation MinHash signatures (n x num_perm, uint32) of the texts' shingles, densified.

    Each shingle hash is used once: its high 32 bits pick one of num_perm bins, its low 32 bits are the value,
    and each bin keeps its minimum (O(shingles), not O(shingles x num_perm) as with num_perm permutations).
    Bins no shingle fell into borrow the value of a non-empty bin of the same record along a fixed probe
    sequence ("optimal densification", Shrivastava 2017), so two records agree on a bin with probability equal
    to their Jaccard similarity, as with classic MinHash. A text without shingles gets the all-max signature (it
    matches nothing). Texts go in batches of about SHINGLE_CHUNK characters, so memory stays bounded."""
    sig = np.full((len(texts), num_perm), EMPTY_BIN, dtype=np.uint32)
    flat = sig.reshape(-1)
    for start, stop in _text_batches(texts):
        hashes, owners = _batch_shingles(texts[start:stop])
        slots = (owners + start) * num_perm + ((hashes >> _U64(32)) % _U64(num_perm)).astype(np.int64)
        np.minimum.at(flat, slots, hashes.astype(np.uint32))
    _densify(sig)
    return sig


def _densify(sig: np.ndarray, seed: int = MINHASH_SEED, block: int = 1024) -> None:
    """Fill the empty bins of records that have some shingles: bin j takes the value of the first originally
    non-empty bin of the record in the order order[:, j] (a fixed random permutation of the bins per j, the same
    for every record, so equal sets get equal signatures and a bin collides with probability = Jaccard)."""
    k = sig.shape[1]
    order = _probe_orders(k, seed)  # order[step][j]: the bin that bin j looks at on its step-th try
    filled = (sig != EMPTY_BIN).sum(axis=1)
    rows = np.flatnonzero((filled > 0) & (filled < k))
    rows = rows[np.argsort(-filled[rows], kind="stable")]  # a block of similar records needs similar steps
    for lo in range(0, len(rows), block):
        part = rows[lo:lo + block]
        orig = sig[part]
        out = orig.copy()
        for step in range(k):  # every order reaches a non-empty bin within k steps
            open_ = out == EMPTY_BIN
            if not open_.any():
                break
            np.copyto(out, np.take(orig, order[step], axis=1), where=open_)
        sig[part] = out


@functools.lru_cache(maxsize=4)
def _probe_orders(num_perm: int, seed: int) -> np.ndarray:
    gen = np.random.RandomState(seed)
    return np.ascontiguousarray(np.stack([gen.permutation(num_perm) for _ in range(num_perm)]).T).astype(np.int64)


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
    return max(0.05, threshold - 0.2)


@functools.lru_cache(maxsize=32)
def band_params(threshold: float, num_perm: int = NUM_PERM, miss_weight: float = MISS_WEIGHT) -> tuple[int, int]:
    """(bands, rows per band) minimising the weighted false positive and false negative probability mass around
    `threshold` (datasketch.MinHashLSH's criterion; its default weights are 0.5 and 0.5). Misses weigh more here:
    a missed pair is a lost finding, while an extra candidate costs one comparison of signatures."""
    s = np.linspace(0.0, 1.0, 401)
    best, best_err = (num_perm // 4, 4), float("inf")
    for r in range(1, num_perm + 1):
        for b in range(1, num_perm // r + 1):
            p = 1.0 - (1.0 - s ** r) ** b
            err = ((1.0 - miss_weight) * np.trapezoid(np.where(s < threshold, p, 0.0), s)
                   + miss_weight * np.trapezoid(np.where(s >= threshold, 1 - p, 0.0), s))
            if err < best_err:
                best, best_err = (b, r), err
    return best


def _band_buckets(signatures: np.ndarray, rows: np.ndarray, threshold: float
                  ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """For each LSH band: `rows` grouped by equal band values (ascending positions inside a group) and the
    start and size of each group of two or more."""
    bands, per = band_params(round(threshold, 3), signatures.shape[1])
    for band in range(bands):
        sig = signatures[rows, band * per:(band + 1) * per]  # one band at a time: no copy of the whole matrix
        key = np.full(len(rows), band, dtype=_U64)
        for col in range(per):
            key = fmix64(key ^ sig[:, col].astype(_U64))
        order = np.argsort(key, kind="stable")  # stable: ascending rows within a group
        ordered = key[order]
        cuts = np.flatnonzero(ordered[1:] != ordered[:-1]) + 1
        starts = np.concatenate(([0], cuts))
        sizes = np.diff(np.concatenate((starts, [len(rows)])))
        shared = sizes > 1
        yield rows[order], starts[shared], sizes[shared]


def bucket_groups(signatures: np.ndarray, rows: np.ndarray, threshold: float) -> Iterator[np.ndarray]:
    """For each LSH band, the groups (two or more, ascending positions) of `rows` whose band values are equal."""
    for grouped, starts, sizes in _band_buckets(signatures, rows, threshold):
        for start, size in zip(starts.tolist(), sizes.tolist()):
            yield grouped[start:start + size]


def _bucket_pairs(grouped: np.ndarray, starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Every pair (i < j) of each group up to BUCKET_ALL_PAIRS members; a star and a chain for bigger ones."""
    out = [np.zeros((0, 2), dtype=np.int64)]
    for size in np.unique(sizes[sizes <= BUCKET_ALL_PAIRS]).tolist():
        members = grouped[starts[sizes == size][:, None] + np.arange(size)]  # (groups, size), ascending rows
        x, y = np.triu_indices(size, 1)
        out.append(np.stack((members[:, x].ravel(), members[:, y].ravel()), axis=1))
    for start, size in zip(starts[sizes > BUCKET_ALL_PAIRS].tolist(), sizes[sizes > BUCKET_ALL_PAIRS].tolist()):
        g = grouped[start:start + size]
        out.append(np.stack((np.full(size - 1, g[0]), g[1:]), axis=1))
        out.append(np.stack((g[:-1], g[1:]), axis=1))
    return np.concatenate(out)


def within_pairs(signatures: np.ndarray, members: Sequence[int], threshold: float,
                 plausible_only: bool = False) -> np.ndarray:
    """Candidate pairs (rows i < j) of `members` sharing an LSH bucket, unique, ordered by j then i (with
    `plausible_only`, only those `plausible` keeps). Buckets above BUCKET_ALL_PAIRS members contribute a star
    and a chain (O(m) pairs) instead of every pair: their members agree on a whole band, so they are linked
    anyway."""
    rows = _nonempty(signatures, members)
    n = np.int64(len(signatures))
    codes = [np.zeros(0, dtype=np.int64)]
    for grouped, starts, sizes in _band_buckets(signatures, rows, lsh_threshold(threshold)):
        pairs = _bucket_pairs(grouped, starts, sizes)
        if plausible_only:
            pairs = pairs[plausible(signatures, pairs, threshold)]
        codes.append(pairs[:, 1] * n + pairs[:, 0])
    code = np.unique(np.concatenate(codes))
    return np.stack((code % n, code // n), axis=1)


def candidate_pairs(signatures: np.ndarray, members: Sequence[int], threshold: float,
                    cross_from: int | None = None) -> list[tuple[int, int]]:
    """Candidate pairs (i < j) sharing an LSH bucket, ordered by j then i (see within_pairs). With `cross_from`,
    only pairs with i < cross_from <= j (one from each side); buckets with more than BUCKET_ALL_PAIRS ** 2
    such pairs contribute two stars instead."""
    if cross_from is None:
        return [(i, j) for i, j in within_pairs(signatures, members, threshold).tolist()]
    seen: set[tuple[int, int]] = set()
    for group in bucket_groups(signatures, _nonempty(signatures, members), lsh_threshold(threshold)):
        g = group.tolist()
        left = [i for i in g if i < cross_from]
        right = [j for j in g if j >= cross_from]
        if len(left) * len(right) <= BUCKET_ALL_PAIRS ** 2:
            seen.update((i, j) for i in left for j in right)
        elif left and right:
            seen.update((left[0], j) for j in right)
            seen.update((i, right[0]) for i in left)
    return sorted(seen, key=lambda p: (p[1], p[0]))


def plausible(signatures: np.ndarray, pairs: np.ndarray, threshold: float, chunk: int = 65_536) -> np.ndarray:
    """For each pair (rows of a k x 2 array), whether its MinHash estimate of Jaccard (share of equal bins) is
    at least threshold - ESTIMATE_MARGIN: the others are not worth an exact verification. Big LSH buckets of
    records sharing a template yield many pairs far below the threshold. Measured on 100k short synthetic texts
    (~80 shingles each): the estimate of true pairs (Jaccard >= 0.8) is off by 0.02 (one standard deviation),
    so 0.3 is ~14 of them; texts of a few dozen characters have fewer independent bins and deviate more."""
    keep = np.empty(len(pairs), dtype=bool)
    for lo in range(0, len(pairs), chunk):
        i, j = pairs[lo:lo + chunk, 0], pairs[lo:lo + chunk, 1]
        keep[lo:lo + chunk] = (signatures[i] == signatures[j]).mean(axis=1) >= threshold - ESTIMATE_MARGIN
    return keep


def plausible_pairs(signatures: np.ndarray, pairs: list[tuple[int, int]], threshold: float) -> list[tuple[int, int]]:
    """The pairs (order kept) that `plausible` keeps."""
    if not pairs:
        return pairs
    keep = plausible(signatures, np.asarray(pairs, dtype=np.int64), threshold)
    return [pairs[k] for k in np.flatnonzero(keep).tolist()]


def _nonempty(signatures: np.ndarray, members: Sequence[int]) -> np.ndarray:
    rows = np.asarray(members, dtype=np.int64)
    return rows[~(signatures[rows] == EMPTY_BIN).all(axis=1)] if len(rows) else rows


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


@provides("exact_keys")
def _exact_keys(records: list[Record]) -> list[tuple[bytes, str | None]]:
    return exact_digests(records)


def exact_digests(records: Sequence[Record]) -> list[tuple[bytes, str | None]]:
    """The casefolded D001 key of each record as (16-byte digest of the normalised text, label): computed once for
    D001 and the near tier, without holding a normalised copy of every text."""
    return [(hashlib.blake2b(normalize_text(r.text, True).encode("utf-8", "surrogatepass"), digest_size=16).digest(),
             r.label) for r in records]


def exact_copies(records: Sequence[Record], keys: Sequence[Any] | None = None) -> dict[int, int]:
    """Position -> position of the first occurrence, for every later exact copy (casefolded D001 key; `keys`:
    the exact_keys artifact when at hand).

    The near and semantic tiers leave these to D001 (whatever D001's own options or suppressions), so a copy is
    never reported twice and suppressing D001 on a record does not make it reappear as D002/D003."""
    groups = group_by_key(keys if keys is not None else exact_digests(records))
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

    def run(self, records: list[Record], exact_keys: list[Any] | None = None) -> Iterator[Finding | Metric]:
        casefold = self.options.casefold
        exact = group_by_key(exact_keys if casefold and exact_keys is not None else
                             [exact_key(r, casefold) for r in records])
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
MinHash LSH (128 one-permutation bins, banded for a Jaccard 0.2 below the threshold so few true pairs are missed) and
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

    def run(self, records: list[Record], minhash: MinHashes,
            exact_keys: list[Any] | None = None) -> Iterator[Finding | Metric]:
        earlier = exact_copies(records, exact_keys)
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
    both = within_pairs(hashes.signatures, members, threshold, plausible_only=True)
    keep = np.ones(len(both), dtype=bool)
    if labels is not None:
        ids: dict[Any, int] = {}
        codes = np.array([ids.setdefault(x if isinstance(x, (str, int, type(None))) else repr(x), len(ids))
                          for x in labels], dtype=np.int64)
        keep &= codes[both[:, 0]] == codes[both[:, 1]]
    pairs = [(i, j) for i, j in both[keep].tolist() if labels is None or labels[i] == labels[j]]
    for lo in range(0, len(pairs), PAIR_BLOCK):
        block = pairs[lo:lo + PAIR_BLOCK]
        for (i, j), score in zip(block, pair_jaccards(hashes.texts, block)):
            if score >= threshold and uf.find(i) != uf.find(j):
                uf.union(i, j)
                scores.setdefault(j, (i, score))
                scores.setdefault(i, (j, score))
    return uf.clusters(), scores


def pair_jaccards(texts: Sequence[str], pairs: Sequence[tuple[int, int]]) -> list[float]:
    """Exact Jaccard similarity of the shingle sets of each pair of texts."""
    need = sorted({x for pair in pairs for x in pair})
    sets = dict(zip(need, shingle_sets([texts[x] for x in need])))
    return [jaccard(sets[i], sets[j]) for i, j in pairs]


CHECKS = (ExactDuplicatesCheck, NearDuplicatesCheck)
