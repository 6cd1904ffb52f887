"""The gate (a verdict on a measured report) and the readiness verdict that closes every report.

Checks measure; the gate judges (deepchecks' split). Exit 0 when nothing at or above `fail-on` remains and every
budget holds; 1 otherwise. Exit 2 (usage, config, input, plugin errors) never reaches here.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from .errors import GateFailed
from .model import Finding, FlagVerdict, Report, Severity, Verdict

def _size_figure(m: dict[str, Any]) -> str | None:
    """The size flag's figure: effective examples, thresholds, what was counted out, the thinnest label."""
    if "S.effective_examples" not in m:
        return None
    figure = f"{m['S.effective_examples']:,} effective examples"
    if "S.min_examples" in m:
        figure += f" (minimum {m['S.min_examples']:,}, recommended {m.get('S.recommended_examples', 0):,})"
    out = {why: n for why, n in (m.get("S.counted_out") or {}).items() if n}
    if out:
        figure += "; counted out: " + ", ".join(f"{n:,} {why.replace('_', ' ')}" for why, n in out.items())
    if "S.min_label_count" in m:
        figure += f"; {m['S.labels']} labels, the smallest with {m['S.min_label_count']:,} examples"
    return figure


def _share_figure(metric: str, what: str) -> Callable[[dict[str, Any]], str | None]:
    def figure(m: dict[str, Any]) -> str | None:
        return f"{m[metric]:.1%} {what}" if metric in m else None

    return figure


# Red flags of the verdict: (flag id as in the JSON report, rule prefix, the title reports show, its figure from the
# metrics; None when not measured).
RED_FLAGS: tuple[tuple[str, str, str, Callable[[dict[str, Any]], str | None]], ...] = (
    ("format", "F", "malformed records", _share_figure("F.invalid_share", "of rows invalid")),
    ("size", "S", "too little data", _size_figure),
    ("duplicates & leakage", "D", "duplicates & leakage", _share_figure("D.duplicate_rate", "duplicates")),
    ("label noise", "L", "noisy or inconsistent labels", _share_figure("L.noise_rate", "estimated label noise")),
    ("volatility", "V", "volatile knowledge",
     _share_figure("V.volatile_share", "volatile examples (belongs in retrieval)")),
)
FLAG_TITLES = {flag: title for flag, _, title, _ in RED_FLAGS}


def flag_title(flag: str) -> str:
    """How reports name a red flag (its id in the JSON report is shorter and stable)."""
    return FLAG_TITLES.get(flag, flag)


def gate_reasons(report: Report, fail_on: Severity, budgets: dict[str, dict[str, float]]) -> list[str]:
    """Why the report fails the gate; empty when it passes."""
    reasons = []
    failing = [f for f in report.findings if f.severity >= fail_on]
    if failing:
        codes: dict[str, int] = {}
        for f in failing:
            codes[f.code] = codes.get(f.code, 0) + 1
        listed = ", ".join(f"{c} x{n}" for c, n in sorted(codes.items()))
        reasons.append(f"{len(failing)} finding(s) at or above {fail_on}: {listed}")
    for code, budget in sorted(budgets.items()):
        count = sum(1 for f in report.findings if f.code.startswith(code.upper()))
        ratio = count / report.records if report.records else 0.0
        if "max-count" in budget and count > budget["max-count"]:
            reasons.append(f"{code}: {count} finding(s) exceed the budget max-count = {budget['max-count']:g}")
        if "max-ratio" in budget and ratio > budget["max-ratio"]:
            reasons.append(f"{code}: {ratio:.2%} of records exceeds the budget max-ratio = {budget['max-ratio']:g}")
    return reasons


def build_verdict(report: Report, config: Any, ran_codes: set[str]) -> Verdict:
    """PASS/WARN/FAIL per red flag (SKIP when no check of its family ran), green flags, and the gate."""
    fail_on = config.fail_on_severity()
    reasons = gate_reasons(report, fail_on, config.gate)
    flags = []
    for flag, prefix, _, figure_of in RED_FLAGS:
        if not any(code.startswith(prefix) for code in ran_codes):
            flags.append(FlagVerdict(flag, "SKIP", "not checked"))
            continue
        family = [f for f in report.findings if f.code.startswith(prefix)]
        over_budget = any(_budget_covers(code, prefix) and _budget_exceeded(report, code, budget)
                          for code, budget in config.gate.items())
        worst = max((f.severity for f in family), default=None)
        if over_budget or (worst is not None and worst >= fail_on):
            status = "FAIL"
        elif worst is not None and worst >= Severity.WARNING:
            status = "WARN"
        else:
            status = "PASS"
        figure = figure_of(report.metrics)
        codes = _code_counts(f for f in family if f.severity >= Severity.WARNING)
        if figure is None:
            figure = f"{sum(1 for f in family if f.severity >= Severity.WARNING)} finding(s)"
        flags.append(FlagVerdict(flag, status, f"{figure} [{codes}]" if codes else figure))
    return Verdict(flags=flags, green_flags=green_flags(report.metrics), gate_passed=not reasons,
                   gate_reasons=reasons)


def green_flags(metrics: dict[str, Any]) -> list[str]:
    """What makes a set a good fine-tuning candidate, from any check's "green_flags" or "<FAMILY>.green_flags"."""
    out: list[str] = []
    for name, value in sorted(metrics.items()):
        if name == "green_flags" or name.endswith(".green_flags"):
            out.extend(str(v) for v in value if str(v) not in out)
    return out


def _code_counts(findings: Iterable[Finding]) -> str:
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.code] = counts.get(f.code, 0) + 1
    return ", ".join(f"{c} x{n}" if n > 1 else c for c, n in sorted(counts.items()))


def _budget_covers(code: str, prefix: str) -> bool:
    return code.upper().startswith(prefix) or prefix.startswith(code.upper())


def _budget_exceeded(report: Report, code: str, budget: dict[str, float]) -> bool:
    count = sum(1 for f in report.findings if f.code.startswith(code.upper()))
    ratio = count / report.records if report.records else 0.0
    return count > budget.get("max-count", float("inf")) or ratio > budget.get("max-ratio", float("inf"))


def exit_code(report: Report, *, exit_zero: bool = False) -> int:
    """0 when the gate passes (or --exit-zero), 1 when it fails."""
    return 0 if exit_zero or report.verdict.gate_passed else 1


def gate(report: Report) -> Report:
    """Raise GateFailed listing what failed, for training scripts: `dslint.gate(dslint.lint(path))`."""
    if not report.verdict.gate_passed:
        raise GateFailed(report.verdict.gate_reasons)
    return report
