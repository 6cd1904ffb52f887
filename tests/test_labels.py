"""L001, L005, L006: label mode, likely label errors with planted flips, rare labels, the noise-amplification gate."""

from __future__ import annotations

import random
import subprocess
import sys

import numpy as np
import pytest

import dslint
from dslint.checks.labels import (
    LABEL_FIELD,
    NONE,
    TARGET,
    LabelData,
    LabelErrorCheck,
    LabelSummaryCheck,
    NoiseAmplificationCheck,
    PredProbs,
    find_labels,
    out_of_fold,
)
from dslint.config import Config
from dslint.errors import SkipCheck
from dslint.model import Finding, Metric, Severity

from conftest import chat, make_records

TOPICS = {
    "sports": "football match goal team player coach league score stadium referee",
    "weather": "rain forecast cloudy sunny temperature storm wind snow humidity",
    "food": "pizza recipe cheese oven pasta sauce garlic salad dessert bake",
    "travel": "flight airport hotel passport luggage train ticket booking beach",
}


def topic_set(per_class: int = 30, flips: int = 0, seed: int = 0) -> tuple[list[dict], list[int]]:
    """Classification records whose text is drawn from its label's vocabulary; `flips` rows get a wrong label."""
    rng = random.Random(seed)
    records = []
    for label, vocab in TOPICS.items():
        words = vocab.split()
        for _ in range(per_class):
            records.append({"text": " ".join(rng.sample(words, 5)), "label": label})
    rng.shuffle(records)
    flipped = sorted(rng.sample(range(len(records)), flips))
    for i in flipped:
        records[i]["label"] = rng.choice([k for k in TOPICS if k != records[i]["label"]])
    return records, flipped


def lint(records: list[dict], **settings) -> dslint.Report:
    settings.setdefault("embedding_model", "lexical")
    settings.setdefault("select", ["L"])
    return dslint.lint(records, Config(**settings))


def by_code(report: dslint.Report, code: str) -> list[Finding]:
    return [f for f in report.findings if f.code == code]


# ---- which records have labels ---------------------------------------------------------------------------------

def test_label_field_mode_when_records_carry_labels():
    data = find_labels(make_records([{"text": "hi", "label": "a"}, {"text": "yo", "label": "b"}]))
    assert data.mode == LABEL_FIELD
    assert data.labels == ("a", "b")
    assert "2 of 2 records carry a label field" in data.reason


def test_summary_names_the_field_the_labels_came_from():
    rows = [{"utterance": f"text {i}", "intent": "ab"[i % 2]} for i in range(12)]
    (f,) = lint(rows, select=["L006"]).findings
    assert "12 of 12 records carry a label field ('intent')" in f.message


def test_closed_set_of_chat_targets_becomes_the_label():
    rows = [chat(f"ticket {i}: my order is late", "Shipping.") for i in range(10)]
    rows += [chat(f"ticket {i}: I was charged twice", "billing") for i in range(10)]
    data = find_labels(make_records(rows))
    assert data.mode == TARGET
    assert set(data.labels) == {"shipping", "billing"}
    assert data.show("shipping") == "Shipping."  # the spelling the data uses, not the key
    assert "closed set of 2 answers" in data.reason


def test_open_ended_targets_have_no_labels():
    rows = [chat(f"question {i}", f"a long and different answer number {i}") for i in range(60)]
    data = find_labels(make_records(rows))
    assert data.mode == NONE
    assert set(data.labels) == {None}
    assert "open-ended (60 distinct targets in 60 records)" in data.reason


def test_one_repeated_answer_is_not_a_set_of_classes():
    rows = [chat(f"ticket {i}", "We will look into it.") for i in range(10)] + [chat("ticket x", "Refunded.")]
    data = find_labels(make_records(rows))
    assert data.mode == NONE and "fewer than two of the 2 distinct targets repeat" in data.reason


# ---- out-of-fold probabilities and rare labels -----------------------------------------------------------------

def test_labels_rarer_than_folds_are_left_out_and_listed():
    labels = ["a"] * 12 + ["b"] * 12 + ["rare"] * 2
    feats = np.eye(3, dtype=np.float32)[[0] * 12 + [1] * 12 + [2] * 2]
    pp = out_of_fold(feats, LabelData(LABEL_FIELD, "", tuple(labels)), folds=5)
    assert pp.excluded == {"rare": 2}
    assert pp.classes == ("a", "b")
    assert len(pp.positions) == 24 and pp.probs.shape == (24, 2)
    assert np.allclose(pp.probs.sum(axis=1), 1.0)


def test_large_sets_use_three_folds_unless_configured():
    from dslint.checks.labels import LARGE_SET, folds_of

    small = LabelData(LABEL_FIELD, "", ("a", "b") * 100)
    large = LabelData(LABEL_FIELD, "", ("a", "b") * (LARGE_SET // 2 + 1))
    assert folds_of(Config(), small) == 5 and folds_of(Config(), large) == 3
    configured = Config()
    configured.checks = {"label-errors": {"cv-folds": 7}}
    assert folds_of(configured, large) == 7


def test_c_is_chosen_on_a_sample_of_a_large_set(monkeypatch):
    from sklearn.model_selection import StratifiedKFold

    from dslint.checks import labels as mod

    monkeypatch.setattr(mod, "C_SAMPLE", 60)
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 100)
    x = (np.eye(3)[y] + rng.normal(0, 0.3, (300, 3))).astype(np.float32)
    y[:3] = [1, 2, 0]  # a few wrong labels, so held-out log-loss has something to judge
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    assert mod.choose_c(x, y, cv) in mod.C_GRID
    monkeypatch.setattr(mod, "C_SAMPLE", 298)  # 2 rows left out for 3 classes: no sample, no crash
    assert mod.choose_c(x, y, cv) in mod.C_GRID


def test_one_usable_label_skips_instead_of_crashing():
    with pytest.raises(SkipCheck, match="fewer than two labels"):
        out_of_fold(np.ones((8, 2), dtype=np.float32), LabelData(LABEL_FIELD, "", ("a",) * 6 + ("b",) * 2))


def test_rare_labels_are_reported_by_the_summary_and_the_run_goes_on():
    records, _ = topic_set(per_class=15)
    records.append({"text": "quantum entanglement photon", "label": "physics"})
    report = lint(records)
    summary = by_code(report, "L006")
    assert len(summary) == 1
    assert "'physics' (1)" in summary[0].message and "left out of L001" in summary[0].message
    assert report.metrics["L.label_mode"] == LABEL_FIELD
    assert not report.skipped or all(s.check != "label-errors" for s in report.skipped)


# ---- L001 with injected probabilities ------------------------------------------------------------------------

def test_label_error_names_given_and_suggested_label_with_a_quality_score():
    records = make_records([{"text": f"t{i}", "label": "ab"[i % 2]} for i in range(40)])
    labels = tuple(r.label for r in records)
    y = np.array([0 if lab == "a" else 1 for lab in labels])
    probs = np.where(y[:, None] == np.arange(2), 0.9, 0.1)
    probs[7] = [0.97, 0.03]  # labelled "b", the model is sure it is "a"
    pp = PredProbs(np.arange(40), y, ("a", "b"), probs, {}, 5)
    out = list(LabelErrorCheck().run(records, LabelData(LABEL_FIELD, "", labels), pp))
    findings = [f for f in out if isinstance(f, Finding)]
    assert [f.location.record for f in findings] == [7]
    f = findings[0]
    assert f.details["given"] == "b" and f.details["suggested"] == "a"
    assert f.score is not None and f.score < 0.1
    assert "labelled 'b' but looks like 'a'" in f.message
    metrics = {m.name: m.value for m in out if isinstance(m, Metric)}
    assert metrics["L.label_issues"] == 1


# ---- L001 end to end on planted flips ----------------------------------------------------------------------

def test_planted_flips_are_found_with_lexical_features():
    records, flipped = topic_set(per_class=30, flips=12)
    report = lint(records)
    found = {f.location.record for f in by_code(report, "L001")}
    assert len(found & set(flipped)) >= 10  # recall >= 10/12
    assert len(found - set(flipped)) <= 3  # few clean records accused
    est = report.metrics["L.label_noise_estimate"]
    assert abs(est - 12 / 120) <= 0.05


def test_clean_set_has_no_label_errors_and_passes_the_noise_gate():
    records, _ = topic_set(per_class=30)
    report = lint(records)
    assert by_code(report, "L001") == []
    assert by_code(report, "L005") == []
    assert report.metrics["L.noise_rate"] <= 0.05


def test_noise_amplification_fires_on_a_noisy_set():
    records, _ = topic_set(per_class=30, flips=18)  # 15%
    report = lint(records)
    (gate,) = by_code(report, "L005")
    assert gate.severity is Severity.ERROR
    assert "confident learning" in gate.message and "worst classes" in gate.message
    assert report.metrics["L.noise_rate"] > 0.10
    assert not report.verdict.gate_passed


# ---- L005 thresholds ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("rate, expected", [(0.03, None), (0.07, Severity.WARNING), (0.12, Severity.ERROR)])
def test_noise_amplification_thresholds(rate, expected):
    records = make_records([{"text": f"t{i}", "label": "a"} for i in range(100)])
    out = list(NoiseAmplificationCheck().run({"L.label_noise_estimate": rate}, records))
    findings = [f for f in out if isinstance(f, Finding)]
    assert [f.severity for f in findings] == ([expected] if expected else [])
    assert Metric("L.noise_rate", rate) in out


def test_noise_amplification_options_and_conflict_share():
    records = make_records([{"text": f"t{i}", "label": "a"} for i in range(100)])
    check = NoiseAmplificationCheck(NoiseAmplificationCheck.Options(warn_above=0.01, error_above=0.5))
    out = list(check.run({"L.conflict_share": 0.02, "L.label_noise_estimate": 0.0}, records))
    (f,) = [f for f in out if isinstance(f, Finding)]
    assert f.severity is Severity.WARNING and "conflicts with the same prompt" in f.message
    assert "about 2 wrong answer(s)" in f.message


def test_noise_amplification_skips_without_an_estimate():
    with pytest.raises(SkipCheck, match="no label-noise estimate"):
        list(NoiseAmplificationCheck().run({}, []))


def test_summary_says_why_there_are_no_labels():
    records = make_records([chat(f"q{i}", f"answer {i} differs") for i in range(10)])
    out = list(LabelSummaryCheck().run(find_labels(records), Config()))
    (f,) = [f for f in out if isinstance(f, Finding)]
    assert f.severity is Severity.INFO and f.location.record is None
    assert f.message.startswith("labels: none (") and "L002, L003" in f.message


# ---- fast mode -------------------------------------------------------------------------------------------------

def test_fast_mode_judges_noise_from_exact_conflicts_without_heavy_imports(tmp_path):
    code = """
import sys, dslint
from dslint.config import Config
rows = [{"text": f"sentence {i}", "label": "ab"[i % 2]} for i in range(40)]
rows += [{"text": f"sentence {i}", "label": "ba"[i % 2]} for i in range(6)]
report = dslint.lint(rows, Config(select=["L"], fast=True))
print(sorted({f.code for f in report.findings}), report.metrics["L.noise_rate"])
print(sorted(s.check for s in report.skipped))
print([m for m in ("torch", "sentence_transformers", "faiss", "cleanlab", "sklearn") if m in sys.modules])
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    assert out[0] == "['L002', 'L005', 'L006'] 0.1304"
    assert out[1] == "['label-errors', 'outliers', 'semantic-conflicts']"
    assert out[2] == "[]"


def test_no_labels_skips_the_label_error_check_before_loading_a_model():
    code = """
import sys, dslint
from dslint.config import Config
rows = [{"prompt": f"question {i}", "completion": f"a different answer {i}"} for i in range(30)]
report = dslint.lint(rows, Config(select=["L001"]))
print([(s.check, s.reason[:10]) for s in report.skipped], "sentence_transformers" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[('label-errors', 'no labels:')] False"


# ---- the real default model ----------------------------------------------------------------------------------

@pytest.mark.model
def test_real_model_finds_planted_flips_in_a_small_intent_set():
    intents = {
        "card_lost": ["I lost my card", "my card was stolen", "I can't find my bank card anywhere",
                      "someone took my wallet with my card", "please block my lost card", "card missing, help",
                      "I think I dropped my debit card", "my credit card is gone"],
        "balance": ["what is my balance", "how much money do I have", "show my account balance",
                    "check my current balance please", "how much is left in my account", "balance inquiry",
                    "tell me my available funds", "what's in my checking account"],
        "transfer": ["send money to my friend", "transfer 50 dollars to John", "how do I wire money",
                     "move funds to my savings", "make a payment to another account", "transfer cash abroad",
                     "pay my sister 20 euros", "send a bank transfer"],
    }
    records = [{"text": t, "label": k} for k, texts in intents.items() for t in texts]
    records[2]["label"] = "transfer"  # "I can't find my bank card anywhere"
    records[12]["label"] = "card_lost"  # "how much is left in my account"
    report = dslint.lint(records, Config(select=["L001", "L006"]))
    assert report.metrics["L.label_mode"] == LABEL_FIELD
    found = {f.location.record: f for f in by_code(report, "L001")}
    assert {2, 12} <= set(found)
    assert found[2].details["suggested"] == "card_lost"
    assert found[12].details["suggested"] == "balance"
