"""Rule metadata across every loaded check: for `dslint rules`, `dslint rule CODE` and reporters."""

from __future__ import annotations

from .check import option_names
from .model import Rule
from .plugins import LoadedCheck, discover


def rule_index() -> dict[str, Rule]:
    return {rule.code: rule for lc in discover() for rule in lc.cls.rules}


def rule_table() -> list[tuple[Rule, LoadedCheck]]:
    rows = [(rule, lc) for lc in discover() for rule in lc.cls.rules]
    return sorted(rows, key=lambda rl: (rl[0].code[0], int(rl[0].code[1:]) if rl[0].code[1:].isdigit() else 0))


def rule_doc(code: str) -> str | None:
    """The full documentation of one rule (ruff's `rule CODE`), or None when no loaded check has it."""
    for rule, lc in rule_table():
        if rule.code == code.upper():
            opts = option_names(lc.cls)
            head = [f"# {rule.name} ({rule.code})", "",
                    f"Check: {lc.cls.name} · provided by {lc.provider} · default severity {rule.severity} · "
                    f"scope {rule.scope}", ""]
            if rule.summary:
                head += [rule.summary, ""]
            body = rule.doc.strip() if rule.doc else "(no further documentation)"
            tail = ["", "## Check options", "", *[f"- `{o}`" for o in opts]] if opts else []
            return "\n".join(head) + body + "\n" + "\n".join(tail)
    return None
