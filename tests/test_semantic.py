"""Semantic near-duplicates (D003): clustering over the shared kNN graph, tiering after D001/D002, engine runs."""

from __future__ import annotations

import numpy as np
import pytest

from dslint import lint
from dslint.artifacts import Neighbors
from dslint.checks.semantic import SemanticDuplicatesCheck
from dslint.config import Config
from dslint.knn import knn
from dslint.model import Finding, Location, Severity
from tests.conftest import make_records, write_jsonl


def unit(*rows: list[float]) -> np.ndarray:
    m = np.array(rows, dtype=np.float32)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


def prompts(*texts: str, label: str | None = None):
    if label is None:
        return make_records([{"prompt": t, "completion": "same answer"} for t in texts])
    return make_records([{"text": t, "label": label} for t in texts])


def d002(record: int, kept: int) -> Finding:
    return Finding("D002", "dup", Severity.WARNING, Location("test.jsonl", record, record + 1),
                   details={"cluster": kept, "kept": kept, "cluster_size": 2})


def run(records, vectors, prior=(), threshold=0.95):
    neighbors = knn(vectors, vectors, 3, exclude_self=True)
    check = SemanticDuplicatesCheck(SemanticDuplicatesCheck.Options(threshold=threshold))
    out = list(check.run(records=records, neighbors=neighbors, prior_findings=list(prior)))
    return [f for f in out if isinstance(f, Finding)], {m.name: m.value for m in out if not isinstance(m, Finding)}


def test_records_above_the_cosine_threshold_form_a_cluster_and_the_first_is_kept():
    records = prompts("a", "b", "c", "d")
    vectors = unit([1, 0, 0], [0, 1, 0], [0.99, 0.05, 0], [0.98, 0.0, 0.1])
    found, metrics = run(records, vectors)
    assert [(f.location.record, f.details["kept"], f.details["cluster_size"]) for f in found] == [(2, 0, 3), (3, 0, 3)]
    assert all(f.score >= 0.95 and "cosine" in f.message for f in found)
    assert metrics["D.duplicate_rate"] == pytest.approx(0.5)


def test_threshold_is_absolute():
    records = prompts("a", "b")
    vectors = unit([1, 0], [0.93, 0.37])  # cosine ~0.929
    assert run(records, vectors)[0] == []
    assert len(run(records, vectors, threshold=0.9)[0]) == 1


def test_records_an_earlier_tier_drops_are_left_to_it_and_link_through_their_kept_record():
    records = prompts("x", "x copy", "y")
    vectors = unit([1, 0], [1, 0], [0.999, 0.04])
    found, metrics = run(records, vectors, prior=[d002(1, 0)])
    assert run(prompts("x", "x", "y"), vectors)[0][0].details["kept"] == 0  # exact copies: left to D001 as well
    assert [(f.location.record, f.details["kept"]) for f in found] == [(2, 0)]
    assert metrics["D.duplicate_rate"] == pytest.approx(2 / 3)


def test_different_labels_are_never_merged():
    records = make_records([{"text": "great film", "label": "pos"}, {"text": "great film!", "label": "neg"}])
    assert run(records, unit([1, 0], [1, 0.01]))[0] == []


def test_engine_with_the_lexical_embedder_and_skip_under_fast(tmp_path):
    rng = np.random.default_rng(3)
    vocab = ["river", "planet", "violin", "harbour", "quartz", "tiger", "lemon", "orbit", "canyon", "pixel",
             "glacier", "sonnet", "falcon", "copper", "meadow", "vector", "saddle", "ember", "tundra", "lotus"]
    rows = [{"prompt": " ".join(rng.choice(vocab, 8)), "completion": " ".join(rng.choice(vocab, 4))}
            for _ in range(20)]
    rows.append({"prompt": rows[4]["prompt"] + "?", "completion": rows[4]["completion"] + "."})
    path = write_jsonl(tmp_path / "t.jsonl", rows)
    report = lint(str(path), Config(select=["D003"], embedding_model="lexical"))
    assert [(f.code, f.location.line, f.details["kept"]) for f in report.findings] == [("D003", 21, 4)]
    fast = lint(str(path), Config(select=["D003"], embedding_model="lexical", fast=True))
    assert fast.findings == [] and [s.check for s in fast.skipped] == ["semantic-duplicates"]


def test_approximate_index_above_the_exact_limit_finds_planted_copies(monkeypatch):
    import dslint.knn as knn_module

    rng = np.random.default_rng(0)
    base = rng.normal(size=(400, 32)).astype(np.float32)
    vectors = np.concatenate([base, base[:20] + 0.01 * rng.normal(size=(20, 32)).astype(np.float32)])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    monkeypatch.setattr(knn_module, "EXACT_SEARCH_MAX", 100)
    approx = knn_module.knn(vectors, vectors, 5, exclude_self=True)
    assert all(approx.indices[400 + k, 0] == k for k in range(20))
    assert Neighbors is type(approx)


@pytest.mark.model
def test_real_model_finds_a_reworded_copy_at_the_default_threshold_and_nothing_else(tmp_path):
    rows = [{"prompt": "What is the boiling point of water at sea level?", "completion": "100 degrees Celsius."},
            {"prompt": "Name the largest planet in the solar system.", "completion": "Jupiter."},
            {"prompt": "Who wrote the play Hamlet?", "completion": "William Shakespeare."},
            {"prompt": "Translate 'thank you' into Spanish.", "completion": "Gracias."},
            {"prompt": "At sea level, what is the boiling point of water?", "completion": "100 degrees Celsius."}]
    path = write_jsonl(tmp_path / "t.jsonl", rows)
    report = lint(str(path), Config(select=["D003"]))
    if report.skipped:
        pytest.skip(report.skipped[0].reason)
    assert [(f.code, f.location.line, f.details["kept"]) for f in report.findings] == [("D003", 5, 0)]
    assert report.findings[0].score >= 0.95
