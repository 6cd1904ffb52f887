"""Progress lines: on a terminal only, never with -q / DSLINT_QUIET, never for a quick step."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from dslint.progress import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def run_step(stream: io.StringIO, total: int | None = 100, delay: float = 0.0) -> str:
    with Progress("embedding", total, delay=delay, stream=stream) as progress:
        for _ in range(4):
            progress.update(25)
    return stream.getvalue()


def test_a_terminal_gets_count_rate_and_eta(monkeypatch):
    monkeypatch.delenv("DSLINT_QUIET", raising=False)
    out = run_step(Terminal())
    assert out.startswith("\rembedding: ") and "100/100 rows" in out and "rows/s" in out and "ETA" in out
    assert out.endswith("\n")


def test_an_unknown_total_shows_count_and_rate_without_eta(monkeypatch):
    monkeypatch.delenv("DSLINT_QUIET", raising=False)
    out = run_step(Terminal(), total=None)
    assert "embedding: 100 rows" in out and "ETA" not in out


def test_silent_when_not_a_terminal_when_quiet_or_when_quick(monkeypatch):
    monkeypatch.delenv("DSLINT_QUIET", raising=False)
    assert run_step(io.StringIO()) == ""  # a pipe or a CI log
    assert run_step(Terminal(), delay=60) == ""  # finished before the delay
    monkeypatch.setenv("DSLINT_QUIET", "1")
    assert run_step(Terminal()) == ""


@pytest.mark.skipif(not hasattr(pty, "openpty"), reason="needs a pseudo-terminal")
@pytest.mark.parametrize("quiet", [False, True])
def test_loading_a_file_on_a_terminal_shows_progress_unless_q(tmp_path: Path, quiet: bool):
    """A real run with stderr on a pseudo-terminal: loading shows a progress line; -q silences it."""
    data = tmp_path / "big.jsonl"
    line = '{"prompt": "p", "completion": "c"}\n'
    data.write_text(line * 2_000)
    code = ("import dslint.progress as p; p.Progress.__init__.__kwdefaults__['delay'] = 0.0; "
            "from dslint.cli import main; import sys; "
            f"sys.exit(main(['check', '--fast', '--select', 'F001', {str(data)!r}] + {['-q'] if quiet else []!r}))")
    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "DSLINT_QUIET"}
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=follower, env=env)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    proc.wait(timeout=300)
    os.close(leader)
    err = b"".join(chunks).decode(errors="replace")
    assert proc.returncode == 0, err
    if quiet:
        assert "loading" not in err
    else:
        assert f"loading {data}:" in err and "rows/s" in err
