"""Embedders: lexical vectors are normalised, deterministic and lexical; the config picks the embedder."""

from __future__ import annotations

import numpy as np

from dslint.config import Config
from dslint.embed import LexicalEmbedder, load_embedder


def test_lexical_embedder_is_normalised_deterministic_and_lexical():
    emb = LexicalEmbedder()
    v = emb.encode(["the cat sat on the mat", "the cat sat on the mat!", "quantum chromodynamics"])
    assert v.dtype == np.float32 and np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert float(v[0] @ v[1]) > 0.9 > float(v[0] @ v[2])
    assert np.array_equal(v, emb.encode(["the cat sat on the mat", "the cat sat on the mat!",
                                         "quantum chromodynamics"]))
    assert isinstance(load_embedder(Config(embedding_model="lexical")), LexicalEmbedder)
