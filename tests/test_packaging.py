"""The built wheel ships the checks under the dslint namespace (never a top-level `checks`) and works installed."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(ROOT)],
                   check=True, capture_output=True, text=True, timeout=600)
    return next(out.glob("dslint_finetune-*.whl"))


@pytest.mark.slow
def test_wheel_layout(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "dslint/checks/__init__.py" in names
    assert not any(n.startswith("checks/") for n in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "[dslint.checks]" in text and "dslint.checks." in text


@pytest.mark.slow
def test_wheel_installs_into_a_fresh_venv_and_lists_rules(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    py = venv / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "--quiet", "--no-deps", str(wheel)], check=True, timeout=300)
    # Dependencies come from the test environment's site-packages (no network needed); dslint itself and its
    # entry points come from the fresh venv, which sits first on sys.path.
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    (Path(site) / "zz_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    probe = ("import dslint, dslint.checks, importlib.util; print(dslint.__file__); "
             "print(importlib.util.find_spec('checks'))")
    out = subprocess.run([str(py), "-c", probe], capture_output=True, text=True, check=True, cwd=tmp_path).stdout
    assert str(venv) in out.splitlines()[0]
    assert out.splitlines()[1] == "None"  # no top-level `checks` module installed
    rules = subprocess.run([str(venv / "bin" / "dslint"), "rules"], capture_output=True, text=True, cwd=tmp_path)
    assert rules.returncode == 0, rules.stderr
    from dslint.rules import rule_table

    expected = [rule.code for rule, _ in rule_table()]
    listed = [line.split()[0] for line in rules.stdout.splitlines() if line.strip()]
    assert listed == expected
