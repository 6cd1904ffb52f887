"""dslint: a training-data quality linter for LLM fine-tuning sets.

    report = dslint.lint("train.jsonl")
    dslint.gate(report)          # raises dslint.GateFailed listing what failed
"""

from __future__ import annotations

from typing import Any

from .check import Check
from .errors import DslintError, GateFailed, SkipCheck
# Imported eagerly: the function `gate` must win over the submodule of the same name on the package.
from .gate import gate
from .model import Finding, Location, Metric, Report, Rule, Severity, Skipped

__version__ = "0.1.0"


def lint(source: Any, config: Any = None, *, eval: Any = None, **settings: Any) -> Report:
    """Lint `source` (a path, paths, a folder, a list of dicts or a datasets.Dataset) and return a Report.

    `config` is a Config, a path to a dslint.toml / pyproject.toml, or None (the closest config file, else
    defaults). Keyword settings override it, with the config keys' names: lint(p, select=["F", "S"], fast=True).
    """
    from .config import Config, load_config, merge_cli
    from .engine import lint as run

    if config is None:
        start = source if isinstance(source, str) else None
        cfg = load_config(start=start)
    elif isinstance(config, Config):
        cfg = config
    else:
        cfg = load_config(config)
    if settings:
        cfg = merge_cli(cfg, settings)
    return run(source, cfg, eval_sources=eval)


__all__ = [
    "lint", "gate", "Check", "Rule", "Finding", "Severity", "Report", "Location", "Metric", "Skipped",
    "DslintError", "GateFailed", "SkipCheck", "__version__",
]
