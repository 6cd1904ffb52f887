"""Embedding cache: content-hash keys per embedder, persistence, corruption, --no-cache, and incremental runs."""

from __future__ import annotations

import sqlite3
from typing import Sequence

import numpy as np
import pytest

import dslint.embed
from dslint import lint
from dslint.cache import EmbeddingCache, open_cache
from dslint.config import Config
from dslint.embed import LexicalEmbedder, embed_texts
from tests.conftest import write_jsonl


class CountingEmbedder:
    """The lexical embedder, counting every text it is asked to encode."""

    def __init__(self) -> None:
        self.inner = LexicalEmbedder()
        self.id = self.inner.id
        self.encoded: list[str] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.encoded.extend(texts)
        return self.inner.encode(texts)


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> CountingEmbedder:
    embedder = CountingEmbedder()
    monkeypatch.setattr(dslint.embed, "load_embedder", lambda config: embedder)
    return embedder


def rows(start: int, stop: int) -> list[dict]:
    return [{"prompt": f"Question {k}: how many moons does planet {k} have?", "completion": f"{k % 7} moons"}
            for k in range(start, stop)]


def test_second_run_after_appending_ten_rows_embeds_exactly_those_ten(tmp_path, counting):
    path = write_jsonl(tmp_path / "train.jsonl", rows(0, 50))
    cfg = Config(select=["D003"], embedding_model="lexical")
    lint(str(path), cfg)
    assert len(counting.encoded) == 50
    write_jsonl(path, rows(0, 60))
    counting.encoded.clear()
    report = lint(str(path), cfg)
    assert sorted(counting.encoded) == sorted(r["prompt"] + "\n" + r["completion"] for r in rows(50, 60))
    assert report.skipped == []


def test_no_cache_embeds_everything_again(tmp_path, counting):
    path = write_jsonl(tmp_path / "train.jsonl", rows(0, 20))
    lint(str(path), Config(select=["D003"], embedding_model="lexical"))
    counting.encoded.clear()
    lint(str(path), Config(select=["D003"], embedding_model="lexical", no_cache=True))
    assert len(counting.encoded) == 20
    assert open_cache(Config(no_cache=True)) is None


def test_identical_texts_are_embedded_once_and_keys_depend_on_the_embedder(tmp_path):
    cache = EmbeddingCache(str(tmp_path))
    embedder = CountingEmbedder()
    vectors = embed_texts(["a b", "c d", "a b"], embedder, cache)
    assert embedder.encoded == ["a b", "c d"]
    assert np.array_equal(vectors[0], vectors[2]) and vectors.dtype == np.float32
    assert set(cache.get_many(embedder.id, ["a b", "c d"])) == {"a b", "c d"}
    assert cache.get_many("another-model:opts", ["a b"]) == {}


def test_vectors_persist_across_processes_bit_for_bit(tmp_path):
    first = EmbeddingCache(str(tmp_path))
    vec = np.random.default_rng(0).normal(size=16).astype(np.float32)
    first.put_many("m", {"text": vec})
    first.close()
    again = EmbeddingCache(str(tmp_path)).get_many("m", ["text"])
    assert np.array_equal(again["text"], vec)


def test_a_corrupted_entry_is_detected_and_recomputed(tmp_path):
    cache = EmbeddingCache(str(tmp_path))
    embedder = CountingEmbedder()
    good = embed_texts(["alpha beta", "gamma delta"], embedder, cache)
    with sqlite3.connect(cache.path) as db:  # flip bytes of one stored vector, keep its length and checksum
        key, blob = db.execute("SELECT key, vec FROM vectors LIMIT 1").fetchone()
        db.execute("UPDATE vectors SET vec = ? WHERE key = ?", (bytes(b ^ 0xFF for b in blob), key))
    embedder.encoded.clear()
    again = embed_texts(["alpha beta", "gamma delta"], embedder, cache)
    assert len(embedder.encoded) == 1
    assert np.allclose(again, good)


def test_a_failed_write_leaves_nothing_behind(tmp_path):
    cache = EmbeddingCache(str(tmp_path))
    with pytest.raises(Exception):
        cache.put_many("m", {"ok": np.ones(4, dtype=np.float32), "bad": object()})  # type: ignore[dict-item]
    assert cache.get_many("m", ["ok"]) == {}


def test_the_cache_file_holds_no_pickles(tmp_path):
    cache = EmbeddingCache(str(tmp_path))
    cache.put_many("m", {"t": np.ones(4, dtype=np.float32)})
    with sqlite3.connect(cache.path) as db:
        blob = db.execute("SELECT vec FROM vectors").fetchone()[0]
    assert blob == np.ones(4, dtype=np.float32).tobytes()  # raw little-endian float32, nothing executable
