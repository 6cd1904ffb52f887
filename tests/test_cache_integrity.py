"""The embedding cache never lies: concurrent runs agree, damaged entries and files are recomputed (never used),
nothing executable is stored, and a model or option change never serves stale vectors."""

from __future__ import annotations

import json
import os
import pickle
import sqlite3
import subprocess
import sys
import types
import zlib
from pathlib import Path

import numpy as np
import pytest

from conftest import chat, write_jsonl
from dslint.cache import CACHE_FILE, EmbeddingCache, open_cache
from dslint.config import Config
from dslint.embed import LexicalEmbedder, SentenceTransformerEmbedder, embed_texts, model_fingerprint

TOPICS = ["rivers", "volcanoes", "tax forms", "sourdough", "chess openings", "bicycle repair", "tides", "orchids"]


class CountingEmbedder:
    """A deterministic fake model that counts what it was asked to embed."""

    def __init__(self, id: str = "fake:v1", seed: int = 0):
        self.id, self.seed, self.encoded = id, seed, []

    def encode(self, texts):
        self.encoded.extend(texts)
        out = np.array([[(hash((self.seed, t, j)) % 1000) / 1000 for j in range(8)] for t in texts], np.float32)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def cache_rows(folder: Path) -> list[tuple]:
    with sqlite3.connect(folder / CACHE_FILE) as db:
        return db.execute("SELECT key, dim, crc, vec FROM vectors ORDER BY key").fetchall()


def tamper(folder: Path, sql: str, *params) -> None:
    with sqlite3.connect(folder / CACHE_FILE) as db:
        db.execute(sql, params)


def semantic_set(n: int = 60) -> list[dict]:
    """Paraphrase pairs (semantic duplicates for the lexical embedder) among distinct questions."""
    out = []
    for i in range(n):
        topic = TOPICS[i % len(TOPICS)]
        out.append(chat(f"Explain {topic} to a beginner, part {i}.", f"Here is a short guide to {topic}, part {i}."))
        if i % 5 == 0:
            out.append(chat(f"Explain {topic} to a beginner, part {i}!", f"Here is a short guide to {topic}, part {i}!"))
    return out


# ---- entries: damaged ones are detected and recomputed ------------------------------------------------------------

@pytest.mark.parametrize("damage", ["flip-bytes", "truncate", "wrong-dim", "wrong-crc", "text-not-blob"])
def test_a_damaged_entry_is_recomputed_never_used(tmp_path, damage):
    texts = ["alpha beta", "gamma delta", "epsilon zeta"]
    cache = EmbeddingCache(str(tmp_path))
    first = CountingEmbedder()
    expected = embed_texts(texts, first, cache)
    key, dim, crc, blob = cache_rows(tmp_path)[0]
    broken = {"flip-bytes": ("UPDATE vectors SET vec = ? WHERE key = ?", bytes(b ^ 0x5A for b in blob[:8]) + blob[8:]),
              "truncate": ("UPDATE vectors SET vec = ? WHERE key = ?", blob[: len(blob) // 2]),
              "wrong-dim": ("UPDATE vectors SET dim = ? WHERE key = ?", dim + 1),
              "wrong-crc": ("UPDATE vectors SET crc = ? WHERE key = ?", crc ^ 1),
              "text-not-blob": ("UPDATE vectors SET vec = ? WHERE key = ?", "not a vector")}[damage]
    tamper(tmp_path, broken[0], broken[1], key)

    second = CountingEmbedder()  # same id: a healthy entry would be served from the cache
    got = embed_texts(texts, second, cache)
    assert len(second.encoded) == 1  # exactly the damaged entry was recomputed
    np.testing.assert_array_equal(got, expected)
    third = CountingEmbedder()
    np.testing.assert_array_equal(embed_texts(texts, third, cache), expected)
    assert third.encoded == []  # and the recomputed vector was stored again


def test_a_planted_pickle_is_read_as_numbers_and_never_executed(tmp_path):
    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    payload = pickle.dumps(Exploit())
    payload += b"\0" * (-len(payload) % 4)
    cache = EmbeddingCache(str(tmp_path / "cache"))
    embedder = CountingEmbedder()
    embed_texts(["hello"], embedder, cache)
    tamper(tmp_path / "cache", "UPDATE vectors SET vec = ?, dim = ?, crc = ?", payload, len(payload) // 4,
           zlib.crc32(payload))
    got = cache.get_many(embedder.id, ["hello"])["hello"]
    assert got.dtype == np.float32 and got.tobytes() == payload
    assert not marker.exists()


def test_the_cache_holds_only_keys_numbers_and_raw_float32_bytes(tmp_path):
    cache = EmbeddingCache(str(tmp_path))
    vectors = embed_texts(["one", "two"], LexicalEmbedder(), cache)
    with sqlite3.connect(tmp_path / CACHE_FILE) as db:
        columns = [(c[1], c[2]) for c in db.execute("PRAGMA table_info(vectors)")]
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    assert tables == ["vectors"]
    assert columns == [("key", "TEXT"), ("dim", "INTEGER"), ("crc", "INTEGER"), ("vec", "BLOB")]
    blobs = sorted(row[3] for row in cache_rows(tmp_path))
    assert blobs == sorted(v.astype(np.float32).tobytes() for v in vectors)
    source = Path(sys.modules["dslint.cache"].__file__).read_text()
    assert "import pickle" not in source and "allow_pickle" not in source and "np.load" not in source


# ---- the cache file: garbage, truncated, unusable ------------------------------------------------------------------

def lexical_config(cache_dir: Path, **kw) -> Config:
    return Config(select=["D", "L"], embedding_model="lexical", cache_dir=str(cache_dir), **kw)


def findings_of(report) -> list[tuple]:
    return sorted((f.code, f.location.record, f.location.line, f.message) for f in report.findings)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The D and L findings of the semantic set without any cache: what every cached run must equal."""
    from dslint import lint

    folder = tmp_path_factory.mktemp("reference")
    path = write_jsonl(folder / "train.jsonl", semantic_set())
    report = lint(path, lexical_config(folder / "unused", no_cache=True))
    embedding_codes = {"D003", "L003", "L004"}  # findings that come from embeddings
    assert embedding_codes & {f.code for f in report.findings}, "the set must exercise the embedding cache"
    return path, findings_of(report)


@pytest.mark.parametrize("damage", ["garbage", "truncated-database", "empty-file"])
def test_a_damaged_cache_file_is_set_aside_and_results_stay_correct(tmp_path, reference, capsys, damage):
    from dslint import lint

    path, expected = reference
    cache_dir = tmp_path / "cache"
    assert findings_of(lint(path, lexical_config(cache_dir))) == expected  # fills the cache
    db_file = cache_dir / CACHE_FILE
    if damage == "garbage":
        db_file.write_bytes(os.urandom(3000))
    elif damage == "truncated-database":
        size = db_file.stat().st_size
        with open(db_file, "r+b") as fh:
            fh.truncate(size // 3)
        for suffix in ("-wal", "-shm"):
            Path(str(db_file) + suffix).unlink(missing_ok=True)
    else:
        db_file.write_bytes(b"")
    capsys.readouterr()
    assert findings_of(lint(path, lexical_config(cache_dir))) == expected
    err = capsys.readouterr().err
    assert "Traceback" not in err
    if damage != "empty-file":  # SQLite takes an empty file for a new database: nothing to report
        assert "is damaged" in err and (cache_dir / f"{CACHE_FILE}.damaged").exists()
    assert findings_of(lint(path, lexical_config(cache_dir))) == expected  # and the cache works again after
    assert "damaged" not in capsys.readouterr().err


def test_a_garbage_cache_file_is_replaced_with_a_warning(tmp_path, capsys):
    (tmp_path / CACHE_FILE).write_bytes(b"this is not an sqlite database" * 100)
    cache = open_cache(Config(cache_dir=str(tmp_path)))
    assert cache is not None
    assert "damaged" in capsys.readouterr().err
    assert (tmp_path / f"{CACHE_FILE}.damaged").exists()
    embedder = CountingEmbedder()
    embed_texts(["x", "y"], embedder, cache)
    assert embed_texts(["x", "y"], CountingEmbedder(), cache).shape == (2, 8)
    assert len(cache_rows(tmp_path)) == 2


def test_an_unusable_cache_folder_disables_the_cache_with_a_warning(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("a file where the cache folder should be")
    assert open_cache(Config(cache_dir=str(blocker))) is None
    assert "cache disabled" in capsys.readouterr().err


def test_a_cache_failing_mid_run_costs_time_not_answers(tmp_path, capsys):
    cache = EmbeddingCache(str(tmp_path))
    cache._db.close()  # every later query fails, as it would on a disk error
    embedder = CountingEmbedder()
    got = embed_texts(["a", "b", "a"], embedder, cache)
    assert got.shape == (3, 8) and sorted(embedder.encoded) == ["a", "b"]
    assert "continuing without it" in capsys.readouterr().err


# ---- stale vectors: the key covers model and options ---------------------------------------------------------------

def test_a_model_or_option_change_never_serves_stale_vectors(tmp_path):
    cache = EmbeddingCache(str(tmp_path))
    texts = ["same text", "another text"]
    old = embed_texts(texts, CountingEmbedder("model-a", seed=1), cache)
    new_model = CountingEmbedder("model-b", seed=2)
    new = embed_texts(texts, new_model, cache)
    assert new_model.encoded == texts and not np.allclose(old, new)
    assert LexicalEmbedder(512).id != LexicalEmbedder(1024).id
    assert embed_texts(texts, LexicalEmbedder(512), cache).shape == (2, 512)
    assert embed_texts(texts, LexicalEmbedder(1024), cache).shape == (2, 1024)


def test_model_weights_replaced_in_place_change_the_cache_key(tmp_path, monkeypatch):
    class FakeSentenceTransformer:
        max_seq_length = 128

        def __init__(self, path, device="cpu"):
            if not Path(path).is_dir():
                raise OSError(f"{path} is not a model folder")

    monkeypatch.setitem(sys.modules, "sentence_transformers",
                        types.SimpleNamespace(SentenceTransformer=FakeSentenceTransformer))
    folder = tmp_path / "my-model"
    folder.mkdir()
    weights = folder / "model.safetensors"
    weights.write_bytes(b"weights v1")
    first = SentenceTransformerEmbedder(str(folder)).id
    assert SentenceTransformerEmbedder(str(folder)).id == first  # stable while nothing changes
    weights.write_bytes(b"weights v2, retrained")
    assert SentenceTransformerEmbedder(str(folder)).id != first
    before = model_fingerprint(str(folder))
    os.utime(weights, ns=(1, 1))  # same size, other mtime: a copy over the old file
    assert model_fingerprint(str(folder)) != before
    # The truncation length lives in the folder's sentence_bert_config.json: changing it changes the key too.
    before_config = SentenceTransformerEmbedder(str(folder)).id
    (folder / "sentence_bert_config.json").write_text('{"max_seq_length": 256}')
    assert SentenceTransformerEmbedder(str(folder)).id != before_config


# ---- concurrency: real processes on one cache ----------------------------------------------------------------------

def _run_dslint_processes(workdir: Path, data: Path, count: int) -> list[subprocess.CompletedProcess]:
    env = {**os.environ, "DSLINT_CACHE_DIR": str(workdir / "shared-cache"), "DSLINT_QUIET": "1"}
    cmd = [sys.executable, "-m", "dslint", "check", str(data), "--select", "D,L", "--output-format", "json",
           "--exit-zero"]
    procs = [subprocess.Popen(cmd, cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(count)]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=600)
        results.append(subprocess.CompletedProcess(cmd, p.returncode, out, err))
    return results


@pytest.mark.slow
def test_concurrent_processes_on_one_cache_agree_with_an_uncached_run(tmp_path, reference):
    path, expected = reference
    (tmp_path / "dslint.toml").write_text('embedding-model = "lexical"\n')
    data = write_jsonl(tmp_path / "train.jsonl", [json.loads(line) for line in path.read_text().splitlines()])
    for round_ in ("cold cache", "warm cache"):
        results = _run_dslint_processes(tmp_path, data, count=3)
        for r in results:
            assert r.returncode == 0, (round_, r.stderr)
            assert "Traceback" not in r.stderr and "cache" not in r.stderr, (round_, r.stderr)
        reports = [json.loads(r.stdout) for r in results]
        got = [sorted((f["code"], f["record"], f["line"], f["message"]) for f in rep["findings"]) for rep in reports]
        assert got[0] == got[1] == got[2], round_
        assert [tuple(f) for f in got[0]] == expected, round_
    assert cache_rows(tmp_path / "shared-cache")  # the cache was really shared and filled


def test_concurrent_writers_never_corrupt_entries(tmp_path):
    script = (
        "import sys, numpy as np\n"
        "from dslint.cache import EmbeddingCache\n"
        "cache = EmbeddingCache(sys.argv[1])\n"
        "for round_ in range(40):\n"
        "    texts = [f't{(round_ * 7 + i) % 120}' for i in range(30)]\n"
        "    vecs = {t: np.full(16, int(t[1:]), np.float32) for t in texts}\n"
        "    cache.put_many('writer', vecs)\n"
        "    got = cache.get_many('writer', texts)\n"
        "    assert all(np.array_equal(got[t], vecs[t]) for t in got), 'a wrong vector was served'\n"
        "print('ok', cache.hits)\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(3)]
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0 and out.startswith("ok"), err
    rows = cache_rows(tmp_path)
    assert len(rows) == 120
    assert all(zlib.crc32(vec) == crc and len(vec) == dim * 4 for _, dim, crc, vec in rows)
