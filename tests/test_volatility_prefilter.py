"""The volatility pre-filter (derived needs + gates) skips only detectors that would find nothing: scan() with it
equals scan() that runs every detector on every sentence, on generated texts full of near-misses."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dslint.checks import volatility as v

WINDOW = v.Window(dt.date(2026, 11, 29))

# Pieces that trip, nearly trip or break up the detectors: cue words in both cases, numbers, currency, years,
# sentence ends, newlines, code, non-ASCII digits and the characters that fold to ASCII only under IGNORECASE.
PIECES = [
    "currently", "Currently,", "Today,", "today", "now", "know", "as of 2025", "As of now", "the latest", "latest",
    "recently", "this year", "last week", "on Monday", "Monday", "Mondays", "yesterday", "according to officials",
    "has announced", "has been released", "version 2.1 was released", "released v3.0", "is out",
    "the CEO of Acme is", "the current CEO", "CEO", "President Joe Biden", "Prime Minister",
    "who is the president of France?", "serves as", "costs $9.99", "$5", "Rs. 500", "Rs500", "users", "€20",
    "20 dollars", "price of gold today", "how much does it cost", "the most recent", "the last time",
    "have won four titles", "1 pound = 0.45 kg", "one pound is", "today's world", "the last year's",
    "in stock", "sold out", "ships in 3 days", "population of 5 million", "has a population of", "GDP of 3%",
    "the world's richest", "most popular", "most popular app", "is the most popular in the world", "ranked No. 1",
    "holds the record", "won 3-1", "the reigning champions", "this season", "leads the league", "2024", "2031",
    "1999", "2025-03-01", "3/4/2026", "in 1945", "was born", "used to", "was", "is", "the", "of", "A", "Acme",
    "Jane Doe", ".", ". ", "? ", "!", "\n", "\n\n", ",", " ", "  ", "No. 1", "3.5", "`code`", "```\nx = 1\n```",
    "https://x.org/now",
    "numpy==1.26", "import os\n", "is the largest city", "the largest", "city", "companies", "one of the",
    "most followed", "best-selling", "top five", "top", "brands", "by population", "popular on TikTok",
    "all-time leading", "has won the most", "has released 10 albums", "how many albums has", "released", "2019 - present", "(2014 )",
    "has been the ambassador to", "since", "the seven more recent", "Prime Ministers", "summarize the article",
    "according to the text", "\u0663\u0660", "\u212a", "\u017f", "\u0130", "caf\u00e9", "\u2019s", "–", "-",
]

text = st.lists(st.sampled_from(PIECES), min_size=1, max_size=30).map(" ".join)
text_tight = st.lists(st.sampled_from(PIECES), min_size=1, max_size=30).map("".join)


def _every_detector(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(v, "_live", lambda detectors, side, masked: [
        d for d in detectors if (d.prompt if side == "prompt" else d.target)])


def _both(monkeypatch: pytest.MonkeyPatch, sample: str, mode: str) -> tuple[list[v.VolatileSpan], ...]:
    """Spans with the pre-filter in `mode` ('plan': derived needs, 'keys': declared keys) and without one."""
    with monkeypatch.context() as m:
        m.setattr(v, "_PLANS", {})
        m.setattr(v, "PLAN_AFTER_TEXTS", 0 if mode == "plan" else 10**9)
        fast = [v.scan(sample, side, WINDOW) for side in ("target", "prompt")]
    with monkeypatch.context() as m:
        _every_detector(m)
        slow = [v.scan(sample, side, WINDOW) for side in ("target", "prompt")]
    return fast, slow


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sample=st.one_of(text, text_tight))
@example(sample="Sales fell.\n2025 was a record year.")  # a year at a sentence start: ^ holds there, not in the text
@example(sample="It rained. Today, prices rose.")
@example(sample="He was fired.\nOn Monday\nTuesday it resumed?")
def test_prefilter_changes_no_span(monkeypatch: pytest.MonkeyPatch, sample: str) -> None:
    for mode in ("plan", "keys"):
        fast, slow = _both(monkeypatch, sample, mode)
        assert fast == slow, mode


def test_the_generated_texts_do_trip_detectors(monkeypatch: pytest.MonkeyPatch) -> None:
    """The property above is not vacuous: these pieces, joined, give spans in several categories."""
    fast, slow = _both(monkeypatch, " ".join(PIECES), "plan")
    assert fast == slow
    assert len({s.category for spans in fast for s in spans}) >= 6


@pytest.mark.parametrize("det", v.DETECTORS, ids=lambda d: f"{d.category}:{d.pattern.pattern[:24]}")
def test_every_match_holds_what_its_gate_needs(det: v.Detector) -> None:
    """The gates together match every text the pattern matches, and each need derived from a gate is met by the
    texts that gate matches (ASCII and general plans)."""
    samples = [s for s in PIECES + [" ".join(PIECES)] if det.pattern.search(s)]
    for sample in samples:
        assert any(g.search(sample) for g in det.gates), sample
    for gate in det.gates:
        for ascii_only in (True, False):
            for need in v.pattern_needs(gate, ascii_only):
                for sample in [s for s in samples if gate.search(s) and (s.isascii() or not ascii_only)]:
                    low = sample.lower()
                    assert not need.words.isdisjoint(v.text_keys(low)) or any(s in low for s in need.substrings)


def test_a_pattern_anchored_on_a_sentence_start_has_a_looser_gate() -> None:
    """A pattern with ^ (outside a class) or a lookahead over whitespace can match a sentence and not the whole text,
    so its gate must differ from it."""
    risky = re.compile(r"(?<!\[)(?<!\(\?<!)\^|\(\?!\\s")
    for det in v.DETECTORS:
        if risky.search(det.pattern.pattern):
            assert det.gate is not det.pattern, det.pattern.pattern[:60]


def test_needs_are_derived_for_every_gate() -> None:
    """A gate without derived needs would be searched in every text (correct but slow)."""
    assert all(v.pattern_needs(g) for d in v.DETECTORS for g in d.gates)


@pytest.mark.parametrize("source, parts", [
    (r"a|b(?:c|d)", ["a", "b(?:c|d)"]),
    (r"\b(?:x|y[|)]|z\|)\b", [r"\b(?:x)\b", r"\b(?:y[|)])\b", r"\b(?:z\|)\b"]),
    (r"p(?:q|r)s(?:t|u)", ["p(?:q)s(?:t|u)", "p(?:r)s(?:t|u)"]),
    (r"(?P<y>a|b)c", [r"(?P<y>a|b)c"]),
])
def test_alternatives_cut_a_pattern_into_parts_that_match_what_it_matches(source: str, parts: list[str]) -> None:
    assert v.alternatives(source) == parts
