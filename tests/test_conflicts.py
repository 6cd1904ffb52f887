"""L002, L003, L004: conflicting targets for the same or a near-identical prompt, and outliers."""

from __future__ import annotations

import numpy as np
import pytest

import dslint
from dslint.artifacts import Neighbors
from dslint.checks.conflicts import (
    ConflictingTargetCheck,
    OutlierCheck,
    SemanticConflictCheck,
    group_conflicts,
    similar_groups,
)
from dslint.checks.labels import find_labels
from dslint.config import Config
from dslint.errors import SkipCheck
from dslint.model import Finding, Metric

from conftest import chat, make_records


def run(check, **artifacts) -> tuple[list[Finding], dict]:
    out = list(check.run(**artifacts))
    return [f for f in out if isinstance(f, Finding)], {m.name: m.value for m in out if isinstance(m, Metric)}


def exact(rows: list[dict]) -> tuple[list[Finding], dict]:
    records = make_records(rows)
    return run(ConflictingTargetCheck(), records=records, label_data=find_labels(records))


# ---- L002 ----------------------------------------------------------------------------------------------------

def test_same_prompt_different_answer_flags_the_minority():
    rows = [chat("Is 17 prime?", "Yes."), chat("is 17  PRIME?", "No."), chat("Is 17 prime?", "yes"),
            chat("What is 2+2?", "4")]
    findings, metrics = exact(rows)
    assert [f.location.record for f in findings] == [1]
    f = findings[0]
    assert f.code == "L002" and f.location.line == 2
    assert f.related == (0, 2)
    assert f.details["majority"] == "Yes." and f.details["given"] == "No."
    assert f.details["kept"] == 0 and f.details["group_size"] == 3
    assert "target 'No.' differs from 'Yes.'" in f.message and "2 of 3 agree" in f.message
    assert metrics["L.conflict_share"] == 0.25


def test_a_tie_goes_to_the_answer_seen_first():
    findings, _ = exact([chat("capital of Australia?", "Sydney"), chat("capital of Australia?", "Canberra")])
    assert [f.location.record for f in findings] == [1]
    assert "1 of 2 agree" in findings[0].message


@pytest.mark.parametrize("a, b", [("Paris", "paris."), ("Paris.", " Paris "), ("Ｐａｒｉｓ", "Paris")])
def test_answers_equal_after_normalisation_do_not_conflict(a, b):
    findings, metrics = exact([chat("Capital of France?", a), chat("Capital of France?", b)])
    assert findings == [] and metrics["L.conflict_share"] == 0.0


def test_classification_conflict_compares_labels():
    rows = [{"text": "where is my card", "label": "card_arrival"}, {"text": "Where is my card", "label": "lost_card"},
            {"text": "where is my card", "label": "card_arrival"}, {"text": "other", "label": "x"}]
    findings, _ = exact(rows)
    (f,) = findings
    assert f.location.record == 1 and f.location.field == "label"
    assert "label 'lost_card' differs from 'card_arrival'" in f.message


def test_group_conflicts_ignores_records_without_an_answer():
    assert group_conflicts([[0, 1, 2]], ["a", None, "a"]) == []
    (c,) = group_conflicts([[0, 1, 2]], ["a", "b", None])
    assert c.position == 1 and c.group == (0, 1)


# ---- L003 -----------------------------------------------------------------------------------------------------

def fake_embeddings(groups: list[int]) -> np.ndarray:
    """Records in the same group get almost the same unit vector; different groups are orthogonal."""
    rng = np.random.default_rng(0)
    base = np.eye(max(groups) + 1, 16, dtype=np.float32)
    vecs = base[groups] + rng.normal(0, 0.01, (len(groups), 16)).astype(np.float32)
    return vecs / np.linalg.norm(vecs, axis=1, keepdims=True)


def prompt_graph(emb: np.ndarray) -> Neighbors:
    from dslint.knn import knn

    return knn(emb, emb, Config().neighbors_k, exclude_self=True)


def test_near_identical_prompts_with_different_labels():
    rows = [{"text": "How do I top up my card?", "label": "top_up"},
            {"text": "How can I top up my card?", "label": "top_up"},
            {"text": "how can i top up my card", "label": "card_linking"},
            {"text": "How do I top up my card?", "label": "card_linking"},  # exact: L002's, not reported here
            {"text": "What is the exchange rate?", "label": "exchange_rate"}]
    records = make_records(rows)
    findings, metrics = run(SemanticConflictCheck(), records=records, label_data=find_labels(records),
                            prompt_neighbors=prompt_graph(fake_embeddings([0, 0, 0, 0, 1])))
    assert [f.location.record for f in findings] == [2]
    assert findings[0].related == (0, 1, 3) and "near-identical prompt" in findings[0].message
    assert metrics["L.semantic_conflict_share"] == 0.4  # both minority records count in the share


def test_similarity_threshold_is_an_option():
    records = make_records([{"text": "a", "label": "x"}, {"text": "b", "label": "y"}])
    emb = np.array([[1, 0], [0.9, np.sqrt(1 - 0.81)]], dtype=np.float32)  # cosine 0.9
    args = dict(records=records, label_data=find_labels(records), prompt_neighbors=prompt_graph(emb))
    assert run(SemanticConflictCheck(), **args)[0] == []
    loose = SemanticConflictCheck(SemanticConflictCheck.Options(threshold=0.85))
    assert [f.location.record for f in run(loose, **args)[0]] == [1]


def test_similar_groups_are_connected_components():
    idx = np.array([[1, 2], [0, 2], [3, 0], [2, 1]])
    sims = np.array([[0.99, 0.1], [0.99, 0.2], [0.97, 0.1], [0.97, 0.1]])
    assert sorted(similar_groups(idx, sims, 0.95)) == [[0, 1], [2, 3]]
    assert similar_groups(idx, sims, 0.98) == [[0, 1]]


def test_prompt_graph_is_the_text_graph_when_every_text_is_its_prompt():
    from dslint.artifacts import Artifacts

    cls = make_records([{"text": "a", "label": "x"}, {"text": "b", "label": "y"}, {"text": "c", "label": "x"}])
    store = Artifacts({"records": cls, "config": Config(), "embeddings": fake_embeddings([0, 0, 1])})
    assert store.get("prompt_neighbors") is store.get("neighbors")  # one search, no prompt embeddings
    assert not store.computed("prompt_embeddings")
    rows = [chat("same question", "one answer"), chat("same question", "another answer"), chat("other", "x")]
    store = Artifacts({"records": make_records(rows), "config": Config(), "embeddings": fake_embeddings([0, 1, 2]),
                       "prompt_embeddings": fake_embeddings([0, 0, 1])})
    graph = store.get("prompt_neighbors")
    assert graph.indices[0, 0] == 1 and graph.similarities[0, 0] > 0.99  # searched on the prompts, not the texts
    assert not store.computed("neighbors")


# ---- L004 -----------------------------------------------------------------------------------------------------

PROSE = [
    "My package arrived damaged and I would like a replacement.", "The delivery was late by three days.",
    "Can I change the shipping address on my order?", "I was charged twice for the same order.",
    "How long does a refund usually take?", "The item I received is not what I ordered.",
    "Please cancel my order before it ships.", "My tracking number does not work.",
    "I want to return a pair of shoes that do not fit.", "Do you ship to Canada?",
]


def test_junk_records_are_outliers_in_a_prose_set():
    rows = [chat(f"{PROSE[i % 10]} (ticket {i})", "Sorry about that, we will sort it out for you today.")
            for i in range(40)]
    rows.insert(17, chat("<div class='nav'><a href='/'>Home</a> | <a href='/x'>x</a></div>", "</div></div>"))
    rows.insert(30, chat("Lorem ipsum dolor sit amet, consectetur adipiscing elit", "sed do eiusmod tempor"))
    report = dslint.lint(rows, Config(select=["L004"], embedding_model="lexical"))
    assert sorted(f.location.record for f in report.findings) == [17, 30]
    assert report.metrics["L.outlier_share"] == round(2 / 42, 4)


def test_outliers_from_injected_neighbours():
    n = 30
    idx = np.array([[(i + 1) % n, (i + 2) % n] for i in range(n)])
    sims = np.full((n, 2), 0.8, dtype=np.float32)
    sims[5] = [0.1, 0.05]
    records = make_records([{"text": f"t{i}", "label": "a"} for i in range(n)])
    findings, _ = run(OutlierCheck(), records=records, neighbors=Neighbors(idx, sims))
    assert [f.location.record for f in findings] == [5]
    assert findings[0].details["mean_similarity"] == pytest.approx(0.075)
    assert "mean cosine 0.07" in findings[0].message or "mean cosine 0.08" in findings[0].message


def test_outliers_skip_tiny_sets():
    records = make_records([{"text": "t", "label": "a"}] * 5)
    with pytest.raises(SkipCheck, match="at least 20"):
        run(OutlierCheck(), records=records, neighbors=Neighbors(np.zeros((5, 1), int), np.ones((5, 1))))
