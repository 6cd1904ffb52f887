"""Nearest-neighbour search by cosine (inner product of L2-normalised vectors) with faiss, imported on use."""

from __future__ import annotations

import numpy as np

# Above this many indexed vectors an approximate (HNSW, M=32) index replaces exact search. Measured with
# bench/duplicates.py on planted near-copies: at 10k rows both take the same time and find every pair; at 100k
# HNSW is 1.8x faster and finds 1,985 of 1,987 pairs (exact: all). The crossover lies between; 50k is below it.
EXACT_SEARCH_MAX = 50_000


def knn(queries: np.ndarray, base: np.ndarray, k: int, *, exclude_self: bool = False):
    """k nearest rows of `base` for each row of `queries`, best first. With exclude_self (queries is base),
    each row's own position is removed. Returns artifacts.Neighbors."""
    from .artifacts import Neighbors

    n = len(queries)
    if n == 0 or len(base) == 0:
        return Neighbors(np.full((n, 0), -1, dtype=np.int64), np.zeros((n, 0), dtype=np.float32))
    import faiss

    base = np.ascontiguousarray(base, dtype=np.float32)
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    want = min(k + (1 if exclude_self else 0), len(base))
    if len(base) > EXACT_SEARCH_MAX:
        index = faiss.IndexHNSWFlat(base.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efSearch = max(64, 2 * want)
    else:
        index = faiss.IndexFlatIP(base.shape[1])
    index.add(base)
    sims, idx = _search(index, queries, want)
    if exclude_self:
        idx, sims = _drop_self(idx, sims)
    return Neighbors(idx.astype(np.int64), sims.astype(np.float32))


def _drop_self(idx: np.ndarray, sims: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Remove each row's own position (or, when it is not among the results, the last column), vectorised:
    a Python loop over rows cost seconds at 100k and minutes at 1M."""
    n, want = idx.shape
    is_self = idx == np.arange(n)[:, None]
    drop = np.where(is_self.any(axis=1), is_self.argmax(axis=1), want - 1)
    keep = np.ones(idx.shape, dtype=bool)
    keep[np.arange(n), drop] = False
    return idx[keep].reshape(n, want - 1), sims[keep].reshape(n, want - 1)


def _search(index, queries: np.ndarray, want: int, chunk: int = 8192) -> tuple[np.ndarray, np.ndarray]:
    """index.search over chunks of queries (same results), showing progress on a large set."""
    if len(queries) <= chunk:
        return index.search(queries, want)
    from .progress import Progress

    sims = np.empty((len(queries), want), dtype=np.float32)
    idx = np.empty((len(queries), want), dtype=np.int64)
    with Progress("neighbour search", len(queries)) as progress:
        for start in range(0, len(queries), chunk):
            part_sims, part_idx = index.search(queries[start:start + chunk], want)
            sims[start:start + len(part_sims)], idx[start:start + len(part_idx)] = part_sims, part_idx
            progress.update(len(part_sims))
    return sims, idx
