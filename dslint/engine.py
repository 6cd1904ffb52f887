"""The run: plan -> load -> compute artifacts -> run checks -> filter -> suppress -> gate -> Report."""

from __future__ import annotations

import inspect
import os
from array import array
from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

from .artifacts import Artifacts, clock, needs_heavy, record_time
from .check import Check, bind_options, option_names
from .config import Config, suggest
from .data import Record, Row, Source, SourceStream, canonical_json, load_sources, streamable
from .errors import ConfigError, DslintError, SkipCheck
from .gate import build_verdict
from .model import Finding, Metric, Report, Skipped, SourceInfo
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


CHUNK_ROWS = 10_000  # rows per chunk when streaming: about 15 MB of chat records in memory at a time
# What a streaming check may not ask for: whole files or the eval set, which a chunk does not have.
NOT_PER_CHUNK = {"sources", "eval_sources", "eval_rows", "eval_records", "eval_texts", "eval_embeddings",
                 "eval_minhash", "neighbors", "prior_metrics"}
# What finish() may ask for: no rows or records (they are gone), whole-file facts only.
AT_FINISH = {"config", "profile", "sources", "prior_findings", "prior_metrics"}


def lint(
    sources: Any,
    config: Config | None = None,
    *,
    eval_sources: Any = None,
    extra_checks: Iterable[type[Check]] = (),
    stream: bool | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> Report:
    """Lint training data (paths, folders, a list of dicts or a datasets.Dataset) and return the Report.

    The file is streamed (read in chunks of `chunk_rows` rows, never held whole) when every selected check streams
    and every input is a JSON Lines file, twice when a check observes a first pass for whole-file facts; the Report
    is the same either way. `stream=False` forces loading
    everything (tests compare both), `stream=True` fails when streaming is impossible.
    """
    config = config or Config()
    started = clock()
    loaded = discover(extra_checks)
    the_plan = plan(config, loaded)
    profile = get_profile(config.profile)
    timings: dict[str, float] = {}
    record_time(timings, "plan", started)
    inputs = _as_inputs(sources)
    why_not = streaming_blocker(the_plan, inputs, eval_sources)
    if stream and why_not:
        raise ConfigError(f"cannot stream: {why_not}")
    run = Run(the_plan, config, profile, timings)
    if stream is not False and not why_not:
        report = run.streamed(inputs, chunk_rows)
    else:
        report = run.materialised(inputs, eval_sources)
    record_time(timings, "total", started)
    report.timings = timings
    return report


def streaming_blocker(the_plan: Plan, inputs: list[Any], eval_sources: Any) -> str:
    """Why this run cannot stream ('' when it can): a check that judges the whole set, an eval set, or an input
    that is not JSON Lines."""
    whole = [c.name for c in the_plan.checks if not c.streaming]
    if whole:
        return f"check(s) {', '.join(whole)} judge the whole set"
    per_chunk = [c.name for c in the_plan.checks if _whole_inputs(c) or not set(_parameters(c.finish)) <= AT_FINISH]
    if per_chunk:
        return f"check(s) {', '.join(per_chunk)} need whole files or the eval set"
    if eval_sources is not None:
        return "an eval set is given"
    if not streamable(inputs):
        return "an input is not a JSON Lines file"
    return ""


def _whole_inputs(check: Check) -> set[str]:
    """What a streaming check asks for that a chunk does not have (after a first pass, files' infos it has)."""
    wanted = set(check.inputs()) | set(_parameters(check.observe))
    return wanted & (NOT_PER_CHUNK - {"sources"} if check.observes() else NOT_PER_CHUNK)


class Run:
    """One lint run: checks' results filtered by selection, severity overrides and suppression as they arrive."""

    def __init__(self, the_plan: Plan, config: Config, profile: Any, timings: dict[str, float]):
        self.plan, self.config, self.profile, self.timings = the_plan, config, profile, timings
        self.findings: list[Finding] = []
        self.metrics: dict[str, Any] = {}
        self.skipped = list(the_plan.skipped)
        self.baseline = read_baseline(config.resolve_path(config.baseline)) if config.baseline else {}
        self.suppressed: Counter[str] = Counter()  # per check: a check skipped late takes its count back
        self.overrides = config.severity_overrides()
        self.ran_codes: set[str] = set()
        self.excerpts: dict[int, str] = {}
        self.seed = {"config": config, "profile": profile}

    # ---- whole set in memory
    def materialised(self, inputs: list[Any], eval_sources: Any) -> Report:
        loading = clock()
        train = load_sources(inputs, self.config.field_map, "train")
        evals = load_sources(_as_inputs(eval_sources), self.config.field_map, "eval") \
            if eval_sources is not None else []
        record_time(self.timings, "load", loading)
        store = Artifacts({**self.seed, "sources": train, "eval_sources": evals})
        records = store.get("records")
        by_index = {r.index: r for r in records}
        for check in self.plan.checks:
            if check.late:
                store.set("prior_findings", list(self.findings))
                store.set("prior_metrics", dict(self.metrics))
            accepted = self.call(check, check.run, check.inputs(), store, by_index)
            if accepted is not None:
                self.findings.extend(accepted)
                self.ran_codes.update(code for code in check.codes() if code in self.plan.selection)
        cache = store.get("embedding_cache") if store.computed("embedding_cache") else None
        if cache is not None:
            cache.close()  # release the SQLite file now, not whenever the garbage collector gets to it
        self.add_excerpts(self.findings, by_index, store.get("rows") if self.findings else [])
        self.add_timings(store.timings)
        return self.report([s.info for s in (*train, *evals)], sum(s.info.rows for s in train),
                           [len(r.text) for r in records])

    # ---- chunk by chunk
    def streamed(self, inputs: list[Any], chunk_rows: int) -> Report:
        checks = list(self.plan.checks)
        files = self.first_pass(inputs, chunk_rows, checks)
        formats = {s.info.path: s.info.format for s in files} if files is not None else None
        stream = SourceStream(inputs, self.config.field_map, "train", chunk_rows, formats=formats)
        lengths: array[int] = array("q")
        rows = 0
        for chunk in _timed(stream, self.timings, "load"):
            rows += len(chunk.rows)
            lengths.extend(len(r.text) for r in chunk.records)
            by_index = {r.index: r for r in chunk.records}
            store = Artifacts({**self.seed, "rows": chunk.rows, "records": chunk.records,
                               **({"sources": files} if files is not None else {})})
            found: list[Finding] = []
            for check in list(checks):
                if check.late:
                    store.set("prior_findings", list(found))
                accepted = self.call(check, check.run_chunk, check.inputs(), store, by_index)
                if accepted is None:
                    checks.remove(check)
                    found = [f for f in found if f.check != check.name]
                else:
                    found.extend(accepted)
            self.add_excerpts(found, by_index, chunk.rows)
            self.findings.extend(found)
            self.add_timings(store.timings)
        final = Artifacts({**self.seed, "sources": [Source(info) for info in stream.infos],
                           "prior_findings": self.findings})
        for check in checks:
            final.set("prior_metrics", dict(self.metrics))
            accepted = self.call(check, check.finish, _parameters(check.finish), final, {})
            if accepted is not None:
                self.findings.extend(accepted)
                self.ran_codes.update(code for code in check.codes() if code in self.plan.selection)
        self.metrics["dataset.streamed_chunks"] = stream.chunks
        order = {c.name: n for n, c in enumerate(self.plan.checks)}  # skips in plan order, as when loaded whole
        self.skipped.sort(key=lambda s: order.get(s.check, -1))
        return self.report(stream.infos, rows, lengths)

    def first_pass(self, inputs: list[Any], chunk_rows: int, checks: list[Check]) -> list[Source] | None:
        """When a check observes: read the input once, chunk by chunk, for the per-file facts it needs (and each
        file's format, so that the second pass maps every row in file order). The files' infos, or None."""
        observers = [c for c in checks if c.observes()]
        if not observers:
            return None
        stream = SourceStream(inputs, self.config.field_map, "train", chunk_rows)
        for chunk in _timed(stream, self.timings, "load.first_pass"):
            store = Artifacts({**self.seed, "rows": chunk.rows, "records": chunk.records})
            for check in list(observers):
                if self.call(check, check.observe, _parameters(check.observe), store, {}) is None:
                    observers.remove(check)
                    checks.remove(check)
            self.add_timings(store.timings)
        return [Source(info) for info in stream.infos]

    # ---- shared
    def call(self, check: Check, method: Any, inputs: tuple[str, ...], store: Artifacts,
             by_index: dict[int, Record]) -> list[Finding] | None:
        """Run one method of a check: the findings it adds (metrics are taken), or None when it skipped itself."""
        try:
            args = {name: store.get(name) for name in inputs}
            check_started = clock()
            results = list(method(**args) or ())  # observe() returns None
            _add_time(self.timings, f"check.{check.name}", check_started)
        except SkipCheck as exc:
            self.skipped.append(Skipped(check.name, exc.reason))
            self.findings = [f for f in self.findings if f.check != check.name]  # from its earlier chunks
            self.suppressed.pop(check.name, None)
            return None
        except DslintError:
            raise
        except Exception as exc:
            raise CheckCrashed(f"check '{check.name}' failed: {type(exc).__name__}: {exc}") from exc
        accepted: list[Finding] = []
        for item in results:
            if isinstance(item, Metric):
                self.metrics[item.name] = item.value
                continue
            if item.code not in self.plan.selection:
                continue
            if item.code in self.overrides:
                item = item.with_severity(self.overrides[item.code])
            if _suppressed(item, by_index, self.config, self.baseline):
                self.suppressed[check.name] += 1
                continue
            accepted.append(item)
        return accepted

    def add_excerpts(self, findings: list[Finding], by_index: dict[int, Record], rows: list[Row]) -> None:
        if findings:
            self.excerpts.update(_excerpts(findings, by_index, {r.index: r for r in rows}, self.excerpts))

    def add_timings(self, store_timings: dict[str, float]) -> None:
        for name, secs in store_timings.items():
            key = f"cpu.artifact.{name[4:]}" if name.startswith("cpu.") else f"artifact.{name}"
            self.timings[key] = self.timings.get(key, 0.0) + secs

    def report(self, infos: list[SourceInfo], rows: int, lengths: Any) -> Report:
        self.findings.sort(key=_sort_key)
        if len(lengths):  # for the HTML report's length chart
            self.metrics.setdefault("dataset.length_histogram", length_histogram(lengths))
        shown = {f.location.record for f in self.findings}  # not those of a check that skipped itself late
        report = Report(sources=infos, findings=self.findings, skipped=self.skipped, metrics=self.metrics,
                        suppressed=sum(self.suppressed.values()), rows=rows, records=len(lengths),
                        profile=self.profile.name,
                        excerpts={i: text for i, text in self.excerpts.items() if i in shown})
        report.verdict = build_verdict(report, self.config, self.ran_codes)
        return report


def _parameters(method: Any) -> tuple[str, ...]:
    params = inspect.signature(method).parameters
    return tuple(n for n, p in params.items() if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL))


def _timed(items: Iterable[Any], timings: dict[str, float], name: str) -> Iterator[Any]:
    """Yield `items`, summing the time spent producing them under `name` (reading and mapping, when streaming)."""
    iterator = iter(items)
    while True:
        start = clock()
        try:
            item = next(iterator)
        except StopIteration:
            _add_time(timings, name, start)
            return
        _add_time(timings, name, start)
        yield item


def _add_time(timings: dict[str, float], name: str, start: tuple[float, float]) -> None:
    """Like record_time, summed over calls (a streamed check runs once per chunk)."""
    step: dict[str, float] = {}
    record_time(step, name, start)
    for key, secs in step.items():
        timings[key] = timings.get(key, 0.0) + secs


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


def _excerpts(findings: list[Finding], by_index: dict[int, Record], rows: dict[int, Row],
              done: dict[int, str]) -> dict[int, str]:
    """The start of each finding's record (or of its row when it is no record), by record index."""
    out: dict[int, str] = {}
    for f in findings:
        i = f.location.record
        if i is None or i in out or i in done:
            continue
        rec = by_index.get(i)
        if rec is not None:
            text = rec.text
        else:
            row = rows.get(i)
            text = (row.raw if row is not None and row.raw else "") if row is not None else ""
            if row is not None and not text and row.value is not None:
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
