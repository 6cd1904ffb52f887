"""Exact duplicates, repeated prompts (D001, D004) and lexical near-duplicates (D002): unit and engine tests."""

from __future__ import annotations

import random

import numpy as np
import pytest

from dslint import lint
from dslint.checks.duplicates import (ExactDuplicatesCheck, MinHashes, NearDuplicatesCheck, band_params,
                                      candidate_pairs, jaccard, lsh_threshold, minhash_signatures, plausible_pairs,
                                      shingle_sets, shingles)
from dslint.config import Config
from tests.conftest import chat, make_records, write_jsonl


def alpaca(instruction: str, output: str, extra: str = "") -> dict:
    return {"instruction": instruction, "input": extra, "output": output}


def run_exact(values, **options):
    records = make_records(values)
    return records, list(ExactDuplicatesCheck(ExactDuplicatesCheck.Options(**options)).run(records=records))


def findings(results, code):
    return [r for r in results if getattr(r, "code", None) == code]


def metric(results, name):
    return next(r.value for r in results if getattr(r, "name", None) == name)


# ---- exact -------------------------------------------------------------------------------------------------------

def test_copies_after_normalisation_are_reported_on_every_copy_but_the_first():
    values = [alpaca("Name a primary colour.", "Red."), alpaca("Say hi.", "Hi!"),
              alpaca("name a  primary\u00a0colour. ", "red."), alpaca("Name a primary colour.", "Red.")]
    _, results = run_exact(values)
    d001 = findings(results, "D001")
    assert [f.location.record for f in d001] == [2, 3]
    assert all(f.details == {"cluster": 0, "kept": 0, "cluster_size": 3, "match": 0, "similarity": 1.0}
               for f in d001)
    assert d001[0].related == (0, 3)
    assert "line 1" in d001[0].message
    assert metric(results, "D.duplicate_rate") == pytest.approx(0.5)


def test_casefold_can_be_turned_off():
    _, results = run_exact([alpaca("Hello", "World"), alpaca("hello", "world")], casefold=False)
    assert findings(results, "D001") == []


def test_same_text_with_different_labels_is_not_a_duplicate():
    values = [{"text": "great movie", "label": "pos"}, {"text": "great movie", "label": "neg"},
              {"text": "great movie", "label": "pos"}]
    _, results = run_exact(values)
    assert [f.location.record for f in findings(results, "D001")] == [2]
    assert findings(results, "D004") == []  # one text with two labels is a label conflict, not a repeated prompt


def test_repeated_prompt_with_different_answers_is_its_own_rule_and_exact_copies_are_not_counted_twice():
    values = [alpaca("What is up?", "Not much."), alpaca("what is up?", "All good."),
              alpaca("What is up?", "Not much."), alpaca("Other", "x")]
    _, results = run_exact(values)
    assert [f.location.record for f in findings(results, "D001")] == [2]
    d004 = findings(results, "D004")
    assert [(f.location.record, f.details["kept"], f.details["cluster_size"]) for f in d004] == [(1, 0, 2)]


def sharegpt(*turns: str) -> dict:
    return {"conversations": [{"from": "human" if k % 2 == 0 else "gpt", "value": t} for k, t in enumerate(turns)]}


def test_opening_prompt_of_conversations_is_compared_by_default_and_full_prompt_on_request():
    values = [sharegpt("What is up?", "Hello!", "Who are you?", "I am Vicuna."),
              sharegpt("What is up?", "Hello!", "What is your name?", "Vicuna."),
              sharegpt("Who are you?", "I am Vicuna.")]
    _, first_turn = run_exact(values)
    assert [(f.location.record, f.details["cluster_size"]) for f in findings(first_turn, "D004")] == [(1, 2)]
    _, full = run_exact(values, prompt_view="full")
    assert findings(full, "D004") == []


def test_suppressing_d001_on_a_copy_does_not_make_it_reappear_as_a_near_duplicate(tmp_path):
    rows = [chat("How many legs does a spider have?", "Eight."), chat("Largest planet?", "Jupiter.")]
    rows.append({**chat("How many legs does a spider have?", "Eight."), "_dslint_noqa": ["D001"]})
    report = lint(str(write_jsonl(tmp_path / "t.jsonl", rows)), Config(select=["D"], fast=True))
    assert [f.code for f in report.findings] == [] and report.suppressed == 1


def test_bad_prompt_view_is_a_config_error(tmp_path, run_cli):
    data = write_jsonl(tmp_path / "d.jsonl", [chat("a", "b")])
    (tmp_path / "dslint.toml").write_text('[checks.exact-duplicates]\nprompt-view = "last"\n')
    result = run_cli("check", str(data), "--select", "D001", cwd=tmp_path)
    assert result.code == 2 and "prompt-view" in result.err


# ---- shingles, MinHash, LSH ----------------------------------------------------------------------------------------

def test_shingles_are_deterministic_normalised_and_handle_short_and_empty_text():
    assert np.array_equal(shingles("Hello  World"), shingles("hello world"))
    assert len(shingles("")) == 0 and len(shingles("abc")) == 1
    assert jaccard(shingles("the quick brown fox"), shingles("the quick brown fox")) == 1.0
    assert jaccard(shingles("abcdefgh"), shingles("zyxwvuts")) == 0.0


def reference_signature(text: str, k: int = 128) -> list[int]:
    """One-permutation MinHash with optimal densification, written out one shingle and one bin at a time."""
    from dslint.checks.duplicates import _probe_orders

    empty = 2**32 - 1
    bins = [empty] * k
    for h in shingles(text).tolist():
        bins[(h >> 32) % k] = min(bins[(h >> 32) % k], h & 0xFFFFFFFF)
    if all(v == empty for v in bins):
        return bins
    order = _probe_orders(k, 1)
    return [v if v != empty else next(bins[b] for b in order[:, j].tolist() if bins[b] != empty)
            for j, v in enumerate(bins)]


def test_bulk_signatures_equal_the_definition_for_short_long_empty_and_huge_texts():
    rng = random.Random(5)
    texts = ["", "abc", "Hello  World", "y" * 150_000, "z" * 3_000_000] + [
        " ".join(str(rng.random()) for _ in range(rng.randint(1, 30))) for _ in range(500)]
    sig = minhash_signatures(texts)
    for i, text in enumerate(texts):
        assert sig[i].tolist() == reference_signature(text), i


def test_bulk_shingle_sets_equal_shingles_one_by_one():
    rng = random.Random(6)
    texts = ["", "ab", "aaaaaaaaaa", "Hello  World"] + [" ".join(f"w{rng.randrange(50)}" for _ in range(40))
                                                       for _ in range(200)]
    for text, got in zip(texts, shingle_sets(texts)):
        assert np.array_equal(got, shingles(text))


def test_densified_signatures_estimate_jaccard_of_short_texts_without_bias():
    rng = random.Random(7)
    pairs = []
    for _ in range(300):
        words = [f"{rng.randrange(1000)}" for _ in range(8)]
        pairs.append((" ".join(words), " ".join(words[:6] + ["x", "y"])))
    sig = minhash_signatures([t for pair in pairs for t in pair])
    estimates = (sig[0::2] == sig[1::2]).mean(axis=1)
    exact = [jaccard(shingles(a), shingles(b)) for a, b in pairs]
    assert float(np.mean(estimates)) == pytest.approx(float(np.mean(exact)), abs=0.02)


def test_plausible_pairs_drop_only_candidates_estimated_far_below_the_threshold():
    sig = np.zeros((3, 10), dtype=np.uint32)
    sig[1, :6] = 1  # agrees with record 0 on 4 of 10 bins: estimate 0.4
    sig[2, :1] = 1  # estimates: 0.9 with record 0, 0.5 with record 1
    assert plausible_pairs(sig, [(0, 1), (0, 2), (1, 2)], 0.8) == [(0, 2), (1, 2)]  # kept from 0.8 - 0.3 up
    assert plausible_pairs(sig, [(1, 2), (0, 2)], 0.9) == [(0, 2)]


def test_minhash_estimates_jaccard():
    rng = random.Random(0)
    words = [f"w{rng.randrange(10_000)}" for _ in range(400)]
    a, b = " ".join(words), " ".join(words[:300] + [f"x{k}" for k in range(100)])
    sig = minhash_signatures([a, b])
    estimate = float(np.mean(sig[0] == sig[1]))
    assert estimate == pytest.approx(jaccard(shingles(a), shingles(b)), abs=0.12)


def test_banded_candidates_match_datasketch_minhash_lsh_with_the_same_bands():
    from datasketch import LeanMinHash, MinHashLSH

    rng = random.Random(1)
    base = [" ".join(f"t{rng.randrange(500)}" for _ in range(40)) for _ in range(60)]
    texts = base + [t.replace("t1", "q1", 2) for t in base[:30]]
    sig = minhash_signatures(texts)
    ours = set(candidate_pairs(sig, range(len(texts)), 0.8))
    lsh = MinHashLSH(num_perm=sig.shape[1], params=band_params(lsh_threshold(0.8)))
    for i, s in enumerate(sig):
        lsh.insert(i, LeanMinHash(seed=1, hashvalues=s, scheme="affine32"))
    theirs = {(min(i, j), max(i, j)) for j, s in enumerate(sig)
              for i in lsh.query(LeanMinHash(seed=1, hashvalues=s, scheme="affine32")) if i != j}
    assert ours == theirs and len(ours) >= 30


def test_near_duplicates_are_found_verified_and_clustered():
    rng = random.Random(2)
    originals = [" ".join(rng.choice(["alpha", "beta", "gamma", "delta", "omega", "sigma", "kappa", "zeta"])
                          + str(rng.randrange(100)) for _ in range(30)) for _ in range(50)]
    values = [{"prompt": t, "completion": "ok"} for t in originals]
    values.append({"prompt": originals[3] + " !", "completion": "ok"})  # near copy of 3
    values.append({"prompt": originals[3].upper(), "completion": "ok"})  # exact after casefold: D001's business
    values.append({"prompt": originals[10] + " extra words here", "completion": "ok"})
    records = make_records(values)
    hashes = MinHashes(minhash_signatures([r.text for r in records]), [r.text for r in records])
    results = list(NearDuplicatesCheck().run(records=records, minhash=hashes))
    d002 = {f.location.record: f for f in findings(results, "D002")}
    assert set(d002) == {50, 52}
    assert d002[50].details["kept"] == 3 and d002[50].details["similarity"] >= 0.8
    assert d002[52].details["kept"] == 10
    assert "Jaccard" in d002[50].message
    assert metric(results, "D.duplicate_rate") == pytest.approx(3 / 53, abs=1e-6)  # the exact copy counts too


def test_near_duplicate_threshold_is_an_option():
    records = make_records([{"prompt": "the cat sat on the mat today", "completion": ""},
                            {"prompt": "the cat sat on the mat yesterday", "completion": ""}])
    hashes = MinHashes(minhash_signatures([r.text for r in records]), [r.text for r in records])
    score = jaccard(shingles(records[0].text), shingles(records[1].text))
    low = NearDuplicatesCheck(NearDuplicatesCheck.Options(threshold=score - 0.01))
    high = NearDuplicatesCheck(NearDuplicatesCheck.Options(threshold=score + 0.01))
    assert len(findings(list(low.run(records=records, minhash=hashes)), "D002")) == 1
    assert findings(list(high.run(records=records, minhash=hashes)), "D002") == []


# ---- through the engine --------------------------------------------------------------------------------------------

def test_engine_reports_each_dropped_record_once_and_the_gate_budget_caps_the_rate(tmp_path):
    rows = [chat(f"Question number {k} about topic {k * 7}?", f"Answer {k}.") for k in range(40)]
    rows += [chat("Question number 3 about topic 21?", "Answer 3.")] * 3  # exact copies of row 3
    rows.append(chat("Question number 5 about topic 35??", "Answer 5."))  # near copy of row 5
    path = write_jsonl(tmp_path / "train.jsonl", rows)
    report = lint(str(path), Config(select=["D001", "D002", "D004"], fast=True))
    dropped = {f.location.line: f.code for f in report.findings}
    assert dropped == {41: "D001", 42: "D001", 43: "D001", 44: "D002"}
    assert report.findings[-1].details["kept"] == 5
    assert report.metrics["D.duplicate_rate"] == pytest.approx(4 / 44, abs=1e-6)
    assert report.verdict.gate_passed
    capped = lint(str(path), Config(select=["D001", "D002"], gate={"D": {"max-ratio": 0.05}}, fast=True))
    assert not capped.verdict.gate_passed
    assert any("max-ratio" in reason for reason in capped.verdict.gate_reasons)
