"""dslint.knn above EXACT_SEARCH_MAX (the approximate index): near copies found, self excluded, repeatable."""

from __future__ import annotations

import numpy as np
import pytest

import dslint.knn as knn_module


def _planted(n: int = 3000, dim: int = 48, copies: int = 60, seed: int = 0) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Unit vectors around 30 topic centres; the last `copies` rows are near copies (cosine > 0.97) of earlier ones."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(30, dim))
    vectors = centres[rng.integers(0, 30, n)] + 1.2 * rng.normal(size=(n, dim))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    originals = rng.choice(n - copies, copies, replace=False)
    for c, o in zip(range(n - copies, n), originals):
        v = vectors[o] + 0.15 * rng.normal(size=dim) / np.sqrt(dim)
        vectors[c] = v / np.linalg.norm(v)
    return vectors.astype(np.float32), [(c, int(o)) for c, o in zip(range(n - copies, n), originals)]


@pytest.fixture
def approximate(monkeypatch):
    monkeypatch.setattr(knn_module, "EXACT_SEARCH_MAX", 500)


def test_near_copies_are_each_others_nearest_neighbour_and_no_row_lists_itself(approximate):
    vectors, planted = _planted()
    got = knn_module.knn(vectors, vectors, 10, exclude_self=True)
    assert got.indices.shape == (len(vectors), 10)
    assert not (got.indices == np.arange(len(vectors))[:, None]).any()
    for copy, original in planted:
        assert got.indices[copy, 0] == original and got.similarities[copy, 0] >= 0.95
        assert got.indices[original, 0] == copy


def test_approximate_graph_matches_exact_search_on_near_pairs(approximate, monkeypatch):
    vectors, _ = _planted(seed=1)
    approx = knn_module.knn(vectors, vectors, 10, exclude_self=True)
    monkeypatch.setattr(knn_module, "EXACT_SEARCH_MAX", len(vectors))
    exact = knn_module.knn(vectors, vectors, 10, exclude_self=True)
    near = exact.similarities[:, 0] >= 0.95
    assert near.sum() >= 60
    assert (approx.indices[near, 0] == exact.indices[near, 0]).all()
    assert np.allclose(approx.similarities[near, 0], exact.similarities[near, 0], atol=1e-5)


def test_same_vectors_give_the_same_graph(approximate):
    vectors, _ = _planted(seed=2)
    first = knn_module.knn(vectors, vectors, 5, exclude_self=True)
    second = knn_module.knn(vectors.copy(), vectors.copy(), 5, exclude_self=True)
    assert (first.indices == second.indices).all() and (first.similarities == second.similarities).all()


def test_queries_against_another_base_above_the_limit(approximate):
    vectors, planted = _planted(seed=3)
    base = vectors[:-60]
    got = knn_module.knn(vectors[-60:], base, 1)
    assert got.indices[:, 0].tolist() == [o for _, o in planted]
