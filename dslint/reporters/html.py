"""HTML: one self-contained page that opens offline: the verdict, charts (matplotlib, inline SVG), then findings.

A pure function of the Report. The page loads nothing from the network; its small inline script filters the
findings by rule, severity and text, and marks <body data-dslint-ready> once it has run (the browser test reads it).
Each chart is drawn only when the report holds its data.
"""

from __future__ import annotations

import io
from collections import Counter, defaultdict
from html import escape
from typing import Any, Callable, Iterable

from ..model import Finding, Report

MAX_FINDINGS = 5000  # rows in the page; the rest are counted, the JSON report has them all
STATUS_CLASS = {"PASS": "pass", "WARN": "warn", "FAIL": "fail", "SKIP": "skip"}
COLORS = {"bar": "#4c78a8", "accent": "#e45756"}
PALETTE = ["#4c78a8", "#f58518", "#54a24b", "#b279a2", "#72b7b2", "#eeca3b"]


# ---- charts --------------------------------------------------------------------------------------------------------

def _svg(draw: Callable[[Any], None], width: float = 6.4, height: float = 3.2) -> str:
    """Draw on a fresh matplotlib Figure (no pyplot state) and return it as an inline <svg> element."""
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "dslint", "font.size": 9,
                                "axes.spines.top": False, "axes.spines.right": False}):
        fig = Figure(figsize=(width, height), layout="constrained")
        draw(fig.add_subplot())
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    return text[text.index("<svg"):]


def _integer_ticks() -> Any:
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(integer=True)


def length_chart(report: Report) -> str | None:
    hist = report.metrics.get("dataset.length_histogram")
    if not isinstance(hist, dict) or not hist.get("counts"):
        return None
    edges, counts = hist["edges"], hist["counts"]

    def draw(ax: Any) -> None:
        ax.stairs(counts, edges, fill=True, color=COLORS["bar"])
        for name, style in (("p50", "--"), ("p95", ":")):
            if hist.get(name) is not None:
                ax.axvline(hist[name], color=COLORS["accent"], linestyle=style, label=f"{name} = {hist[name]:,}")
        if hist.get("log"):
            ax.set_xscale("log")
        ax.set_xlabel(f"record length ({hist.get('unit', 'characters')})")
        ax.set_ylabel("records")
        ax.legend(frameon=False)

    return _svg(draw)


def label_chart(report: Report) -> str | None:
    counts = report.metrics.get("S.label_counts")
    if not isinstance(counts, dict) or not counts:
        return None
    suspected = Counter(str(f.details.get("given")) for f in report.findings
                        if f.code.startswith("L") and "given" in f.details)
    labels = sorted(counts, key=lambda k: -counts[k])[:30]

    def draw(ax: Any) -> None:
        ys = range(len(labels))
        ax.barh(ys, [counts[k] for k in labels], color=COLORS["bar"], label="records")
        ax.barh(ys, [suspected.get(str(k), 0) for k in labels], color=COLORS["accent"], label="suspected label errors")
        ax.set_yticks(list(ys), [str(k)[:28] for k in labels])
        ax.invert_yaxis()
        ax.set_xlabel("records per label")
        ax.legend(frameon=False, loc="lower right")

    return _svg(draw, height=max(2.4, 0.28 * len(labels) + 1))


def duplicate_chart(report: Report) -> str | None:
    clusters: dict[str, dict[Any, int]] = defaultdict(dict)
    for f in report.findings:
        if f.code.startswith("D") and "cluster_size" in f.details:
            clusters[f.code][f.details.get("cluster", f.details.get("kept"))] = int(f.details["cluster_size"])
    if not clusters:
        return None
    sizes = sorted({s for by_id in clusters.values() for s in by_id.values()})

    def draw(ax: Any) -> None:
        bottom = [0] * len(sizes)
        palette = iter(PALETTE * 4)
        for code in sorted(clusters):
            per_size = Counter(clusters[code].values())
            heights = [per_size.get(s, 0) for s in sizes]
            ax.bar([str(s) for s in sizes], heights, width=0.6, bottom=bottom, label=code, color=next(palette))
            bottom = [b + h for b, h in zip(bottom, heights)]
        ax.set_xlim(-0.5 - 0.5 * (len(sizes) < 3), len(sizes) - 0.5 + 0.5 * (len(sizes) < 3))
        ax.set_xlabel("records in the cluster")
        ax.set_ylabel("duplicate clusters")
        ax.yaxis.set_major_locator(_integer_ticks())
        ax.legend(frameon=False)

    return _svg(draw)


def volatility_chart(report: Report) -> str | None:
    per_category = Counter(str(f.details.get("category", f.code)) for f in report.findings
                           if f.code.startswith("V") and f.location.record is not None)
    if not per_category:
        return None
    cats = [c for c, _ in per_category.most_common(20)]

    def draw(ax: Any) -> None:
        ax.barh(range(len(cats)), [per_category[c] for c in cats], color=COLORS["bar"])
        ax.set_yticks(list(range(len(cats))), cats)
        ax.invert_yaxis()
        ax.set_xlabel("volatile findings")
        ax.xaxis.set_major_locator(_integer_ticks())

    return _svg(draw, height=max(2.2, 0.3 * len(cats) + 1))


CHARTS = (
    ("length", "Length distribution", length_chart),
    ("labels", "Labels, with suspected label errors per class", label_chart),
    ("duplicates", "Duplicate clusters", duplicate_chart),
    ("volatility", "Volatility by category", volatility_chart),
)


# ---- page ----------------------------------------------------------------------------------------------------------

CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1f2937;background:#f8fafc}
main{max-width:1200px;margin:0 auto;padding:24px}
h1{margin:0 0 4px;font-size:24px} h2{font-size:18px;margin:28px 0 10px}
.muted{color:#6b7280} .card{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:16px;margin:12px 0}
.gate{font-size:20px;font-weight:700;padding:12px 16px;border-radius:8px;color:#fff}
.gate.passed{background:#15803d} .gate.failed{background:#b91c1c}
table{border-collapse:collapse;width:100%} th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #e5e7eb;
vertical-align:top} th{background:#f3f4f6;font-weight:600}
.status{font-weight:700;border-radius:4px;padding:1px 6px;font-size:12px}
.pass{background:#dcfce7;color:#166534} .warn{background:#fef9c3;color:#854d0e} .fail{background:#fee2e2;color:#991b1b}
.skip{background:#e5e7eb;color:#374151}
.sev-error{color:#b91c1c;font-weight:600} .sev-warning{color:#a16207;font-weight:600} .sev-info{color:#2563eb}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:12px}
.chart svg{width:100%;height:auto} .chart h3{margin:0 0 6px;font-size:15px}
.filters{display:flex;gap:8px;flex-wrap:wrap;margin-bottom:8px} .filters select,.filters input{padding:4px 6px}
.filters input{flex:1;min-width:220px}
pre.text{white-space:pre-wrap;word-break:break-word;margin:4px 0 0;background:#f9fafb;border:1px solid #eef0f3;
padding:6px;border-radius:4px;font-size:12px;max-height:9em;overflow:auto}
code{font-size:12px}
"""

SCRIPT = """
(function () {
  var rows = Array.prototype.slice.call(document.querySelectorAll('#findings tbody tr'));
  var code = document.getElementById('f-code'), sev = document.getElementById('f-sev');
  var text = document.getElementById('f-text'), shown = document.getElementById('f-shown');
  function apply() {
    var c = code.value, s = sev.value, q = text.value.toLowerCase(), n = 0;
    rows.forEach(function (tr) {
      var ok = (!c || tr.dataset.code === c) && (!s || tr.dataset.severity === s) &&
               (!q || tr.textContent.toLowerCase().indexOf(q) !== -1);
      tr.hidden = !ok;
      if (ok) { n++; }
    });
    shown.textContent = n + ' of ' + rows.length + ' shown';
    document.body.dataset.dslintShown = String(n);
  }
  [code, sev].forEach(function (el) { el.addEventListener('change', apply); });
  text.addEventListener('input', apply);
  apply();
  document.body.dataset.dslintReady = 'true';
})();
"""


def _verdict(report: Report) -> str:
    v = report.verdict
    gate = "passed" if v.gate_passed else "failed"
    parts = [f'<div class="gate {gate}" id="gate">Gate {gate.upper()}</div>']
    if v.gate_reasons:
        parts.append("<ul>" + "".join(f"<li>{escape(r)}</li>" for r in v.gate_reasons) + "</ul>")
    if v.flags:
        rows = "".join(
            f'<tr><td>{escape(f.flag)}</td><td><span class="status {STATUS_CLASS.get(f.status, "skip")}">'
            f"{escape(f.status)}</span></td><td>{escape(f.figure)}</td></tr>" for f in v.flags)
        parts.append(f'<table id="flags"><thead><tr><th>red flag</th><th>status</th><th>figure</th></tr></thead>'
                     f"<tbody>{rows}</tbody></table>")
    if v.green_flags:
        parts.append("<p>Green flags: " + "; ".join(escape(str(g)) for g in v.green_flags) + "</p>")
    return '<section class="card" id="verdict">' + "".join(parts) + "</section>"


def _sources(report: Report) -> str:
    items = "".join(
        f"<li><code>{escape(s.path)}</code> ({escape(s.role)}): read as {escape(s.format or 'unknown format')} "
        f"({escape(s.kind)}), {s.records:,} records of {s.rows:,} rows</li>" for s in report.sources)
    counts = report.by_severity()
    summary = ", ".join(f"{n:,} {sev}" for sev, n in sorted(counts.items(), reverse=True))
    skipped = "".join(f"<li>skipped <b>{escape(s.check)}</b>: {escape(s.reason)}</li>" for s in report.skipped)
    suppressed = f"; {report.suppressed:,} suppressed" if report.suppressed else ""
    return (f'<section class="card"><ul>{items}</ul><p>{len(report.findings):,} finding(s): {summary}'
            f"{suppressed} · profile <code>{escape(report.profile)}</code></p>"
            + (f"<details id='skipped'><summary>{len(report.skipped)} check(s) skipped</summary>"
               f"<ul class='muted'>{skipped}</ul></details>" if skipped else "") + "</section>")


def _charts(report: Report) -> str:
    drawn = [(key, title, svg) for key, title, make in CHARTS if (svg := make(report))]
    if not drawn:
        return ""
    cards = "".join(f'<figure class="card chart" id="chart-{key}" data-chart="{key}"><h3>{escape(title)}</h3>'
                    f"{svg}</figure>" for key, title, svg in drawn)
    return f'<h2>Charts</h2><div class="charts">{cards}</div>'


def _where(f: Finding) -> str:
    loc = f.location
    no_line_but_record = loc.line is None and loc.record is not None
    return f"{loc}[{loc.record}]" if no_line_but_record else str(loc)


def _finding_row(f: Finding, excerpts: dict[int, str]) -> str:
    text = excerpts.get(f.location.record) if f.location.record is not None else None
    field = f"<div class='muted'><code>{escape(f.location.field)}</code></div>" if f.location.field else ""
    body = f'<pre class="text">{escape(text)}</pre>' if text else ""
    return (f'<tr data-code="{escape(f.code)}" data-severity="{f.severity}"><td><code>{escape(f.code)}</code></td>'
            f'<td class="sev-{f.severity}">{f.severity}</td><td><code>{escape(_where(f))}</code>{field}</td>'
            f"<td>{escape(f.message)}{body}</td></tr>")


def _options(values: Iterable[str], label: str) -> str:
    return f'<option value="">{label}</option>' + "".join(f'<option value="{escape(v)}">{escape(v)}</option>'
                                                          for v in values)


def _findings(report: Report) -> str:
    shown = report.findings[:MAX_FINDINGS]
    codes = sorted({f.code for f in report.findings})
    sevs = [s for s in ("error", "warning", "info") if any(str(f.severity) == s for f in report.findings)]
    rows = "".join(_finding_row(f, report.excerpts) for f in shown)
    more = (f"<p class='muted'>{len(report.findings) - MAX_FINDINGS:,} more finding(s) not shown; "
            "see the JSON report.</p>") if len(report.findings) > MAX_FINDINGS else ""
    return (f"<h2>Findings</h2><div class='card'><div class='filters'>"
            f"<select id='f-code' aria-label='rule'>{_options(codes, 'every rule')}</select>"
            f"<select id='f-sev' aria-label='severity'>{_options(sevs, 'every severity')}</select>"
            f"<input id='f-text' type='search' placeholder='filter by text' aria-label='text'>"
            f"<span id='f-shown' class='muted'></span></div>"
            f"<table id='findings'><thead><tr><th>rule</th><th>severity</th><th>where</th><th>message and record</th>"
            f"</tr></thead><tbody>{rows}</tbody></table>{more}</div>")


def render(report: Report, **_: object) -> str:
    from .json_report import _version

    title = f"dslint report: {'passed' if report.verdict.gate_passed else 'FAILED'}"
    files = ", ".join(s.path for s in report.sources if s.role == "train")
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<meta name='generator' content='dslint {escape(_version())}'>"
        f"<title>{escape(title)}</title><style>{CSS}</style></head>"
        f"<body><main><h1>dslint report</h1><div class='muted'>{escape(files)} · "
        f"{report.records:,} records</div>"
        f"{_verdict(report)}{_sources(report)}{_charts(report)}{_findings(report)}</main>"
        f"<script>{SCRIPT}</script></body></html>\n"
    )
