"""L family, labels: which records have a label, likely label errors (confident learning on out-of-fold
probabilities), and the noise-amplification gate that turns the estimated noise into a verdict.

Artifacts registered here: `label_data` (which labels, and why), `label_features` (the embeddings the labels are
predicted from) and `pred_probs` (out-of-fold class probabilities). sklearn and cleanlab are imported on use.
"""

from __future__ import annotations

import warnings
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence

import numpy as np

from dslint.artifacts import provides
from dslint.check import Check
from dslint.data import Record, normalize_text
from dslint.errors import SkipCheck
from dslint.model import Metric, Rule, Severity

LABEL_FIELD = "label-field"
TARGET = "target"
NONE = "none"

# A chat/instruction set is treated as a classifier when its targets come from a small closed set.
MAX_CLOSED_SET = 50
MIN_CLOSED_COVERAGE = 0.9
LABEL_ERRORS = "label-errors"
DEFAULT_FOLDS = 5
# Above LARGE_SET labelled records 3 folds replace 5: on the 100k synthetic set they found the same planted flips
# (93.7% vs 93.6%, precision 100%) at a third of the CPU; on banking77's 10k rows 5 folds still recall a little
# more at 5% noise (89.4% vs 87.2%), so small sets keep them. An explicit cv-folds always wins.
LARGE_SET = 20_000
LARGE_SET_FOLDS = 3
C_GRID = (1.0, 10.0, 100.0)
# C is chosen on a stratified sample of at most this many records: the choice is the same (C = 10 on banking77
# and on the 100k synthetic set) and its three fits stop growing with the set.
C_SAMPLE = 10_000
# Flags the records with the lowest self-confidence, as many as confident learning counts off the diagonal: on
# banking77 with 10% injected flips this beat the default prune_by_noise_rate (precision 99% vs 79%, recall 83% vs
# 81%; bench/label_noise.py). Any cleanlab filter_by value can be configured.
DEFAULT_FILTER = "low_self_confidence"
SEED = 0


# ---- which records have labels -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class LabelData:
    """The label of every record (None where it has none), the mode they came from and why."""

    mode: str  # "label-field" | "target" | "none"
    reason: str
    labels: tuple[str | None, ...] = ()
    # Display form of each label (target mode keys labels on normalised text but shows the common spelling).
    display: dict[str, str] = field(default_factory=dict)

    def show(self, label: str) -> str:
        return self.display.get(label, label)

    def counts(self) -> Counter[str]:
        return Counter(label for label in self.labels if label is not None)


def target_key(text: str) -> str:
    """How targets are compared: NFKC, whitespace collapsed, casefolded, trailing punctuation dropped."""
    return normalize_text(text, casefold=True).rstrip(".!;: ")


def find_labels(records: Sequence[Record], field_name: str = "label") -> LabelData:
    """Label mode: an explicit label field when most records have one, else a closed set of targets, else none."""
    n = len(records)
    have = sum(1 for r in records if r.label is not None)
    if n and have * 2 >= n:
        reason = f"{have:,} of {n:,} records carry a label field ('{field_name}')"
        return LabelData(LABEL_FIELD, reason, tuple(r.label for r in records))
    keys = [target_key(r.target) if r.target else None for r in records]
    counts = Counter(k for k in keys if k)
    repeated = [c for c in counts.values() if c >= 2]
    covered = sum(repeated)
    # Two repeated answers at least: a set where everyone gives one answer is not a classifier.
    if len(repeated) >= 2 and len(counts) <= MAX_CLOSED_SET and covered >= MIN_CLOSED_COVERAGE * n:
        display: dict[str, str] = {}
        spellings = Counter((k, r.target.strip()) for k, r in zip(keys, records) if k)
        for (key, spelling), _ in spellings.most_common():
            display.setdefault(key, spelling)
        reason = (f"no label field, but the targets come from a closed set of {len(counts)} answers "
                  f"covering {covered / n:.0%} of {n:,} records: each target is treated as the record's label")
        return LabelData(TARGET, reason, tuple(keys), display)
    if len(counts) > MAX_CLOSED_SET:
        why = f"the targets are open-ended ({len(counts):,} distinct targets in {n:,} records)"
    elif len(repeated) < 2:
        why = f"fewer than two of the {len(counts):,} distinct targets repeat, so they are not classes"
    else:
        why = f"the repeated targets cover only {covered / n:.0%} of {n:,} records"
    reason = f"no label field and {why}: label noise is judged from conflicting targets (L002, L003)"
    return LabelData(NONE, reason, tuple(None for _ in records))


@provides("label_data")
def _label_data(records: list[Record], config: Any) -> LabelData:
    return find_labels(records, config.fields.get("label") or label_key(records))


def label_key(records: Sequence[Record]) -> str:
    """The field the labels were read from: the first usual label key the first labelled record has."""
    from dslint.schema import LABEL_FIELDS

    first = next((r for r in records if r.label is not None), None)
    return next((k for k in LABEL_FIELDS if first is not None and k in first.data), "label")


def folds_of(config: Any, label_data: LabelData | None = None) -> int:
    """Cross-validation folds: [tool.dslint.checks.label-errors] cv-folds, else 5 (3 for a set with more than
    LARGE_SET labelled records). Shared by the providers and the checks, so they agree on which labels are rare."""
    opts = config.checks.get(LABEL_ERRORS, {}) if config is not None else {}
    chosen = opts.get("cv-folds", opts.get("cv_folds"))
    if chosen is not None:
        return int(chosen)
    labelled = sum(1 for label in label_data.labels if label is not None) if label_data is not None else 0
    return LARGE_SET_FOLDS if labelled > LARGE_SET else DEFAULT_FOLDS


def rare_labels(label_data: LabelData, folds: int) -> dict[str, int]:
    """Labels with fewer examples than cross-validation folds: they cannot be held out in every fold."""
    return {label: c for label, c in sorted(label_data.counts().items()) if c < folds}


# ---- out-of-fold predicted probabilities -------------------------------------------------------------------------

@dataclass(frozen=True)
class PredProbs:
    """Out-of-fold class probabilities for the records whose label could be cross-validated."""

    positions: np.ndarray  # positions into records
    labels: np.ndarray  # given class ids, 0..K-1
    classes: tuple[str, ...]
    probs: np.ndarray  # (len(positions), K)
    excluded: dict[str, int]  # labels too rare to cross-validate -> their count
    folds: int


@provides("labelled_data")
def _labelled_data(label_data: LabelData) -> LabelData:
    """`label_data` when there are labels; otherwise skip, before anything asks for embeddings."""
    if label_data.mode == NONE:
        raise SkipCheck(f"no labels: {label_data.reason}")
    return label_data


@provides("label_features", heavy=True)
def _label_features(labelled_data: LabelData, embeddings: np.ndarray, prompts: list[str], embedder: Any,
                    embedding_cache: Any) -> np.ndarray:
    """Embeddings the labels are predicted from. With a label field, the shared `embeddings` artifact itself (one
    embedding pass for duplicates, outliers and labels); with targets as labels, the prompts alone, or the label
    would leak into the features (those share the cache entries of `prompt_embeddings`)."""
    from dslint.embed import embed_texts

    if labelled_data.mode == LABEL_FIELD:
        return embeddings
    return embed_texts(prompts, embedder, embedding_cache)


@provides("pred_probs", heavy=True)
def _pred_probs(labelled_data: LabelData, label_features: np.ndarray, config: Any) -> PredProbs:
    return out_of_fold(label_features, labelled_data, folds_of(config, labelled_data))


def choose_c(x: np.ndarray, y: np.ndarray, cv: Any) -> float:
    """Logistic regression's C with the lowest held-out log-loss on the first fold (best-calibrated probabilities).

    No single C fits every set: C = 10 suits banking77's 10k rows (C = 1000 would pick it too, by this test) but
    leaves a few dozen records with probabilities too timid for confident learning to flag anything; C = 1000
    overfits small sets. The grid stops at 100 because one small fold is a noisy judge of calibration.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss

    if len(x) - C_SAMPLE > int(y.max()) + 1:  # what is left out must hold every class, or there is no sample
        x, y = _stratified_sample(x, y, C_SAMPLE)
    with warnings.catch_warnings():  # a class rarer than the folds in the sample: its held-out share is empty
        warnings.filterwarnings("ignore", message="The least populated class", category=UserWarning)
        train, test = next(cv.split(x, y))
    losses = {}
    for c in C_GRID:
        model = LogisticRegression(C=c, max_iter=500).fit(x[train], y[train])
        probs = np.zeros((len(test), int(y.max()) + 1))
        probs[:, model.classes_] = model.predict_proba(x[test])
        probs = np.clip(probs, 1e-12, 1.0)
        losses[c] = log_loss(y[test], probs / probs.sum(axis=1, keepdims=True), labels=np.arange(probs.shape[1]))
    return min(losses, key=lambda c: (losses[c], c))


def _stratified_sample(x: np.ndarray, y: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """`size` rows keeping every class's share (seeded), in their original order."""
    from sklearn.model_selection import train_test_split

    keep, _ = train_test_split(np.arange(len(y)), train_size=size, stratify=y, random_state=SEED)
    keep = np.sort(keep)
    return x[keep], y[keep]


def out_of_fold(features: np.ndarray, label_data: LabelData, folds: int = DEFAULT_FOLDS,
                c: float | None = None) -> PredProbs:
    """Stratified k-fold logistic-regression probabilities; labels rarer than `folds` are left out and listed."""
    from threadpoolctl import threadpool_limits

    # One BLAS thread: the matrices are thin (records x 384 x classes), and on 2 cores a second thread only spun
    # (banking77, 10k rows: 21.7 CPU s with two, 7.2 with one, and less wall time too).
    with threadpool_limits(1):
        return _out_of_fold(features, label_data, folds, c)


def _out_of_fold(features: np.ndarray, label_data: LabelData, folds: int, c: float | None) -> PredProbs:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    excluded = rare_labels(label_data, folds)
    positions = np.array([i for i, label in enumerate(label_data.labels)
                          if label is not None and label not in excluded], dtype=np.int64)
    classes = tuple(sorted({label_data.labels[i] for i in positions}))  # type: ignore[type-var]
    if len(classes) < 2:
        raise SkipCheck(f"fewer than two labels with at least {folds} examples each "
                        f"({len(classes)} usable, {len(excluded)} too rare): nothing to cross-validate")
    index = {label: k for k, label in enumerate(classes)}
    y = np.array([index[label_data.labels[i]] for i in positions], dtype=np.int64)
    x = np.asarray(features, dtype=np.float32)[positions]
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=SEED)
    model = LogisticRegression(C=c if c is not None else choose_c(x, y, cv), max_iter=500)
    probs = cross_val_predict(model, x, y, cv=cv, method="predict_proba")
    return PredProbs(positions, y, classes, np.asarray(probs, dtype=np.float64), excluded, folds)


# ---- label errors ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LabelIssues:
    """Confident-learning result over the cross-validated records."""

    issue: np.ndarray  # bool per PredProbs row
    quality: np.ndarray  # label-quality score per row (self-confidence: lower = more suspect)
    noise_rate: float  # estimated share of wrong labels (see estimate_noise_rate)
    class_noise: dict[str, float]  # per given label: estimated share of its records that are wrong


def find_issues(pp: PredProbs, filter_by: str = DEFAULT_FILTER) -> LabelIssues:
    """cleanlab's find_label_issues and label-quality scores, plus the estimated noise rate per class."""
    from cleanlab.filter import find_label_issues
    from cleanlab.rank import get_label_quality_scores

    issue = find_label_issues(pp.labels, pp.probs, filter_by=filter_by, n_jobs=1)
    quality = get_label_quality_scores(pp.labels, pp.probs)
    rate, per_class = estimate_noise_rate(pp)
    class_noise = {pp.classes[k]: float(per_class[k]) for k in range(len(pp.classes))}
    return LabelIssues(np.asarray(issue, dtype=bool), np.asarray(quality, dtype=np.float64), rate, class_noise)


def estimate_noise_rate(pp: PredProbs) -> tuple[float, np.ndarray]:
    """Estimated share of wrong labels overall and per given label: the off-diagonal mass of cleanlab's
    calibrated confident joint P(given label, true label)."""
    from cleanlab.count import compute_confident_joint, calibrate_confident_joint

    joint = calibrate_confident_joint(compute_confident_joint(pp.labels, pp.probs), pp.labels).astype(np.float64)
    total = joint.sum()
    rows = joint.sum(axis=1)
    off = rows - np.diag(joint)
    per_class = np.divide(off, rows, out=np.zeros_like(off), where=rows > 0)
    return (float(off.sum() / total) if total else 0.0), per_class


class LabelErrorCheck(Check):
    """L001: records whose given label disagrees with what the rest of the set predicts for them."""

    name = LABEL_ERRORS
    rules = (
        Rule("L001", "label-error", "labelled {given!r} but looks like {suggested!r} (label quality {quality:.2f})",
             Severity.WARNING,
             summary="Likely label error: out-of-fold predictions disagree with the given label",
             doc="""## What it does
Trains a logistic-regression classifier on the records' embeddings with stratified k-fold cross validation, so
every record is scored by a model that never saw it, and runs confident learning (cleanlab's
`find_label_issues`) on those out-of-fold probabilities. Each finding gives the given label, the label the rest of
the set suggests and a label-quality score (0-1, lower is more suspect). Labels come from the label field, or from
the targets when a chat/instruction set answers from a small closed set (see L006). Labels with fewer examples than
folds cannot be cross-validated: they are left out and listed in L006.

## Why is this bad?
A fine-tuned model learns a wrong label as faithfully as a right one. A few percent of flipped labels costs
accuracy that no amount of training recovers; the model also becomes confidently wrong on the neighbours of the
bad examples.

## Example
```json
{"text": "my card still hasn't arrived", "label": "card_arrival"}
{"text": "where is my new card? it has been a week", "label": "exchange_rate"}
```
The second record is labelled `exchange_rate` but every similar record says `card_arrival`.

How many records are flagged: as many as confident learning counts off the diagonal of its confident joint, the
ones with the lowest self-confidence (the out-of-fold probability of the given label) first. The estimated noise
rate behind L005 uses the calibrated joint, which is a little higher: it also counts errors too uncertain to point
at.

## Options
- `cv-folds` (default 5, or 3 above 20,000 labelled records): cross-validation folds; labels with fewer examples
  are excluded.
- `filter-by` (default "low_self_confidence"): cleanlab's `find_label_issues` method, e.g.
  "prune_by_noise_rate" (cleanlab's default), "both", "confident_learning".
"""),
    )

    @dataclass(frozen=True)
    class Options:
        cv_folds: int | None = None  # None: 5, or 3 above LARGE_SET labelled records (see folds_of)
        filter_by: str = DEFAULT_FILTER

    def run(self, records: list[Record], label_data: LabelData, pred_probs: PredProbs) -> Iterator[Any]:
        pp = pred_probs
        found = find_issues(pp, self.options.filter_by)
        field_name = "label" if label_data.mode == LABEL_FIELD else "target"
        order = np.argsort(found.quality[found.issue], kind="stable")
        rows = np.flatnonzero(found.issue)[order]
        for row in rows:
            rec = records[int(pp.positions[row])]
            given = label_data.show(pp.classes[pp.labels[row]])
            best = int(np.argmax(pp.probs[row]))
            suggested = label_data.show(pp.classes[best])
            score = float(found.quality[row])
            yield self.finding("L001", rec, field=field_name, score=score, quality=score, given=given,
                               suggested=suggested, details={"given": given, "suggested": suggested, "quality": round(score, 4),
                                        "suggested_probability": round(float(pp.probs[row, best]), 4)})
        yield Metric("L.label_noise_estimate", round(found.noise_rate, 4))
        yield Metric("L.label_issues", int(found.issue.sum()))
        yield Metric("L.worst_classes", worst_classes(found.class_noise, label_data))
        if pp.excluded:
            yield Metric("L.rare_labels", {label_data.show(k): v for k, v in pp.excluded.items()})


def worst_classes(class_noise: dict[str, float], label_data: LabelData, top: int = 5) -> list[list[Any]]:
    """The labels with the highest estimated noise share: [[label, share, records], ...], worst first."""
    counts = label_data.counts()
    ranked = sorted(((v, k) for k, v in class_noise.items() if v > 0), key=lambda t: (-t[0], t[1]))
    return [[label_data.show(k), round(v, 4), counts.get(k, 0)] for v, k in ranked[:top]]


# ---- label summary -----------------------------------------------------------------------------------------------

class LabelSummaryCheck(Check):
    """L006: says which records were treated as labelled and why, and which labels are too rare to check."""

    name = "label-summary"
    rules = (
        Rule("L006", "label-mode", "labels: {mode} ({reason}){rare}", Severity.INFO, scope="dataset",
             summary="Which field the label checks read labels from, and labels too rare to cross-validate",
             doc="""## What it does
Reports how the L rules found labels: an explicit label field (`[tool.dslint.fields] label`), the targets of a
chat/instruction set whose answers come from a small closed set (at most 50 distinct answers, each repeated,
covering at least 90% of records), or none (open-ended targets: only conflicting targets are checked). It also
lists labels with fewer examples than the cross-validation folds, which the label-error check (L001) leaves out.

## Why is this bad?
It is not a problem by itself; it tells you what the label-noise figures are about, and which classes have too
few examples for anyone to check them.

## Example
`labels: target (no label field, but the targets come from a closed set of 3 answers covering 100% of 60
records: each target is treated as the record's label)`
"""),
    )

    def run(self, label_data: LabelData, config: Any) -> Iterator[Any]:
        folds = folds_of(config, label_data)
        rare = rare_labels(label_data, folds)
        text = ""
        if rare:
            listed = ", ".join(f"{label_data.show(k)!r} ({v})" for k, v in list(rare.items())[:10])
            more = f" and {len(rare) - 10} more" if len(rare) > 10 else ""
            text = (f"; {len(rare)} label(s) with fewer than {folds} examples cannot be cross-validated and are "
                    f"left out of L001: {listed}{more}")
        counts = label_data.counts()
        yield self.finding("L006", None, mode=label_data.mode, reason=label_data.reason, rare=text,
                           details={"mode": label_data.mode, "reason": label_data.reason, "classes": len(counts),
                                    "rare_labels": {label_data.show(k): v for k, v in rare.items()}})
        yield Metric("L.label_mode", label_data.mode)


# ---- noise amplification -----------------------------------------------------------------------------------------

class NoiseAmplificationCheck(Check):
    """L005: the dataset-level verdict on label noise, from the L001 estimate and the conflicting-target share."""

    name = "noise-amplification"
    late = True
    rules = (
        Rule("L005", "noise-amplification",
             "estimated label noise {rate:.1%} ({source}): fine-tuning would teach about {count:,} wrong "
             "answer(s) as if they were right{worst}",
             Severity.WARNING, scope="dataset",
             summary="Estimated label noise or conflicting-target share above the budget (warning 5%, error 10%)",
             doc="""## What it does
Takes the estimated share of wrong labels (confident learning's calibrated joint from L001; on sets without labels
the share of records whose target conflicts with the same or a near-identical prompt, L002/L003) and judges it:
a warning above `warn-above` (5%) and an error above `error-above` (10%). The message names the classes with the
highest estimated noise. The figure is also the `L.noise_rate` metric behind the verdict's label-noise line.

## Why is this bad?
Fine-tuning amplifies label noise: the model fits the wrong examples too, and with ten percent noise it learns a
measurably worse decision boundary and becomes confidently wrong near the noisy classes. Cleaning the flagged
records (L001, L002) before training is usually cheaper than any amount of extra data.

## Example
`estimated label noise 12.4% (confident learning on out-of-fold predictions): fine-tuning would teach about
1,240 wrong answer(s) as if they were right; worst classes: 'card_arrival' (31%), 'exchange_rate' (22%)`

## Options
- `warn-above` (default 0.05): noise share above which this is a warning.
- `error-above` (default 0.10): noise share above which this is an error.
"""),
    )

    @dataclass(frozen=True)
    class Options:
        warn_above: float = 0.05
        error_above: float = 0.10

    def run(self, prior_metrics: dict[str, Any], records: list[Record]) -> Iterator[Any]:
        estimate = noise_estimate(prior_metrics)
        if estimate is None:
            raise SkipCheck("no label-noise estimate: neither the label-error check (L001) nor the conflicting-"
                            "target checks (L002, L003) ran")
        rate, source = estimate
        yield Metric("L.noise_rate", round(rate, 4))
        if rate <= self.options.warn_above:
            return
        severity = Severity.ERROR if rate > self.options.error_above else Severity.WARNING
        worst = prior_metrics.get("L.worst_classes") or []
        worst_text = ""
        if worst and source.startswith("confident"):
            worst_text = "; worst classes: " + ", ".join(f"{label!r} ({share:.0%})" for label, share, _ in worst)
        yield self.finding("L005", None, severity=severity, rate=rate, source=source,
                           count=round(rate * len(records)), worst=worst_text,
                           details={"noise_rate": round(rate, 4), "source": source, "worst_classes": worst,
                                    "warn_above": self.options.warn_above, "error_above": self.options.error_above})


def noise_estimate(metrics: dict[str, Any]) -> tuple[float, str] | None:
    """The largest of the available noise figures and where it came from; None when no L check measured one."""
    candidates = [
        ("L.label_noise_estimate", "confident learning on out-of-fold predictions"),
        ("L.conflict_share", "records whose target conflicts with the same prompt"),
        ("L.semantic_conflict_share", "records whose target conflicts with a near-identical prompt"),
    ]
    found = [(float(metrics[name]), text) for name, text in candidates if name in metrics]
    if not found:
        return None
    return max(found, key=lambda t: t[0])


CHECKS = (LabelSummaryCheck, LabelErrorCheck, NoiseAmplificationCheck)
