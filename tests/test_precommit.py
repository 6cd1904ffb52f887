"""The pre-commit hooks: the manifest is valid, and the fast hook blocks a dirty commit and lets a clean one in."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from conftest import chat

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PRE_COMMIT = shutil.which("pre-commit", path=str(BIN)) or shutil.which("pre-commit")
DSLINT = shutil.which("dslint", path=str(BIN))
needs_pre_commit = pytest.mark.skipif(PRE_COMMIT is None or DSLINT is None or shutil.which("git") is None,
                                      reason="needs git, pre-commit and the dslint console script (make setup)")


def hooks() -> dict[str, dict]:
    return {h["id"]: h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}


def test_the_fast_hook_runs_no_model_and_the_full_one_is_manual():
    fast, full = hooks()["dslint"], hooks()["dslint-full"]
    assert fast["entry"].split()[:2] == ["dslint", "check"] and "--fast" in fast["entry"].split()
    assert "-q" in fast["entry"].split()
    assert not fast.get("additional_dependencies")  # the light core: no torch, no sentence-transformers
    assert "--fast" not in full["entry"].split() and full["stages"] == ["manual"]
    assert any("sentence-transformers" in d for d in full["additional_dependencies"])
    for hook in (fast, full):
        assert hook["language"] == "python" and hook["require_serial"] is True


@needs_pre_commit
def test_manifest_is_valid_for_pre_commit():
    result = subprocess.run([PRE_COMMIT, "validate-manifest", str(REPO / ".pre-commit-hooks.yaml")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def git(repo: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture
def data_repo(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A git repo whose .pre-commit-config.yaml runs this checkout's `dslint` hook (as a local, system hook)."""
    repo = tmp_path / "data-repo"
    repo.mkdir()
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "HOME": str(tmp_path),
           "GIT_CONFIG_NOSYSTEM": "1", "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("DSLINT_QUIET", None)
    hook = hooks()["dslint"]
    # The manifest's hook, as-is, except that the entry calls this venv's dslint instead of a fresh env's.
    local = {k: hook[k] for k in ("id", "name", "files", "types", "require_serial")}
    local |= {"entry": hook["entry"].replace("dslint", DSLINT, 1), "language": "system"}
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump({"repos": [{"repo": "local", "hooks": [local]}]}))
    # A small data repo lowers the size floor (the default minimum is 500 examples).
    (repo / "dslint.toml").write_text(textwrap.dedent("""\
        [checks.size]
        min-examples = 5
        recommended-examples = 5
        """))
    for args in (("init", "-q", "-b", "main"), ("config", "user.email", "t@example.com"),
                 ("config", "user.name", "t"), ("config", "commit.gpgsign", "false")):
        assert git(repo, *args, env=env).returncode == 0
    installed = subprocess.run([PRE_COMMIT, "install"], cwd=repo, capture_output=True, text=True, env=env)
    assert installed.returncode == 0, installed.stderr
    assert git(repo, "add", ".pre-commit-config.yaml", "dslint.toml", env=env).returncode == 0
    return repo, env


CLEAN = [chat(q, a) for q, a in (
    ("What is the boiling point of water at sea level?", "100 degrees Celsius."),
    ("Name the largest planet in the solar system.", "Jupiter."),
    ("How many legs does a spider have?", "Eight."),
    ("What gas do plants absorb for photosynthesis?", "Carbon dioxide."),
    ("Who wrote the play Hamlet?", "William Shakespeare."),
    ("What is the chemical symbol for gold?", "Au."),
    ("Translate 'thank you' into French.", "Merci."),
    ("What is 12 multiplied by 12?", "144."),
)]


@needs_pre_commit
def test_hook_fails_a_dirty_commit_and_passes_the_clean_one(data_repo):
    repo, env = data_repo
    lines = [json.dumps(r) for r in CLEAN]
    dirty = lines[:2] + ['{"messages": [{"role": "user", "content": "unterminated"'] + lines[2:]
    (repo / "train.jsonl").write_text("\n".join(dirty) + "\n")
    git(repo, "add", "train.jsonl", env=env)
    blocked = git(repo, "commit", "-m", "add data", env=env)
    assert blocked.returncode != 0, blocked.stdout
    out = blocked.stdout + blocked.stderr
    assert "dslint (fast, no model)" in out and "Failed" in out
    assert "train.jsonl:3: F001 [error]" in out
    assert git(repo, "rev-parse", "--verify", "HEAD", env=env).returncode != 0  # nothing was committed

    (repo / "train.jsonl").write_text("\n".join(lines) + "\n")
    git(repo, "add", "train.jsonl", env=env)
    passed = git(repo, "commit", "-m", "add data", env=env)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    out = passed.stdout + passed.stderr
    assert "dslint (fast, no model)" in out and "Passed" in out


@needs_pre_commit
def test_hook_ignores_files_that_are_not_data(data_repo):
    repo, env = data_repo
    (repo / "notes.md").write_text("{not json at all\n")
    git(repo, "add", "notes.md", env=env)
    result = git(repo, "commit", "-m", "notes", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "(no files to check)Skipped" in result.stdout + result.stderr


BLOCK_MODEL = "import sys; [sys.modules.__setitem__(m, None) for m in ('torch', 'sentence_transformers')]; "


def run_without_model(code: str) -> subprocess.CompletedProcess[str]:
    """Python with torch and sentence-transformers unimportable: what the light hook environment looks like."""
    env = {k: v for k, v in os.environ.items() if k != "DSLINT_QUIET"}
    return subprocess.run([sys.executable, "-c", BLOCK_MODEL + code], capture_output=True, text=True, env=env,
                          timeout=300)


def test_fast_check_works_without_sentence_transformers(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in CLEAN) + "\n{broken\n")
    result = run_without_model(f"from dslint.cli import main; raise SystemExit(main(['check', '--fast', '-q', "
                               f"{str(path)!r}]))")
    assert result.returncode == 1, result.stderr
    assert f"{path}:9: F001 [error]" in result.stdout
    assert "internal error" not in result.stderr


def test_without_sentence_transformers_a_full_run_stops_with_the_install_hint(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in CLEAN) + "\n")
    result = run_without_model(f"from dslint.cli import main; raise SystemExit(main(['check', {str(path)!r}]))")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "pip install 'dslint-finetune[semantic]'" in result.stderr and "--fast" in result.stderr
    assert "Traceback" not in result.stderr
