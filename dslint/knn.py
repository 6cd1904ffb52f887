"""Nearest-neighbour search by cosine (inner product of L2-normalised vectors) with faiss, imported on use."""

from __future__ import annotations

import numpy as np

# Above this many indexed vectors an approximate index (faiss IndexIVFFlat) replaces exact search, whose cost grows
# with n^2: at 100k x 384 exact took 376 CPU s (bench/knn_index.py, faiss on 2 threads). The index used before, HNSW
# M=32 (efSearch 64), took 37-58 CPU s but on planted synthetic vectors had recall@10 0.949 and missed 64 of 1,947
# near copies (cosine 0.97-0.99); IVF (about 4*sqrt(n) lists from a fixed-seed spherical k-means, IVF_NPROBE lists
# searched per query) found all of them and every edge >= 0.95 on both vector sets, recall@10 >= 0.989, for 104-121
# CPU s (about 2x HNSW; nprobe 32 costs 1.2-2x but had recall@10 0.976 on n-gram vectors). Fixed seeds (sample,
# k-means) make the graph the same on every run. Table: bench/RESULTS.md, "Neighbour search above 50k".
EXACT_SEARCH_MAX = 50_000
IVF_NPROBE = 64
IVF_KMEANS_ITERATIONS = 10


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
        index = _ivf_index(base, IVF_NPROBE, IVF_KMEANS_ITERATIONS)
    else:
        index = faiss.IndexFlatIP(base.shape[1])
        index.add(base)
    sims, idx = _search(index, queries, want)
    if exclude_self:
        idx, sims = _drop_self(idx, sims)
    return Neighbors(idx.astype(np.int64), sims.astype(np.float32))


def _ivf_index(base: np.ndarray, nprobe: int = IVF_NPROBE, niter: int = IVF_KMEANS_ITERATIONS):
    """A trained and filled IndexIVFFlat (inner product) over `base`: about 4*sqrt(n) lists from spherical k-means
    on a fixed-seed sample, so the same vectors always give the same index."""
    import faiss

    n, dim = base.shape
    nlist = max(1, min(int(4 * np.sqrt(n)), n // 39))  # faiss wants >= 39 training points per list
    index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
    index.cp.seed, index.cp.spherical, index.cp.niter = 1234, True, niter
    sample = min(n, max(40 * nlist, 50_000))
    rows = np.sort(np.random.default_rng(0).choice(n, sample, replace=False)) if sample < n else slice(None)
    index.train(np.ascontiguousarray(base[rows]))
    index.add(base)
    index.nprobe = nprobe
    return index


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
