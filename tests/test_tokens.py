"""F family, token length: exact counts with a tokenizer (and its chat template), the labelled estimate,
F070/F071 against max-seq-len, and the token_counts artifact other checks reuse."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from conftest import chat, make_records
from dslint.artifacts import Artifacts
from dslint.checks.tokens import (TokenCount, TokenCounts, TokenLengthCheck, compute_token_counts, estimate_counts,
                                  estimate_tokens)
from dslint.config import Config
from dslint.errors import ConfigError, SkipCheck
from dslint.model import Finding, Metric, Severity
from dslint.profiles import get_profile

TEMPLATE = ("{% for m in messages %}<{{ m.role }}> {{ m.content }} </s> {% endfor %}"
            "{% if add_generation_prompt %}<assistant> {% endif %}")


def word_tokenizer(folder: Path, template: str | None = None) -> Path:
    """A whitespace word-level tokenizer saved as tokenizer.json (one token per word, unknown words -> [UNK])."""
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel
    from tokenizers.pre_tokenizers import WhitespaceSplit

    folder.mkdir(parents=True, exist_ok=True)
    tok = Tokenizer(WordLevel({"[UNK]": 0, "hello": 1}, unk_token="[UNK]"))
    tok.pre_tokenizer = WhitespaceSplit()
    tok.save(str(folder / "tokenizer.json"))
    if template is not None:
        (folder / "tokenizer_config.json").write_text(json.dumps({"chat_template": template, "eos_token": "</s>"}))
    return folder


@pytest.mark.parametrize("text, tokens", [("", 0), ("abcd" * 10, 10), ("abc", 1), ("日本語", 3), ("né", 2)])
def test_estimate(text: str, tokens: int) -> None:
    assert estimate_tokens(text) == tokens


def test_estimate_counts_sides_and_turn_overhead() -> None:
    [rec] = make_records([chat("abcd" * 4, "abcd" * 2)])
    counts = estimate_counts([rec])
    assert counts[0] == TokenCount(prompt=4 + 4, target=2 + 4) and not counts.exact
    assert "estimate" in counts.method


def test_exact_counts_with_a_tokenizer_file(tmp_path: Path) -> None:
    folder = word_tokenizer(tmp_path / "tok")
    records = make_records([{"prompt": "one two three", "completion": "four five"}])
    config = Config(checks={"tokens": {"tokenizer": str(folder / "tokenizer.json")}})
    counts = compute_token_counts(records, config)
    assert counts.exact and counts[0] == TokenCount(3, 2) and counts.method.startswith("tokenizer ")


def test_exact_counts_render_the_chat_template(tmp_path: Path) -> None:
    folder = word_tokenizer(tmp_path / "tok", TEMPLATE)
    records = make_records([chat("one two", "three")])
    counts = compute_token_counts(records, Config(checks={"tokens": {"tokenizer": str(folder)}}))
    # prompt: "<user> one two </s> <assistant>" = 5 words; full adds "<assistant> three </s>" minus the
    # generation prompt: "<user> one two </s> <assistant> three </s>" = 7 words.
    assert counts[0] == TokenCount(5, 2) and "chat template" in counts.method
    plain = compute_token_counts(records, Config(checks={"tokens": {"tokenizer": str(folder),
                                                                    "chat-template": False}}))
    assert plain[0] == TokenCount(2, 1)


def test_tokenizer_paths_resolve_against_the_config_folder(tmp_path: Path) -> None:
    word_tokenizer(tmp_path / "tok")
    config = Config(checks={"tokens": {"tokenizer": "tok"}}, root=str(tmp_path))
    assert compute_token_counts(make_records([chat("a b", "c")]), config).exact


def test_a_missing_tokenizer_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        compute_token_counts([], Config(checks={"tokens": {"tokenizer": str(tmp_path / "nope")}}))


def test_artifact_is_shared_through_the_store() -> None:
    records = make_records([chat("a" * 40, "b" * 8)])
    store = Artifacts({"records": records, "config": Config()})
    counts = store.get("token_counts")
    assert isinstance(counts, TokenCounts) and counts.totals() == [(10 + 4) + (2 + 4)]
    assert store.get("token_counts") is counts


def length_findings(counts: list[TokenCount], exact: bool = True, profile: str = "generic",
                    **options: Any) -> list[Finding | Metric]:
    records = make_records([chat(f"q{i}", "a") for i in range(len(counts))])
    check = TokenLengthCheck(TokenLengthCheck.Options(**options))
    return list(check.run(records=records, token_counts=TokenCounts(tuple(counts), "test", exact),
                          profile=get_profile(profile)))


@pytest.mark.parametrize("count, expected", [
    (TokenCount(50, 40), []),
    (TokenCount(50, 50), []),
    (TokenCount(60, 50), ["F070"]),
    (TokenCount(100, 5), ["F071"]),
    (TokenCount(120, 0), ["F070"]),  # no answer (classification text): the text itself is cut
])
def test_limits(count: TokenCount, expected: list[str]) -> None:
    found = [f for f in length_findings([count], max_seq_len=100) if isinstance(f, Finding)]
    assert [f.code for f in found] == expected


def test_too_long_says_how_much_of_the_answer_is_cut() -> None:
    [f] = [f for f in length_findings([TokenCount(80, 50)], max_seq_len=100) if isinstance(f, Finding)]
    assert "130 tokens exceeds max-seq-len 100" in f.message and "cuts 30 of the answer's 50" in f.message


def test_estimates_are_labelled_and_never_errors() -> None:
    [f] = [f for f in length_findings([TokenCount(100, 5)], exact=False, max_seq_len=100) if isinstance(f, Finding)]
    assert "(estimate)" in f.message and f.severity == Severity.WARNING
    [g] = [f for f in length_findings([TokenCount(100, 5)], exact=True, max_seq_len=100) if isinstance(f, Finding)]
    assert g.severity == Severity.ERROR


def test_the_profile_gives_the_limit_and_no_limit_skips() -> None:
    found = length_findings([TokenCount(1000, 100)], profile="trl")
    assert [f.code for f in found if isinstance(f, Finding)] == ["F070"]
    with pytest.raises(SkipCheck):
        length_findings([TokenCount(1000, 100)], profile="generic")
    assert dataclasses.replace(get_profile("trl")).max_seq_len == 1024
