"""The HTML report: one self-contained page (verdict, charts, filterable findings), checked in a real browser."""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from dslint.config import Config
from dslint.engine import lint
from dslint.model import Finding, Location, Report, Severity
from dslint.reporters import render

REPO = Path(__file__).resolve().parents[1]
SCREENSHOT = REPO / "docs" / "html-report.png"
CHART_KEYS = {"length", "labels", "duplicates", "volatility"}

TOPICS = {
    "billing": ["my card was charged twice for the same order", "how do I get a refund for last month's invoice",
                "the bill shows a fee I do not recognise", "can I pay by bank transfer instead of card",
                "why did my subscription price change on this invoice", "please send me a copy of my receipt"],
    "shipping": ["where is my parcel, the tracking page has not moved", "can I change the delivery address",
                 "the courier left the box at the wrong door", "do you ship to islands and remote areas",
                 "my order arrived with a crushed corner", "how long does express delivery take"],
    "account": ["I cannot log in after resetting my password", "how do I change the email on my account",
                "please delete my account and all my data", "two-factor codes never arrive by text message",
                "someone else seems to be using my login", "how do I merge two accounts into one"],
}
VOLATILE = [
    ("As of 2024 the current CEO of the company is Jane Roe, who took office last month.", "account"),
    ("Today the standard plan costs $12.99 per month, and this week there is a sale.", "billing"),
    ("The latest version of the app is 4.2, released yesterday.", "account"),
]


def report_dataset(tmp_path: Path) -> Path:
    """Classification data with duplicates, volatile facts, a broken line and lengths across two decades."""
    lines = []
    for label, texts in TOPICS.items():
        for i, text in enumerate(texts):
            lines.append(json.dumps({"text": text + (" " + "and some more detail" * (i * 3)), "label": label}))
    lines += lines[:3] + [lines[7]] * 2  # exact duplicates: clusters of 2 and of 3
    near = "I was charged for a plan I never signed up for and want the money back on my card"
    lines += [json.dumps({"text": near + tail, "label": "billing"}) for tail in (" please", " please!", ", thanks")]
    lines += [json.dumps({"text": "<script>alert('x')</script> is this escaped?", "label": "account"})] * 2
    lines.append('{"text": "a broken line", "label": ')
    path = tmp_path / "support.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    # Volatility judges what a model is taught to say, so the volatile facts sit in a chat file's answers.
    faq = [{"messages": [{"role": "user", "content": f"A question about {topic}?"},
                         {"role": "assistant", "content": text}]} for text, topic in VOLATILE]
    (tmp_path / "faq.jsonl").write_text("".join(json.dumps(r) + "\n" for r in faq), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def html_page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Report, str]:
    os.environ.setdefault("DSLINT_QUIET", "1")
    tmp = tmp_path_factory.mktemp("html")
    report_dataset(tmp)
    here = os.getcwd()
    os.chdir(tmp)  # so the page shows the file as `support.jsonl`, as a user running dslint beside it sees it
    try:
        report = lint(["support.jsonl", "faq.jsonl"], Config(fast=True, cache_dir=str(tmp / "cache")))
    finally:
        os.chdir(here)
    return report, render(report, "html")


# ---- the page, without a browser ---------------------------------------------------------------------------------

def test_page_starts_with_the_verdict_and_draws_every_chart_it_has_data_for(html_page):
    report, page = html_page
    assert page.startswith("<!DOCTYPE html>")
    assert page.index('id="verdict"') < page.index("<h2>Charts</h2>") < page.index("<h2>Findings</h2>")
    assert set(re.findall(r'data-chart="(\w+)"', page)) == CHART_KEYS
    assert page.count("<svg") >= len(CHART_KEYS)
    assert ("Gate FAILED" if not report.verdict.gate_passed else "Gate PASSED") in page


def test_page_is_self_contained(html_page):
    _, page = html_page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "@import" not in page and "<link" not in page
    assert not re.search(r"<script[^>]+src=", page)


def test_every_finding_is_a_filterable_row_with_its_record_text(html_page):
    report, page = html_page
    rows = re.findall(r'<tr data-code="(\w+)" data-severity="(\w+)">', page)
    assert len(rows) == len(report.findings)
    assert {c for c, _ in rows} == {f.code for f in report.findings}
    for code in {f.code for f in report.findings}:
        assert f'<option value="{code}">' in page
    dup = next(f for f in report.findings if f.code == "D001")
    assert report.excerpts[dup.location.record].split("\n")[0][:40] in page


def test_record_text_is_escaped(html_page):
    _, page = html_page
    assert "<script>alert(" not in page
    assert "&lt;script&gt;alert(" in page


def test_charts_are_left_out_when_their_data_is_missing():
    page = render(Report(findings=[Finding("X001", "plain", Severity.WARNING, Location("a.jsonl", 0, 1))]), "html")
    assert "data-chart=" not in page and "<h2>Charts</h2>" not in page
    assert 'data-code="X001"' in page


def test_a_huge_report_shows_the_first_findings_and_counts_the_rest():
    from dslint.reporters.html import MAX_FINDINGS

    many = [Finding("X001", f"m{i}", Severity.WARNING, Location("a.jsonl", i, i + 1)) for i in range(MAX_FINDINGS + 7)]
    page = render(Report(findings=many), "html")
    assert page.count('<tr data-code="X001"') == MAX_FINDINGS
    assert "7 more finding(s) not shown" in page


def test_label_chart_counts_suspected_errors_per_given_label():
    from dslint.reporters.html import label_chart

    findings = [Finding("L001", "m", Severity.WARNING, Location("a", i, i + 1), details={"given": "spam"})
                for i in range(3)]
    svg = label_chart(Report(findings=findings, metrics={"S.label_counts": {"spam": 10, "ham": 20}}))
    assert svg is not None and "suspected label errors" in svg and "spam" in svg


# ---- in a real browser -------------------------------------------------------------------------------------------

def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


needs_chromium = pytest.mark.skipif(
    chromium() is None and not os.environ.get("CI"),
    reason="headless Chromium not installed (Debian: apt-get install chromium; .ci/run installs it)")


def run_chromium(page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    exe = chromium()
    assert exe, "chromium must be installed in CI (.ci/run installs it)"
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", "--window-size=1280,2000",
           *args, page.as_uri()]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def console_errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line and ("Error" in line or "Uncaught" in line)]


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


@needs_chromium
def test_chromium_runs_the_page_script_without_errors_and_shows_the_charts(html_page, tmp_path):
    report, page = html_page
    path = tmp_path / "report.html"
    path.write_text(page, encoding="utf-8")
    result = run_chromium(path, tmp_path / "profile", "--dump-dom")
    dom = result.stdout
    assert result.returncode == 0, result.stderr[-2000:]
    assert console_errors(result.stderr) == []
    body = re.search(r"<body[^>]*>", dom).group(0)
    assert 'data-dslint-ready="true"' in body  # the inline script ran to its end
    assert f'data-dslint-shown="{len(report.findings)}"' in body  # ... and applied the (empty) filter
    for key in CHART_KEYS:
        figure = re.search(rf'<figure[^>]*data-chart="{key}".*?</figure>', dom, re.S)
        assert figure and "<svg" in figure.group(0) and "<path" in figure.group(0), key
    assert re.search(r'id="f-shown"[^>]*>\d+ of \d+ shown<', dom)


@needs_chromium
def test_chromium_reports_a_broken_script(html_page, tmp_path):
    """The check above can fail: the same page with a throwing script is caught twice over."""
    _, page = html_page
    path = tmp_path / "broken.html"
    path.write_text(page.replace("(function () {", "(function () { throw new Error('boom');", 1), encoding="utf-8")
    result = run_chromium(path, tmp_path / "profile", "--dump-dom")
    assert any("boom" in line for line in console_errors(result.stderr))
    assert "data-dslint-ready" not in re.search(r"<body[^>]*>", result.stdout).group(0)


@needs_chromium
def test_chromium_screenshot(html_page, tmp_path):
    """Renders the page to a PNG; DSLINT_UPDATE_SCREENSHOT=1 saves it as the README's docs/html-report.png."""
    _, page = html_page
    path = tmp_path / "report.html"
    path.write_text(page, encoding="utf-8")
    shot = tmp_path / "report.png"
    result = run_chromium(path, tmp_path / "profile", f"--screenshot={shot}")
    assert shot.is_file(), result.stderr[-2000:]
    assert png_size(shot) == (1280, 2000)
    assert shot.stat().st_size > 50_000  # a blank page compresses to a few KB
    if os.environ.get("DSLINT_UPDATE_SCREENSHOT"):
        SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(shot, SCREENSHOT)


def test_cli_writes_the_page_and_keeps_the_exit_code(tmp_path, run_cli):
    data = report_dataset(tmp_path)
    out = tmp_path / "report.html"
    res = run_cli("check", "--fast", str(data), "--output-format", "html", "-o", str(out))
    assert res.code == 1  # the set has a broken line: the page does not change the verdict
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "Gate FAILED" in page
    assert "dslint: gate FAILED" in res.out  # the terminal still gets the findings and the gate line
