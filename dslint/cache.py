"""Content-hash keyed store for embeddings: one SQLite file, vectors as raw float32 bytes with a checksum.

Keys are sha256(embedder id + text), so a model or option change never serves stale vectors. Writes are
transactions (atomic); SQLite's locking makes concurrent dslint processes safe. Nothing that executes on
load (no pickle) is ever stored. A row whose checksum does not match is treated as missing and recomputed.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import zlib
from typing import Any, Iterable, Mapping

import numpy as np

SCHEMA_VERSION = 1
CACHE_FILE = f"embeddings-v{SCHEMA_VERSION}.sqlite3"


def _key(embedder_id: str, text: str) -> str:
    return hashlib.sha256(f"{embedder_id}\x1f{text}".encode("utf-8", "surrogatepass")).hexdigest()


class EmbeddingCache:
    def __init__(self, folder: str):
        os.makedirs(folder, exist_ok=True)
        self.path = os.path.join(folder, CACHE_FILE)
        self._db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA busy_timeout=60000")
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, dim INTEGER NOT NULL, "
                         "crc INTEGER NOT NULL, vec BLOB NOT NULL)")
        self.hits = 0
        self.misses = 0

    def get_many(self, embedder_id: str, texts: Iterable[str]) -> dict[str, np.ndarray]:
        texts = list(texts)
        keys = {_key(embedder_id, t): t for t in texts}
        out: dict[str, np.ndarray] = {}
        items = list(keys)
        for start in range(0, len(items), 500):
            chunk = items[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for key, dim, crc, blob in self._db.execute(
                    f"SELECT key, dim, crc, vec FROM vectors WHERE key IN ({marks})", chunk):
                if len(blob) != dim * 4 or zlib.crc32(blob) != crc:
                    continue  # truncated or corrupted: recompute, never use
                out[keys[key]] = np.frombuffer(blob, dtype=np.float32).copy()
        self.hits += len(out)
        self.misses += len(texts) - len(out)
        return out

    def put_many(self, embedder_id: str, vectors: Mapping[str, np.ndarray]) -> None:
        rows = []
        for text, vec in vectors.items():
            blob = np.ascontiguousarray(vec, dtype=np.float32).tobytes()
            rows.append((_key(embedder_id, text), len(blob) // 4, zlib.crc32(blob), blob))
        with self._db:  # one transaction: all or nothing
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany("INSERT OR REPLACE INTO vectors (key, dim, crc, vec) VALUES (?, ?, ?, ?)", rows)

    def close(self) -> None:
        self._db.close()


def open_cache(config: Any) -> EmbeddingCache | None:
    """The run's embedding cache, or None with --no-cache (or when the folder cannot be written)."""
    if config.no_cache:
        return None
    try:
        return EmbeddingCache(config.cache_dir)
    except (OSError, sqlite3.Error) as exc:
        import sys

        print(f"dslint: cache disabled: cannot open {config.cache_dir} ({exc})", file=sys.stderr)
        return None
