"""S family: effective size against the thresholds, per-label counts and balance, token budget, dataset shape."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from conftest import chat, make_records, make_rows, write_jsonl
from dslint.checks.size import (DatasetShapeCheck, LabelBalanceCheck, SizeCheck, TokenBudgetCheck, count_effective,
                                guess_language, label_stats, suggested_epochs, target_structure)
from dslint.checks.tokens import TokenCount, TokenCounts
from dslint.config import Config
from dslint.errors import SkipCheck
from dslint.model import Finding, Location, Metric, Severity
from dslint.profiles import get_profile

TOPICS = ("gardening", "baking", "cycling", "chess", "astronomy", "sailing", "knitting", "pottery", "hiking", "maps")


def varied(i: int) -> dict:
    """A distinct chat example (exact-duplicate free; the number keeps every text unique)."""
    topic = TOPICS[i % len(TOPICS)]
    return chat(f"Give me tip number {i} about {topic}.",
                f"Tip {i} for {topic}: practise a little every day and note what step {i * 7} taught you.")


def split(results):
    findings = [r for r in results if isinstance(r, Finding)]
    metrics = {r.name: r.value for r in results if isinstance(r, Metric)}
    return findings, metrics


def finding_on(code: str, index: int, severity: Severity = Severity.ERROR) -> Finding:
    return Finding(code, "x", severity, Location("test.jsonl", index, index + 1))


def run_size(n: int, prior=(), config: Config | None = None, **options):
    values = [varied(i) for i in range(n)]
    check = SizeCheck(SizeCheck.Options(**options))
    return split(list(check.run(rows=make_rows(values), records=make_records(values), prior_findings=list(prior),
                                profile=get_profile("generic"), config=config or Config())))


# ---- effective size ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("n, codes", [(300, ["S001"]), (499, ["S001"]), (500, ["S002"]), (700, ["S002"]),
                                      (999, ["S002"]), (1000, []), (1200, [])])
def test_size_thresholds_follow_the_generic_profile(n, codes):
    findings, metrics = run_size(n)
    assert [f.code for f in findings] == codes
    assert metrics["S.effective_examples"] == n
    assert all(f.severity == (Severity.ERROR if f.code == "S001" else Severity.WARNING) for f in findings)


def test_options_override_the_profile_thresholds():
    findings, _ = run_size(120, min_examples=100, recommended_examples=150)
    assert [f.code for f in findings] == ["S002"]
    assert findings[0].details["minimum"] == 100 and findings[0].details["recommended"] == 150
    assert run_size(120, min_examples=100, recommended_examples=120)[0] == []


def test_duplicates_and_invalid_records_are_counted_out_and_named():
    prior = [finding_on("D001", i) for i in range(100, 900)]
    prior += [finding_on("F025", 5), finding_on("F025", 5), finding_on("F050", 6, Severity.WARNING)]
    prior += [finding_on("D004", 7, Severity.WARNING)]  # repeated prompts are not within-set duplicates
    findings, metrics = run_size(1200, prior)
    assert metrics["S.effective_examples"] == 1200 - 800 - 1
    assert metrics["S.counted_out"] == {"unparsable_rows": 0,
                                        "records_with_format_errors": 1,
                                        "duplicates": 800}
    (f,) = findings
    assert f.code == "S001"
    assert "1,200 rows, counted out: 1 records with format errors, 800 duplicates" in f.message


def test_a_record_both_broken_and_duplicated_is_counted_once():
    count = count_effective(make_rows([varied(i) for i in range(5)]), make_records([varied(i) for i in range(5)]),
                            [finding_on("F025", 2), finding_on("D001", 2), finding_on("D003", 3)])
    assert (count.invalid, count.duplicates, count.effective) == (1, 1, 3)


def test_rows_that_never_became_records_are_counted_out(tmp_path, run_cli):
    path = tmp_path / "t.jsonl"
    lines = [json.dumps(varied(i)) for i in range(10)] + ["{'role': 'user'}", "not json", ""]
    path.write_text("\n".join(lines) + "\n")
    res = run_cli("check", str(path), "--select", "S001,S002", "--output-format", "json")
    doc = json.loads(res.out)
    assert doc["metrics"]["S.effective_examples"] == 10
    assert doc["metrics"]["S.counted_out"]["unparsable_rows"] == 2  # the blank line is not a row
    (f,) = doc["findings"]
    assert f["code"] == "S001" and f["details"]["rows"] == 12


def test_without_a_duplicate_rule_the_finding_says_duplicates_were_not_checked():
    findings, _ = run_size(10, config=Config(select=["S"]))
    assert "duplicates not checked" in findings[0].message
    findings, _ = run_size(10, config=Config(select=["S", "D001"]))
    assert "duplicates not checked" not in findings[0].message


def test_size_runs_after_every_other_check_including_late_ones():
    from dslint.engine import plan
    from dslint.plugins import discover

    names = [c.name for c in plan(Config(), discover()).checks]
    assert names[-1] == "size" and "semantic-duplicates" in names


# ---- through the engine: the done-when -------------------------------------------------------------------

@pytest.mark.parametrize("n, code, exit_code", [(300, "S001", 1), (700, "S002", 0), (1200, None, 0)])
def test_clean_sets_of_each_size_gate_as_documented(tmp_path, run_cli, n, code, exit_code):
    path = write_jsonl(tmp_path / "train.jsonl", [varied(i) for i in range(n)])
    res = run_cli("check", str(path), "--select", "S,D001", "--output-format", "json")
    doc = json.loads(res.out)
    assert res.code == exit_code, res.err
    assert [f["code"] for f in doc["findings"] if f["severity"] != "info"] == ([code] if code else [])
    size_flag = next(f for f in doc["verdict"]["flags"] if f["flag"] == "size")
    assert size_flag["status"] == {1: "FAIL", 0: "WARN" if code else "PASS"}[exit_code]
    assert f"{n:,} effective examples" in size_flag["figure"]


def test_1200_rows_of_which_800_are_copies_fail_on_size(tmp_path, run_cli):
    rows = [varied(i) for i in range(400)] + [varied(10_000)] * 800
    path = write_jsonl(tmp_path / "train.jsonl", rows)
    res = run_cli("check", str(path), "--select", "S,D001")
    assert res.code == 1
    assert "S001 [error] 401 effective examples" in res.out
    assert "counted out: 799 duplicates" in res.out
    assert res.out.rstrip().splitlines()[-2:] == ["Gate: FAILED", "  - 1 finding(s) at or above error: S001 x1"]


# ---- per label ---------------------------------------------------------------------------------------------------

def labelled(counts: dict[str, int]) -> list:
    values, i = [], 0
    for label, n in counts.items():
        for _ in range(n):
            values.append({"text": f"utterance {i} about {label}", "label": label})
            i += 1
    return make_records(values)


def run_labels(counts: dict[str, int], **options):
    return split(list(LabelBalanceCheck(LabelBalanceCheck.Options(**options)).run(records=labelled(counts))))


def test_thin_labels_are_each_reported_with_their_count():
    counts = {f"intent_{k:02d}": 40 for k in range(60)} | {"rare_a": 3, "rare_b": 9, "edge": 10}
    findings, metrics = run_labels(counts)
    thin = [f for f in findings if f.code == "S003"]
    assert [(f.details["label"], f.details["count"]) for f in thin] == [("rare_a", 3), ("rare_b", 9)]
    assert len(thin[0].related) == 3
    assert metrics["S.labels"] == 63 and metrics["S.min_label_count"] == 3 and metrics["S.max_label_count"] == 40


def test_imbalance_fires_below_the_ratio_and_not_above():
    findings, metrics = run_labels({"ham": 950, "spam": 50})
    (imb,) = [f for f in findings if f.code == "S004"]
    assert imb.details["rarest"] == "spam" and imb.score == pytest.approx(0.1)
    assert "0.10x the uniform share of 50.00%" in imb.message
    assert not [f for f in run_labels({"ham": 600, "spam": 400})[0] if f.code == "S004"]
    assert [f.code for f in run_labels({"ham": 950, "spam": 50}, imbalance_ratio=0.05)[0]] == ["S005"]


def test_label_distribution_is_information_with_the_rarest_labels():
    findings, metrics = run_labels({"a": 30, "b": 20, "c": 12})
    (dist,) = [f for f in findings if f.code == "S005"]
    assert dist.severity == Severity.INFO
    assert dist.message == "3 labels, 12 to 30 examples each (median 20); rarest: c (12), b (20), a (30)"
    assert metrics["S.label_counts"] == {"a": 30, "b": 20, "c": 12}


def test_unlabelled_data_skips_the_label_check():
    with pytest.raises(SkipCheck, match="no labels"):
        list(LabelBalanceCheck().run(records=make_records([varied(i) for i in range(3)])))


def test_label_stats_ignore_blank_labels():
    recs = labelled({"a": 2}) + make_records([{"text": "x", "label": ""}], path="other.jsonl")
    stats = label_stats(recs)
    assert stats.counts == {"a": 2}


# ---- token budget ------------------------------------------------------------------------------------------------

def fake_counts(totals: list[int], exact: bool = False) -> TokenCounts:
    return TokenCounts(tuple(TokenCount(t // 2, t - t // 2) for t in totals), "estimate: test" if not exact
                       else "tokenizer t.json", exact)


@pytest.mark.parametrize("examples, epochs", [(10, 10), (20, 5), (50, 3), (8000, 3), (10_000, 2), (30_000, 1)])
def test_suggested_epochs_follow_openais_defaults(examples, epochs):
    assert suggested_epochs(examples) == epochs


def test_token_budget_reports_totals_and_training_tokens():
    recs = make_records([varied(i) for i in range(4)])
    check = TokenBudgetCheck(TokenBudgetCheck.Options(epochs=2))
    findings, metrics = split(list(check.run(records=recs, token_counts=fake_counts([10, 20, 30, 100]),
                                             profile=get_profile("generic"))))
    (f,) = findings
    assert f.code == "S006" and f.severity == Severity.INFO
    assert metrics["S.total_tokens"] == 160 and metrics["S.max_tokens"] == 100 and metrics["S.mean_tokens"] == 40
    assert metrics["S.training_tokens"] == 320 and metrics["S.suggested_epochs"] == 25
    assert "estimate: test" in f.message and "2 epochs = 320 training tokens" in f.message


def test_training_tokens_are_capped_at_the_profiles_max_seq_len():
    recs = make_records([varied(i) for i in range(2)])
    profile = replace(get_profile("generic"), max_seq_len=50)
    _, metrics = split(list(TokenBudgetCheck().run(records=recs, token_counts=fake_counts([40, 500], exact=True),
                                                   profile=profile)))
    assert metrics["S.total_tokens"] == 540 and metrics["S.training_tokens"] == (40 + 50) * 3


# ---- dataset shape -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, lang", [
    ("What is the best way to water the plants in my garden?", "en"),
    ("Wie kann ich die Pflanzen in meinem Garten am besten gießen und was ist wichtig?", "de"),
    ("Quelle est la meilleure façon d'arroser les plantes dans mon jardin pour que je les garde?", "fr"),
    ("¿Cuál es la mejor manera de regar las plantas de mi jardín para que no se sequen?", "es"),
    ("Как лучше всего поливать растения в моём саду?", "ru"),
    ("庭の植物に水をやる一番良い方法は何ですか？", "ja"),
    ("12345 !!!", None),
])
def test_language_guess(text, lang):
    assert guess_language(text) == lang


@pytest.mark.parametrize("target, kind", [('{"a": 1}', "json"), ("[1, 2]", "json"), ("SELECT name FROM t", "sql"),
                                          ("with x as (select 1) select * from x", "sql"), ('"just a string"', None),
                                          ("{not json", None), ("Selected works follow.", None)])
def test_target_structure(target, kind):
    assert target_structure(target) == kind


def test_green_flags_strict_structure_and_several_languages():
    values = [chat(f"Extract the fields from order {i} please, what is the total?", json.dumps({"id": i}))
              for i in range(30)]
    values += [chat(f"Was ist die Summe der Bestellung {i} und wie ist der Status?", json.dumps({"id": i}))
               for i in range(20)]
    findings, metrics = split(list(DatasetShapeCheck().run(records=make_records(values))))
    assert metrics["S.languages"] == {"en": 0.6, "de": 0.4}
    assert metrics["S.green_flags"] == ["several languages (en, de)",
                                        "strict output structure (100% of targets are JSON)"]
    assert findings[0].message == "languages: en 60%, de 40%; targets: 100% JSON"


def test_a_many_label_taxonomy_is_a_green_flag_and_a_small_one_is_not():
    _, metrics = split(list(DatasetShapeCheck().run(records=labelled({f"l{k}": 2 for k in range(51)}))))
    assert "many-label taxonomy (51 labels)" in metrics["S.green_flags"]
    _, metrics = split(list(DatasetShapeCheck().run(records=labelled({f"l{k}": 2 for k in range(50)}))))
    assert metrics["S.green_flags"] == []


def test_ascii_texts_get_the_same_language_guess_as_the_general_path():
    texts = ["The cat and the dog", "THE_and the1is are", "der die das und nicht", "de het een en is zijn",
             "le la les et est", "x" * 2100 + " the and", "What is the price? It is 5 USD, and you can pay.", ""]
    for text in texts:
        # a trailing non-ASCII letter that is no stopword forces the general (Unicode) path
        assert guess_language(text) == guess_language(text + " \u00e9"), text
