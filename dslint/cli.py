"""Command line: `dslint check`, `dslint clean`, `dslint rules`, `dslint rule CODE`. Exit 0 pass, 1 fail, 2 error."""

from __future__ import annotations

import json
import os
import sys
from typing import Any, Sequence

import click

from .errors import DslintError

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 110}


def _codes(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [c.strip() for c in value.split(",") if c.strip()]


@click.group(context_settings=CONTEXT)
@click.version_option(package_name="dslint-finetune", prog_name="dslint")
def cli() -> None:
    """dslint: lint a fine-tuning set before you spend GPU time on it."""


@cli.command("check")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option("--eval", "eval_paths", multiple=True, type=click.Path(path_type=str),
              help="Eval set(s) to check for train/eval leakage. Repeatable.")
@click.option("--select", help="Comma-separated rule codes or prefixes to enable (replaces the config's).")
@click.option("--extend-select", help="Codes or prefixes to enable on top of the selection.")
@click.option("--ignore", help="Codes or prefixes to disable.")
@click.option("--output-format", type=click.Choice(["text", "json", "sarif", "github", "markdown", "html"]),
              help="Report format (default text).")
@click.option("--output-file", "-o", type=click.Path(dir_okay=False, path_type=str),
              help="Write the report here (atomically) instead of stdout.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info"]),
              help="Lowest severity that fails the gate (default error).")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when the gate fails (errors still exit 2).")
@click.option("--statistics", is_flag=True, help="Show counts per rule.")
@click.option("--config", "config_path", type=click.Path(path_type=str),
              help="Config file (dslint.toml or pyproject.toml); default: the closest one.")
@click.option("--profile", help="Trainer profile: openai, together, axolotl, trl, llama-factory, generic.")
@click.option("--fast", is_flag=True, default=None, help="Skip checks that need an embedding model.")
@click.option("--no-cache", is_flag=True, default=None, help="Do not read or write the embedding cache.")
@click.option("--baseline", type=click.Path(path_type=str), help="Accept the findings recorded in this file.")
@click.option("--write-baseline", type=click.Path(dir_okay=False, path_type=str),
              help="Record the current findings as accepted, in this file.")
@click.option("--report", "extra_reports", multiple=True, metavar="FORMAT:PATH",
              help="Also write the report in FORMAT to PATH (repeatable), e.g. --report sarif:dslint.sarif "
                   "--report markdown:summary.md: one run, several outputs (for CI).")
@click.option("-v", "--verbose", count=True, help="More detail; -v shows tracebacks on errors.")
@click.option("-q", "--quiet", is_flag=True, help="Only findings and the gate line (for hooks).")
@click.pass_context
def check_cmd(ctx: click.Context, paths: tuple[str, ...], eval_paths: tuple[str, ...], select: str | None,
              extend_select: str | None, ignore: str | None, output_format: str | None, output_file: str | None,
              fail_on: str | None, exit_zero: bool, statistics: bool, config_path: str | None,
              profile: str | None, fast: bool | None, no_cache: bool | None, baseline: str | None,
              write_baseline: str | None, extra_reports: tuple[str, ...], verbose: int, quiet: bool) -> None:
    """Lint training data in PATHS (files or folders)."""
    from .config import load_config, merge_cli
    from .engine import lint
    from .fsutil import atomic_write_text
    from .gate import exit_code
    from .reporters import render
    from .suppress import baseline_document

    if quiet:
        os.environ["DSLINT_QUIET"] = "1"
    reports = [_report_spec(spec) for spec in extra_reports]
    _refuse_overwriting_inputs([output_file, write_baseline, *(p for _, p in reports)], [*paths, *eval_paths])
    cfg = load_config(config_path, start=paths[0] if paths else None)
    base_cfg_extend = _codes(extend_select)
    cfg = merge_cli(cfg, {
        "select": _codes(select),
        "extend_select": (cfg.extend_select + base_cfg_extend) if base_cfg_extend else None,
        "ignore": (cfg.ignore + _codes(ignore)) if ignore else None,
        "output_format": output_format,
        "fail_on": fail_on,
        "profile": profile,
        "fast": fast,
        "no_cache": no_cache,
        "baseline": os.path.abspath(baseline) if baseline else None,
    })
    if write_baseline:  # record every current finding, including those an older baseline accepts
        cfg = merge_cli(cfg, {"baseline": ""})
    report = lint(list(paths), cfg, eval_sources=list(eval_paths) if eval_paths else None)
    fmt = cfg.output_format
    text = render(report, fmt, statistics=statistics, quiet=quiet) if fmt == "text" else render(report, fmt)
    text = _printable(text)
    if output_file:
        atomic_write_text(output_file, text)
        if fmt != "text" and not quiet:
            click.echo(_printable(render(report, "text", statistics=statistics, quiet=True)), nl=False)
    else:
        click.echo(text, nl=False)
    for extra_fmt, extra_path in reports:
        atomic_write_text(extra_path, _printable(render(report, extra_fmt)))
    if write_baseline:
        atomic_write_text(write_baseline, json.dumps(baseline_document(report.findings), indent=2) + "\n")
        click.echo(f"dslint: wrote {len(report.findings)} accepted finding(s) to {write_baseline}", err=True)
        ctx.exit(0)
    ctx.exit(exit_code(report, exit_zero=exit_zero))


def _printable(text: str) -> str:
    """Lone surrogates that hostile input smuggles in as JSON escapes (\\ud800) cannot be written as UTF-8."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _report_spec(spec: str) -> tuple[str, str]:
    """`--report FORMAT:PATH` -> (format, path); a bad spec is a usage error before any work is done."""
    from .reporters import REPORTERS

    fmt, sep, path = spec.partition(":")
    if not sep or not path or fmt not in REPORTERS:
        raise click.BadParameter(f"expected FORMAT:PATH with FORMAT one of {', '.join(REPORTERS)}, got {spec!r}",
                                 param_hint="--report")
    return fmt, path


def _refuse_overwriting_inputs(targets: Sequence[str | None], inputs: Sequence[str]) -> None:
    """A report or baseline path that names a data file being checked is a usage error: inputs are never written."""
    from .data import expand_paths
    from .errors import UsageError

    existing = [t for t in targets if t and os.path.exists(t)]
    if not existing:
        return
    try:
        files = expand_paths(inputs)
    except DslintError:
        return  # the run itself reports the unreadable input
    for target in existing:
        if any(os.path.samefile(target, f) for f in files if f.is_file()):
            raise UsageError(f"{target}: is one of the inputs; dslint never writes over the data it checks")


@cli.command("clean")
@click.argument("path", type=click.Path(path_type=str))
@click.option("--output", "-o", "output", required=True, type=click.Path(dir_okay=False, path_type=str),
              help="The cleaned file to write (same format as PATH).")
@click.option("--drop", help="Codes, prefixes or severities whose records are dropped "
              "(default: error,D001,D002,D003; label errors only when named, e.g. L001).")
@click.option("--extend-drop", help="Codes or prefixes dropped on top of --drop (or of the default).")
@click.option("--manifest", type=click.Path(dir_okay=False, path_type=str),
              help="Where to list the dropped records (default: OUTPUT.manifest.jsonl).")
@click.option("--force", is_flag=True, help="Overwrite OUTPUT and the manifest if they exist.")
@click.option("--eval", "eval_paths", multiple=True, type=click.Path(path_type=str),
              help="Eval set(s): also drop training records leaked into them.")
@click.option("--config", "config_path", type=click.Path(path_type=str), help="Config file (default: the closest).")
@click.option("--fast", is_flag=True, default=None, help="Skip checks that need an embedding model.")
@click.option("-q", "--quiet", is_flag=True, help="No summary line.")
def clean_cmd(path: str, output: str, drop: str | None, extend_drop: str | None, manifest: str | None, force: bool,
              eval_paths: tuple[str, ...], config_path: str | None, fast: bool | None, quiet: bool) -> None:
    """Write OUTPUT: PATH without the records findings flag, plus a manifest of every dropped record."""
    from .clean import DEFAULT_DROP, clean
    from .config import load_config, merge_cli

    if quiet:
        os.environ["DSLINT_QUIET"] = "1"
    cfg = merge_cli(load_config(config_path, start=path), {"fast": fast})
    drops = (_codes(drop) or list(DEFAULT_DROP)) + (_codes(extend_drop) or [])
    result = clean(path, output, cfg, drop=drops, manifest=manifest, force=force,
                   eval_sources=list(eval_paths) if eval_paths else None)
    if not quiet:
        for note in result.unchecked:
            click.echo(f"dslint clean: not checked, so nothing dropped for {note}", err=True)
        click.echo(result.summary(), err=True)


@cli.command("rules")
@click.option("--output-format", type=click.Choice(["text", "json", "markdown"]), default="text")
def rules_cmd(output_format: str) -> None:
    """List every rule of every loaded check, with who provides it."""
    from .rules import rule_table

    table = rule_table()
    if output_format == "json":
        click.echo(json.dumps([{"code": r.code, "name": r.name, "severity": str(r.severity), "check": lc.cls.name,
                                "provider": lc.provider, "summary": r.summary, "scope": r.scope}
                               for r, lc in table], indent=2))
        return
    if output_format == "markdown":
        click.echo("| code | name | severity | check | what it flags |\n|---|---|---|---|---|")
        for r, lc in table:
            click.echo(f"| {r.code} | {r.name} | {r.severity} | {lc.cls.name} | {r.summary} |")
        return
    for r, lc in table:
        click.echo(f"{r.code}  {r.name:<34} {str(r.severity):<8} {lc.cls.name:<22} {lc.provider}")


@cli.command("rule")
@click.argument("code")
def rule_cmd(code: str) -> None:
    """Show the documentation of one rule."""
    from .rules import rule_doc

    doc = rule_doc(code)
    if doc is None:
        raise click.UsageError(f"unknown rule code '{code}' (see `dslint rules`)")
    click.echo(doc)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point for the console script, `python -m dslint` and pre-commit: returns the exit code."""
    from .embed import _offline

    _offline()  # before any hub library is imported (datasets, tokenizers, ...): nothing is downloaded
    args = list(sys.argv[1:] if argv is None else argv)
    verbose = any(a in ("-v", "--verbose") or (a.startswith("-v") and set(a[1:]) == {"v"}) for a in args)
    try:
        result = cli.main(args=args, prog_name="dslint", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return 2
    except click.exceptions.Abort:
        click.echo("dslint: aborted", err=True)
        return 2
    except DslintError as exc:
        if verbose:
            import traceback

            traceback.print_exc()
        click.echo(f"dslint: error: {exc}", err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo("dslint: interrupted", err=True)
        return 2
    except Exception as exc:  # an internal error is still one readable line unless -v
        if verbose:
            import traceback

            traceback.print_exc()
        click.echo(f"dslint: internal error: {type(exc).__name__}: {exc} (run with -v for the traceback)", err=True)
        return 2
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    raise SystemExit(main())
