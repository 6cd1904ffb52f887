"""Reporters: pure functions Report -> text, looked up by name and imported on use."""

from __future__ import annotations

from importlib import import_module
from typing import Callable

from ..model import Report

# name -> module under dslint.reporters exposing render(report, *, statistics=False) -> str
REPORTERS: dict[str, str] = {
    "text": "text",
    "json": "json_report",
    "sarif": "sarif",
    "github": "github",
    "markdown": "markdown",
    "html": "html",
}


def get_reporter(name: str) -> Callable[..., str]:
    module = import_module(f"{__name__}.{REPORTERS[name]}")
    return module.render


def render(report: Report, fmt: str = "text", **options: object) -> str:
    return get_reporter(fmt)(report, **options)
