"""Regenerate the parts of README.md that come from code (the rule table), so the README stays true.

    python scripts/update_readme.py          # rewrite README.md in place
    python scripts/update_readme.py --check  # exit 1 when README.md is out of date (used by the tests)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BLOCK = re.compile(r"(<!-- BEGIN GENERATED: rules -->\n)(.*?)(<!-- END GENERATED: rules -->)", re.S)


def rules_markdown() -> str:
    from dslint.rules import rule_table

    lines = ["| code | name | default | check | what it flags |", "|---|---|---|---|---|"]
    for rule, lc in rule_table():
        summary = (rule.summary or rule.message).replace("|", "\\|")
        lines.append(f"| `{rule.code}` | {rule.name} | {rule.severity} | {lc.cls.name} | {summary} |")
    return "\n".join(lines) + "\n"


def updated(text: str) -> str:
    if not BLOCK.search(text):
        raise SystemExit("README.md has no '<!-- BEGIN GENERATED: rules -->' block")
    return BLOCK.sub(lambda m: m.group(1) + rules_markdown() + m.group(3), text)


def main(argv: list[str]) -> int:
    text = README.read_text(encoding="utf-8")
    new = updated(text)
    if "--check" in argv:
        if new != text:
            print("README.md rule table is out of date: run `python scripts/update_readme.py`", file=sys.stderr)
            return 1
        return 0
    if new != text:
        README.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
