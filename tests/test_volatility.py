"""V rules: each detector on what it must flag and on what it must leave alone, and the dataset share gate."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest
from conftest import chat, make_records

from dslint.checks.volatility import (CATEGORIES, CODES, SHARE_CODE, VolatilityCheck, Window, detect, mask_code)
from dslint.config import Config
from dslint.model import Finding, Metric, Severity

TODAY = dt.date(2026, 6, 1)
WINDOW = Window(TODAY)


def categories(target: str, prompt: str = "", window: Window = WINDOW) -> set[str]:
    return {s.category for s in detect(prompt, target, window)}


# (target text, the category it must raise)
POSITIVES = [
    ("The company currently employs 12,000 people.", "time-relative"),
    ("As of 2025, the museum is closed for renovation.", "time-relative"),
    ("Pickleball's popularity has been on the rise among retirees.", "time-relative"),
    ("Over the past decade, gun violence has risen in several states.", "time-relative"),
    ("The summit is scheduled for March 2027.", "recent-date"),
    ("Finland joined NATO on 2024-04-04 after a vote.", "recent-date"),
    ("In 2025 the tunnel opened to traffic.", "recent-date"),
    ("A monthly subscription costs $9.99.", "price"),
    ("Tickets start at €45 per person.", "price"),
    ("Unleaded petrol sells for 1.80 EUR per litre in Lyon.", "price"),
    ("The blue model is out of stock until the next shipment.", "stock"),
    ("Only 3 left in our warehouse, and the red one is sold out.", "stock"),
    ("The current CEO of Acme is Jane Doe.", "office-holder"),
    ("Tim Cook, CEO of Apple, said the phone sells well.", "office-holder"),
    ("Sundar Pichai is the CEO of Google.", "office-holder"),
    ("The latest stable release is 4.2.1.", "version"),
    ("Version 3.12 was released with faster startup.", "version"),
    ("Lagos has a population of about 15 million.", "statistic"),
    ("Football is the world's most popular sport.", "statistic"),
    ("She holds the world record in the 400 metres.", "statistic"),
    ("The unemployment rate stands at 4.1% in the region.", "statistic"),
    ("Officials said on Tuesday that the bridge will reopen.", "news"),
    ("According to a new report, emissions fell sharply.", "news"),
    ("The minister has resigned after the vote.", "news"),
    ("City are the reigning champions after beating United 3-1.", "sports"),
    ("Arsenal leads the league with 40 points.", "sports"),
    ("Real Madrid, having won 14 trophies, is the most successful club.", "sports"),
]


@pytest.mark.parametrize("target,category", POSITIVES)
def test_detector_flags_its_category(target: str, category: str) -> None:
    assert category in categories(target)


# (prompt, target): settled facts, arithmetic, code, fiction and how-to must not fire at all.
NEGATIVES = [
    ("When did the war end?", "The war ended in 1945."),
    ("Who was the first US president?", "George Washington was the first president of the United States."),
    ("", "Abraham Lincoln was the 16th president and was assassinated in 1865."),
    ("", "The Louisiana Purchase cost $15 million in 1803."),
    ("", "Mount Everest is the tallest mountain above sea level."),
    ("", "The printing press was invented by Gutenberg around 1440."),
    ("What is 5 + 3?", "8"),
    ("What is 2025 + 3?", "2025 + 3 = 2028"),
    ("Apples cost $2 each. How much do 3 apples cost?", "3 apples cost $6 in total."),
    ("Calculate the total if a shirt costs $20 and a hat costs $15.", "The total is $35."),
    ("How do I pin numpy?", "Pin it with `numpy==1.26` in requirements.txt."),
    ("How do I pin numpy?", "Add numpy==1.26.4 to requirements.txt."),
    ("Show the date code.", "```python\nimport datetime\nrelease = '2026-01-01'  # latest version 2.1\n```"),
    ("Write a story about a bike shop.", "The bike costs $50 and is sold out, said the shopkeeper on Monday."),
    ("Compose a poem about spring.", "This year the blossoms came early, and now the latest buds appear."),
    ("How do I export a file?", "Once saved, you can now click Export."),
    ("How do I update?", "Open Settings and select the latest version you want to install."),
    ("", "A football match lasts 90 minutes."),
    ("", "Keep flour in an airtight container in a cool place."),
    ("", "Photosynthesis turns carbon dioxide and water into glucose and oxygen."),
    ("", "Keeping your computer security up to date is important."),
    ("", "The monsoon tends to bring more rain during this season."),
    ("", "Other names for Good Friday include Holy Friday."),
]


@pytest.mark.parametrize("prompt,target", NEGATIVES)
def test_settled_arithmetic_code_fiction_and_howto_do_not_fire(prompt: str, target: str) -> None:
    assert detect(prompt, target, WINDOW) == []


@pytest.mark.parametrize("prompt,category", [
    ("Who is the president of France?", "office-holder"),
    ("What is the latest version of Django?", "version"),
    ("What is the current population of Tokyo?", "statistic"),
    ("How much does a Netflix subscription cost?", "price"),
    ("Who won the game last night?", "sports"),
    ("Which country has banned the app this week?", "news"),
    ("Who won the 2027 election?", "recent-date"),
])
def test_prompt_asking_about_the_present_is_flagged_on_the_prompt_side(prompt: str, category: str) -> None:
    spans = [s for s in detect(prompt, "I don't know.", WINDOW) if s.category == category]
    assert spans and spans[0].side == "prompt"


def test_a_past_question_on_the_prompt_side_does_not_fire() -> None:
    assert detect("Who was the first president of the USA?", "George Washington", WINDOW) == []


def test_context_passage_facts_copied_into_the_target_do_not_fire() -> None:
    passage = ("The region is known for its forests and rivers and its old mills. " * 3
               + "The company currently employs 12,000 people.")
    assert detect(f"Read the passage and answer.\n{passage}\nHow many people work there?",
                  "It currently employs 12,000 people.", WINDOW) == []
    assert categories("It currently employs 12,000 people.", "How many people work there?") == {"time-relative"}


def test_recency_is_judged_against_an_injected_today() -> None:
    text = "In 2025 the tunnel opened to traffic."
    assert "recent-date" in categories(text, window=Window(dt.date(2026, 1, 1)))
    assert "recent-date" not in categories(text, window=Window(dt.date(2040, 1, 1)))
    assert "recent-date" not in categories(text, window=Window(dt.date(2026, 1, 1), back=0, ahead=0))


def test_span_and_offset_point_at_the_matched_text() -> None:
    target = "Good news. A monthly subscription costs $9.99."
    span = next(s for s in detect("", target, WINDOW) if s.category == "price")
    assert target[span.start:span.start + len(span.span)] == span.span == "$9.99"


def test_mask_code_keeps_offsets() -> None:
    text = "Use `pip==23.1` then see https://example.com/2025 ok"
    masked = mask_code(text)
    assert len(masked) == len(text) and "2025" not in masked and "23.1" not in masked and masked.endswith("ok")


# ---- the check ------------------------------------------------------------------------------------------------------

def run(values: list, **options) -> tuple[list[Finding], dict]:
    check = VolatilityCheck(VolatilityCheck.Options(today=TODAY.isoformat(), **options))
    out = list(check.run(records=make_records(values)))
    return [f for f in out if isinstance(f, Finding)], {m.name: m.value for m in out if isinstance(m, Metric)}


def test_record_finding_carries_category_span_offset_and_field() -> None:
    findings, _ = run([chat("How much is it?", "A monthly subscription costs $9.99.")])
    (f,) = [f for f in findings if f.code == CODES["price"]]
    assert f.severity is Severity.INFO
    assert f.location.field == "messages[1].content" and f.location.line == 1
    start = "A monthly subscription costs $9.99.".index("$")
    assert f.details == {"category": "price", "span": "$9.99", "start": start, "field": "target"}
    assert "$9.99" in f.message


def test_prompt_side_finding_points_at_the_user_turn() -> None:
    findings, _ = run([chat("Who is the current CEO of Acme?", "Jane Doe.")])
    (f,) = [f for f in findings if f.code != SHARE_CODE]
    assert f.code == CODES["office-holder"] and f.details["field"] == "prompt"
    assert f.location.field == "messages[0].content"


def test_scan_prompt_false_looks_at_the_target_only() -> None:
    findings, _ = run([chat("Who is the current CEO of Acme?", "Jane Doe.")], scan_prompt=False)
    assert findings == []


@pytest.mark.parametrize("answer", [
    "Please check the company's official website for the current CEO.",
    "I don't have access to real-time data; a financial news site will have it.",
])
def test_an_answer_that_defers_to_a_live_source_is_behaviour_not_a_stale_fact(answer: str) -> None:
    assert detect("Who is the current CEO of Acme?", answer, WINDOW) == []


def test_alpaca_target_field_is_output() -> None:
    findings, _ = run([{"instruction": "Price?", "input": "", "output": "It costs $5 per month."}])
    assert findings[0].location.field == "output"


def _mixed(volatile: int, settled: int) -> list:
    return ([chat("Price?", "It costs $5 per month.")] * volatile
            + [chat("Define a verb.", "A verb names an action.")] * settled)


@pytest.mark.parametrize("volatile,severity", [(1, None), (2, Severity.WARNING), (4, Severity.ERROR)])
def test_share_rule_warns_above_10_percent_and_errors_above_30(volatile: int, severity: Severity | None) -> None:
    findings, metrics = run(_mixed(volatile, 10 - volatile))
    share = [f for f in findings if f.code == SHARE_CODE]
    assert metrics["V.volatile_share"] == pytest.approx(volatile / 10)
    assert metrics["V.share.price"] == pytest.approx(volatile / 10)
    assert metrics["V.volatile_examples"] == volatile
    if severity is None:
        assert share == []
    else:
        (f,) = share
        assert f.severity is severity and f.location.record is None
        assert "retrieval" in f.message and f.details["by_category"] == {"price": volatile}


def test_share_thresholds_are_options() -> None:
    findings, _ = run(_mixed(2, 8), warn_share=0.5, error_share=0.9)
    assert not [f for f in findings if f.code == SHARE_CODE]


def test_every_category_has_a_metric_and_a_rule() -> None:
    _, metrics = run(_mixed(1, 1))
    assert {f"V.share.{c}" for c in CATEGORIES} <= set(metrics)
    assert sorted(r.code for r in VolatilityCheck.rules) == [f"V{i:03d}" for i in range(1, 11)]


def test_share_counts_only_selected_and_unsuppressed_codes() -> None:
    values = [chat("Price?", "It costs $5 per month.")] * 5 + [chat("Define a verb.", "A verb names an action.")] * 5
    check = VolatilityCheck(VolatilityCheck.Options(today=TODAY.isoformat()))
    out = list(check.run(records=make_records(values), config=Config(ignore=["V003"])))
    metrics = {m.name: m.value for m in out if isinstance(m, Metric)}
    assert metrics["V.volatile_share"] == 0
    noqa = [dict(v, _dslint_noqa=["V003"]) for v in values]
    out = list(check.run(records=make_records(noqa)))
    assert {m.name: m.value for m in out if isinstance(m, Metric)}["V.volatile_share"] == 0


def test_no_records_yields_nothing() -> None:
    assert list(VolatilityCheck().run(records=[])) == []


def test_classification_data_is_skipped_with_a_reason() -> None:
    import dslint

    data = [{"text": "What is the current exchange rate?", "label": "exchange_rate"}] * 3
    report = dslint.lint(data, select=["V"], fast=True)
    assert report.count("V007") == 0 and "V.volatile_share" not in report.metrics
    assert any(s.check == "volatility" and "labels, not facts" in s.reason for s in report.skipped)


def test_records_without_a_target_do_not_count_in_the_share() -> None:
    records = make_records([chat("Price?", "It costs $5 per month."), {"text": "hello", "label": "greet"}])
    out = list(VolatilityCheck(VolatilityCheck.Options(today=TODAY.isoformat())).run(records=records))
    assert {m.name: m.value for m in out if isinstance(m, Metric)}["V.volatile_share"] == 1.0


def test_through_the_engine_with_config_options(tmp_path) -> None:
    import dslint

    data = _mixed(4, 6)
    report = dslint.lint(data, select=["V"], fast=True,
                         checks={"volatility": {"today": "2026-06-01", "warn-share": 0.5, "error-share": 0.9}})
    assert report.metrics["V.volatile_share"] == pytest.approx(0.4)
    assert report.count("V003") == 4 and report.count(SHARE_CODE) == 0
    flag = next(f for f in report.verdict.flags if f.flag == "volatility")
    assert flag.status == "PASS" and flag.figure.startswith("40.0% volatile examples")


def test_fast_run_imports_no_heavy_library() -> None:
    code = ("import sys, dslint; r = dslint.lint([{'prompt': 'p', 'completion': 'It costs $5 a month.'}], "
            "select=['V'], fast=True); assert r.count('V003') == 1, r.findings; "
            "heavy = {'torch', 'sentence_transformers', 'faiss', 'cleanlab'} & set(sys.modules); "
            "assert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_keyword_prefilters_never_change_what_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    import dslint.checks.volatility as volatility

    texts = [(p, t) for p, t in NEGATIVES] + [("", t) for t, _ in POSITIVES] + [
        ("Which country has banned the app this week?", "Iraq"), ("Who won the 2027 election?", "Unknown")]
    with_keys = [detect(p, t, WINDOW) for p, t in texts]
    bare = tuple(dataclasses.replace(d, keys=()) for d in volatility.DETECTORS)
    monkeypatch.setattr(volatility, "DETECTORS", bare)
    monkeypatch.setattr(volatility.scan, "__defaults__", (bare,))
    assert [detect(p, t, WINDOW) for p, t in texts] == with_keys


def test_a_system_persona_does_not_switch_detection_off():
    """'You are a helpful assistant' is a persona, not a request for fiction: the CEO fact is still flagged."""
    from dslint.engine import lint
    from dslint.config import Config

    rows = [{"messages": [{"role": "system", "content": "You are a helpful assistant."},
                          {"role": "user", "content": "Who runs Acme Corp?"},
                          {"role": "assistant", "content": "The current CEO of Acme Corp is Jane Doe."}]},
            {"messages": [{"role": "system", "content": "You are a helpful assistant."},
                          {"role": "user", "content": "Write a short story about a CEO."},
                          {"role": "assistant", "content": "The current CEO of Acme Corp was a dragon."}]}]
    report = lint([rows], Config(select=["V"], fast=True))
    flagged = {f.location.record for f in report.findings if f.code != "V010"}
    assert flagged == {0}
