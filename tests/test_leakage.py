"""Train/eval leakage (D005-D008): findings on the training record, naming the eval record; skipped without eval."""

from __future__ import annotations

from dslint import lint
from dslint.config import Config
from tests.conftest import write_jsonl

PASSAGE = ("the river rises in the northern hills and flows for three hundred miles through farmland before it "
           "reaches the sea at the old port town")


def pc(prompt: str, completion: str = "ok") -> dict:
    return {"prompt": prompt, "completion": completion}


def sets(tmp_path):
    train = [pc(f"Distinct training question number {k} on subject {k * 31}?", f"answer {k}") for k in range(12)]
    train += [
        pc("What is the capital of Australia?", "Canberra, not Sydney."),  # line 13: exact prompt leak
        pc("Summarise: " + PASSAGE + " and more words follow here", "A river."),  # line 14: 13-gram overlap
        pc("Please kindly list the three primary colours of paint and name the warmest one of them", "Red."),  # line 15: near leak
    ]
    evals = [pc("what is the  capital of Australia?", "Canberra"), pc("Where does the river go? " + PASSAGE, "sea"),
             pc("Please kindly list the three primary colors of paint and name the warmest one of them", "Red."), pc("Unrelated eval item", "x")]
    return write_jsonl(tmp_path / "train.jsonl", train), write_jsonl(tmp_path / "eval.jsonl", evals)


def test_each_leaked_training_record_is_reported_once_at_error_level_with_the_eval_location(tmp_path):
    train, evals = sets(tmp_path)
    report = lint(str(train), Config(select=["D005", "D006", "D008"], fast=True), eval=str(evals))
    got = {f.location.line: f for f in report.findings}
    assert {line: f.code for line, f in got.items()} == {13: "D005", 14: "D008", 15: "D006"}
    assert all(str(f.severity) == "error" for f in got.values())
    assert got[13].details["eval_line"] == 1 and got[13].details["eval_path"] == str(evals)
    assert f"{evals}:1" in got[13].message
    assert "flows for three hundred miles" in got[14].message and got[14].details["shared_ngrams"] >= 1
    assert got[15].details["eval_line"] == 3 and got[15].details["similarity"] >= 0.8
    assert report.metrics["D.leaked_records"] == 3
    assert not report.verdict.gate_passed


def test_ngram_length_is_an_option(tmp_path):
    train, evals = sets(tmp_path)
    cfg = Config(select=["D008"], checks={"eval-overlap": {"ngram": 40}}, fast=True)
    assert lint(str(train), cfg, eval=str(evals)).findings == []


def test_semantic_leak_with_the_lexical_embedder_and_tiering(tmp_path):
    train, evals = sets(tmp_path)
    cfg = Config(select=["D005", "D006", "D007", "D008"], embedding_model="lexical",
                 checks={"eval-semantic-overlap": {"threshold": 0.6}})
    report = lint(str(train), cfg, eval=str(evals))
    codes = {f.location.line: f.code for f in report.findings}
    assert codes[13] == "D005" and codes[14] == "D008" and codes[15] == "D006"  # not also reported as D007
    assert all(f.location.path == str(train) for f in report.findings)


def test_without_an_eval_set_the_leakage_checks_are_skipped_with_a_reason(tmp_path):
    train, _ = sets(tmp_path)
    report = lint(str(train), Config(select=["D005", "D006", "D008"], fast=True))
    assert report.findings == []
    assert {s.check for s in report.skipped} == {"eval-overlap", "eval-near-overlap"}
    assert all("--eval" in s.reason for s in report.skipped)
