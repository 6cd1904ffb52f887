"""V rules: facts that go stale (prices, stock, office-holders, versions, statistics, news, recent dates).

Fine-tuning teaches lasting skills; facts that change by the day or the month belong in a retrieval index. Every
detector here is a rule over the text, model-free, so the family runs in --fast mode and in the pre-commit hook.

Each record's target (what the model is taught) is scanned with every detector; its prompt only with the
detectors that show it asks about the present. Precision first: code, arithmetic and word problems, fiction, facts
anchored in the past ("the war ended in 1945") and facts copied from a context passage given in the prompt never
fire. A record yields one finding per category (the first span), and the dataset rule V010 turns the share of
volatile records into the gate.
"""

from __future__ import annotations

import datetime as _dt
import functools
import os
import re
from re import _constants as _c  # the parse tree of a pattern: what it needs (see needed_literals)
from re import _parser
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any, Callable, Iterable, Iterator, Mapping

from dslint.check import Check
from dslint.data import Record
from dslint.errors import SkipCheck
from dslint.model import Finding, Metric, Rule, Severity
from dslint.schema import message_text
from dslint.selection import Selection
from dslint.suppress import noqa_suppresses

# ---- categories and their rules -----------------------------------------------------------------------------------

TIME_RELATIVE = "time-relative"
RECENT_DATE = "recent-date"
PRICE = "price"
STOCK = "stock"
OFFICE_HOLDER = "office-holder"
VERSION = "version"
STATISTIC = "statistic"
NEWS = "news"
SPORTS = "sports"
CATEGORIES = (TIME_RELATIVE, RECENT_DATE, PRICE, STOCK, OFFICE_HOLDER, VERSION, STATISTIC, NEWS, SPORTS)
CODES = {cat: f"V{i:03d}" for i, cat in enumerate(CATEGORIES, start=1)}
SHARE_CODE = "V010"

_ADVICE = ("Move facts like these into a retrieval index (RAG) that can be updated, and keep the examples that teach "
           "behaviour (format, tone, reasoning, tool use).")


def _record_rule(category: str, what: str, example_bad: str, example_ok: str) -> Rule:
    code = CODES[category]
    return Rule(
        code, f"volatile-{category}",
        "teaches a volatile fact ({category}): '{span}' in the {side}",
        Severity.INFO,
        summary=f"A record whose target (or present-tense question) states {what}",
        doc=(
            "## What it does\n"
            f"Flags a record that teaches {what}. The target is scanned; the prompt counts only where it asks "
            "about the present. Code, arithmetic, fiction, facts anchored in the past and facts copied from a "
            "context passage in the prompt are ignored. The finding's details give the category, the matched "
            "span, its offset and the side (`target` or `prompt`).\n\n"
            "## Why is this bad?\n"
            "Such a fact is true on the day the data was written and goes stale after training; a model cannot "
            "unlearn it when it changes. " + _ADVICE + " One such record is not an error (info); the share of "
            f"volatile records is judged by {SHARE_CODE}.\n\n"
            "## Example\n"
            f"Flagged: `{example_bad}`\n\nNot flagged: `{example_ok}`\n"
        ),
    )


RECORD_RULES = (
    _record_rule(TIME_RELATIVE, "time-relative language about the state of the world ('currently', 'as of', "
                 "'this year', 'the latest')",
                 '{"output": "The company currently employs 12,000 people."}',
                 '{"output": "Once saved, you can now click Export."}'),
    _record_rule(RECENT_DATE, "an explicit date or year near the present (default: within 3 years back, 5 ahead)",
                 '{"output": "The summit is scheduled for March 2027."}',
                 '{"output": "The war ended in 1945."}'),
    _record_rule(PRICE, "a price or a currency amount someone pays now",
                 '{"output": "A monthly subscription costs $9.99."}',
                 '{"instruction": "Apples cost $2 each. How much do 3 apples cost?", "output": "$6"}'),
    _record_rule(STOCK, "stock or availability ('in stock', 'sold out', 'ships in 3 days')",
                 '{"output": "The blue model is out of stock until Friday."}',
                 '{"output": "Keep flour in an airtight container."}'),
    _record_rule(OFFICE_HOLDER, "who currently holds an office or role ('the CEO of', 'the president of')",
                 '{"output": "The current CEO of Acme is Jane Doe."}',
                 '{"output": "George Washington was the first president of the United States."}'),
    _record_rule(VERSION, "the latest or current version or release of something",
                 '{"output": "The latest stable release is 4.2.1."}',
                 '{"output": "Pin it with `numpy==1.26` in requirements.txt."}'),
    _record_rule(STATISTIC, "a changing statistic (population, exchange rate, market value, ranking, record)",
                 '{"output": "Lagos has a population of about 15 million."}',
                 '{"output": "Mount Everest is the tallest mountain above sea level."}'),
    _record_rule(NEWS, "news or a recent event ('announced on Monday', 'a new report', 'last week')",
                 '{"output": "Officials said on Tuesday that the bridge will reopen."}',
                 '{"output": "The printing press was invented by Gutenberg."}'),
    _record_rule(SPORTS, "a sports result or standing ('the defending champion', 'won 3-1 on Sunday')",
                 '{"output": "City are the reigning champions after beating United 3-1."}',
                 '{"output": "A football match lasts 90 minutes."}'),
)

SHARE_RULE = Rule(
    SHARE_CODE, "volatile-share",
    "{share:.1%} of records ({count:,} of {total:,}) teach volatile facts ({breakdown}); move those facts into a "
    "retrieval index and keep the examples that teach behaviour",
    Severity.WARNING,
    summary="The share of records that teach volatile facts exceeds a threshold (warning 10%, error 30%)",
    scope="dataset",
    doc=(
        "## What it does\n"
        "Counts the records with at least one V001-V009 finding (only the rules selected, and not suppressed on "
        "the record) among the records that have a target (a classification set, which teaches labels, is "
        "skipped) and reports the share overall and per category as metrics (`V.volatile_share`, "
        "`V.share.<category>`). Warns above `warn-share`, errors above `error-share`.\n\n"
        "## Why is this bad?\n"
        "A set where many examples teach facts that change is out of date the day training ends, and the model "
        "will state the stale facts confidently. " + _ADVICE + "\n\n"
        "## Example\n"
        "A product-support set where 40% of answers quote prices and stock levels: error. Rewrite those answers "
        "to call a lookup tool or cite a retrieved passage, and keep the ones about how to return an item.\n\n"
        "## Options\n"
        "`warn-share` (0.10) and `error-share` (0.30): thresholds on the share of volatile records. "
        "`recent-years` (3) and `future-years` (5): the window of years that counts as near the present. "
        "`today` (\"\": the real date): an ISO date to judge recency against. `scan-prompt` (true): also flag "
        "prompts that ask about the present.\n"
    ),
)


# ---- what a detector returns --------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class VolatileSpan:
    """One volatile span: its category, the matched text, its offset in the side's text, and the side."""

    category: str
    span: str
    start: int
    side: str  # "target" or "prompt"


# ---- masking what must never fire: code, URLs, pinned versions ----------------------------------------------------

_CODE_BLOCK = re.compile(r"```.*?(?:```|\Z)|~~~.*?(?:~~~|\Z)", re.S)
_INLINE_CODE = re.compile(r"`[^`\n]+`")
_URL = re.compile(r"\b(?:https?://|www\.)\S+|\b[\w.+-]+@[\w-]+\.[\w.]+")
_PIN = re.compile(r"\b[\w.\-\[\]]+\s*(?:===?|>=|<=|~=|!=|\^|@)\s*v?\d[\w.*+-]*")
_CODE_LINE = re.compile(
    r"^[ \t]*(?:import \w|from [\w.]+ import|def \w+\(|class \w+[(:]|pip3? install|npm |yarn |conda |apt(?:-get)? |"
    r"\$ |>>> |#include|SELECT |INSERT |CREATE |console\.|print\(|return\b|for \w+ in |if .*:\s*$|\w+\s*=\s*[\w\"'\[{(]"
    r"|[{}\[\]();]\s*$|<\/?\w+[^>]*>).*$",
    re.M,
)


_NON_SPACE = re.compile(r"\S")
# Each mask with the literals one of which every match contains: a text without any skips that regex (same result).
_MASKS = ((_CODE_BLOCK, ("```", "~~~")), (_INLINE_CODE, ("`",)), (_CODE_LINE, ()), (_URL, ("://", "www.", "@")),
          (_PIN, ("=", "^", "@")))


def _blank(m: re.Match[str]) -> str:
    return _NON_SPACE.sub(" ", m.group(0))


def mask_code(text: str) -> str:
    """The text with code blocks, inline code, code-like lines, URLs and version pins blanked (offsets kept)."""
    for pattern, needles in _MASKS:
        if not needles or any(n in text for n in needles):
            text = pattern.sub(_blank, text)
    return text


# ---- record-level contexts that switch detection off --------------------------------------------------------------

_FICTION = re.compile(
    r"\b(?:write|compose|create|generate|make up|tell(?: me)?|invent|draft|come up with|continue|finish|give me)\b"
    r"[^.?!\n]{0,50}?\b(?:stor(?:y|ies)|poem|poetry|haiku|limerick|sonnet|fairy ?tale|fable|fiction(?:al)?|"
    r"screenplay|script|lyrics|song|narrative|rap|verse|joke|riddle|dialogue|scene|letter|tale|ad|"
    r"advertisement|slogan|tagline|resume|profile)\b|"
    r"^\W*(?:imagine|pretend|role-?play|suppose|you are an?\b)|\bhypothetical(?:ly)?\b|\bfictional\b",
    re.I,
)
_MATH = re.compile(
    r"\d\s*[-+*/×÷^=]\s*\(?\d|\b(?:calculate|compute|solve|evaluate|simplify|equation|arithmetic|"
    r"how (?:much|many) (?:\w+ ){0,4}(?:in total|altogether|left|remain)|"
    r"how much (?:money )?(?:does|did|will|would|should|do) \w+ (?:have|pay|spend|earn|save|need|get|make|owe))\b",
    re.I,
)


_WORD_PROBLEM = re.compile(r"\bhow (?:much|many)\b|\b(?:in )?total\b|\baltogether\b|\beach\b", re.I)
_DEFERRAL = re.compile(
    r"\b(?:(?:do not|don't|cannot|can't|am unable to) (?:have )?(?:access|browse|know the (?:current|latest))|"
    r"(?:real-time|up-to-date|current|live) (?:information|data|prices|figures)\b[^.]{0,40}\b(?:check|consult|visit|"
    r"refer)|(?:please |you should |I recommend (?:you )?)?(?:check|consult|visit|refer to) (?:the |an? )?(?:official|"
    r"company's|company|latest|current|reputable|local)[\w ]{0,30}(?:website|site|source|news|page|agent)|"
    r"(?:my|the) (?:knowledge|training) (?:cutoff|cut-off))", re.I)


# Characters that IGNORECASE matches to an ASCII letter but that lower() does not turn into it (Kelvin sign, long s,
# dotted and dotless i): in a text with one of them a hint cannot stand in for the pattern.
_FOLDS_TO_ASCII = ("\u212a", "\u017f", "\u0130", "\u0131")


# Lower-case words one of which every match of the pattern contains: a text without any skips the regex.
_FICTION_WORDS = ("write", "compose", "create", "generate", "make up", "tell", "invent", "draft", "come up with",
                  "continue", "finish", "give me", "imagine", "pretend", "role", "suppose", "you are", "hypothetical",
                  "fictional")
_MATH_WORDS = ("calculate", "compute", "solve", "evaluate", "simplify", "equation", "arithmetic", "how much",
               "how many")
_DEFERRAL_WORDS = ("access", "browse", "know the ", "check", "consult", "visit", "refer", "cutoff", "cut-off")
_DIGIT = re.compile(r"\d")


def _may_contain(text: str, words: tuple[str, ...]) -> bool:
    """Whether `text` can hold an IGNORECASE match of a pattern every match of which contains one of `words`."""
    if any(c in text for c in _FOLDS_TO_ASCII):
        return True
    low = text.lower()
    return any(w in low for w in words)


def is_fiction(prompt: str, target: str) -> bool:
    """The prompt asks for a story, poem, role-play or other made-up text (its 'facts' are not claims)."""
    return (_may_contain(prompt, _FICTION_WORDS) and bool(_FICTION.search(prompt))) or \
        target.lstrip().lower().startswith("once upon a time")


def is_math(prompt: str) -> bool:
    """The prompt is arithmetic or a word problem (its prices and numbers are givens, not facts about the world)."""
    masked = mask_code(prompt)
    # Every match of _MATH holds a digit or one of its words; every amount of money holds a digit.
    if not _DIGIT.search(masked) and not _may_contain(masked, _MATH_WORDS):
        return False
    return bool(_MATH.search(masked)) or bool(re.search(_MONEY, masked) and _WORD_PROBLEM.search(masked))


def defers(target: str) -> bool:
    """The target declines to state a live fact and points to a current source: the behaviour we want taught."""
    return _may_contain(target, _DEFERRAL_WORDS) and bool(_DEFERRAL.search(target))


# ---- sentences, and whether one is anchored in the past ------------------------------------------------------------

_YEAR = re.compile(r"(?<![\d$£€¥.,#:/-])(?:1[5-9]\d\d|20\d\d)(?![\d%])(?!\.\d)(?!,\d)")
_HISTORIC_WORDS = re.compile(
    r"\b(?:\d{1,2}(?:st|nd|rd|th) century|B\.?C\.?E?|A\.?D\.?|ancient|medieval|in the (?:past|old days)|"
    r"historically|used to|was born|were born)\b",
    re.I,
)


_SENTENCE_END = re.compile(r"(?<!\bNo)(?<!\b[A-Z])(?<!\d)[.!?]+(?=\s+|$)|\n+")


def sentences(text: str) -> Iterator[tuple[int, str]]:
    """(offset, sentence) pairs; a decimal point like 3.5 or 'No. 1' does not end a sentence."""
    start = 0
    for m in _SENTENCE_END.finditer(text):
        end = m.end()
        if text[start:end].strip():
            yield start, text[start:end]
        start = end
    if text[start:].strip():
        yield start, text[start:]


@dataclass(frozen=True)
class Window:
    """Which years count as near the present: [today.year - back, today.year + ahead]."""

    today: _dt.date
    back: int = 3
    ahead: int = 5

    def recent(self, year: int) -> bool:
        return self.today.year - self.back <= year <= self.today.year + self.ahead

    def historic(self, year: int) -> bool:
        return year < self.today.year - self.back


def anchored_in_past(sentence: str, window: Window) -> bool:
    """The sentence is about a settled past: it names a year before the recent window, or uses past anchors."""
    if any(window.historic(int(y)) for y in _YEAR.findall(sentence)):
        return True
    return bool(_HISTORIC_WORDS.search(sentence))


# ---- the detectors -------------------------------------------------------------------------------------------------

Guard = Callable[[str, "re.Match[str]", Window], bool]


@dataclass(frozen=True)
class Detector:
    """A pattern for one category. `past_ok`: still fires in a sentence anchored in the past. `prompt`: also
    applies to the prompt (it shows the prompt asks about the present); `target`: to the target; `keys`: substrings
    one of which every match contains, so a sentence without any of them skips the regex. `hint`: for a detector
    without keys, lower-case literals one of which every match contains (as the pattern matches it, ignoring case),
    so only the sentences where one occurs run the pattern. `guard`: an extra veto on a match. `gate`: a pattern
    that matches a whole text wherever the detector's pattern matches one of its sentences (the pattern itself,
    unless it anchors on the start of a sentence or looks ahead past its end); a text it does not match is skipped."""

    category: str
    pattern: re.Pattern[str]
    prompt: bool = False
    past_ok: bool = False
    target: bool = True
    keys: tuple[str, ...] = ()  # a lower-case substring every match contains (a cheap pre-filter); () = always run
    guard: Guard | None = None
    hint: tuple[str, ...] = ()
    gate: re.Pattern[str] | None = None  # default: the pattern itself

    def __post_init__(self) -> None:
        if self.gate is None:
            object.__setattr__(self, "gate", self.pattern)

    @functools.cached_property
    def gates(self) -> tuple[re.Pattern[str], ...]:
        """The gate cut into its top-level alternatives: a text matches the gate iff it matches one of them, and
        each alternative needs more specific words than the whole."""
        assert self.gate is not None
        return tuple(re.compile(alt, self.gate.flags) for alt in alternatives(self.gate.pattern))


def alternatives(source: str) -> list[str]:
    """A regex source as alternatives that together match what it matches: cut at its top-level '|', else its first
    top-level '(?:a|b)' group distributed over what surrounds it (x(?:a|b)y -> xay, xby)."""
    bars = _depth_zero_bars(source)
    if bars:
        cuts = [-1, *bars, len(source)]
        return [source[a + 1:b] for a, b in zip(cuts, cuts[1:])]
    for start, end in _top_groups(source):
        body = source[start + 3:end]
        if source.startswith("(?:", start) and _depth_zero_bars(body):
            return [source[:start] + "(?:" + alt + ")" + source[end + 1:] for alt in alternatives(body)]
    return [source]


def _top_groups(source: str) -> list[tuple[int, int]]:
    """(offset of '(', offset of its ')') of each top-level group."""
    groups, opened = [], 0
    for i, ch, depth in _structure(source):
        if ch == "(" and depth == 1:
            opened = i
        elif ch == ")" and depth == 0:
            groups.append((opened, i))
    return groups


def _depth_zero_bars(source: str) -> list[int]:
    """Offsets of the '|' outside any group or character class."""
    return [i for i, ch, depth in _structure(source) if ch == "|" and depth == 0]


def _structure(source: str) -> Iterator[tuple[int, str, int]]:
    """(offset, character, group depth after it) of each character of a regex source outside escapes and classes."""
    depth, i, in_class = 0, 0, False
    while i < len(source):
        ch = source[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
            i += source[i + 1:i + 2] == "^"
            i += source[i + 1:i + 2] == "]"
        else:
            depth += (ch == "(") - (ch == ")")
            yield i, ch, depth
        i += 1


def _rx(pattern: str, flags: int = re.I) -> re.Pattern[str]:
    return re.compile(pattern, flags)


_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|"
          r"Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)")
_FEW = r"(?:\d+|two|three|four|five|six|seven|eight|nine|ten|few|several)"
_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_DIGITS = tuple("0123456789")
_OFFICE_KEYS = ("ceo", "chief", "chair", "president", "minister", "premier", "chancellor", "governor", "mayor",
                "senator", "secretary", "coach", "manager", "director", "speaker", "attorney", "cfo", "cto", "coo",
                "leader", "head", "king", "queen", "monarch", "pope", "owner", "captain", "rep.", "sen.", "gov.",
                "ambassador")
_MONEY = (r"(?:[$£€¥₹₩₽]\s?\d[\d,]*(?:\.\d+)?(?:\s?(?:k|m|bn|million|billion|trillion))?|"
          r"\b\d[\d,]*(?:\.\d+)?\s?(?:USD|EUR|GBP|JPY|CNY|INR|CAD|AUD|CHF|dollars?|euros?|pounds sterling|yen|"
          r"yuan|rupees?|pesos?)\b|\b(?:USD|EUR|GBP|US\$|A\$|C\$|Rs\.?)\s?\d[\d,]*(?:\.\d+)?)")
_OFFICE = (r"(?:CEO|chief executive(?: officer)?|chairman|chairwoman|chairperson|chair|president|vice[- ]president|"
           r"prime minister|premier|chancellor|governor|mayor|senator|secretary[- ]general|secretary of state|"
           r"(?:foreign|home|health|defen[cs]e|finance) (?:secretary|minister)|minister(?: of [\w ]{3,30}?)?|"
           r"head coach|manager|director[- ]general|speaker of the house|attorney general|"
           r"chief (?:justice|financial officer|technology officer|operating officer)|CFO|CTO|COO|leader|head|"
           r"king|queen|monarch|pope|owner|captain|ambassador)")
_TITLE_BEFORE_NAME = (r"\b(?:President|Prime Minister|Chancellor|Governor|Mayor|Senator|(?:[A-Z][a-z]+ )?Secretary|"
                      r"(?:[A-Z][a-z]+ )?Minister|CEO|Chief Executive|Chairman|Premier|Speaker|Attorney General|"
                      r"Rep\.|Sen\.|Gov\.)(?<!Premier)\s+(?:[A-Z][a-z'’-]+\s){0,2}[A-Z][a-z'’-]+")
_NEWS_VERB = (r"(?:announced|unveiled|revealed|launched|confirmed|declared|appointed|resigned|indicted|arrested|"
              r"charged|sued|banned|approved|passed|signed|vowed|pledged|warned|slammed|criticized|criticised|"
              r"urged|called for|called on|agreed|rejected|blocked|reported|released|ordered|voted|killed|"
              r"injured|died|fired|sacked|stepped down|filed|ruled|imposed|lifted|postponed|cancell?ed|"
              r"suspended|fined|accused|denied|admitted|apologi[sz]ed|won|lost|broke|topped|"
              r"reached|hit|surged|plunged|soared|fell|rose)")
_NEWS_PERFECT = (r"(?:announced|unveiled|revealed|confirmed|declared|appointed|resigned|indicted|arrested|charged|"
                 r"sued|banned|approved|signed|vowed|pledged|warned|slammed|critici[sz]ed|urged|called for|called on|"
                 r"ordered|voted|fired|sacked|stepped down|quit|imposed|lifted|postponed|cancell?ed|suspended|fined|"
                 r"accused|apologi[sz]ed|made headlines)")


def _not_howto(sentence: str, m: re.Match[str], window: Window) -> bool:
    """A how-to or conversational sentence addressed to the reader ('you can now click') is not a world fact."""
    return not re.search(r"\b(?:(?i:you|your|yourself|we|let's)|I|I'm|I am|my|click|select|press|tap|open|type|run)\b",
                         sentence)


def _year_context(sentence: str, m: re.Match[str], window: Window) -> bool:
    """A 4-digit number near the present that reads as a year (not a count, an amount or an operand)."""
    year = int(m.group("year"))
    if not window.recent(year):
        return False
    before, after = sentence[:m.start("year")], sentence[m.end("year"):]
    if re.search(r"[-+*/×÷=^]\s*$", before) or re.match(r"\s*[-+*/×÷=^]\s*\d", after):
        return False
    if re.match(r"\s*(?:people|persons|residents|inhabitants|units|items|words|pages|km|miles|meters|metres|kg|"
                r"pounds|calories|rpm|mAh|x\d|px|ms|MB|GB|TB|hours|minutes|seconds)\b", after, re.I):
        return False
    return True


def _names_entity(sentence: str) -> bool:
    """The sentence names someone or something: a capitalised word that does not start it."""
    return bool(re.search(r"(?<=[\w,;:'’] )[A-Z][a-z]", sentence))


def _money_guard(sentence: str, m: re.Match[str], window: Window) -> bool:
    """A currency amount someone pays now: a present-tense price cue near the amount, or a price question."""
    if re.search(r"\b(?:was|were|would|had|did|used to)\b", sentence, re.I):
        return False
    return bool(re.search(
        r"\b(?:costs?|priced|prices?|pricing|sells? for|retails?|fee|fares?|tickets?|subscriptions?|per (?:month|"
        r"year|night|hour|day|week|person|gallon|litre|liter|barrel|ounce|share|kg|pound|unit|user|seat)|"
        r"/(?:mo|month|yr|year|night|hr|hour)|a month|a year|monthly|annually|starts? at|starting at|"
        r"rent|wages?|salary|minimum wage|rates?|charges?|MSRP|RRP|on sale|discount|deal|worth|trades? at|"
        r"trading at|valued at|market (?:cap|value)|auctioned|sold for|bought for|how much)\b", sentence, re.I))


def _not_generic_period(sentence: str, m: re.Match[str], window: Window) -> bool:
    """Not 'the last year's growth' / 'a next year's budget': a period used as a generic possessive."""
    return not (re.match(r"['’]s\b", sentence[m.end():]) and re.search(r"\b(?:the|a|each|every)\s+$",
                                                                       sentence[:m.start()], re.I))


_UNIT = re.compile(r"\s*(?:=|equals|is|are)?\s*(?:about |approximately |roughly )?[\d.,]+\s*(?:kilo(?:gram)?s?|kg|"
                   r"grams?|g\b|ounces?|oz|stones?|tonnes?|tons?|lbs?|newtons?|joules?|litres?|liters?)\b", re.I)


def _unit_conversion(sentence: str, m: re.Match[str]) -> bool:
    """'1 pound = 0.45 kilograms': a unit conversion (a settled fact), not an exchange rate."""
    return "pound" in m.group().lower() and bool(_UNIT.match(sentence, m.end() - len(m.group().split()[-1])))


def _not_former(sentence: str, m: re.Match[str], window: Window) -> bool:
    """Not an ordinal, former or founding holder ('the first president', 'former CEO')."""
    return not re.search(r"\b(?:first|second|third|\d+(?:st|nd|rd|th)|former|founding|late|last|previous|past|"
                         r"then|one-time|ex-)\W*$", sentence[:m.start()].lower()[-40:])


def _present_role(sentence: str, m: re.Match[str], window: Window) -> bool:
    """The role is held now: not an ordinal, former or founding holder, and not in the past tense."""
    if not _not_former(sentence, m, window):
        return False
    return not re.search(r"\b(?:was|were|had been|served|became|had|did)\b", sentence, re.I) or bool(
        re.search(r"\b(?:currently|current|now|incumbent|sitting|present)\b", sentence, re.I))


_RANKING = (r"(?:largest|biggest|most (?:popular|populous|valuable|followed|subscribed|visited|watched|streamed|"
            r"successful|decorated|downloaded|used)|best[- ]selling|highest[- ](?:grossing|paid|rated)|richest|"
            r"wealthiest|leading)")
_RANKING_KEYS = ("largest", "biggest", "most ", "best-selling", "best selling", "highest", "richest", "wealthiest",
                 "leading")
# What a ranking of the moment is about: people, organisations, works, places by population; not nature's records
_RANKED = (r"(?:compan(?:y|ies)|corporations?|firms?|brands?|employers?|econom(?:y|ies)|cit(?:y|ies)|towns?|"
           r"airlines?|banks?|retailers?|stadiums?|arenas?|airports?|universit(?:y|ies)|colleges?|bands?|artists?|"
           r"musicians?|singers?|rappers?|actors?|actress(?:es)?|athletes?|players?|(?:goal ?)?scorers?|teams?|"
           r"clubs?|franchises?|films?|movies?|albums?|songs?|books?|novels?|video games?|games|apps?|websites?|"
           r"platforms?|manufacturers?|automakers?|carmakers?|producers?|exporters?|importers?|leagues?|TV shows?|"
           r"shows|restaurants?|hotels?|buildings?|skyscrapers?|malls?|chains?|channels?|accounts?|profiles?|"
           r"YouTubers?|influencers?|podcasts?|sports|majors|billionaires?|tech companies|metropolitan areas?|"
           r"social (?:media|networks?)|smartphones?|phones?|programming languages?|frameworks?|formats?)")


# What every ranking detector's match holds: a text without it skips them (their alternatives cut on the superlative)
_RANKING_GATE = _rx(r"\b" + _RANKING + r" (?:[\w&.'-]+ ){0,4}?" + _RANKED + r"\b")


def _ranked_now(sentence: str, m: re.Match[str], window: Window) -> bool:
    """A ranking of the moment, not a past one ('was the largest')."""
    return not re.search(r"\b(?:was|were|had been|used to)\b", m.group(), re.I)


DETECTORS: tuple[Detector, ...] = (
    # --- time-relative language ---
    Detector(TIME_RELATIVE, _rx(
        r"\bas of (?:today|now|this (?:week|month|year)|the time of writing|writing|(?:early |late |mid-?)?"
        r"(?:" + _MONTH + r"\s+)?(?:\d{1,2},?\s+)?20\d\d)\b|\bat the time of (?:writing|this writing)\b|"
        r"\b(?:at present|right now|as of now|nowadays|these days|so far this (?:year|season|month)|"
        r"(?<!up )to date|year[- ]to[- ]date|in recent (?:years|decades|months|times)|"
        r"over the (?:last|past) (?:decade|few years|several years|\d+ years|year|few months)|"
        r"recent (?:years|advances|advancements|developments|trends|events|data|figures|studies|research)|"
        r"on the rise|(?:growing|gaining|surging) (?:in )?popularity|increasingly (?:popular|common)|"
        r"(?:is|are) (?:now )?trending)\b"), prompt=True, past_ok=True,
        keys=("as of", "at the time", "at present", "right now", "nowadays", "these days", "so far", "to date",
              "recent", "over the", "on the rise", "popularity", "increasingly", "trending")),
    Detector(TIME_RELATIVE, _rx(r"\btoday's (?!date\b)(?!(?:[\w-]+ ){0,3}(?:world|society|age|era|times|"
                                r"generation|youth|environment|landscape)\b)|"
                                r"\bas of (?:the )?(?:end|completion|start|beginning) of (?:the )?"
                                r"(?:20\d\d|this|last|current)|\b(?:the )?most up[- ]to[- ]date\b|\b(?:the )?(?:last "
                                + _FEW + r"|" + _FEW + r" (?:more|most) recent) "
                                r"(?:[\w\"'“”-]+ ){0,4}"
                                r"(?:winners|champions|presidents|prime ministers|leaders|CEOs|holders|years|seasons|"
                                r"elections|editions|tournaments|World Cups|Olympics|Super Bowls|albums|releases|"
                                r"versions|movies|films|books|recipients|laureates)\b"), prompt=True, past_ok=True,
             guard=_not_howto,
             hint=("today's", "as of ", "up-to-date", "up to date", "up-to date", "up to-date", "last ", " recent ")),
    Detector(TIME_RELATIVE, _rx(r"(?:^|\n)\s*(?:Today|Nowadays|Currently|At present),|\bthe current (?:situation|"
                                r"state of affairs|political|economic|climate|market|events|affairs|trends?|"
                                r"administration|government|leadership|status)"), prompt=True, past_ok=True,
             guard=_not_howto, hint=("today,", "nowadays,", "currently,", "at present,", "the current "),
             gate=_rx(r"(?:Today|Nowadays|Currently|At present),|\bthe current ")),
    Detector(TIME_RELATIVE, _rx(r"\b(?:currently|presently|at the moment)\b"), prompt=True, past_ok=True,
             guard=_not_howto, hint=("currently", "presently", "at the moment")),
    Detector(TIME_RELATIVE, _rx(
        r"\b(?:this|last|next|earlier this|later this) (?:year|month|week|quarter|spring|summer|autumn|"
        r"fall|winter)\b|\b(?:the )?(?:latest|newest|most recent(?:ly)?|recently|upcoming|forthcoming)\b"),
        prompt=True, guard=lambda s, m, w: _not_howto(s, m, w) and _not_generic_period(s, m, w),
        keys=("this ", "last ", "next ", "latest", "newest", "most recent", "recently", "upcoming", "forthcoming")),
    # "the most recent ... was in 1984" goes stale when the next one happens, however old the year it names
    Detector(TIME_RELATIVE, _rx(r"\b(?:the|its|their|his|her) most recent\b|\bthe last time\b"), prompt=True,
             past_ok=True, guard=_not_howto, hint=("most recent", "the last time")),
    Detector(TIME_RELATIVE, _rx(r"(?<!^)(?<!from )\b(?:today|now|tonight|this morning)\b(?! that)"), prompt=True,
             guard=lambda s, m, w: _not_howto(s, m, w) and (bool(re.search(
                 r"\b(?:who|what|which|how|where|is|are|tell me|list|name)\b", s, re.I)) and "?" in s or bool(
                 re.search(r"\b(?:most|best|largest|biggest|leading|top)\b", s, re.I))),
             hint=("today", "now", "tonight", "this morning")),
    # an open-ended range ("2019 - present") is a role or a run that is still going, however old its start
    Detector(TIME_RELATIVE, _rx(r"\b(?:19|20)\d\d\s*(?:[-–—]|\bto\b|\buntil\b)\s*(?:the )?"
                                r"(?:present|current|now|today|date)\b"), prompt=True, past_ok=True, keys=("19", "20"),
             gate=_rx(r"(?:[-–—]|\bto|\buntil)\s*(?:the )?(?:present|current|now|today|date)\b")),
    # --- explicit dates and years near the present ---
    Detector(RECENT_DATE, _rx(
        r"(?:\b" + _MONTH + r"\.?\s+(?:\d{1,2}(?:st|nd|rd|th)?,?\s+)?|\b\d{1,2}(?:st|nd|rd|th)?\s+" + _MONTH +
        r",?\s+|\b(?:in|since|by|until|till|from|to|through|during|of|early|late|mid-?|before|after|around|"
        r"fiscal|FY|Q[1-4]|spring|summer|autumn|fall|winter|the|a|an|season|year|for|between|and)\s+|^|\()"
        r"(?P<year>20\d\d)(?![\d%])(?:[-–/]\d{2}\b)?"), prompt=True, guard=_year_context, keys=("20",),
        gate=_rx(r"20\d\d(?![\d%])")),
    Detector(RECENT_DATE, _rx(r"\b(?P<year>20\d\d)-\d{2}-\d{2}\b|\b\d{1,2}/\d{1,2}/(?P<y2>20\d\d)\b"),
             prompt=True,
             guard=lambda s, m, w: w.recent(int(m.group("year") or m.group("y2"))), hint=("20",)),
    # --- prices ---
    Detector(PRICE, _rx(_MONEY), guard=_money_guard, keys=_DIGITS),
    Detector(PRICE, _rx(r"\bhow much (?:does|do|is|are|would|will) (?:an? |the )?[\w' -]{2,40}? (?:cost|charge|sell"
                        r"|go for)\b|\b(?:the |current )?(?:price|cost) of (?:an? |the |one )?[A-Z\w][\w' -]{1,30}"
                        r"(?:\?| (?:today|now|right now|currently))"), prompt=True,
             hint=("how much ", "price of ", "cost of ")),
    # --- stock and availability ---
    Detector(STOCK, _rx(
        r"\b(?:in stock|out of stock|back in stock|low stock|stock levels?|sold out|restock(?:ed|ing)?|"
        r"back-?order(?:ed)?|pre-?orders?|only \d+ (?:left|remaining)|limited (?:stock|availability|quantities)|"
        r"(?:currently |now |not )?available (?:now|in stores|for pre-?order|for purchase|to order|in your area|"
        r"from (?:our|the) (?:store|warehouse))|ships? (?:in|within) \d+|delivery (?:in|within) \d+ "
        r"(?:days|hours|business days)|inventory (?:is|of|levels?)|units (?:left|available)|waitlist|"
        r"on (?:the )?shelves (?:now|today))\b"), prompt=True,
        keys=("stock", "sold out", "order", "left", "remaining", "limited", "available", "ship", "deliver",
              "inventory", "units", "waitlist", "shel")),
    # --- who holds an office or role now ---
    Detector(OFFICE_HOLDER, _rx(r"\b(?:current|incumbent|sitting|present|new|newly (?:elected|appointed))\s+"
                                + _OFFICE + r"\b"), prompt=True, guard=_present_role, keys=_OFFICE_KEYS),
    Detector(OFFICE_HOLDER, _rx(r"\b(?:is|are|serves as|remains|has been|is now) (?:the )?(?:current )?"
                                + _OFFICE + r" (?:of|to) (?:the )?[A-Z]"), prompt=True, guard=_present_role,
             keys=_OFFICE_KEYS),
    # "has been the ambassador to Turkey since 2019": held since a date, so held now however old the date
    Detector(OFFICE_HOLDER, _rx(r"\b(?:has|have) (?:been|served as) (?:the |an? )?(?:[\w-]+ ){0,3}?" + _OFFICE +
                                r"\b[^.!?\n]{0,60}?\bsince\b"), prompt=True, past_ok=True, guard=_not_former,
             keys=("since",),
             gate=_rx(r"\b(?:has|have) (?:been|served as) (?:the |an? )?(?:[\w-]+ ){0,3}?" + _OFFICE + r"\b")),
    Detector(OFFICE_HOLDER, _rx(r"\b(?:serves|is serving|currently serves) as (?:the )?(?:current )?" + _OFFICE +
                                r"\b"), prompt=True, guard=_present_role, keys=_OFFICE_KEYS),
    Detector(OFFICE_HOLDER, _rx(r"\bthe (?:current )?" + _OFFICE + r" of (?:the )?[A-Z][\w.&'-]*(?: [A-Z][\w.&'-]*)*"
                                r",? (?:is|are)\b"), prompt=True, guard=_present_role, keys=_OFFICE_KEYS),
    Detector(OFFICE_HOLDER, _rx(r"\bwho (?:is|'s|are) (?:the |currently the )?(?:current )?" + _OFFICE +
                                r"\b(?: of| at| for)?"), prompt=True, guard=_present_role, keys=_OFFICE_KEYS),
    Detector(OFFICE_HOLDER, _rx(r"[A-Z][a-z]+ [A-Z][a-z]+, (?:the )?(?:current )?(?:CEO|chief executive|president|"
                                r"chairman|chairwoman|prime minister|governor|mayor|head coach|manager) of "
                                r"(?:the )?[A-Z]", 0), prompt=True, guard=_present_role, keys=_OFFICE_KEYS),
    Detector(OFFICE_HOLDER, _rx(_TITLE_BEFORE_NAME, 0), prompt=True, guard=_present_role, keys=_OFFICE_KEYS),
    # --- versions and releases ---
    Detector(VERSION, _rx(
        r"\b(?:the )?(?:latest|current|newest|most recent|last|upcoming|next) (?:stable |major |minor |LTS |public )?"
        r"(?:version|release|update|firmware|edition|model|generation|iOS|Android|iPhone|build)\b"
        r"(?: of [\w .+#-]{1,30}?)?(?: (?:is|was|are)\b| \(?v?\d+(?:\.\d+)+)"), prompt=True,
        guard=lambda s, m, w: _not_howto(s, m, w) or bool(re.search(r"\d", s[m.end():])),
            hint=("version", "release", "update", "firmware", "edition", "model", "generation", "ios", "android",
                 "iphone", "build")),
    Detector(VERSION, _rx(r"\b(?:version|release|v)\s?\d+(?:\.\d+)+\b[^.!?\n]{0,40}\b(?:was|is|were|will be|has "
                          r"been) (?:released|launched|out|available|expected|due|scheduled)|\b(?:released|launched|"
                          r"shipped|rolled out|introduced) (?:version|release|v)\s?\d+(?:\.\d+)*"), keys=_DIGITS),
    Detector(VERSION, _rx(r"\bwhat(?:'s| is) the (?:latest|newest|current|most recent) (?:version|release|model|"
                          r"update)"), prompt=True, hint=("what's the ", "what is the ")),
    # --- changing statistics ---
    Detector(STATISTIC, _rx(
        r"\b(?:population (?:of [\w ,.'-]{2,40}? )?(?:is|was|stands at|of|reached|totals?|exceeds?)|"
        r"(?:has|have|with) a population of|(?:is )?home to (?:about |around |over |more than |nearly |some )?"
        r"\d[\d,.]*\s?(?:million|billion|thousand)? (?:people|residents|inhabitants)|inhabitants|"
        r"(?:GDPs?|unemployment rate|inflation(?: rate)?|interest rates?|exchange rate|market (?:cap|capitali[sz]ation|"
        r"share|value)|net worth|stock price|share price|valuation|annual revenue|revenues?|profits?|"
        r"(?:monthly |daily )?active users|subscribers|followers|employees|workforce|headcount|"
        r"(?:income |capital gains |corporate |sales )?tax rates?|VAT|minimum wage|approval rating|"
        r"poll(?:s|ing)? (?:show|suggest)|median (?:home|house) price|average (?:salary|price|"
        r"wage|rent)|crime rate|life expectancy|birth rate|death toll|case count))"
        r"\b[^.!?\n]{0,60}?(?:\d(?:[\d,.]*\d)?(?:\s?(?:%|percent|million|billion|trillion|thousand)\b)?|"
        r"\bpercent\b|%|\bmillion\b|\bbillion\b)"), prompt=True, keys=(*_DIGITS, "percent", "%", "million", "billion")),
    Detector(STATISTIC, _rx(
        r"\b(?:(?:is|are|remains?|has become|became) (?:now |currently |still )?(?:the )?(?:world's |country's |"
        r"nation's |\w+'s )?(?:richest|wealthiest|most (?:valuable|followed|subscribed|streamed|downloaded|populous)|"
        r"best-?selling|highest-?(?:paid|grossing|rated|ranked)|"
        r"fastest-?growing|largest (?:company|companies|employer|economy|economies|city|cities|bank|airline|"
        r"retailer|producer|exporter|importer)|biggest (?:company|employer|economy|city|bank)|tallest building|"
        r"top-?ranked)|(?:ranked|ranks|ranking) (?:No\.? ?|number |#)?\d+|world (?:No\.|number) \d+|"
        r"(?:holds?|hold|holding) the (?:world |all-time |national )?record|current (?:world )?record|"
        r"record (?:holder|high|low)|all-time high|all-time low|(?:one|1) (?:US )?(?:dollar|euro|pound|USD|EUR|GBP) "
        r"(?:is|equals|=|buys))"), prompt=True, guard=lambda s, m, w: not _unit_conversion(s, m),
        keys=("richest", "wealthiest", "most ", "best", "highest", "fastest", "largest", "biggest", "tallest", "top",
              "rank", "world no", "world number", "record", "all-time", "dollar", "euro", "pound", "usd", "eur",
              "gbp")),
    Detector(STATISTIC, _rx(r"\b(?:is|are|remains?|has become|became) (?:now |currently |still )?(?:the )?(?:\w+'s )?"
                            r"most (?:popular|used|visited|watched|spoken|played|common)\b"
                            r"(?! (?:\w+ )?(?:cryptocurrenc|"
                            r"apps?\b|browser|smartphone|phone|programming language|social|platform|streaming|"
                            r"search engine|brand|console|framework|database|website))"), prompt=True,
             guard=lambda s, m, w: bool(re.search(r"\b(?:world|worldwide|globally|in the (?:United States|US|U\.S\.|"
                                                  r"UK|country|nation)|on (?:YouTube|Spotify|Instagram|TikTok|Twitter|"
                                                  r"Netflix|Twitch)|ever|of all time|today|currently|now)\b", s)),
             hint=("most popular", "most used", "most visited",
                   "most watched", "most spoken", "most played",
                   "most common")),
    Detector(STATISTIC, _rx(r"\b(?:most|least) (?:popular|widely used|used|downloaded|valuable) (?:\w+ )?"
                            r"(?:cryptocurrenc(?:y|ies)|apps?|browsers?|smartphones?|phones?|programming languages?|"
                            r"social (?:media|network)s?|platforms?|streaming (?:service|platform)s?|search engines?|"
                            r"brands?|consoles?|frameworks?|databases?|websites?|operating systems?)\b"), prompt=True,
             hint=("most popular ", "most widely used ", "most used ", "most downloaded ",
                   "most valuable ", "least popular ", "least widely used ", "least used ",
                   "least downloaded ", "least valuable ")),
    Detector(STATISTIC, _rx(r"\bwhat(?:'s| is| was) (?:the |its |their )?(?:current |total )?"
                            r"(?:population|exchange rate|GDP|unemployment rate|"
                            r"inflation rate|interest rate|market cap|net worth|stock price|share price) of"),
             prompt=True, hint=("what's ", "what is ", "what was ")),
    # --- rankings, records and running counts (who or what is "the largest / most followed / best-selling" now) ---
    Detector(STATISTIC, _rx(
        r"\b(?:is|are|remains?|has become|have become|became) (?:now |currently |still |also )?(?:one of |among )?"
        r"(?:the )?(?:[\w-]+'s )?(?:second[- ]|third[- ])?" + _RANKING + r" (?:[\w&.'-]+ ){0,4}?" + _RANKED + r"\b"),
        prompt=True, guard=_ranked_now, keys=_RANKING_KEYS,
             gate=_RANKING_GATE),
    Detector(STATISTIC, _rx(
        r"\b(?:what|which|who|where|name|list|give|tell)\b[^.?!\n]{0,50}?\b(?P<span>(?:the )?(?:top (?:\d+|three|"
        r"five|ten) )?" + _RANKING + r" (?:[\w&.'-]+ ){0,4}?" + _RANKED + r")\b"),
        prompt=True, target=False, guard=_ranked_now, keys=_RANKING_KEYS,
             gate=_RANKING_GATE),
    Detector(STATISTIC, _rx(
        r"\b(?:the|its|their) (?:(?:\d+|two|three|four|five|ten) )?" + _RANKING
        + r" (?:(?!between\b|of\b|in\b|among\b|for\b)[\w&.'-]+ ){0,2}?" + _RANKED
        + r"\b(?:[^.!?\n]{0,40}? )?(?:are|is|include)\b"), guard=_ranked_now, keys=_RANKING_KEYS,
             gate=_RANKING_GATE),
    Detector(STATISTIC, _rx(
        r"\btop (?:(?:\d+|three|five|ten|twenty) )?(?:[\w&.'-]+ ){0,3}?(?:brands|companies|leagues|universities|"
        r"airlines|cities|clubs|teams|players|profiles|accounts|channels|apps|websites|economies|banks|employers|"
        r"YouTubers|influencers)\b|"
        r"\b(?:by|based on|in terms of) (?:their |its )?(?:population|revenue|market (?:cap|value)|"
        r"number of (?:users|followers|subscribers|inhabitants|residents|visitors))\b|"
        r"\b(?:popular|trending|viral) on (?:YouTube|TikTok|Tik ?Tok|Tictok|Instagram|Twitter|Spotify|Netflix|Twitch|"
        r"Reddit|Facebook)\b|"
        r"\ball[- ]time (?:leading|top|highest|record|most)\b|\b(?:has|have) (?:won|scored|sold|had) the most\b|"
        r"\b(?:has|have) the most (?:inhabitants|residents|followers|subscribers|users|titles|wins|"
        r"medals|trophies|championships|Grammys|Oscars)\b"),
        prompt=True, past_ok=True, keys=("top ", "by ", "based on", "in terms of", "popular on",
                                         "trending on", "viral on", "all time", "all-time", "the most")),
    # a running count ("has released 10 albums", "how many albums has she released?") grows after training
    Detector(STATISTIC, _rx(
        r"\b(?:has|have|to have) (?:so far |to date |now |since )?(?:released|published|written|recorded|sold|scored|"
        r"appeared in|starred in|directed|produced|won|received|earned|opened) (?:over |more than |nearly |about |"
        r"around |some |a total of |between )?(?:\d[\d,.]*|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
        r"\w+teen|twenty[\w-]*|\w+ty|dozens|hundreds|thousands|millions)\b[\w ,.-]{0,40}?\b(?:albums|singles|"
        r"records|books|novels|films|movies|songs|episodes|games|goals|points|runs|wickets|awards|Grammys|Oscars|"
        r"copies|units|stores|locations|restaurants)\b|"
        r"\b(?:how many|all (?:of )?the|every|list (?:of )?(?:all )?the)\b[^.?!\n]{0,60}?\b(?:has|have) "
        r"(?:[\w.'-]+ ){0,3}?(?:released|published|written|recorded|sold|scored|won|directed|produced|appeared in|"
        r"starred in)\b"),
        prompt=True, past_ok=True, keys=("has ", "have ")),
    # --- news and event phrasing ---
    Detector(NEWS, _rx(
        r"\b(?:yesterday|last (?:night|week|weekend|month)|this (?:week|weekend)|earlier this (?:week|month|year)|"
        r"in recent (?:days|weeks|months)|(?:on|last|this|next|late|early) " + _WEEKDAY + r"|breaking news|"
        r"(?:a |the )?(?:new|latest|recent) (?:report|study|survey|poll|law|bill|policy|guidance|figures|"
        r"statistics)|according to (?:a |the )?(?:new |recent |latest )?"
        r"(?:reports?|officials?|sources|statement|spokes(?:wo)?(?:man|person)|police|authorities|data|"
        r"figures|analysis|survey|poll|estimates|forecasts?|(?-i:[A-Z]))|reportedly|officials said|told reporters|"
        r"in a statement|press release|press conference|amid|in the wake of|is set to|are set to|"
        r"(?:is|are) expected to|(?:has|have) (?:announced )?plans to|(?:is|are) planning to|"
        r"will (?:launch|host|unveil|take effect)|(?:has|have) (?:just |recently |now )?(?:been )?"
        + _NEWS_PERFECT + r"|"
        r"news (?:about|on|that|from)|in the news|(?:latest|recent|current) news|"
        r"(?:made|making|hit) (?:the )?headlines|"
        r"first-of-its[- ]kind|"
        r"for the first time|sworn in|(?:is|are) (?:now )?underway|(?:is|are) ongoing)\b"),
        prompt=True, guard=_not_howto,
        keys=("yesterday", "last ", "this ", "in recent", "day", "breaking news", "new ", "latest ", "recent ",
              "according to", "reportedly", "officials said", "told reporters", "in a statement", "press ", "amid",
              "in the wake of", "set to", "expected to", "plans to", "planning to", "will ", "has ", "have ", "news",
              "headlines", "first-of-its", "for the first time", "sworn in", "underway", "ongoing")),
    Detector(NEWS, _rx(r"(?<!every )(?<!each )(?<!on )(?<!Good )(?<!Black )(?<!Holy )(?<!Great )(?<!Cyber )\b"
                       + _WEEKDAY + r"\b(?!s\b)(?!\s*(?:to|through|thru|-|–|and|or|,|[A-Z]))", 0), prompt=True,
             target=False, guard=lambda s, m, w: bool(re.search(r"\b\w+ed\b", s)), keys=("day",),
             gate=_rx(r"\b" + _WEEKDAY + r"\b", 0)),
    Detector(NEWS, _rx(r"\b(?:has|have) (?:\w+ly )?(?:been )?(?!been\b)\w+(?:ed|en|ne|de|id|ld|lt|ght|ung|uit)\b",
                       re.I), prompt=True, guard=lambda s, m, w: "?" in s and _names_entity(s), keys=("has ", "have ")),
    Detector(NEWS, _rx(r"\b" + _NEWS_VERB + r" (?:on|this|last) (?:" + _WEEKDAY + r"|week|month)\b"), prompt=True,
             keys=(" on ", " this ", " last ")),
    # --- sports results and standings ---
    Detector(SPORTS, _rx(
        r"\b(?:reigning|defending|current) (?:world |league |national |Olympic |Super Bowl |NBA |NFL |MLB |NHL |"
        r"Premier League |grand slam )?champions?(?:hips?)?\b|\b(?:won|beat|defeated|lost|drew|tied|edged|"
        r"thrashed|routed|trounced)\b[^.!?\n]{0,40}\b\d{1,3}\s?[-–]\s?\d{1,3}\b|\b(?:leads?|leading|tops?|"
        r"top of) (?:the )?(?:league|table|standings|series|division|conference|leaderboard)\b|"
        r"\b(?:standings|league table|leaderboard|points table|playoff (?:race|picture|spot))\b|"
        r"\b(?:has|have|having) won (?:a (?:total|record) of |a record )?"
        r"(?:\d+|one|two|three|four|five|six|seven|eight|"
        r"nine|ten|eleven|twelve|\w+teen|twenty[\w-]*|\w+ty)\b[\w ]{0,30}?\b(?:titles|championships|trophies|cups|"
        r"medals|pennants|Grand Slams|majors|games|matches|races|Series)\b|"
        r"\bscored (?:the|a|his|her|their) (?:opening |winning |equali[sz]ing |first |late )?(?:goal|try|touchdown)\b|"
        r"\b(?:advanced|advances|qualified|qualifies) (?:to|for) the "
        r"(?:final|finals|semi-?finals?|quarter-?finals?|playoffs|knockout)\b"), prompt=True,
        keys=("champion", "won", "beat", "defeated", "lost", "drew", "tied", "edged", "thrashed", "routed",
              "trounced", "lead", "top", "standings", "table", "leaderboard", "playoff", "scored", "advance",
              "qualif")),
    # a running tally ("have won four World Series titles (1935, 1945, ...)") is current whatever years it lists
    Detector(SPORTS, _rx(r"\b(?:has|have) won (?:a (?:total|record) of |a record )?(?:\d+|one|two|three|four|five|six|"
                         r"seven|eight|nine|ten|eleven|twelve|\w+teen|twenty[\w-]*|\w+ty)\b[\w ]{0,30}?\b(?:titles|"
                         r"championships|trophies|cups|medals|pennants|Grand Slams|majors|Series)\b"), prompt=True,
             past_ok=True, keys=("won",)),
    Detector(SPORTS, _rx(r"\b(?:this|last|so far this|next) season\b|\bwill (?:beat|defeat|win|lose to|face)\b"),
             prompt=True,
             guard=lambda s, m, w: bool(re.search(r"\b(?:team|league|game|match|player|coach|goals?|points|wins|"
                                                  r"playoffs?|championship|scored|season's (?:top|best))\b", s, re.I)),
             hint=("this season", "last season", "next season", "will beat",
                   "will defeat", "will win", "will lose to", "will face")),
    Detector(SPORTS, _rx(r"\bwho (?:won|is winning|leads|is leading) (?:the )?(?:game|match|race|league|series|"
                         r"championship|title|cup|final|tournament|Super Bowl|World Cup)?\b(?:[^?]{0,40}"
                         r"(?:last night|yesterday|this (?:year|season|week)|today|latest|recent))"), prompt=True,
             hint=("who won", "who is winning", "who leads", "who is leading")),
)


# ---- what a pattern needs: a text without it cannot match -----------------------------------------------------------

_PRODUCT_CAP = 256  # the most strings a finite run of a pattern may expand to before it is cut into chunks
_EDGE = "\x00"  # stands for \b in a derived string
_SPACE = "\x01"  # stands for a run of whitespace (\s, \s+): a word boundary that spells no known character


def _is_space(op: Any, av: Any) -> bool:
    return op is _c.IN and av == [(_c.CATEGORY, _c.CATEGORY_SPACE)]


def needed_literals(pattern: re.Pattern[str], ascii: bool = False) -> tuple[frozenset[str], ...]:
    """Sets of lower-case strings such that every match of `pattern` contains a string of each set (as text.lower()
    holds it), derived from the pattern's parse tree; () when none can be derived. A text.lower() that misses every
    string of one set cannot match. `ascii`: for ASCII texts only (\\d is then one of ten digits)."""
    return tuple(frozenset(s) for s in _needed(_parsed(pattern.pattern, pattern.flags), ascii=ascii))


@functools.lru_cache(maxsize=None)
def _parsed(source: str, flags: int) -> Any:
    return _parser.parse(source, flags)


def _needed(seq: Any, before: bool = False, after: bool = False, ascii: bool = False) -> list[set[str]]:
    """Sets of strings such that every match of the sequence `seq` contains a string of each. `before` / `after`:
    a non-word character (or the text's edge) is known to precede / follow the sequence."""
    out: list[set[str]] = []
    items = [*seq]
    finite = [_finite(op, av, ascii) for op, av in items]

    def add(strings: set[str] | None) -> None:
        if strings and all(_plain(s) for s in strings):
            out.append(strings)

    def spell(lo: int, hi: int) -> None:  # items[lo:hi] are finite: the strings they spell, in chunks of <= the cap
        run = [{_SPACE}] * _edge_before(items, lo, before) + finite[lo:hi] + [{_SPACE}] * _edge_after(items, hi, after)
        chunk = {""}
        for part in run:
            if len(chunk) * len(part) > _PRODUCT_CAP:
                add(chunk)
                chunk = {_SPACE} if _bounded(chunk, -1) else {""}
            chunk = {a + b for a in chunk for b in part}  # type: ignore[union-attr]
        add(chunk)

    k = 0
    while k < len(items):
        if finite[k] is not None:
            end = next((j for j in range(k, len(items)) if finite[j] is None), len(items))
            spell(k, end)
            k = end
            continue
        op, av = items[k]
        left, right = _edge_before(items, k, before), _edge_after(items, k + 1, after)
        if op is _c.SUBPATTERN:
            out += _needed(av[-1], left, right, ascii)
        elif op is _c.BRANCH:
            branches = [_needed(b, left, right, ascii) for b in av[1]]
            if all(branches):
                add(set().union(*(max(b, key=_score) for b in branches)))
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT) and av[0] >= 1:
            out += _needed(av[2], ascii=ascii)
        k += 1
    return out


def _edge_before(items: list[Any], k: int, before: bool) -> bool:
    """Whatever precedes items[k] ends with a non-word character, a \\b or the text's start."""
    for op, av in reversed(items[:k]):
        kind = _edge_kind(op, av, -1)
        if kind is not None:
            return kind
    return before


def _edge_after(items: list[Any], k: int, after: bool) -> bool:
    """Whatever follows items[k - 1] starts with a non-word character, a \\b or the text's end."""
    for op, av in items[k:]:
        kind = _edge_kind(op, av, 0)
        if kind is not None:
            return kind
    return after


def _edge_kind(op: Any, av: Any, end: int) -> bool | None:
    """Whether every match of one element ends (end=-1) or starts (end=0) at a word boundary; None when it may be
    empty (the elements before or after decide)."""
    if op is _c.AT:
        return True if av in (_c.AT_BOUNDARY, _c.AT_BEGINNING, _c.AT_BEGINNING_STRING, _c.AT_END,
                              _c.AT_END_STRING) else None
    if op in (_c.ASSERT, _c.ASSERT_NOT):
        return None
    if op is _c.LITERAL:
        return not _is_word_char(chr(av))
    if op is _c.IN:
        return all(kind is _c.LITERAL and not _is_word_char(chr(value)) or kind is _c.CATEGORY and value in (
            _c.CATEGORY_SPACE, _c.CATEGORY_NOT_WORD) for kind, value in av)
    if op is _c.SUBPATTERN:
        return _seq_edge(av[-1], end)
    if op is _c.BRANCH:
        kinds = [_seq_edge(b, end) for b in av[1]]
        return False if False in kinds else None if None in kinds else True
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT):
        kind = _seq_edge(av[2], end)
        return False if kind is False else kind if av[0] >= 1 else None
    return False


def _seq_edge(seq: Any, end: int) -> bool | None:
    items = [*seq] if end == 0 else [*seq][::-1]
    for op, av in items:
        kind = _edge_kind(op, av, end)
        if kind is not None:
            return kind
    return None


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _bounded(strings: set[str], end: int) -> bool:
    """Every string ends (end=-1) or starts (end=0) with a word boundary: a marker or a non-word character."""
    return all(s and (s[end] in (_EDGE, _SPACE) or not _is_word_char(s[end])) for s in strings)


def _score(strings: set[str]) -> tuple[int, int]:
    return min(len(_plain(s).strip()) for s in strings), -len(strings)


def _plain(s: str) -> str:
    """The longest stretch of a derived string that a text must hold verbatim (markers dropped)."""
    return max(s.replace(_EDGE, "").split(_SPACE), key=len)


def _finite(op: Any, av: Any, ascii: bool = False) -> set[str] | None:
    """Every string (lower-cased) one element of a parsed pattern can match, when there are few; else None."""
    if op is _c.LITERAL:
        return {chr(av).lower()}
    if op is _c.AT and av is _c.AT_BOUNDARY:
        return {_EDGE}
    if _is_space(op, av):
        return {_SPACE}
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT) and len(av[2]) == 1 and _is_space(*av[2][0]):
        return {_SPACE} | ({""} if av[0] == 0 else set())
    if op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):  # zero width
        return {""}
    if op is _c.IN:
        chars: set[str] = set()
        for kind, value in av:
            if kind is _c.LITERAL:
                chars.add(chr(value).lower())
            elif kind is _c.RANGE and value[1] - value[0] < 30:
                chars.update(chr(v).lower() for v in range(value[0], value[1] + 1))
            elif kind is _c.CATEGORY and value is _c.CATEGORY_DIGIT and ascii:
                chars.update("0123456789")
            else:  # a negated set or a category (\d, \s, \w: Unicode-wide)
                return None
        return chars
    if op is _c.SUBPATTERN:
        return _finite_seq(av[-1], ascii)
    if op is _c.BRANCH:
        out: set[str] = set()
        for branch in av[1]:
            strings = _finite_seq(branch, ascii)
            if strings is None:
                return None
            out |= strings
        return out
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT) and av[1] <= 1:
        strings = _finite_seq(av[2], ascii)
        return None if strings is None else strings | ({""} if av[0] == 0 else set())
    return None


def _finite_seq(seq: Any, ascii: bool = False) -> set[str] | None:
    parts = [_finite(op, av, ascii) for op, av in seq]
    if any(p is None for p in parts):
        return None
    out = {""}
    for part in parts:
        out = {a + b for a in out for b in part}  # type: ignore[union-attr]
        if len(out) > _PRODUCT_CAP:
            return None
    return out



_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Need:
    """One set of strings a detector's every match holds one of, as whole words of the text and as substrings."""

    words: frozenset[str]
    substrings: frozenset[str]

    @classmethod
    def of(cls, strings: frozenset[str]) -> Need:
        """A derived string with a whole word in it (bounded by \\b or by a non-word character on both sides) is
        tested as that word among the text's words (a set lookup); one without, as a substring."""
        words, subs = set(), set()
        for s in strings:
            key = _word_key(s)
            if len(key) > 1:  # a one-letter word ('a' of 'a$5', 'v' of 'v 2.1') is in too many texts
                words.add(key)
            else:
                subs.add(_plain(s))
        return cls(frozenset(words), frozenset(_fewer(subs)))


# Words too common to pick as the key of a derived string when a rarer one is in it.
_COMMON = frozenset("a an the of is are was were be been has have in on at to for as by with from and or it this that "
                    "these those first last next new now most set start will not all its their his her".split())


@functools.lru_cache(maxsize=None)
def _word_key(s: str) -> str:
    """What to look a derived string up by among a text's words: its longest pair of adjacent whole words (joined by a
    space), else its longest whole word that is not common, else its longest whole word ('' when it has none)."""
    found = [m for m in _WORD.finditer(s) if m.start() > 0 and m.end() < len(s)]
    pairs = [f"{a.group()} {b.group()}" for a, b in zip(found, found[1:])
             if not _WORD.search(s, a.end(), b.start())]  # nothing but non-word characters between them
    words = [m.group() for m in found]
    return max(pairs or [w for w in words if w not in _COMMON] or words, key=len, default="")


def text_keys(low: str, pairs: bool = True) -> list[str]:
    """The words of a lower-cased text and (with `pairs`) its pairs of adjacent words: what _word_key may pick."""
    words = _WORD.findall(low)
    return [*words, *map(" ".join, zip(words, words[1:]))] if pairs else words


def _fewer(subs: set[str]) -> set[str]:
    """Substrings whose presence the given ones imply, fewer of them: one held in another stands for both, and many
    sharing a prefix of 2+ characters are stood for by that prefix unless it is common and they are few (each is
    tested with `in`, one at a time)."""
    kept = {s for s in subs if not any(t != s and t in s for t in subs)}
    by_start: dict[str, list[str]] = {}
    for s in kept:
        by_start.setdefault(s[:2], []).append(s)
    out = set()
    for start, group in by_start.items():
        prefix = os.path.commonprefix(group)
        merge = len(group) > 4 and len(start) == 2 and (len(group) > 40 or not _is_common(prefix))
        out |= {prefix} if merge else set(group)
    return out


@functools.lru_cache(maxsize=None)
def pattern_needs(pattern: re.Pattern[str], ascii: bool = False) -> tuple[Need, ...]:
    """What every match of the pattern holds (each Need met), the cheapest test first; a Need that nearly every text
    meets (a single letter or punctuation mark) is left out. () when nothing can be derived."""
    needs = [Need.of(strings) for strings in needed_literals(pattern, ascii)]
    useful = [n for n in needs if all(len(s.strip()) > 1 or not s.isascii() or s == "$" for s in n.substrings)]
    return tuple(sorted(useful, key=lambda n: (any(map(_is_common, n.words | n.substrings)), len(n.substrings),
                                                len(n.words))))


def _is_common(key: str) -> bool:
    """A word, word pair or substring that most texts hold ('the ', 'is ', '20', 'rs')."""
    words = _WORD.findall(key)
    return _COMMON.issuperset(words) or all(len(w) < 3 for w in words) and len(key.strip()) < 3


# ---- detection -------------------------------------------------------------------------------------------------------

def scan(text: str, side: str, window: Window, detectors: Iterable[Detector] = DETECTORS) -> list[VolatileSpan]:
    """Every volatile span in one side's text, first per category (code masked, past-anchored facts skipped)."""
    masked = mask_code(text)
    live = _live(detectors, side, masked)
    if not live:  # most texts: no detector can match anywhere, so no sentence is split or tested
        return []
    found: dict[str, VolatileSpan] = {}
    for offset, sentence in sentences(masked):
        past = None
        low = None
        for det in live:
            if det.category in found:
                continue
            if det.keys:
                low = sentence.lower() if low is None else low
                if not any(k in low for k in det.keys):
                    continue
            for m in det.pattern.finditer(sentence):
                if det.guard is not None and not det.guard(sentence, m, window):
                    continue
                if not det.past_ok:
                    past = anchored_in_past(sentence, window) if past is None else past
                    if past:
                        break
                a, b = m.span("span") if "span" in det.pattern.groupindex and m.start("span") >= 0 else m.span()
                start, end = _whole_words(text, offset + a, offset + b)
                found[det.category] = VolatileSpan(det.category, text[start:end].strip(), start, side)
                break
    return sorted(found.values(), key=lambda s: (CATEGORIES.index(s.category), s.start))


def _whole_words(text: str, start: int, end: int) -> tuple[int, int]:
    """A match widened to whole words ('is the CEO of M' -> 'is the CEO of Microsoft')."""
    while start > 0 and _is_word_char(text[start - 1]) and _is_word_char(text[start]):
        start -= 1
    while end < len(text) and end > 0 and _is_word_char(text[end - 1]) and _is_word_char(text[end]):
        end += 1
    return start, end


@dataclass
class Plan:
    """The detectors that apply to one side, in order, each with its gates (alternatives) and what each gate needs,
    and an index from each word or substring of a gate's first (cheapest) need to the gates that need it."""

    detectors: tuple[Detector, ...]
    gates: tuple[tuple[int, re.Pattern[str], tuple[Need, ...]], ...]  # (detector index, gate, its needs)
    words: frozenset[str]  # the words and word pairs of the first needs
    substrings: tuple[str, ...]  # the substrings of the first needs
    users: dict[str, tuple[int, ...]]  # word or substring -> the gates whose first need holds it
    always: tuple[int, ...]  # the gates that need nothing we could derive
    pairs: bool  # some need holds a word pair
    ascii: bool  # a plan for ASCII texts only
    unicode: Plan | None = None  # the plan for a text that is not ASCII, built when one shows up

    @classmethod
    def of(cls, detectors: tuple[Detector, ...], ascii: bool = True) -> Plan:
        """`ascii`: a plan for ASCII texts (whose \\d is one of ten digits), with the general plan beside it."""
        gates = tuple((i, gate, pattern_needs(gate, ascii)) for i, det in enumerate(detectors) for gate in det.gates)
        users: dict[str, list[int]] = {}
        for g, (_, _, needs) in enumerate(gates):
            for key in needs[0].words | needs[0].substrings if needs else ():
                users.setdefault(key, []).append(g)
        firsts = [needs[0] for _, _, needs in gates if needs]
        pairs = any(" " in w for _, _, needs in gates for n in needs for w in n.words)
        return cls(detectors, gates, frozenset().union(*(n.words for n in firsts)),
                   tuple(sorted(set().union(*(n.substrings for n in firsts)))),
                   {k: tuple(v) for k, v in users.items()}, tuple(g for g, (_, _, n) in enumerate(gates) if not n),
                   pairs, ascii)

    def live(self, masked: str) -> list[Detector]:
        """The detectors that can match somewhere in `masked`: one of their gates (patterns that together match
        wherever a sentence-level match is) matches it, tried only where the text meets all the gate needs. A
        detector left out would find nothing."""
        if self.ascii and not masked.isascii():
            if self.unicode is None:
                self.unicode = Plan.of(self.detectors, ascii=False)
            return self.unicode.live(masked)
        low = masked.lower()
        # lower() kept every offset and no character folds to ASCII only under IGNORECASE: the need test is exact
        if not self.ascii and (len(low) != len(masked) or any(c in masked for c in _FOLDS_TO_ASCII)):
            return [det for det in self.detectors if any(g.search(masked) for g in det.gates)]
        keys = text_keys(low, self.pairs)
        hits = [*self.words.intersection(keys), *(s for s in self.substrings if s in low)]
        if not hits and not self.always:  # most texts
            return []
        held = set(keys)
        live: set[int] = set()
        for g in sorted({g for key in hits for g in self.users[key]}.union(self.always)):
            i, gate, needs = self.gates[g]
            if i not in live and all(not n.words.isdisjoint(held) or any(s in low for s in n.substrings)
                                     for n in needs[1:]) and gate.search(masked):
                live.add(i)
        return [self.detectors[i] for i in sorted(live)]


# Below this many texts per side, the detectors to run come from their declared keys and hints (no start-up cost);
# above it, the derived-needs Plan (built once, in about a third of a second) takes over. Both give the same spans.
PLAN_AFTER_TEXTS = 2000

_PLANS: dict[tuple[int, str], list[Any]] = {}  # (id(detectors), side) -> [detectors, Plan or None, texts seen]


def _live(detectors: Iterable[Detector], side: str, masked: str) -> list[Detector]:
    """The detectors of `side` that can match somewhere in `masked` (a superset; a detector left out finds nothing)."""
    entry = _PLANS.get((id(detectors), side))
    if entry is None or entry[0] is not detectors:
        dets = tuple(d for d in detectors if (d.prompt if side == "prompt" else d.target))
        entry = [detectors, None, 0, dets]
        if isinstance(detectors, tuple):  # a tuple is the same every call; a list or an iterator may not be
            _PLANS[(id(detectors), side)] = entry
    if entry[1] is None:
        entry[2] += 1
        if entry[2] <= PLAN_AFTER_TEXTS:
            return _by_keys(entry[3], masked)
        entry[1] = Plan.of(entry[3])
    return entry[1].live(masked)


def _by_keys(detectors: tuple[Detector, ...], masked: str) -> list[Detector]:
    """The detectors one of whose keys or hints (literals every match holds) occurs in `masked`."""
    low = masked.lower()
    if len(low) != len(masked) or any(c in masked for c in _FOLDS_TO_ASCII):
        return list(detectors)
    return [d for d in detectors if not (d.keys or d.hint) or any(k in low for k in d.keys or d.hint)]


def detect(prompt: str, target: str, window: Window, *, scan_prompt: bool = True,
           request: str | None = None) -> list[VolatileSpan]:
    """Volatile spans of one example: the target's, then the prompt's for categories the target did not show (not
    the dates of a question about a given text), then a news span of a passage the request asks to summarise.

    None for fiction, arithmetic, and a target that declines and points to a current source (the behaviour to keep).
    `request` is what the user asked (the last user turn of a conversation; default the whole prompt): a system
    prompt's "You are a helpful assistant" is a persona, not a request for fiction.
    """
    spans = [s for s in scan(target, "target", window) if not _grounded(s, prompt)]
    asked = prompt if request is None else request
    if scan_prompt:
        seen = {s.category for s in spans}
        spans += [s for s in scan(_question_part(prompt), "prompt", window) if s.category not in seen and not (
            s.category == RECENT_DATE and _about_given_text(asked))]
        if len(prompt) >= _PASSAGE and NEWS not in {s.category for s in spans} and _SUMMARY.search(asked):
            spans += _news_passage(prompt, window)
    # Most records have no span: the context filters run only for those that do (same result, far less work).
    if spans and (is_fiction(asked, target) or is_math(asked) or defers(target)):
        return []
    return spans


_SUMMARY = re.compile(r"\b(?:summari[sz]e|summari[sz]ing|sum up|summary|headline|tl;?dr)\b", re.I)
# The news detectors, firing whatever past year the passage mentions ("signed by 200 countries in 2015")
_NEWS_DETECTORS = tuple(replace(d, past_ok=True) for d in DETECTORS if d.category == NEWS)


def _news_passage(prompt: str, window: Window) -> list[VolatileSpan]:
    """The first news span of the context passages given to be summarised: a summary of a news report teaches it."""
    passage = "\n".join(p for p in prompt.split("\n") if _is_passage(p))
    return scan(passage, "prompt", window, _NEWS_DETECTORS)[:1] if passage else []


_GIVEN_TEXT = re.compile(r"\b(?:according to|based on|from|in|using|given) (?:the|this|that) (?:provided |given |"
                         r"reference )?(?:text|passage|paragraph|article|excerpt|document)\b", re.I)


def _about_given_text(request: str) -> bool:
    """The question is about a text given with it ('... before 2023 according to the text'): the dates it names are
    the passage's, not the present's."""
    return _may_contain(request, ("text", "passage", "paragraph", "article", "excerpt", "document")) and bool(
        _GIVEN_TEXT.search(request))


def _grounded(span: VolatileSpan, prompt: str) -> bool:
    """The fact is copied from a context passage given in the prompt: the example teaches reading, not the fact."""
    return len(prompt) >= 200 and span.span.lower() in prompt.lower()


_PASSAGE = 200  # characters: a paragraph this long that is not a question is a context passage


def _is_passage(paragraph: str) -> bool:
    """A context passage: a long paragraph that is not a question."""
    return len(paragraph) >= _PASSAGE and not paragraph.rstrip().endswith("?")


def _question_part(prompt: str) -> str:
    """The prompt without context passages: what the user asks about."""
    return "\n".join(p for p in prompt.split("\n") if not _is_passage(p))


def request_text(record: Record) -> str:
    """What the user asked: the last user turn before the answer in a conversation, else the whole prompt."""
    if record.format not in ("chat", "sharegpt"):
        return record.prompt
    key, role_key, text_key = ("messages", "role", "content") if record.format == "chat" else (
        "conversations", "from", "value")
    turns = record.data.get(key)
    if not isinstance(turns, list):
        return record.prompt
    users = [message_text(t.get(text_key)) for t in turns
             if isinstance(t, Mapping) and str(t.get(role_key, "")).lower() in ("user", "human")]
    return users[-1] if users else record.prompt


# ---- where a side lives in the record, for the finding's field path ------------------------------------------------

def field_path(record: Record, side: str) -> str:
    """The record's field that holds `side` ('target' or 'prompt'), e.g. messages[2].content or output."""
    data = record.data
    if record.format in ("chat", "sharegpt"):
        key, role_key, text_key = ("messages", "role", "content") if record.format == "chat" else (
            "conversations", "from", "value")
        turns = data.get(key) or []
        roles = [str(t.get(role_key, "")).lower() if isinstance(t, Mapping) else "" for t in turns]
        last = max((i for i, r in enumerate(roles) if r in ("assistant", "gpt", "chatgpt", "model", "bing", "bard")),
                   default=None)
        if side == "target" and last is not None:
            return f"{key}[{last}].{text_key}"
        users = [i for i, r in enumerate(roles[:last]) if r in ("user", "human")]
        return f"{key}[{users[-1]}].{text_key}" if users else key
    prompt_keys = {"alpaca": "instruction", "prompt-completion": "prompt", "preference": "prompt"}
    target_keys = {"alpaca": "output", "prompt-completion": "completion", "preference": "chosen"}
    keys = target_keys if side == "target" else prompt_keys
    return keys.get(record.format, side)


# ---- the check -------------------------------------------------------------------------------------------------------

class VolatilityCheck(Check):
    """Per record: V001-V009, one finding per volatile category. Per dataset: V010 on the share of volatile records."""

    name = "volatility"
    rules = (*RECORD_RULES, SHARE_RULE)

    @dataclass(frozen=True)
    class Options:
        warn_share: float = 0.10
        error_share: float = 0.30
        recent_years: int = 3
        future_years: int = 5
        today: str = ""
        scan_prompt: bool = True

    def window(self) -> Window:
        today = _dt.date.fromisoformat(self.options.today) if self.options.today else _dt.date.today()
        return Window(today, self.options.recent_years, self.options.future_years)

    streaming = True  # records are judged one by one; the counts behind the share add up over chunks
    _seen = _total = _volatile = 0
    _counts: Counter[str] = Counter()

    def run(self, records: list[Record], config: Any = None) -> Iterator[Finding | Metric]:
        self._seen = self._total = self._volatile = 0
        self._counts = Counter()
        yield from self.run_chunk(records, config)
        yield from self.finish()

    def finish(self) -> Iterator[Finding | Metric]:
        if not self._seen:
            return
        if not self._total:
            raise SkipCheck("no record has a target text: a classification set teaches labels, not facts")
        yield from self._dataset(self._total, self._volatile, self._counts)

    def run_chunk(self, records: list[Record], config: Any = None) -> Iterator[Finding | Metric]:
        self._seen += len(records)
        # A record without a target (classification data) teaches a label, not a fact.
        records = [r for r in records if r.target.strip()]
        self._total += len(records)
        window = self.window()
        selected = _selected_codes(config)
        counts = self._counts = Counter(self._counts)  # never the class attribute's Counter
        volatile = 0
        for rec in records:
            spans = [s for s in detect(rec.prompt, rec.target, window, scan_prompt=self.options.scan_prompt,
                                       request=request_text(rec))
                     if CODES[s.category] in selected and not noqa_suppresses(rec.noqa, CODES[s.category])]
            if spans:
                volatile += 1
            for s in spans:
                counts[s.category] += 1
                yield self.finding(
                    CODES[s.category], rec, field=field_path(rec, s.side), category=s.category, span=s.span,
                    side=s.side, details={"category": s.category, "span": s.span, "start": s.start, "field": s.side})
        self._volatile += volatile

    def _dataset(self, total: int, volatile: int, counts: Counter[str]) -> Iterator[Finding | Metric]:
        share = volatile / total
        yield Metric("V.volatile_share", share)
        yield Metric("V.volatile_examples", volatile)
        for cat in CATEGORIES:
            yield Metric(f"V.share.{cat}", counts[cat] / total)
        if share <= self.options.warn_share:
            return
        severity = Severity.ERROR if share > self.options.error_share else Severity.WARNING
        breakdown = ", ".join(f"{cat} {n}" for cat, n in counts.most_common()) or "none"
        yield self.finding(SHARE_CODE, None, severity=severity, share=share, count=volatile, total=total,
                           breakdown=breakdown, score=share,
                           details={"share": share, "count": volatile, "total": total,
                                    "by_category": {cat: counts[cat] for cat in CATEGORIES if counts[cat]}})


def _selected_codes(config: Any) -> set[str]:
    """The V001-V009 codes the run selected (all of them when called without a config, as in unit tests)."""
    codes = set(CODES.values())
    if config is None:
        return codes
    selection = Selection(config.select, config.extend_select, config.ignore)
    return {c for c in codes if c in selection}


CHECKS = (VolatilityCheck,)
