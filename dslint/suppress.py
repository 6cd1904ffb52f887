"""Suppression: a record's `_dslint_noqa` codes, per-file-ignores globs, and a baseline of accepted findings."""

from __future__ import annotations

import fnmatch
import json
import os
from collections import Counter
from pathlib import Path
from typing import Iterable, Mapping

from .errors import ConfigError
from .model import Finding
from .selection import Selection

BASELINE_VERSION = 1


def noqa_suppresses(noqa: Iterable[str], code: str) -> bool:
    codes = list(noqa)
    return bool(codes) and ("ALL" in codes or code in Selection(codes))


def per_file_ignored(path: str | None, code: str, per_file_ignores: Mapping[str, list[str]], root: str = ".") -> bool:
    if not path or not per_file_ignores:
        return False
    rel = os.path.relpath(path, root) if os.path.isabs(path) or root != "." else path
    for pattern, codes in per_file_ignores.items():
        if (fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(path, pattern)
                or fnmatch.fnmatch(os.path.basename(path), pattern)) and code in Selection(codes):
            return True
    return False


def read_baseline(path: str) -> Counter[str]:
    """Accepted fingerprints, with how many findings each covers, from a baseline (--write-baseline) or any dslint
    JSON report (--output-format json): both hold a "findings" list of objects with a "fingerprint"."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: baseline file not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path}: not a readable baseline ({exc})") from None
    items = data.get("findings") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ConfigError(f"{path}: not a dslint baseline (no 'findings' list)")
    return Counter(str(i["fingerprint"]) for i in items if isinstance(i, dict) and i.get("fingerprint"))


def baseline_document(findings: Iterable[Finding]) -> dict:
    return {
        "dslint_baseline": BASELINE_VERSION,
        "findings": [
            {"fingerprint": f.fingerprint, "code": f.code, "path": f.location.path, "line": f.location.line,
             "message": f.message}
            for f in findings
        ],
    }
