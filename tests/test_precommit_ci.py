"""The README's CI gate, run as written: a dirty set stops the job with a summary and SARIF; a clean one trains."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from conftest import chat

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def workflow_section() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return text[text.index("<!-- SECTION WORKFLOW -->"):text.index("<!-- END SECTION WORKFLOW -->")]


def block_after(marker: str, lang: str) -> str:
    section = workflow_section()
    rest = section[section.index(marker):]
    return re.search(rf"```{lang}\n(.*?)```", rest, re.S).group(1)


def shell_step() -> str:
    return block_after("Any other CI (plain shell):", "sh")


def actions_dslint_step() -> str:
    jobs = yaml.safe_load(block_after("GitHub Actions:", "yaml"))["jobs"]
    steps = {s.get("name"): s for s in jobs["data-gate"]["steps"]}
    assert jobs["train"]["needs"] == "data-gate"
    return steps["dslint"]["run"]


TRAIN = [chat(f"Explain {w} in one sentence.", f"{w.capitalize()} is explained here in a plain sentence.")
         for w in ("photosynthesis", "erosion", "inflation", "gravity", "osmosis", "recursion", "entropy")]
EVAL = [chat(f"Define {w}.", f"{w.capitalize()} has a short definition.") for w in ("tides", "magnetism")]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "eval.jsonl").write_text("".join(json.dumps(r) + "\n" for r in EVAL))
    (tmp_path / "dslint-baseline.json").write_text('{"findings": []}\n')
    # No model in this test, and a small set: the size floor comes down as a small project would set it.
    (tmp_path / "dslint.toml").write_text(textwrap.dedent("""\
        fast = true
        [checks.size]
        min-examples = 5
        recommended-examples = 5
        """))
    (tmp_path / "train.py").write_text("open('trained', 'w').write('yes')\n")
    return tmp_path


def write_train(project: Path, dirty: bool) -> None:
    lines = [json.dumps(r) for r in TRAIN]
    if dirty:
        lines.insert(3, '{"messages": [{"role": "user", "content": "cut off"')
    (project / "data" / "train.jsonl").write_text("\n".join(lines) + "\n")


def run_bash(script: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DSLINT_QUIET"}
    env |= {"PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}", "GITHUB_STEP_SUMMARY": str(cwd / "step-summary.md")}
    return subprocess.run(["bash", "-e", "-c", script], cwd=cwd, capture_output=True, text=True, env=env,
                          timeout=300)


def test_shell_step_stops_a_dirty_set_with_summary_and_sarif(project):
    write_train(project, dirty=True)
    result = run_bash(shell_step(), project)
    assert result.returncode == 1, result.stdout + result.stderr
    assert not (project / "trained").exists()
    assert "dslint: not training (exit 1)" in result.stderr
    summary = (project / "step-summary.md").read_text()
    assert summary.startswith("# dslint report") and "FAILED" in summary and "F001" in summary
    sarif = json.loads((project / "dslint.sarif").read_text())
    assert sarif["version"] == "2.1.0"
    assert any(r["ruleId"] == "F001" for r in sarif["runs"][0]["results"])


def test_shell_step_lets_a_clean_set_train(project):
    write_train(project, dirty=False)
    result = run_bash(shell_step(), project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (project / "trained").read_text() == "yes"
    assert "PASSED" in (project / "step-summary.md").read_text()


def test_actions_step_fails_the_job_on_exit_1_and_writes_both_reports(project):
    write_train(project, dirty=True)
    result = run_bash(actions_dslint_step(), project)
    assert result.returncode == 1
    assert "::error file=data/train.jsonl,line=4" in result.stdout  # annotations on the diff
    assert (project / "dslint-summary.md").read_text().startswith("# dslint report")
    assert json.loads((project / "dslint.sarif").read_text())["runs"][0]["results"]
    write_train(project, dirty=False)
    assert run_bash(actions_dslint_step(), project).returncode == 0


def test_the_baseline_lets_the_gate_pass_on_accepted_findings_only(project):
    write_train(project, dirty=True)
    accepted = run_bash("dslint check data/train.jsonl --write-baseline dslint-baseline.json", project)
    assert accepted.returncode == 0, accepted.stderr
    assert run_bash(shell_step(), project).returncode == 0
    train = project / "data" / "train.jsonl"
    train.write_text(train.read_text() + "{not json either\n")
    assert run_bash(shell_step(), project).returncode == 1


def test_a_bad_report_spec_is_a_usage_error(project, run_cli):
    write_train(project, dirty=False)
    res = run_cli("check", str(project / "data" / "train.jsonl"), "--report", "pdf:x.pdf")
    assert res.code == 2 and "FORMAT:PATH" in res.err
    res = run_cli("check", str(project / "data" / "train.jsonl"), "--report", "sarif")
    assert res.code == 2
