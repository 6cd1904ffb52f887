"""The run: plan -> load -> compute artifacts -> run checks -> filter -> suppress -> gate -> Report."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Iterable

from .artifacts import Artifacts, clock, needs_heavy, record_time
from .check import Check, bind_options, option_names
from .config import Config, suggest
from .data import Record, load_sources
from .errors import ConfigError, DslintError, SkipCheck
from .gate import build_verdict
from .model import Finding, Metric, Report, Skipped
from .plugins import LoadedCheck, discover
from .profiles import get_profile
from .selection import Selection
from .suppress import noqa_suppresses, per_file_ignored, read_baseline

SEEDED = {"sources", "eval_sources", "config", "profile", "prior_findings", "prior_metrics"}
EXCERPT_CHARS = 300


class CheckCrashed(DslintError):
    """A check raised an unexpected exception: an internal error (exit 2), never a silent pass."""


@dataclass
class Plan:
    checks: list[Check]
    skipped: list[Skipped]
    selection: Selection


def plan(config: Config, loaded: list[LoadedCheck]) -> Plan:
    """Which checks run: those with at least one selected rule, bound to their options from config."""
    selection = Selection(config.select, config.extend_select, config.ignore)
    selection.validate([code for lc in loaded for code in lc.cls.codes()])
    names = {lc.cls.name for lc in loaded}
    for name in config.checks:
        if name not in names:
            raise ConfigError(f"unknown check '{name}' in checks table{suggest(name, names)}")
    checks: list[Check] = []
    skipped: list[Skipped] = []
    for lc in loaded:
        cls = lc.cls
        if not any(code in selection for code in cls.codes()):
            continue
        try:
            options = bind_options(cls, config.checks.get(cls.name, {}))
        except KeyError as exc:
            key = str(exc.args[0])
            raise ConfigError(f"unknown option '{key}' for check '{cls.name}'{suggest(key, option_names(cls))}"
                              ) from None
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"bad options for check '{cls.name}': {exc}") from None
        if config.fast and needs_heavy(cls.inputs(), SEEDED):
            skipped.append(Skipped(cls.name, "needs an embedding model; skipped in fast mode"))
            continue
        checks.append(cls(options))
    checks.sort(key=lambda c: c.late)  # stable: late checks last, others in discovery order
    return Plan(checks, skipped, selection)


def lint(
    sources: Any,
    config: Config | None = None,
    *,
    eval_sources: Any = None,
    extra_checks: Iterable[type[Check]] = (),
) -> Report:
    """Lint training data (paths, folders, a list of dicts or a datasets.Dataset) and return the Report."""
    config = config or Config()
    started = clock()
    loaded = discover(extra_checks)
    the_plan = plan(config, loaded)
    profile = get_profile(config.profile)
    timings: dict[str, float] = {}
    record_time(timings, "plan", started)
    loading = clock()
    train = load_sources(_as_inputs(sources), config.field_map, "train")
    evals = load_sources(_as_inputs(eval_sources), config.field_map, "eval") if eval_sources is not None else []
    record_time(timings, "load", loading)
    store = Artifacts({"sources": train, "eval_sources": evals, "config": config, "profile": profile})

    findings: list[Finding] = []
    metrics: dict[str, Any] = {}
    skipped = list(the_plan.skipped)
    records = store.get("records")
    by_index = {r.index: r for r in records}
    baseline = read_baseline(config.resolve_path(config.baseline)) if config.baseline else {}
    suppressed = 0
    overrides = config.severity_overrides()

    ran_codes: set[str] = set()
    for check in the_plan.checks:
        if check.late:
            store.set("prior_findings", list(findings))
            store.set("prior_metrics", dict(metrics))
        try:
            args = {name: store.get(name) for name in check.inputs()}
            check_started = clock()
            results = list(check.run(**args))
            record_time(timings, f"check.{check.name}", check_started)
        except SkipCheck as exc:
            skipped.append(Skipped(check.name, exc.reason))
            continue
        except DslintError:
            raise
        except Exception as exc:
            raise CheckCrashed(f"check '{check.name}' failed: {type(exc).__name__}: {exc}") from exc
        ran_codes.update(code for code in check.codes() if code in the_plan.selection)
        for item in results:
            if isinstance(item, Metric):
                metrics[item.name] = item.value
                continue
            if item.code not in the_plan.selection:
                continue
            if item.code in overrides:
                item = item.with_severity(overrides[item.code])
            if _suppressed(item, by_index, config, baseline):
                suppressed += 1
                continue
            findings.append(item)

    cache = store.get("embedding_cache") if store.computed("embedding_cache") else None
    if cache is not None:
        cache.close()  # release the SQLite file now, not whenever the garbage collector gets to it
    findings.sort(key=_sort_key)
    if records:  # for the HTML report's length chart
        metrics.setdefault("dataset.length_histogram", length_histogram([len(r.text) for r in records]))
    report = Report(
        sources=[s.info for s in (*train, *evals)],
        findings=findings,
        skipped=skipped,
        metrics=metrics,
        suppressed=suppressed,
        rows=sum(s.info.rows for s in train),
        records=len(records),
        profile=profile.name,
        excerpts=_excerpts(findings, by_index, store),
    )
    report.verdict = build_verdict(report, config, ran_codes)
    timings.update({(f"cpu.artifact.{name[4:]}" if name.startswith("cpu.") else f"artifact.{name}"): secs
                    for name, secs in store.timings.items()})
    record_time(timings, "total", started)
    report.timings = timings
    return report


def _as_inputs(sources: Any) -> list[Any]:
    """Normalise what lint() accepts: a path, a list of paths, a list of dicts, a datasets.Dataset."""
    if sources is None:
        return []
    if isinstance(sources, (str, os.PathLike)):
        return [sources]
    if isinstance(sources, (list, tuple)):
        if sources and all(isinstance(s, dict) for s in sources):
            return [list(sources)]
        return list(sources)
    return [sources]  # a datasets.Dataset or another iterable of records


def _suppressed(finding: Finding, by_index: dict[int, Record], config: Config, baseline: dict[str, int]) -> bool:
    rec = by_index.get(finding.location.record) if finding.location.record is not None else None
    if rec is not None and noqa_suppresses(rec.noqa, finding.code):
        return True
    if per_file_ignored(finding.location.path, finding.code, config.per_file_ignores, config.root):
        return True
    if baseline.get(finding.fingerprint, 0) > 0:
        baseline[finding.fingerprint] -= 1  # one accepted occurrence covers one finding: a further copy is new
        return True
    return False


def _sort_key(f: Finding) -> tuple:
    loc = f.location
    return (loc.path is None, loc.path or "", loc.line if loc.line is not None else -1,
            loc.record if loc.record is not None else -1, f.code)


def _excerpts(findings: list[Finding], by_index: dict[int, Record], store: Artifacts) -> dict[int, str]:
    out: dict[int, str] = {}
    rows = {r.index: r for r in store.get("rows")} if findings else {}
    for f in findings:
        i = f.location.record
        if i is None or i in out:
            continue
        rec = by_index.get(i)
        if rec is not None:
            text = rec.text
        else:
            row = rows.get(i)
            text = (row.raw if row is not None and row.raw else "") if row is not None else ""
            if row is not None and not text and row.value is not None:
                from .data import canonical_json

                text = canonical_json(row.value)
        out[i] = text[:EXCERPT_CHARS]
    return out


def length_histogram(lengths: list[int], bins: int = 30) -> dict[str, Any]:
    """Record lengths (characters) as a small histogram for reports: log-spaced bins when they span decades."""
    import numpy as np

    values = np.asarray(lengths, dtype=np.float64).clip(min=1)
    low, high = max(float(values.min()), 1.0), max(float(values.max()), 1.0)
    log = high / low > 50
    edges = np.geomspace(low, high + 1, bins + 1) if log else np.linspace(values.min(), high + 1, bins + 1)
    counts, edges = np.histogram(values, bins=edges)
    return {"unit": "characters", "log": bool(log), "edges": [round(float(e), 1) for e in edges],
            "counts": [int(c) for c in counts], "p50": int(np.percentile(values, 50)),
            "p95": int(np.percentile(values, 95)), "max": int(values.max())}
