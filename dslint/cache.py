"""Content-hash keyed store for embeddings: one SQLite file, vectors as raw float32 bytes with a checksum.

Keys are sha256(embedder id + text), so a model or option change never serves stale vectors. Writes are
transactions (atomic); SQLite's locking makes concurrent dslint processes safe. Nothing that executes on
load (no pickle) is ever stored. A row whose checksum does not match is treated as missing and recomputed.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import sys
import zlib
from typing import Any, Iterable, Mapping

import numpy as np

SCHEMA_VERSION = 1
CACHE_FILE = f"embeddings-v{SCHEMA_VERSION}.sqlite3"


def _key(embedder_id: str, text: str) -> str:
    return hashlib.sha256(f"{embedder_id}\x1f{text}".encode("utf-8", "surrogatepass")).hexdigest()


def _warn(message: str) -> None:
    print(f"dslint: {message}", file=sys.stderr)


def _is_damage(exc: sqlite3.Error) -> bool:
    # "file is not a database" and "database disk image is malformed" are plain DatabaseErrors; a lock or a
    # closed connection are subclasses (OperationalError, ProgrammingError) and say nothing about the file.
    return type(exc) is sqlite3.DatabaseError


class EmbeddingCache:
    def __init__(self, folder: str):
        os.makedirs(folder, exist_ok=True)
        self.path = os.path.join(folder, CACHE_FILE)
        self.hits = 0
        self.misses = 0
        self._failed = False
        try:
            self._db = self._connect()
        except sqlite3.DatabaseError as exc:
            if not _is_damage(exc):
                raise  # locked or unwritable: open_cache disables the cache for this run
            self._start_anew(exc)

    def _start_anew(self, exc: sqlite3.Error) -> None:
        """Set a damaged file aside (never delete what might be evidence) and continue with a new, empty one."""
        aside = f"{self.path}.damaged"
        _warn(f"cache file {self.path} is damaged ({exc}); moved it to {aside} and started a new one")
        os.replace(self.path, aside)
        for suffix in ("-wal", "-shm"):
            if os.path.exists(self.path + suffix):
                os.remove(self.path + suffix)
        self._db = self._connect()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        try:
            db.execute("PRAGMA busy_timeout=60000")
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, dim INTEGER NOT NULL, "
                       "crc INTEGER NOT NULL, vec BLOB NOT NULL)")
            db.execute("SELECT count(*) FROM (SELECT 1 FROM vectors LIMIT 1)").fetchone()
        except BaseException:
            db.close()
            raise
        return db

    def _give_up(self, exc: sqlite3.Error) -> None:
        # A cache that fails mid-run (damaged pages, a lock held too long) costs time, never a wrong answer.
        if _is_damage(exc) and not self._failed:
            try:
                self._db.close()
                self._start_anew(exc)
                return
            except (OSError, sqlite3.Error) as again:
                exc = again
        if not self._failed:
            _warn(f"embedding cache {self.path} failed ({exc}); continuing without it")
        self._failed = True

    def get_many(self, embedder_id: str, texts: Iterable[str]) -> dict[str, np.ndarray]:
        texts = list(texts)
        keys = {_key(embedder_id, t): t for t in texts}
        out: dict[str, np.ndarray] = {}
        items = [] if self._failed else list(keys)
        try:
            for start in range(0, len(items), 500):
                chunk = items[start:start + 500]
                marks = ",".join("?" * len(chunk))
                for key, dim, crc, blob in self._db.execute(
                        f"SELECT key, dim, crc, vec FROM vectors WHERE key IN ({marks})", chunk):
                    if not isinstance(blob, bytes) or not isinstance(dim, int) or len(blob) != dim * 4 \
                            or zlib.crc32(blob) != crc or key not in keys:
                        continue  # truncated or corrupted: recompute, never use
                    out[keys[key]] = np.frombuffer(blob, dtype=np.float32).copy()
        except sqlite3.Error as exc:
            self._give_up(exc)
            out = {}
        self.hits += len(out)
        self.misses += len(texts) - len(out)
        return out

    def put_many(self, embedder_id: str, vectors: Mapping[str, np.ndarray]) -> None:
        if self._failed:
            return
        rows = []
        for text, vec in vectors.items():
            blob = np.ascontiguousarray(vec, dtype=np.float32).tobytes()
            rows.append((_key(embedder_id, text), len(blob) // 4, zlib.crc32(blob), blob))
        try:
            with self._db:  # one transaction: all or nothing
                self._db.execute("BEGIN IMMEDIATE")
                self._db.executemany("INSERT OR REPLACE INTO vectors (key, dim, crc, vec) VALUES (?, ?, ?, ?)",
                                     rows)
        except sqlite3.Error as exc:
            self._give_up(exc)

    def close(self) -> None:
        self._db.close()


def open_cache(config: Any) -> EmbeddingCache | None:
    """The run's embedding cache, or None with --no-cache (or when the folder cannot be written)."""
    if config.no_cache:
        return None
    try:
        return EmbeddingCache(config.cache_dir)
    except (OSError, sqlite3.Error) as exc:
        _warn(f"cache disabled: cannot open {config.cache_dir} ({exc})")
        return None
