"""S family: is there enough good data? Effective size, per-label counts and balance, token budget, dataset shape.

The effective size counts records that are valid and not duplicates of one another, from what the format and
duplicate checks that ran before it found; everything else here is measured from the records themselves.
"""

from __future__ import annotations

import json
import re
import statistics
import unicodedata
from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Mapping, Sequence

from dslint.check import Check
from dslint.data import BLANK, Record, Row
from dslint.errors import SkipCheck
from dslint.model import Finding, Metric, Rule, Severity
from dslint.selection import Selection

DUPLICATE_CODES = ("D001", "D002", "D003")  # within-set duplicates, emitted on the records a dedupe would drop

# ---- rules -------------------------------------------------------------------------------------------------------

_SIZE_OPTIONS = """## Options
- `min-examples` (default: the profile's, 500 for `generic`): below this, S001.
- `recommended-examples` (default: the profile's, 1000 for `generic`): below this, S002.
"""

S001 = Rule(
    "S001", "too-few-examples",
    "{effective:,} effective examples, below the minimum of {minimum:,} ({profile} profile{why})",
    Severity.ERROR, scope="dataset",
    summary="Fewer valid, distinct examples than the minimum worth a fine-tuning run",
    doc=f"""## What it does
Counts the effective examples: records that are well-formed and are not duplicates of another record. Rows that
never became records (bad JSON, unknown format), records with an error-level format (F) finding, and records a
within-set duplicate rule (D001, D002, D003) would drop are counted out; the finding says how many of each, and
the JSON report's metrics carry `S.effective_examples` and `S.counted_out` (`unparsable_rows`,
`records_with_format_errors`, `duplicates`). Duplicates are only counted out when a duplicate rule is selected.

## Why is this bad?
With a few hundred examples a fine-tuned model memorises its examples instead of learning the skill. Raw row counts
lie: broken rows and duplicates teach nothing, so a 1,200-row file of which 800 are copies is a 400-example set.

## Example
A file of 300 distinct chat examples: `<dataset>: S001 [error] 300 effective examples, below the minimum of 500`.
Select the duplicate checks too (`--select S,D001`) so copies are counted out.

{_SIZE_OPTIONS}""",
)

S002 = Rule(
    "S002", "below-recommended-examples",
    "{effective:,} effective examples, below the recommended {recommended:,} ({profile} profile{why})",
    Severity.WARNING, scope="dataset",
    summary="Enough examples to train, but fewer than recommended",
    doc=f"""## What it does
Warns when the effective example count (see S001) is at least the minimum but below the recommended count.

## Why is this bad?
Between a few hundred and about a thousand examples, fine-tunes often work but gain markedly from more data;
adding examples is usually cheaper than tuning hyperparameters on a thin set.

## Example
700 distinct, valid examples: `S002 [warning] 700 effective examples, below the recommended 1,000`.

{_SIZE_OPTIONS}""",
)

_LABEL_OPTIONS = """## Options
- `min-label-examples` (default 10): a label with fewer examples is flagged by S003.
- `imbalance-ratio` (default 0.2): S004 fires when the rarest label's share is below this fraction of the uniform
  share (1 / number of labels).
"""

S003 = Rule(
    "S003", "thin-label",
    "label '{label}' has only {count} example(s), fewer than {minimum}: too few to learn it or to cross-validate it",
    Severity.WARNING, scope="dataset",
    summary="A label with too few examples to learn or to cross-validate",
    doc=f"""## What it does
Counts the examples of every label (classification data, or any record with a `label`) and flags each label with
fewer than `min-label-examples`.

## Why is this bad?
A model cannot learn a class from a handful of examples, and cross-validation (which the label-noise checks rely
on) needs several examples of every class in every fold. Large taxonomies (more than ~50 labels) are where this
bites: the head classes look fine and the tail is a few rows each.

## Example
`S003 [warning] label 'refund_not_showing_up' has only 3 example(s), fewer than 10`. Merge the label into a
neighbour, collect more examples, or drop it.

{_LABEL_OPTIONS}""",
)

S004 = Rule(
    "S004", "class-imbalance",
    "rarest label '{label}' has {count:,} examples ({share:.2%}), {ratio:.2f}x the uniform share of {uniform:.2%} "
    "over {labels} labels (largest: '{top}' with {top_count:,})",
    Severity.WARNING, scope="dataset",
    summary="The rarest label's share is far below a uniform share",
    doc=f"""## What it does
Compares the rarest label's share of the examples with the share it would have if every label were equally
frequent, and warns when the ratio is below `imbalance-ratio`.

## Why is this bad?
A fine-tuned classifier learns the prior as well as the task: a label that is 20 times rarer than the others is
rarely predicted, and accuracy hides it.

## Example
1,000 examples, `spam` 950 and `ham` 50: the rarest share is 5%, 0.10x the uniform 50%.

{_LABEL_OPTIONS}""",
)

S005 = Rule(
    "S005", "label-distribution",
    "{labels} labels, {low:,} to {high:,} examples each (median {median:g}); rarest: {rarest}",
    Severity.INFO, scope="dataset",
    summary="Per-label counts of labelled data (information)",
    doc=f"""## What it does
Reports how many labels the data has and how many examples each has; the full counts are in the JSON report's
metrics (`S.label_counts`).

## Why is this bad?
It is not: it is the figure behind S003 and S004, and the first thing to look at in a large taxonomy.

## Example
`S005 [info] 77 labels, 35 to 187 examples each (median 129); rarest: contactless_not_working (35), ...`

{_LABEL_OPTIONS}""",
)

S006 = Rule(
    "S006", "token-budget",
    "{total:,} tokens in {examples:,} examples ({method}): mean {mean:,.0f}, median {median:,.0f}, max {largest:,} "
    "per example; {epochs} epochs = {training:,} training tokens{advice}",
    Severity.INFO, scope="dataset",
    summary="Total and per-example tokens, and training tokens for a number of epochs (information)",
    doc="""## What it does
Counts tokens per example (exactly when the token-length check has a tokenizer, `[tool.dslint.checks.tokens]
tokenizer = "path/to/tokenizer.json"`, otherwise that check's documented estimate, labelled as one), and the
training tokens for `epochs` passes, capped per example at the profile's
`max-seq-len` where it has one. It also says how many epochs a set of this size usually gets (OpenAI's default:
3, more for under 100/3 examples, fewer above 25,000 example-passes).

## Why is this bad?
It is not a problem: it is the budget of the run, so a training job can be sized (and priced) before it starts.

## Example
`S006 [info] 412,000 tokens in 1,200 examples (estimate: 1 token per 4 ASCII characters, ...): mean 343, ...;
3 epochs = 1,236,000 training tokens`

## Options
- `epochs` (default 3): passes over the data for the training-token figure.
""",
)

S007 = Rule(
    "S007", "dataset-shape",
    "{shape}",
    Severity.INFO, scope="dataset",
    summary="What the set looks like: languages, output structure, label taxonomy (information)",
    doc="""## What it does
Describes the set: which languages its examples are in (a stopword and script heuristic), whether its targets follow
a strict structure (JSON objects/arrays or SQL), and how many labels it has. These are the green flags of the
readiness verdict: a strict output structure, a many-label taxonomy and several languages are the tasks fine-tuning
does best.

## Why is this bad?
It is not: it is information for the verdict.

## Example
`S007 [info] languages: en 62%, de 38%; targets: 100% JSON`

## Options
- `structure-share` (default 0.95): share of targets that must parse for a strict output structure.
- `many-labels` (default 50): number of labels that counts as a many-label taxonomy.
- `language-share` (default 0.05): share of examples a language needs to count.
""",
)


def _dataset_path(records: Sequence[Record] | Sequence[Row]) -> str | None:
    """The one file the data came from, or None when it came from several (a dataset-level finding)."""
    paths = {r.path for r in records}
    return paths.pop() if len(paths) == 1 else None


# ---- effective size ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SizeCount:
    """How many examples are left after counting out what cannot teach anything, and why each was counted out."""

    rows: int
    unparsed: int  # rows that never became records (blank lines are not rows of data and are not counted)
    invalid: int  # records with an error-level format finding
    duplicates: int  # records a within-set duplicate rule would drop
    effective: int

    def counted_out(self) -> dict[str, int]:
        return {"unparsable_rows": self.unparsed,
                "records_with_format_errors": self.invalid,
                "duplicates": self.duplicates}

    def explanation(self) -> str:
        parts = [f"{n:,} {why.replace('_', ' ')}" for why, n in self.counted_out().items() if n]
        return f"{self.rows:,} rows, counted out: " + ", ".join(parts) if parts else ""


def count_effective(rows: Iterable[Row], records: Iterable[Record], prior_findings: Iterable[Finding]) -> SizeCount:
    """Records that are valid and distinct: drop error-level F findings' records and within-set duplicates."""
    data_rows = [r for r in rows if r.error_kind != BLANK]
    indices = {r.index for r in records}
    invalid: set[int] = set()
    duplicate: set[int] = set()
    for f in prior_findings:
        i = f.location.record
        if i is None or i not in indices:
            continue
        if f.code.startswith("F") and f.severity >= Severity.ERROR:
            invalid.add(i)
        elif f.code in DUPLICATE_CODES:
            duplicate.add(i)
    duplicate -= invalid  # a broken duplicate is counted once, as broken
    effective = len(indices) - len(invalid) - len(duplicate)
    return SizeCount(len(data_rows), len(data_rows) - len(indices), len(invalid), len(duplicate), effective)


class SizeCheck(Check):
    """S001/S002: the effective example count against the profile's (or configured) minimum and recommendation."""

    name = "size"
    rules = (S001, S002)
    # It counts out what the format and duplicate checks found, some of which are late themselves (semantic
    # duplicates): the engine runs checks in ascending `late`, so 2 puts it after every `late = True` check.
    late = 2

    @dataclass(frozen=True)
    class Options:
        min_examples: int | None = None
        recommended_examples: int | None = None

    def run(self, rows, records, prior_findings, profile, config) -> Iterator[Finding | Metric]:
        count = count_effective(rows, records, prior_findings)
        minimum = self.options.min_examples if self.options.min_examples is not None else profile.min_examples
        recommended = (self.options.recommended_examples if self.options.recommended_examples is not None
                       else profile.recommended_examples)
        yield Metric("S.effective_examples", count.effective)
        yield Metric("S.counted_out", count.counted_out())
        yield Metric("S.min_examples", minimum)
        yield Metric("S.recommended_examples", recommended)
        if count.effective >= recommended:
            return
        why = count.explanation()
        unchecked = _unchecked_duplicates(config)
        if unchecked:
            why = f"{why}; {unchecked}" if why else unchecked
        details = {"effective": count.effective, "rows": count.rows, "counted_out": count.counted_out(),
                   "minimum": minimum, "recommended": recommended, "profile": profile.name}
        code = "S001" if count.effective < minimum else "S002"
        yield self.finding(code, None, path=_dataset_path(rows), details=details, effective=count.effective,
                           minimum=minimum, recommended=recommended, profile=profile.name,
                           why=f"; {why}" if why else "")


def _unchecked_duplicates(config: Any) -> str:
    """A note when no within-set duplicate rule is selected, so duplicates could not be counted out."""
    selection = Selection(config.select, config.extend_select, config.ignore)
    if any(code in selection for code in DUPLICATE_CODES):
        return ""
    return "duplicates not checked: select D001 to count them out"


# ---- per label ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LabelStats:
    """Per-label counts of labelled records, largest first (ties by label), and the imbalance figure."""

    counts: dict[str, int]
    unlabelled: int

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def ascending(self) -> list[tuple[str, int]]:
        return sorted(self.counts.items(), key=lambda kv: (kv[1], kv[0]))

    def imbalance_ratio(self) -> float:
        """The rarest label's share divided by the uniform share 1/k (1.0 = perfectly balanced)."""
        rarest = self.ascending()[0][1]
        return rarest * len(self.counts) / self.total


def label_stats(records: Iterable[Record]) -> LabelStats:
    counts: Counter[str] = Counter()
    unlabelled = 0
    for r in records:
        if r.label is None or str(r.label).strip() == "":
            unlabelled += 1
        else:
            counts[str(r.label)] += 1
    return LabelStats(dict(counts.most_common()), unlabelled)


class LabelBalanceCheck(Check):
    """S003/S004/S005: labels too thin to learn, class imbalance, and the per-label counts behind them."""

    name = "label-balance"
    rules = (S003, S004, S005)

    @dataclass(frozen=True)
    class Options:
        min_label_examples: int = 10
        imbalance_ratio: float = 0.2

    def run(self, records) -> Iterator[Finding | Metric]:
        stats = label_stats(records)
        if not stats.counts:
            raise SkipCheck("no labels: the records carry no label field")
        path = _dataset_path(records)
        ascending = stats.ascending()
        yield from self._metrics(stats, ascending)
        low, high = ascending[0][1], ascending[-1][1]
        rarest = ", ".join(f"{label} ({n:,})" for label, n in ascending[:5])
        yield self.finding("S005", None, path=path, labels=len(stats.counts), low=low, high=high,
                           median=statistics.median(stats.counts.values()), rarest=rarest,
                           details={"labels": len(stats.counts), "min": low, "max": high,
                                    "smallest": [list(kv) for kv in ascending[:5]], "unlabelled": stats.unlabelled})
        by_label = _indices_by_label(records)
        for label, n in ascending:
            if n >= self.options.min_label_examples:
                break
            yield self.finding("S003", None, path=path, field="label", related=by_label[label], label=label, count=n,
                               minimum=self.options.min_label_examples, details={"label": label, "count": n})
        ratio = stats.imbalance_ratio()
        if len(stats.counts) > 1 and ratio < self.options.imbalance_ratio:
            (label, n), (top, top_n) = ascending[0], ascending[-1]
            yield self.finding("S004", None, path=path, field="label", score=ratio, label=label, count=n,
                               share=n / stats.total, ratio=ratio, uniform=1 / len(stats.counts),
                               labels=len(stats.counts), top=top, top_count=top_n,
                               details={"rarest": label, "rarest_count": n, "largest": top, "largest_count": top_n,
                                        "ratio": ratio, "threshold": self.options.imbalance_ratio})

    @staticmethod
    def _metrics(stats: LabelStats, ascending: list[tuple[str, int]]) -> Iterator[Metric]:
        yield Metric("S.labels", len(stats.counts))
        yield Metric("S.label_counts", stats.counts)
        yield Metric("S.min_label_count", ascending[0][1])
        yield Metric("S.max_label_count", ascending[-1][1])
        yield Metric("S.imbalance_ratio", round(stats.imbalance_ratio(), 4))


def _indices_by_label(records: Iterable[Record]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for r in records:
        if r.label is not None:
            out.setdefault(str(r.label), []).append(r.index)
    return out


# ---- token budget ------------------------------------------------------------------------------------------------

MIN_TARGET_EXAMPLES, MAX_TARGET_EXAMPLES, MAX_DEFAULT_EPOCHS = 100, 25_000, 25


def suggested_epochs(examples: int, default: int = 3) -> int:
    """OpenAI's default epoch choice: `default`, raised for tiny sets, lowered for very large ones."""
    if examples <= 0:
        return default
    if examples * default < MIN_TARGET_EXAMPLES:
        return min(MAX_DEFAULT_EPOCHS, MIN_TARGET_EXAMPLES // examples)
    if examples * default > MAX_TARGET_EXAMPLES:
        return max(1, MAX_TARGET_EXAMPLES // examples)
    return default


class TokenBudgetCheck(Check):
    """S006: tokens in total and per example, and training tokens for a number of epochs. Information only."""

    name = "token-budget"
    rules = (S006,)

    @dataclass(frozen=True)
    class Options:
        epochs: int = 3

    def run(self, records, token_counts, profile) -> Iterator[Finding | Metric]:
        if not records:
            raise SkipCheck("no records to count tokens in")
        # token_counts comes from the token-length check (exact with a tokenizer, else its labelled estimate).
        counts = token_counts.totals()
        method = token_counts.method
        if not token_counts.exact and not method.startswith("estimate"):
            method = f"estimate: {method}"
        yield from self.budget(counts, method, profile.max_seq_len, _dataset_path(records))

    def budget(self, counts: Sequence[int], method: str, max_seq_len: int | None,
               path: str | None) -> Iterator[Finding | Metric]:
        """The S006 finding and metrics for per-example token counts."""
        epochs = self.options.epochs
        billed = [min(n, max_seq_len) if max_seq_len else n for n in counts]
        total, training = sum(counts), sum(billed) * epochs
        suggested = suggested_epochs(len(counts), epochs)
        advice = (f" (a set of {len(counts):,} examples usually gets {suggested} epochs: "
                  f"{sum(billed) * suggested:,} tokens)") if suggested != epochs else ""
        figures = {"total_tokens": total, "mean_tokens": round(statistics.fmean(counts), 1),
                   "median_tokens": statistics.median(counts), "max_tokens": max(counts), "epochs": epochs,
                   "training_tokens": training, "suggested_epochs": suggested, "token_method": method}
        for key, value in figures.items():
            yield Metric(f"S.{key}", value)
        yield self.finding("S006", None, path=path, details=figures, total=total, examples=len(counts),
                           method=method, mean=figures["mean_tokens"], median=figures["median_tokens"],
                           largest=figures["max_tokens"], epochs=epochs, training=training, advice=advice)


# ---- dataset shape (green flags) ---------------------------------------------------------------------------------

STOPWORDS = {
    "en": "the and is are to of you what how do does can for in it this that with my your not be".split(),
    "de": "der die das und ist sind nicht ich du sie wie was ein eine mit für auf zu ich mein dein wir".split(),
    "fr": "le la les et est sont pas je tu vous que qui une des pour dans avec mon votre ce".split(),
    "es": "el la los las y es son no yo tú usted que qué una por para con mi su cómo del".split(),
    "it": "il lo la gli le e è sono non io tu che una per con mio come del della di".split(),
    "pt": "o a os as e é são não eu você que uma para com meu como do da em".split(),
    "nl": "de het een en is zijn niet ik jij je wat hoe met voor mijn van dat".split(),
}
STOPWORD_SETS = {lang: frozenset(words) for lang, words in STOPWORDS.items()}
STOPWORD_LANGS = {w: tuple(lang for lang, stop in STOPWORD_SETS.items() if w in stop)
                  for w in frozenset().union(*STOPWORD_SETS.values())}
# Scripts that identify a language (or a small group) on their own, checked on letters' Unicode names.
SCRIPTS = (("HIRAGANA", "ja"), ("KATAKANA", "ja"), ("HANGUL", "ko"), ("CJK", "zh"), ("CYRILLIC", "ru"),
           ("ARABIC", "ar"), ("DEVANAGARI", "hi"), ("GREEK", "el"), ("HEBREW", "he"), ("THAI", "th"))
WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
ASCII_LETTERS = bytes(c if 97 <= c <= 122 else 32 for c in range(256))  # a-z kept, anything else a space
ASCII_STOPWORDS = {w.encode(): langs for w, langs in STOPWORD_LANGS.items() if w.isascii()}
SQL_START = re.compile(r"^\s*(select|with|insert|update|delete|create)\b", re.I)


def guess_language(text: str) -> str | None:
    """A cheap language guess: a distinctive script, else the Latin-script language with most stopword hits."""
    head = text[:2000]
    if head.isascii():  # no script to recognise; casefold is lower(); words are runs of a-z
        return _stopword_language(Counter(head.encode().lower().translate(ASCII_LETTERS).split()), ASCII_STOPWORDS)
    letters = [c for c in head if c.isalpha()]
    if not letters:
        return None
    scripts: Counter[str] = Counter()
    for c in letters:
        if ord(c) > 0x24F:
            name = unicodedata.name(c, "")
            scripts.update(lang for key, lang in SCRIPTS if name.startswith(key))
    if scripts and sum(scripts.values()) > len(letters) / 3:
        if scripts.get("ja"):
            return "ja"  # Japanese mixes kana with CJK ideographs
        return scripts.most_common(1)[0][0]
    return _stopword_language(Counter(w.casefold() for w in WORD.findall(head)))


def _stopword_language(words: Counter[Any], stopwords: Mapping[Any, tuple[str, ...]] | None = None) -> str | None:
    """The language with most stopword occurrences among `words` (at least two; the first listed wins ties);
    `stopwords` maps each stopword to its languages (STOPWORD_LANGS by default)."""
    stopwords = STOPWORD_LANGS if stopwords is None else stopwords
    hits = dict.fromkeys(STOPWORD_SETS, 0)
    for word in words.keys() & stopwords.keys():
        for lang in stopwords[word]:
            hits[lang] += words[word]
    lang, best = max(hits.items(), key=lambda kv: kv[1])
    return lang if best >= 2 else None


def target_structure(target: str) -> str | None:
    """'json' for a JSON object/array, 'sql' for a statement that starts like SQL, else None."""
    text = target.strip()
    if text[:1] in "{[":
        try:
            return "json" if isinstance(json.loads(text), (dict, list)) else None
        except ValueError:
            return None
    return "sql" if SQL_START.match(text) else None


class DatasetShapeCheck(Check):
    """S007: languages, output structure and label taxonomy; yields the verdict's green flags."""

    name = "dataset-shape"
    rules = (S007,)

    @dataclass(frozen=True)
    class Options:
        structure_share: float = 0.95
        many_labels: int = 50
        language_share: float = 0.05

    def run(self, records) -> Iterator[Finding | Metric]:
        if not records:
            raise SkipCheck("no records to describe")
        shape: list[str] = []
        green: list[str] = []
        languages = self._languages(records)
        yield Metric("S.languages", languages)
        if languages:
            shape.append("languages: " + ", ".join(f"{lang} {share:.0%}" for lang, share in languages.items()))
            if len(languages) >= 2:
                green.append(f"several languages ({', '.join(languages)})")
        structure = self._structure(records)
        if structure:
            kind, share = structure
            yield Metric("S.target_structure", {"kind": kind, "share": round(share, 4)})
            shape.append(f"targets: {share:.0%} {kind.upper()}")
            if share >= self.options.structure_share:
                green.append(f"strict output structure ({share:.0%} of targets are {kind.upper()})")
        labels = {str(r.label) for r in records if r.label is not None}
        if labels:
            shape.append(f"{len(labels)} labels")
            if len(labels) > self.options.many_labels:
                green.append(f"many-label taxonomy ({len(labels)} labels)")
        yield Metric("S.green_flags", green)
        if not shape:
            shape.append("no language, output structure or labels recognised")
        yield self.finding("S007", None, path=_dataset_path(records), shape="; ".join(shape),
                           details={"green_flags": green})

    def _languages(self, records: Sequence[Record]) -> dict[str, float]:
        """Share of each language among the examples whose language was recognised, most frequent first."""
        guesses = Counter(g for g in (guess_language(r.text) for r in records) if g)
        known = sum(guesses.values())
        return {lang: round(n / known, 4) for lang, n in guesses.most_common()
                if known and n / known >= self.options.language_share}

    @staticmethod
    def _structure(records: Sequence[Record]) -> tuple[str, float] | None:
        """The most common target structure and its share of the non-empty targets, if any structure is common."""
        targets = [r.target for r in records if r.target.strip()]
        kinds = Counter(target_structure(t) for t in targets)
        kinds.pop(None, None)
        if not kinds:
            return None
        kind, n = kinds.most_common(1)[0]
        return kind, n / len(targets)


CHECKS = (SizeCheck, LabelBalanceCheck, TokenBudgetCheck, DatasetShapeCheck)
