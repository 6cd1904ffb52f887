"""F family, content that is not really content: placeholders, loops, canned refusals, mojibake (F050-F055)."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import chat, make_records
from dslint.checks.format import ContentCheck, repeated_share, template_placeholder
from dslint.config import Config
from dslint.model import Finding


def content_findings(values: list[dict[str, Any]], **options: Any) -> set[tuple[str, str | None]]:
    check = ContentCheck(ContentCheck.Options(**options))
    return {(f.code, f.location.field) for f in check.run(records=make_records(values), config=Config())
            if isinstance(f, Finding)}


def alpaca(instruction: str = "Write a greeting.", input: str = "", output: str = "Hello there, friend.") -> dict:
    return {"instruction": instruction, "input": input, "output": output}


LOOP = "Eat a banana!" * 300
PARAGRAPH = ("The committee met on Tuesday to review the budget. Several members raised concerns about the cost of "
             "the new library wing, while others argued that the investment would pay for itself within a decade. "
             "After two hours of debate, the proposal was sent back for revision with a request for detailed "
             "estimates from at least three contractors.")

CASES = [
    # F050 unrendered templates
    (alpaca(output="Hello! I am {{name}}, an AI assistant developed by {{author}}."), {("F050", "output")}),
    (alpaca(output="Dear {recipient}, thank you for your order."), {("F050", "output")}),
    (alpaca(instruction="Translate for {{ user_name }} please."), {("F050", "instruction")}),
    (alpaca(output="def greet(name):\n    return f'Hello {name}'"), set()),
    (alpaca(output="The fraction \\frac{a}{b} and the sequence {x_nk} converge."), set()),
    (alpaca(output="url: https://ghcr.io/${{ github.repository }}"), set()),
    (alpaca(output="The set {a} has one element; {1, 2} has two."), set()),
    # F051 placeholder inputs
    (alpaca(input="<noinput>"), {("F051", "input")}),
    (alpaca(input="No input."), {("F051", "input")}),
    (alpaca(input="< noinput >"), {("F051", "input")}),
    (alpaca(input="`<noinput>`"), {("F051", "input")}),
    (alpaca(input="The quick brown fox jumps over the lazy dog."), set()),
    (alpaca(input="No input is too small to matter, said the teacher."), set()),
    # F052 placeholder targets
    (alpaca(output="N/A"), {("F052", "output")}),
    (alpaca(output="..."), {("F052", "output")}),
    (alpaca(output=" TODO "), {("F052", "output")}),
    (alpaca(output="None of the options apply here."), set()),
    (alpaca(output="42"), set()),
    # F053 repetition
    (chat("I'm hungry.", LOOP), {("F053", "messages[1].content")}),
    (alpaca(output="好的" * 200), {("F053", "output")}),
    (alpaca(output=PARAGRAPH), set()),
    (alpaca(output="'prime', 'prime', 'composite', 'prime', 'composite', 'prime', 'composite', 'composite', "
                   "'composite', 'prime', 'composite', 'prime', 'composite', 'composite', 'composite'."), set()),
    (alpaca(output="1. Wash the rice.\n2. Boil the water.\n3. Add the rice.\n4. Simmer for 15 minutes.\n"
                   "5. Rest for 5 minutes.\n6. Fluff with a fork.\n7. Serve with the curry."), set()),
    # F054 refusals
    (alpaca(output="As an AI language model, I cannot browse the internet."), {("F054", "output")}),
    (chat("Tell me a joke", "I'm sorry, but I cannot help with that."), {("F054", "messages[1].content")}),
    (alpaca(output="The AI model was trained on language data and cannot be perfect."), set()),
    (alpaca(instruction="As an AI language model, summarise this.", output="Sure: it is about cats."), set()),
    # F055 mojibake
    (alpaca(output="The Mona Lisa doesnâ€™t have eyebrows."), {("F055", "output")}),
    (alpaca(instruction="Say cafÃ© properly.", output="café"), {("F055", "instruction")}),
    (alpaca(output="naïve résumé — “quotes” 日本語"), set()),
]


@pytest.mark.parametrize("record, expected", CASES)
def test_content_rules(record: dict[str, Any], expected: set[tuple[str, str]]) -> None:
    assert content_findings([record]) == expected


def test_repeat_threshold_is_an_option() -> None:
    half = PARAGRAPH + " " + " ".join(["again and again and again"] * 12)
    assert repeated_share(half)[0] > 0.2
    assert content_findings([alpaca(output=half)], min_repeat_share=0.2) == {("F053", "output")}
    assert content_findings([alpaca(output=half)], min_repeat_share=0.9) == set()


@pytest.mark.parametrize("text", [PARAGRAPH * 3, LOOP, "one two three four five " * 10, "好的" * 200])
def test_the_distinct_word_bound_never_changes_a_verdict(text: str) -> None:
    exact = repeated_share(text)[0]
    for floor in (0.1, 0.5, 0.9):
        assert (repeated_share(text, floor=floor)[0] >= floor) == (exact >= floor)


def test_placeholder_reports_what_it_found() -> None:
    assert template_placeholder("Hi {{ name }}!") == "{{ name }}"
    assert template_placeholder("no braces") is None


def test_tool_results_are_not_judged_as_prose() -> None:
    record = {"messages": [{"role": "user", "content": "weather?"},
                           {"role": "assistant", "content": None, "tool_calls": [
                               {"id": "c", "type": "function", "function": {"name": "w", "arguments": "{}"}}]},
                           {"role": "tool", "tool_call_id": "c", "content": "N/A"},
                           {"role": "assistant", "content": "I could not get the weather."}]}
    assert content_findings([record]) == set()


def test_content_prefilters_agree_with_the_patterns_they_guard():
    import random
    import re

    from dslint.checks.format import REFUSALS, alnum_key, refusal, short_alnum_key

    rng = random.Random(3)
    pieces = ["I'm sorry, but I cannot", "As an AI language model", "i can't help with that request", "my knowledge "
              "cutoff is", "\u0130'M SORRY, BUT \u0130 CANNOT", "No input", "<no input>", " ", "a1" * 30, "-", "\u00e9",
              "N/A", "No_Input!", "\t\x00\x7f~`"]
    for _ in range(2000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 6)))
        want = REFUSALS.search(text)
        got = refusal(text)
        assert (got and got.group(0)) == (want and want.group(0)), text
        key = alnum_key(text)
        assert key == re.sub(r"[^0-9a-z]+", "", text.casefold()), text
        assert short_alnum_key(text, 16) == (key if len(key) <= 16 else None), text
