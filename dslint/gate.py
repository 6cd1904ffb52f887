"""The gate (a verdict on a measured report) and the readiness verdict that closes every report.

Checks measure; the gate judges (deepchecks' split). Exit 0 when nothing at or above `fail-on` remains and every
budget holds; 1 otherwise. Exit 2 (usage, config, input, plugin errors) never reaches here.
"""

from __future__ import annotations

from typing import Any

from .errors import GateFailed
from .model import FlagVerdict, Report, Severity, Verdict

# Red flags of the verdict: (flag, rule prefix, metric that carries its figure, how to show it).
RED_FLAGS = (
    ("format", "F", "F.invalid_share", "{:.1%} of rows invalid"),
    ("size", "S", "S.effective_examples", "{:,} effective examples"),
    ("duplicates & leakage", "D", "D.duplicate_rate", "{:.1%} duplicates"),
    ("label noise", "L", "L.noise_rate", "{:.1%} estimated label noise"),
    ("volatility", "V", "V.volatile_share", "{:.1%} volatile examples"),
)


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
    for flag, prefix, metric, fmt in RED_FLAGS:
        family = [f for f in report.findings if f.code.startswith(prefix)]
        has_metric = metric in report.metrics
        if not any(code.startswith(prefix) for code in ran_codes):
            flags.append(FlagVerdict(flag, "SKIP", "not checked"))
            continue
        worst = max((f.severity for f in family), default=None)
        if worst is not None and worst >= fail_on:
            status = "FAIL"
        elif worst is not None and worst >= Severity.WARNING:
            status = "WARN"
        else:
            status = "PASS"
        figure = fmt.format(report.metrics[metric]) if has_metric else f"{len(family)} finding(s)"
        flags.append(FlagVerdict(flag, status, figure))
    green = list(report.metrics.get("green_flags", []))
    return Verdict(flags=flags, green_flags=green, gate_passed=not reasons, gate_reasons=reasons)


def exit_code(report: Report, *, exit_zero: bool = False) -> int:
    """0 when the gate passes (or --exit-zero), 1 when it fails."""
    return 0 if exit_zero or report.verdict.gate_passed else 1


def gate(report: Report) -> Report:
    """Raise GateFailed listing what failed, for training scripts: `dslint.gate(dslint.lint(path))`."""
    if not report.verdict.gate_passed:
        raise GateFailed(report.verdict.gate_reasons)
    return report
